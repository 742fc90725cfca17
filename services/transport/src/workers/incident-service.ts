import { createHash, type KeyObject, randomUUID } from 'node:crypto';
import {
  type AuditEventInput,
  type AuditLog,
  INCIDENT_ANSWER_KIND,
  INCIDENT_REQUEST_KIND,
  parseIncidentAnswerBody,
  serializeIncidentRequestBody,
} from '@twincontour/audit';
import {
  type CertificateValidator,
  createSoftwareSigner,
  describeCertificate,
  readDevIdentity,
  signDetached,
  verifyDetached,
} from '@twincontour/crypto';
import {
  createLoop,
  type ExchangeState,
  fail,
  type Loop,
  ok,
  type Pool,
  type PoolClient,
  type Result,
  withTransaction,
} from '@twincontour/platform';
import type { Logger } from 'pino';
import { Counter, type Metric } from 'prom-client';
import type { TransportArchive } from '../adapters/archive-repository.js';
import type { IncidentChannel } from '../adapters/delivery/types.js';
import {
  annulDelivering,
  certificateTaken,
  countAwaitingResend,
  deactivatePerson,
  EXCHANGE_GATE_LOCK,
  findIncident,
  findPerson,
  findRequest,
  type IncidentRow,
  insertIncident,
  insertPerson,
  insertRequest,
  listIncidents,
  listPersons,
  markAnswered,
  markChannelFailed,
  openRequests,
  type PersonRow,
  type PersonWrite,
  type RequestRow,
  readExchangeState,
  requestExists,
  requestsOf,
  reserveCopy,
  setExchangeState,
  storeReserveCopy,
  updateIncident,
  updatePerson,
} from '../adapters/incident-repository.js';
import { renderReserveCopy } from '../adapters/reserve-copy.js';
import {
  buildRequestDocument,
  type IncidentRequestDocument,
  type IncidentRequestKind,
  parseAnswerDocument,
  parseRequestDocument,
  type RequestParticipant,
  type RequestPerson,
  serializeRequest,
} from '../domain/incident-request.js';

/** The consumer name of c2t hand-overs (workers/c2t-processor.ts C2T_CONSUMER; repeated to avoid a cycle). */
const C2T_CONSUMER = 'transport-c2t';
/** Serializes everything that sends requests to the Bank of Russia (the API and the retry loop). */
const SEND_LOCK = 0x54524e53; // 'TRNS'
/** How far a posted, person-signed document's time may lie from now. */
const FRESHNESS_MS = 15 * 60_000;
/** Incidents shown by GET /v1/incidents. */
const HISTORY = 50;
/** The development authorised person's id (TWINCONTOUR_DEV_AUTHORISED_PERSON). */
export const DEV_PERSON_ID = 'dev-authorised-person';

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the incident service is built from. */
export interface IncidentServiceOptions {
  pool: Pool;
  logger: Logger;
  /** The trust store: authorised persons' certificates (contour authorised-person) and the Bank of Russia's (cbr). */
  validator: CertificateValidator;
  /** The main channel (802-П п. 19.1); undefined when the delivery channel has none (arm-kbr): reserve only. */
  channel: IncidentChannel | undefined;
  participant: RequestParticipant;
  /** Keys that sign on the server, by person id (TWINCONTOUR_AUTHORISED_PERSON_KEYS). */
  personKeys?: ReadonlyMap<string, KeyObject>;
  /** Every step is an audit event (issue 7); absent in a few unit tests only. */
  audit?: AuditLog | undefined;
  /**
   * The five-year archive (802-П п. 11) and the delivery channel's name its records carry: every request
   * the main channel took and every signed answer, exactly as sent and received. main.ts always gives it;
   * absent only in tests that do not look at the archive.
   */
  archive?: { writer: Pick<TransportArchive, 'append'>; channel: string } | undefined;
  /** How often the loop re-sends requests the main channel did not take. */
  retryMs: number;
  clock?: () => Date;
}

/** A failure of the service: a stable INC_* code and a client-facing message. */
export type IncidentFailure = { ok: false; code: string; message: string };

/** A person as the API shows it (never the certificate bytes' secrets: there are none, but no key either). */
export interface PersonView {
  id: string;
  fullName: string;
  position: string;
  phone: string;
  fax: string | null;
  email: string;
  certificate: { serial: string; issuer: string; subject: string; thumbprint: string; notAfter: string };
  active: boolean;
  /** True when the server holds a key for the person (requests can be signed here). */
  serverSigning: boolean;
  createdBy: string;
  updatedBy: string;
  createdAt: string;
  updatedAt: string;
}

/** The requisites of a person given to the API (п. 19.3) and their certificate (PEM). */
export interface PersonInput {
  fullName: string;
  position: string;
  phone: string;
  fax?: string | null | undefined;
  email: string;
  certificatePem: string;
}

/** A request as the API shows it. */
export interface RequestView {
  id: string;
  kind: IncidentRequestKind;
  status: RequestRow['status'];
  personId: string;
  signedOn: 'server' | 'client';
  signer: { serial: string; issuer: string; thumbprint: string };
  documentSha256: string;
  signatureSha256: string;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  /** The main channel did not take it: it must be (and will be) sent again (802-П п. 19.1). */
  resendRequired: boolean;
  reserveCopy: { at: string; sha256: string; size: number; url: string } | null;
  answer: { decision: 'accepted' | 'refused'; code: string | null; at: string } | null;
  createdAt: string;
}

/** An incident as the API shows it. */
export interface IncidentView {
  id: string;
  state: IncidentRow['state'];
  reason: string;
  personId: string;
  requestedBy: string;
  /** The moment the suspension took effect: nothing left transport after it. */
  suspendedAt: string;
  annulled: number;
  cbrSuspendedAt: string | null;
  resumeRequestedBy: string | null;
  resumePersonId: string | null;
  resumeRequestedAt: string | null;
  resumedAt: string | null;
  resendRequired: boolean;
  requests: RequestView[];
}

/** GET /v1/incidents. */
export interface IncidentStatusView {
  exchange: { state: ExchangeState; since: string; incidentId: string | null };
  /** Some request must be sent again through the main channel. */
  resendRequired: boolean;
  awaitingResend: number;
  current: IncidentView | null;
  incidents: IncidentView[];
}

/** A request posted already signed by the person (their own tool, their own key). */
export interface PresignedRequest {
  documentBase64?: string | undefined;
  signatureBase64?: string | undefined;
}

interface Signed {
  document: IncidentRequestDocument;
  bytes: Uint8Array;
  signature: Uint8Array;
  signedOn: 'server' | 'client';
  signedAt: Date | undefined;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function personView(p: PersonRow, serverSigning: boolean): PersonView {
  return {
    id: p.id,
    fullName: p.fullName,
    position: p.position,
    phone: p.phone,
    fax: p.fax,
    email: p.email,
    certificate: {
      serial: p.serial,
      issuer: p.issuer,
      subject: p.subject,
      thumbprint: p.thumbprint,
      notAfter: p.notAfter.toISOString(),
    },
    active: p.active,
    serverSigning,
    createdBy: p.createdBy,
    updatedBy: p.updatedBy,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

function requestView(r: RequestRow): RequestView {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    personId: r.personId,
    signedOn: r.signedOn,
    signer: r.signer,
    documentSha256: r.documentSha256,
    signatureSha256: r.signatureSha256,
    attempts: r.attempts,
    lastError: r.lastError,
    lastAttemptAt: iso(r.lastAttemptAt),
    resendRequired: r.status === 'needs-resend',
    reserveCopy: r.reserve
      ? {
          at: r.reserve.at.toISOString(),
          sha256: r.reserve.sha256,
          size: r.reserve.size,
          url: `/v1/incidents/${r.incidentId}/requests/${r.id}/pdf`,
        }
      : null,
    answer: r.answer ? { decision: r.answer.decision, code: r.answer.code, at: r.answer.at.toISOString() } : null,
    createdAt: r.createdAt.toISOString(),
  };
}

function incidentView(i: IncidentRow, requests: readonly RequestRow[]): IncidentView {
  const own = requests.filter((r) => r.incidentId === i.id).map(requestView);
  return {
    id: i.id,
    state: i.state,
    reason: i.reason,
    personId: i.personId,
    requestedBy: i.requestedBy,
    suspendedAt: i.suspendedAt.toISOString(),
    annulled: i.annulled,
    cbrSuspendedAt: iso(i.cbrSuspendedAt),
    resumeRequestedBy: i.resumeRequestedBy,
    resumePersonId: i.resumePersonId,
    resumeRequestedAt: iso(i.resumeRequestedAt),
    resumedAt: iso(i.resumedAt),
    resendRequired: own.some((r) => r.resendRequired),
    requests: own,
  };
}

function requestPerson(p: PersonRow): RequestPerson {
  return {
    id: p.id,
    fullName: p.fullName,
    position: p.position,
    phone: p.phone,
    fax: p.fax,
    email: p.email,
    certificate: { serial: p.serial, issuer: p.issuer, thumbprint: p.thumbprint },
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(value: string, what: string): Result<Uint8Array> {
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 !== 0) return fail('INC_BAD_DOCUMENT', `${what} is not base64`);
  return ok(new Uint8Array(Buffer.from(compact, 'base64')));
}

/**
 * Incident suspension (802-П п. 19–19.5), owned by transport:
 *
 * - the registry of authorised persons (п. 19.3), every change audited;
 * - `suspend`: the request signed by the person (here with a configured key, or posted signed) is verified
 *   against the registry certificate and the trust store, then in ONE transaction holding the delivery gate
 *   exclusively: the moment of effect, the incident, the request, every message not yet delivered annulled
 *   (t2c `annulled`, code EXCHANGE_SUSPENDED), the exchange state `suspending` and its t2c message; then the
 *   request goes to the Bank of Russia through the main channel;
 * - the main channel failing: the request is marked for the reserve channel, its printable copy (PDF) made
 *   (п. 19.4), and the loop sends it again through the main channel until the Bank of Russia answers (п. 19.1);
 * - `resume`: the signed cancellation request; the exchange runs again only on the Bank of Russia's positive
 *   answer (state `resuming` until then).
 */
export function createIncidentService(options: IncidentServiceOptions) {
  const { pool, logger, validator } = options;
  const clock = options.clock ?? (() => new Date());
  const keys = new Map(options.personKeys ?? []);
  const requestsTotal = new Counter({
    name: 'transport_incident_requests_total',
    help: 'Incident requests tried on the main channel (802-П п. 19.1), by kind and result (answered, refused, channel-failed).',
    labelNames: ['kind', 'result'] as const,
    registers: [],
  });

  async function record(event: AuditEventInput, client?: PoolClient): Promise<void> {
    if (options.audit) await options.audit.record(event, client);
  }

  const failure = (code: string, message: string): IncidentFailure => ({ ok: false, code, message });

  // ── persons ────────────────────────────────────────────────────────────────────────────────────────────

  /** Checks a person's certificate: parsable, trusted, unrevoked, of contour authorised-person, for signing. */
  function checkCertificate(
    pem: string,
  ): Result<Omit<PersonWrite, 'id' | 'fullName' | 'position' | 'phone' | 'fax' | 'email'>> {
    const described = describeCertificate(pem);
    if (!described.ok) return fail('INC_PERSON_CERT_INVALID', `${described.code}: ${described.message}`);
    const der = new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64'));
    const checked = validator.check(der, { expectedContour: 'authorised-person', usage: 'signing' });
    if (!checked.ok) return fail('INC_PERSON_CERT_INVALID', `${checked.code}: ${checked.message}`);
    const d = described.value;
    return ok({
      certificate: der,
      thumbprint: d.thumbprint,
      serial: d.serialNumber,
      issuer: d.issuer,
      subject: d.subject,
      notAfter: d.notAfter,
    });
  }

  function personWrite(id: string, input: PersonInput): Result<PersonWrite> {
    const cert = checkCertificate(input.certificatePem);
    if (!cert.ok) return cert;
    return ok({
      id,
      fullName: input.fullName,
      position: input.position,
      phone: input.phone,
      fax: input.fax ?? null,
      email: input.email,
      ...cert.value,
    });
  }

  const certificateFacts = (p: { serial: string; issuer: string; thumbprint: string }) => ({
    serial: p.serial,
    issuer: p.issuer,
    thumbprint: p.thumbprint,
  });

  async function addPerson(id: string, input: PersonInput, actor: string): Promise<Result<PersonView>> {
    const write = personWrite(id, input);
    if (!write.ok) return write;
    return withTransaction(pool, async (client) => {
      if (await certificateTaken(client, write.value.thumbprint)) {
        return failure('INC_PERSON_EXISTS', 'an active person is already registered with this certificate');
      }
      if (!(await insertPerson(client, write.value, actor))) {
        return failure('INC_PERSON_EXISTS', `a person ${id} is already registered`);
      }
      await record(
        {
          type: 'person.added',
          actor,
          result: 'info',
          certificate: certificateFacts(write.value),
          details: { personId: id, fullName: input.fullName, position: input.position },
        },
        client,
      );
      const row = await findPerson(client, id);
      return ok(personView(row as PersonRow, keys.has(id)));
    });
  }

  async function changePerson(id: string, input: PersonInput, actor: string): Promise<Result<PersonView>> {
    const write = personWrite(id, input);
    if (!write.ok) return write;
    return withTransaction(pool, async (client) => {
      const before = await findPerson(client, id);
      if (!before) return failure('INC_PERSON_NOT_FOUND', `no authorised person ${id}`);
      if (await certificateTaken(client, write.value.thumbprint, id)) {
        return failure('INC_PERSON_EXISTS', 'another active person is registered with this certificate');
      }
      await updatePerson(client, write.value, actor);
      const changed: string[] = (['fullName', 'position', 'phone', 'fax', 'email'] as const).filter(
        (k) => before[k] !== write.value[k],
      );
      if (before.thumbprint !== write.value.thumbprint) changed.push('certificate');
      await record(
        {
          type: 'person.changed',
          actor,
          result: 'info',
          certificate: certificateFacts(write.value),
          details: { personId: id, changed, previousCertificate: before.thumbprint, reactivated: !before.active },
        },
        client,
      );
      const row = await findPerson(client, id);
      return ok(personView(row as PersonRow, keys.has(id)));
    });
  }

  async function removePerson(id: string, actor: string): Promise<Result<PersonView>> {
    return withTransaction(pool, async (client) => {
      const before = await findPerson(client, id);
      if (!before?.active || !(await deactivatePerson(client, id, actor))) {
        return failure('INC_PERSON_NOT_FOUND', `no active authorised person ${id}`);
      }
      await record(
        {
          type: 'person.removed',
          actor,
          result: 'info',
          certificate: certificateFacts(before),
          details: { personId: id },
        },
        client,
      );
      const row = await findPerson(client, id);
      return ok(personView(row as PersonRow, keys.has(id)));
    });
  }

  /**
   * Development only (TWINCONTOUR_DEV_AUTHORISED_PERSON): registers the dev PKI's `authorised-person`
   * identity as {@link DEV_PERSON_ID} (or updates its certificate after the PKI was remade) and keeps its
   * key for signing on the server, so `twincontour incident suspend` works on a fresh start.
   */
  async function ensureDevPerson(pkiDir: string): Promise<Result<PersonView>> {
    const identity = await readDevIdentity(pkiDir, 'authorised-person');
    if (!identity.ok) return fail('TRN_KEYS_UNAVAILABLE', `development authorised person: ${identity.code}`);
    keys.set(DEV_PERSON_ID, identity.value.privateKey);
    const input: PersonInput = {
      fullName: 'Иванов Иван Иванович',
      position: 'Заместитель начальника управления информационной безопасности (development)',
      phone: '+7 (495) 000-00-00',
      fax: '+7 (495) 000-00-01',
      email: 'incident@dev.twincontour.invalid',
      certificatePem: identity.value.certificatePem,
    };
    const existing = await findPerson(pool, DEV_PERSON_ID);
    if (!existing) return addPerson(DEV_PERSON_ID, input, 'service:transport');
    if (existing.active && existing.thumbprint === identity.value.thumbprint.replaceAll(':', '').toLowerCase()) {
      return ok(personView(existing, true));
    }
    return changePerson(DEV_PERSON_ID, input, 'service:transport');
  }

  async function persons(includeInactive: boolean): Promise<PersonView[]> {
    return (await listPersons(pool, includeInactive)).map((p) => personView(p, keys.has(p.id)));
  }

  async function person(id: string): Promise<PersonView | undefined> {
    const p = await findPerson(pool, id);
    return p ? personView(p, keys.has(p.id)) : undefined;
  }

  // ── signing and verification of requests ─────────────────────────────────────────────────────────────

  /** The active person, or INC_PERSON_UNKNOWN (п. 19.3: only registered persons send requests). */
  async function activePerson(id: string): Promise<Result<PersonRow>> {
    const p = await findPerson(pool, id);
    return p?.active ? ok(p) : failure('INC_PERSON_UNKNOWN', `${id} is not an active authorised person`);
  }

  /** Checks a posted document against what this gateway would have drafted. */
  function checkPosted(
    document: IncidentRequestDocument,
    expected: { kind: IncidentRequestKind; person: PersonRow; incidentId?: string; reason?: string | undefined },
  ): Result<true> {
    const bad = (message: string) => failure('INC_BAD_DOCUMENT', message);
    if (document.kind !== expected.kind) return bad(`the document is a ${document.kind} request`);
    const { participant } = options;
    const p = document.participant;
    if (p.name !== participant.name || p.bic !== participant.bic || p.uic !== participant.uic) {
      return bad('the document names another participant');
    }
    if (JSON.stringify(document.authorisedPerson) !== JSON.stringify(requestPerson(expected.person))) {
      return bad('the person requisites differ from the registry (п. 19.3)');
    }
    if (expected.incidentId !== undefined && document.incident.id !== expected.incidentId) {
      return bad('the document names another incident');
    }
    if (expected.reason !== undefined && document.incident.reason !== expected.reason) {
      return bad('the document gives another reason');
    }
    if (Math.abs(clock().getTime() - Date.parse(document.createdAt)) > FRESHNESS_MS) {
      return bad('the document is older than 15 minutes (or dated ahead)');
    }
    return ok(true);
  }

  /**
   * The signed request: the person's own signature when posted, otherwise made here with the person's
   * configured key. Either way verified before anything happens: the signature over exactly these bytes,
   * by the registry certificate of the person, trusted, unrevoked, of contour authorised-person.
   */
  async function signedRequest(
    kind: IncidentRequestKind,
    person: PersonRow,
    incident: { id: string; reason: string } | undefined,
    posted: PresignedRequest,
    actor: string,
    reason: string | undefined,
  ): Promise<Result<Signed>> {
    let signed: Signed;
    if (posted.documentBase64 !== undefined || posted.signatureBase64 !== undefined) {
      if (posted.documentBase64 === undefined || posted.signatureBase64 === undefined) {
        return failure('INC_BAD_DOCUMENT', 'give both documentBase64 and signatureBase64');
      }
      const bytes = decodeBase64(posted.documentBase64, 'documentBase64');
      if (!bytes.ok) return bytes;
      const signature = decodeBase64(posted.signatureBase64, 'signatureBase64');
      if (!signature.ok) return signature;
      const document = parseRequestDocument(bytes.value);
      if (!document.ok) return document;
      const checked = checkPosted(document.value, {
        kind,
        person,
        ...(incident ? { incidentId: incident.id } : {}),
        reason,
      });
      if (!checked.ok) return checked;
      if (await requestExists(pool, document.value.requestId)) {
        return failure('INC_BAD_DOCUMENT', 'this request was posted before (its requestId is taken)');
      }
      signed = {
        document: document.value,
        bytes: bytes.value,
        signature: signature.value,
        signedOn: 'client',
        signedAt: undefined,
      };
    } else {
      const key = keys.get(person.id);
      if (!key) {
        return failure(
          'INC_PERSON_KEY_UNAVAILABLE',
          `no signed request was given and the server holds no key for ${person.id}`,
        );
      }
      const document = buildRequestDocument({
        requestId: randomUUID(),
        kind,
        participant: options.participant,
        incident: incident ?? { id: randomUUID(), reason: reason ?? '' },
        person: requestPerson(person),
        createdAt: clock(),
      });
      const bytes = serializeRequest(document);
      let signature: Uint8Array;
      try {
        signature = await signDetached(bytes, createSoftwareSigner(key, person.certificate), { signingTime: clock() });
      } catch (error) {
        // The configured key is not the registered certificate's.
        const code = error instanceof Error && 'code' in error ? String(error.code) : 'SIG_KEY_INVALID';
        return failure('INC_PERSON_KEY_UNAVAILABLE', `the key held for ${person.id} cannot sign: ${code}`);
      }
      await record({
        type: 'signature.made',
        actor,
        result: 'info',
        digest: sha256Hex(bytes),
        certificate: certificateFacts(person),
        details: { requestId: document.requestId, kind, personId: person.id, signedOn: 'server' },
      });
      signed = { document, bytes, signature, signedOn: 'server', signedAt: undefined };
    }

    const report = await verifyDetached(signed.signature, signed.bytes, {
      validator,
      expectedContours: ['authorised-person'],
      certificates: [person.certificate],
    });
    const signer = report.signers[0];
    const byPerson = report.signers.length === 1 && signer?.certificate?.thumbprint === person.thumbprint;
    const event = {
      type: 'signature.checked' as const,
      actor,
      digest: sha256Hex(signed.bytes),
      certificate: signer?.certificate
        ? certificateFacts({ ...signer.certificate, serial: signer.certificate.serialNumber })
        : certificateFacts(person),
      details: { requestId: signed.document.requestId, kind, personId: person.id, signedOn: signed.signedOn },
    };
    if (!report.ok || !byPerson) {
      const code = report.ok ? 'SIG_WRONG_SIGNER' : (report.code ?? 'SIG_BAD_SIGNATURE');
      await record({ ...event, result: 'fail', reason: code });
      logger.warn(
        { event: 'security', code: 'INC_BAD_SIGNATURE', sigCode: code, personId: person.id, kind },
        'incident request signature refused',
      );
      return failure(
        'INC_BAD_SIGNATURE',
        report.ok
          ? `the request was not signed with the registered certificate of ${person.id}`
          : `${code}: ${report.message ?? 'the signature does not verify'}`,
      );
    }
    await record({ ...event, result: 'pass' });
    return ok({ ...signed, signedAt: signer?.signingTime });
  }

  const requestInsert = (signed: Signed, incidentId: string, person: PersonRow) => ({
    id: signed.document.requestId,
    incidentId,
    kind: signed.document.kind,
    personId: person.id,
    document: signed.bytes,
    documentSha256: sha256Hex(signed.bytes),
    signature: signed.signature,
    signatureSha256: sha256Hex(signed.signature),
    signedOn: signed.signedOn,
    signer: certificateFacts(person),
  });

  // ── suspend and resume ───────────────────────────────────────────────────────────────────────────────

  /**
   * 802-П п. 19: stops the exchange at once and asks the Bank of Russia to suspend it. Refused before
   * anything happens when the person is not registered (INC_PERSON_UNKNOWN), the signature is bad
   * (INC_BAD_SIGNATURE) or the exchange is not running (INC_ALREADY_SUSPENDED).
   */
  async function suspend(
    input: { reason?: string | undefined; personId: string } & PresignedRequest,
    actor: string,
  ): Promise<Result<IncidentView>> {
    const found = await activePerson(input.personId);
    if (!found.ok) return found;
    const now = await readExchangeState(pool);
    if (now.state !== 'running') {
      return failure('INC_ALREADY_SUSPENDED', `the exchange is ${now.state} (incident ${now.incidentId})`);
    }
    const presigned = input.documentBase64 !== undefined || input.signatureBase64 !== undefined;
    if (!presigned && !input.reason) return failure('INC_BAD_DOCUMENT', 'give the reason of the suspension');
    const signed = await signedRequest('suspend', found.value, undefined, input, actor, input.reason);
    if (!signed.ok) return signed;
    const incidentId = signed.value.document.incident.id;
    const reason = signed.value.document.incident.reason;

    const outcome = await withTransaction(pool, async (client): Promise<Result<{ at: Date; annulled: number }>> => {
      // Waits for every delivery in flight; no delivery starts until this commits (the delivery gate).
      await client.query('select pg_advisory_xact_lock($1)', [EXCHANGE_GATE_LOCK]);
      const state = await readExchangeState(client, true);
      if (state.state !== 'running') {
        return failure('INC_ALREADY_SUSPENDED', `the exchange is ${state.state} (incident ${state.incidentId})`);
      }
      // The moment of effect: every delivery that began before it has finished; none begins after.
      const at = (await client.query<{ at: Date }>('select clock_timestamp() as at')).rows[0]?.at as Date;
      await insertIncident(client, {
        id: incidentId,
        reason,
        personId: found.value.id,
        requestedBy: actor,
        suspendedAt: at,
        annulled: 0,
      });
      await insertRequest(client, requestInsert(signed.value, incidentId, found.value));
      const annulled = await annulDelivering(client, { incidentId, at, c2tConsumer: C2T_CONSUMER });
      await client.query('update incidents set annulled = $2 where id = $1', [incidentId, annulled.length]);
      await setExchangeState(client, { state: 'suspending', incidentId, at });
      const details = { incidentId, requestId: signed.value.document.requestId, personId: found.value.id };
      await record({ type: 'incident.suspend-requested', actor, result: 'info', reason, details }, client);
      await record(
        {
          type: 'incident.suspended',
          actor,
          result: 'info',
          details: { ...details, suspendedAt: at.toISOString(), annulled: annulled.length },
          at,
        },
        client,
      );
      for (const m of annulled) {
        await record(
          {
            type: 'incident.message-annulled',
            actor,
            result: 'info',
            reason: 'EXCHANGE_SUSPENDED',
            orderId: m.orderId,
            messageId: m.messageId,
            ed: m.ed,
            details: { incidentId },
            at,
          },
          client,
        );
      }
      return ok({ at, annulled: annulled.length });
    });
    if (!outcome.ok) return outcome;
    logger.warn(
      {
        event: 'incident',
        incidentId,
        personId: found.value.id,
        actor,
        suspendedAt: outcome.value.at.toISOString(),
        annulled: outcome.value.annulled,
      },
      'exchange suspended (802-П п. 19): nothing leaves transport',
    );
    await sendOpen();
    return ok((await incident(incidentId)) as IncidentView);
  }

  /** The incident holding the exchange (suspending or suspended), or INC_NOT_SUSPENDED. */
  async function suspendedIncident(): Promise<Result<IncidentRow>> {
    const state = await readExchangeState(pool);
    const current = state.incidentId ? await findIncident(pool, state.incidentId) : undefined;
    if (!current || (state.state !== 'suspending' && state.state !== 'suspended')) {
      return failure('INC_NOT_SUSPENDED', `the exchange is ${state.state}`);
    }
    return ok(current);
  }

  /**
   * 802-П п. 19 абз. 3: sends the signed cancellation request; the exchange stays stopped (`resuming`) until
   * the Bank of Russia answers it. Annulled messages stay annulled.
   */
  async function resume(input: { personId?: string | undefined } & PresignedRequest, actor: string) {
    const current = await suspendedIncident();
    if (!current.ok) return current;
    const found = await activePerson(input.personId ?? current.value.personId);
    if (!found.ok) return found;
    const signed = await signedRequest(
      'resume',
      found.value,
      { id: current.value.id, reason: current.value.reason },
      input,
      actor,
      undefined,
    );
    if (!signed.ok) return signed;
    const incidentId = current.value.id;
    const outcome = await withTransaction(pool, async (client): Promise<Result<true>> => {
      const state = await readExchangeState(client, true);
      if ((state.state !== 'suspending' && state.state !== 'suspended') || state.incidentId !== incidentId) {
        return failure('INC_NOT_SUSPENDED', `the exchange is ${state.state}`);
      }
      const at = clock();
      await insertRequest(client, requestInsert(signed.value, incidentId, found.value));
      await updateIncident(client, incidentId, {
        state: 'resuming',
        resume: { requestedBy: actor, personId: found.value.id, at },
      });
      await setExchangeState(client, { state: 'resuming', incidentId, at });
      await record(
        {
          type: 'incident.resume-requested',
          actor,
          result: 'info',
          details: { incidentId, requestId: signed.value.document.requestId, personId: found.value.id },
        },
        client,
      );
      return ok(true);
    });
    if (!outcome.ok) return outcome;
    logger.warn({ event: 'incident', incidentId, actor }, 'cancellation of the suspension requested');
    await sendOpen();
    return ok((await incident(incidentId)) as IncidentView);
  }

  /** A document to be signed by the person elsewhere (their tool, their key), then posted back with its signature. */
  async function draft(
    kind: IncidentRequestKind,
    personId: string,
    reason: string | undefined,
  ): Promise<Result<{ document: IncidentRequestDocument; documentBase64: string }>> {
    const found = await activePerson(personId);
    if (!found.ok) return found;
    let incidentRef: { id: string; reason: string };
    if (kind === 'suspend') {
      const state = await readExchangeState(pool);
      if (state.state !== 'running') return failure('INC_ALREADY_SUSPENDED', `the exchange is ${state.state}`);
      if (!reason) return failure('INC_BAD_DOCUMENT', 'give the reason of the suspension');
      incidentRef = { id: randomUUID(), reason };
    } else {
      const current = await suspendedIncident();
      if (!current.ok) return current;
      incidentRef = { id: current.value.id, reason: current.value.reason };
    }
    const document = buildRequestDocument({
      requestId: randomUUID(),
      kind,
      participant: options.participant,
      incident: incidentRef,
      person: requestPerson(found.value),
      createdAt: clock(),
    });
    return ok({ document, documentBase64: Buffer.from(serializeRequest(document)).toString('base64') });
  }

  // ── the main channel, the reserve copy, the re-send ─────────────────────────────────────────────────

  type Attempt = 'answered' | 'refused' | 'failed' | 'skipped';

  /** Judges what the main channel answered: a verified Bank of Russia answer to this request, or a failure. */
  async function judge(
    client: PoolClient,
    r: RequestRow,
    sent: Result<{ status: number; body: Uint8Array }>,
  ): Promise<
    Result<{ document: Uint8Array; signature: Uint8Array; decision: 'accepted' | 'refused'; code: string | null }>
  > {
    if (!sent.ok) return fail('INC_CHANNEL_FAILED', sent.message);
    const { status, body } = sent.value;
    // The archive reads answers with the same parser (802-П п. 11): every answer taken here re-verifies there.
    const answer = parseIncidentAnswerBody(body);
    if (!answer.ok) return fail('INC_CHANNEL_FAILED', `the peer answered ${status} without a signed answer`);
    const { document, signature } = answer.value;
    // 802-П п. 19.5 from our side: only a Bank of Russia (cbr) signature makes an answer.
    const report = await verifyDetached(signature, document, { validator, expectedContours: ['cbr'] });
    const signer = report.signers[0]?.certificate;
    await record(
      {
        type: 'answer.received',
        actor: 'service:transport',
        result: report.ok ? 'pass' : 'fail',
        ...(report.ok ? {} : { reason: report.code }),
        digest: sha256Hex(document),
        ...(signer ? { certificate: certificateFacts({ ...signer, serial: signer.serialNumber }) } : {}),
        details: { requestId: r.id, kind: r.kind, incidentId: r.incidentId, httpStatus: status },
      },
      client,
    );
    if (!report.ok) {
      logger.warn(
        { event: 'security', code: 'INC_CHANNEL_FAILED', sigCode: report.code, requestId: r.id },
        'incident answer signature refused',
      );
      return fail('INC_CHANNEL_FAILED', `the answer's signature does not verify (${report.code})`);
    }
    const parsed = parseAnswerDocument(document);
    if (!parsed.ok) return parsed;
    if (parsed.value.requestId !== r.id || parsed.value.kind !== r.kind) {
      return fail('INC_CHANNEL_FAILED', 'the answer is about another request');
    }
    return ok({
      document,
      signature,
      decision: parsed.value.decision,
      code: parsed.value.code ?? null,
    });
  }

  /** The state changes a positive or negative answer brings, in the sending transaction. */
  async function applyAnswer(client: PoolClient, r: RequestRow, decision: 'accepted' | 'refused'): Promise<void> {
    const at = clock();
    const current = await findIncident(client, r.incidentId);
    if (!current) return;
    const state = await readExchangeState(client, true);
    const holds = state.incidentId === r.incidentId;
    if (r.kind === 'suspend') {
      if (decision !== 'accepted') return;
      await updateIncident(client, r.incidentId, {
        state: current.state === 'suspending' ? 'suspended' : current.state,
        cbrSuspendedAt: at,
      });
      if (holds && state.state === 'suspending') {
        await setExchangeState(client, { state: 'suspended', incidentId: r.incidentId, at });
      }
      return;
    }
    if (decision === 'accepted') {
      await updateIncident(client, r.incidentId, { state: 'resumed', resumedAt: at });
      if (holds && state.state === 'resuming')
        await setExchangeState(client, { state: 'running', incidentId: null, at });
      await record(
        {
          type: 'incident.resumed',
          actor: 'service:transport',
          result: 'info',
          details: { incidentId: r.incidentId, requestId: r.id },
        },
        client,
      );
      logger.warn({ event: 'incident', incidentId: r.incidentId }, 'exchange resumed on the Bank of Russia answer');
      return;
    }
    // The cancellation was refused (п. 19.5): the exchange stays stopped, as before the request.
    const back = current.cbrSuspendedAt ? 'suspended' : 'suspending';
    await updateIncident(client, r.incidentId, { state: back });
    if (holds && state.state === 'resuming')
      await setExchangeState(client, { state: back, incidentId: r.incidentId, at });
  }

  /**
   * 802-П п. 11: the request exactly as sent and the answer exactly as received, in the transaction that
   * records the attempt (answered, refused or failed). Only when the peer answered with a signed answer
   * (verified or not, `code` set when not taken): the request then demonstrably reached it. A channel that
   * failed before answering proves nothing was received; the same bytes go again (the body is the same
   * for every attempt) and are archived with the answer that follows.
   */
  async function archiveExchange(
    client: PoolClient,
    r: RequestRow,
    body: Uint8Array,
    sent: Result<{ status: number; body: Uint8Array }>,
    judged: Result<unknown>,
    times: { sentAt: Date; receivedAt: Date },
  ): Promise<void> {
    const archive = options.archive;
    if (!archive || !sent.ok || !parseIncidentAnswerBody(sent.value.body).ok) return;
    // A request signed with the person's own tool need not carry the certificate: the registered one, if
    // it is still the one that signed (the registry may have changed since).
    const person = await findPerson(client, r.personId);
    const signerCertificates = person && person.thumbprint === r.signer.thumbprint ? [person.certificate] : [];
    const common = { channel: archive.channel, sourceRef: r.id };
    await archive.writer.append(client, {
      ...common,
      direction: 'out',
      kind: INCIDENT_REQUEST_KIND,
      bytes: body,
      sha256: sha256Hex(body),
      at: times.sentAt,
      signerCertificates,
    });
    const answer = sent.value.body;
    await archive.writer.append(client, {
      ...common,
      direction: 'in',
      kind: INCIDENT_ANSWER_KIND,
      bytes: answer,
      sha256: sha256Hex(answer),
      at: times.receivedAt,
      ...(judged.ok ? {} : { code: 'INC_CHANNEL_FAILED', reason: judged.message }),
    });
  }

  /** One main-channel attempt of one request, under the send lock; the reserve copy on the first failure. */
  async function attempt(requestId: string): Promise<Attempt> {
    return withTransaction(pool, async (client): Promise<Attempt> => {
      await client.query('select pg_advisory_xact_lock($1)', [SEND_LOCK]);
      const r = await findRequest(client, requestId, true);
      if (!r || (r.status !== 'pending' && r.status !== 'needs-resend')) return 'skipped';
      const body = serializeIncidentRequestBody({
        requestId: r.id,
        kind: r.kind,
        document: r.document,
        signature: r.signature,
      });
      const sentAt = clock();
      const sent = options.channel
        ? await options.channel.send(body)
        : fail('INC_CHANNEL_FAILED', 'the delivery channel has no main channel for incident requests');
      const receivedAt = clock();
      const judged = await judge(client, r, sent);
      await archiveExchange(client, r, body, sent, judged, { sentAt, receivedAt });
      const details = { incidentId: r.incidentId, requestId: r.id, kind: r.kind, attempt: r.attempts + 1 };
      if (!judged.ok) {
        await markChannelFailed(client, r.id, judged.message);
        requestsTotal.inc({ kind: r.kind, result: 'channel-failed' });
        await record(
          {
            type: 'incident.request-failed',
            actor: 'service:transport',
            result: 'fail',
            reason: 'INC_CHANNEL_FAILED',
            details: { ...details, error: judged.message },
          },
          client,
        );
        logger.warn(
          { code: 'INC_CHANNEL_FAILED', ...details, reason: judged.message },
          'incident request not taken by the main channel',
        );
        if (!r.reserve) await makeReserveCopy(client, r);
        return 'failed';
      }
      await markAnswered(client, r.id, judged.value);
      const result = judged.value.decision === 'accepted' ? 'answered' : 'refused';
      requestsTotal.inc({ kind: r.kind, result });
      await record(
        {
          type: 'incident.request-sent',
          actor: 'service:transport',
          result: result === 'answered' ? 'pass' : 'fail',
          ...(judged.value.code ? { reason: judged.value.code } : {}),
          digest: r.documentSha256,
          certificate: r.signer,
          details: { ...details, decision: judged.value.decision, resent: r.status === 'needs-resend' },
        },
        client,
      );
      if (result === 'refused') {
        logger.warn(
          { event: 'security', code: 'INC_REFUSED_BY_CBR', answerCode: judged.value.code, ...details },
          'the Bank of Russia refused an incident request',
        );
      }
      await applyAnswer(client, r, judged.value.decision);
      return result;
    });
  }

  /**
   * п. 19.4: the printable copy for fax or e-mail, stored with the request. Not archived (802-П п. 11 keeps
   * signed messages): the PDF is no signed message, only a rendering of the request for the reserve
   * channel; its digest is in the audit event, and the signed request is archived when the main channel
   * takes it.
   */
  async function makeReserveCopy(client: PoolClient, r: RequestRow): Promise<void> {
    const document = parseRequestDocument(r.document);
    // Every stored document was parsed (or built) and verified before it was stored.
    if (!document.ok) throw new Error(`stored request ${r.id} does not parse: ${document.code}`);
    const pdf = await renderReserveCopy({
      document: document.value,
      documentBytes: r.document,
      documentSha256: r.documentSha256,
      signatureSha256: r.signatureSha256,
      at: clock(),
    });
    const sha256 = sha256Hex(pdf);
    await storeReserveCopy(client, r.id, pdf, sha256);
    await record(
      {
        type: 'incident.reserve-copy',
        actor: 'service:transport',
        result: 'info',
        digest: sha256,
        details: { incidentId: r.incidentId, requestId: r.id, kind: r.kind, bytes: pdf.length },
      },
      client,
    );
    logger.warn(
      { event: 'incident', incidentId: r.incidentId, requestId: r.id, pdfSha256: sha256 },
      'reserve copy made: send it by fax or e-mail (802-П п. 19.4)',
    );
  }

  /**
   * Sends every open request through the main channel, oldest first; stops at the first the channel does
   * not take, so a cancellation never reaches the Bank of Russia before its suspension. Returns false (the
   * loop then waits its interval).
   */
  async function sendOpen(): Promise<boolean> {
    for (const r of await openRequests(pool)) {
      const outcome = await attempt(r.id);
      if (outcome === 'failed') break;
    }
    return false;
  }

  // ── views ────────────────────────────────────────────────────────────────────────────────────────────

  async function incident(id: string): Promise<IncidentView | undefined> {
    const row = await findIncident(pool, id);
    if (!row) return undefined;
    return incidentView(row, await requestsOf(pool, [id]));
  }

  async function status(): Promise<IncidentStatusView> {
    const state = await readExchangeState(pool);
    const rows = await listIncidents(pool, HISTORY);
    const requests = await requestsOf(
      pool,
      rows.map((r) => r.id),
    );
    const incidents = rows.map((row) => incidentView(row, requests));
    const awaitingResend = await countAwaitingResend(pool);
    let current = state.incidentId ? (incidents.find((i) => i.id === state.incidentId) ?? null) : null;
    if (state.incidentId && !current) current = (await incident(state.incidentId)) ?? null;
    return {
      exchange: { state: state.state, since: state.since.toISOString(), incidentId: state.incidentId },
      resendRequired: awaitingResend > 0,
      awaitingResend,
      current,
      incidents,
    };
  }

  const loop: Loop = createLoop('incident-requests', sendOpen, options.retryMs, logger);

  return {
    persons,
    person,
    addPerson,
    changePerson,
    removePerson,
    ensureDevPerson,
    suspend,
    resume,
    draft,
    status,
    incident,
    reserveCopy: (incidentId: string, requestId: string) => reserveCopy(pool, incidentId, requestId),
    /** One pass of the re-send loop (tests, and right after a suspend or resume). */
    sendOpen,
    awaitingResend: () => countAwaitingResend(pool),
    exchangeState: () => readExchangeState(pool),
    metrics: { requestsTotal, all: [requestsTotal] as readonly Metric[] },
    start: () => loop.start(),
    close: () => loop.stop(),
  };
}

/** The incident service. */
export type IncidentService = ReturnType<typeof createIncidentService>;
