import {
  addToOutbox,
  type EdRefPayload,
  type ExchangeState,
  type ExchangeStatePayload,
  JobError,
  type Pool,
  type PoolClient,
  QUEUE_NAMES,
  type Queryable,
} from '@twincontour/platform';
import { statusPayload } from '../domain/handover.js';
import type { IncidentRequestKind } from '../domain/incident-request.js';

/**
 * PostgreSQL access of incident suspension (migrations/0003_incidents.sql; 802-П п. 19–19.5): the delivery
 * gate, the exchange state, the authorised-person registry, incidents and their requests.
 */

/**
 * The advisory lock of the delivery gate. Every delivery holds it SHARED in the transaction that claims,
 * delivers and records the message; a suspension takes it EXCLUSIVE, so it waits for the deliveries in
 * flight and no delivery starts until it commits: there is one exact moment after which nothing leaves
 * transport. PostgreSQL queues new shared requests behind a waiting exclusive one: a stream of deliveries
 * cannot starve a suspension.
 */
export const EXCHANGE_GATE_LOCK = 0x54524e49; // 'TRNI'

/** The code of every `annulled` status (802-П п. 19: "аннулировать электронные сообщения"). */
export const ANNULLED_CODE = 'EXCHANGE_SUSPENDED';

/** The reason an annulled message's status carries: the back office must send a new order. */
export function annulledReason(incidentId: string): string {
  return (
    `the exchange with the Bank of Russia was suspended for incident ${incidentId} (802-П п. 19): ` +
    'this order was not delivered and never will be; send a new order once the exchange runs again ' +
    '(обмен приостановлен: распоряжение аннулировано, направьте новое распоряжение после возобновления обмена)'
  );
}

/** The exchange state row. */
export interface ExchangeStateRow {
  state: ExchangeState;
  incidentId: string | null;
  since: Date;
  seq: number;
}

/** Reads the exchange state (optionally locking its row until the transaction ends). */
export async function readExchangeState(db: Queryable, forUpdate = false): Promise<ExchangeStateRow> {
  const result = await db.query<{ state: ExchangeState; incident_id: string | null; since: Date; seq: string }>(
    `select state, incident_id, since, seq from exchange_state where id${forUpdate ? ' for update' : ''}`,
  );
  const row = result.rows[0];
  // The migration inserts the row and nothing deletes it.
  if (!row) throw new Error('exchange_state has no row (migration 0003 not applied?)');
  return { state: row.state, incidentId: row.incident_id, since: row.since, seq: Number(row.seq) };
}

/**
 * Runs one delivery behind the gate, in one transaction on one connection that holds the gate SHARED:
 * `open` when the exchange is running, `closed` otherwise. `open` must do everything of the delivery —
 * claim, the channel call, and recording it sent — with the client it is given, so that a suspension
 * (which waits for this transaction) finds the message either sent or still delivering, never delivered
 * but unrecorded. A throw rolls everything back, except when `commitOnError` says the error leaves a
 * consistent state worth keeping (a failed attempt: its count and the released lease).
 */
export async function withDeliveryGate<T>(
  pool: Pool,
  open: (db: PoolClient) => Promise<T>,
  closed: (db: PoolClient, state: ExchangeStateRow) => Promise<T>,
  commitOnError: (error: unknown) => boolean = () => false,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('select pg_advisory_xact_lock_shared($1)', [EXCHANGE_GATE_LOCK]);
    const state = await readExchangeState(client);
    let value: T;
    try {
      value = state.state === 'running' ? await open(client) : await closed(client, state);
    } catch (error) {
      await client.query(commitOnError(error) ? 'COMMIT' : 'ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw error;
    }
    await client.query('COMMIT');
    return value;
  } catch (error) {
    if (!broken) await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release(broken);
  }
}

/** A message annulled now. */
export interface AnnulledMessage {
  orderId: string;
  messageId: string;
  ed: EdRefPayload;
}

/**
 * Annuls messages not yet delivered (state `delivering`) — all of them, or one order's — and for each, in
 * the caller's transaction: the t2c `annulled` status (code EXCHANGE_SUSPENDED, the reason telling the back
 * office to send a new order) and the `processed_messages` row of its c2t message, so a late retry of the
 * hand-over is a duplicate. An annulled message is never delivered: claimDelivery and markSent only take
 * `delivering` ones.
 */
export async function annulDelivering(
  client: PoolClient,
  options: { incidentId: string; at: Date; orderId?: string; c2tConsumer: string },
): Promise<AnnulledMessage[]> {
  const reason = annulledReason(options.incidentId);
  const result = await client.query<{
    order_id: string;
    message_id: string;
    ed_no: string;
    ed_date: string;
    ed_author: string;
  }>(
    `update messages set state = 'annulled', annulled_at = $1, incident_id = $2, code = $3, reason = $4,
       lease_until = null, updated_at = now()
     where state = 'delivering' and ($5::text is null or order_id = $5)
     returning order_id, message_id, ed_no, ed_date, ed_author`,
    [options.at, options.incidentId, ANNULLED_CODE, reason, options.orderId ?? null],
  );
  const annulled: AnnulledMessage[] = [];
  for (const row of result.rows) {
    const ed = { edNo: row.ed_no, edDate: row.ed_date, edAuthor: row.ed_author };
    const status = statusPayload(row.order_id, ed, 'annulled', options.at, { code: ANNULLED_CODE, reason });
    const added = await addToOutbox(client, { id: status.messageId, queue: QUEUE_NAMES.t2c, payload: status });
    if (!added.ok) throw new JobError(added.code, added.message, { retryable: false });
    await client.query('insert into processed_messages (consumer, message_id) values ($1, $2) on conflict do nothing', [
      options.c2tConsumer,
      row.message_id,
    ]);
    annulled.push({ orderId: row.order_id, messageId: row.message_id, ed });
  }
  return annulled;
}

/**
 * Moves the exchange state (the caller holds its row, {@link readExchangeState} `forUpdate`) and puts the
 * exchange-state message on t2c in the same transaction: control passes it on, formation refuses new orders
 * while the state is not `running`.
 */
export async function setExchangeState(
  client: PoolClient,
  next: { state: ExchangeState; incidentId: string | null; at: Date },
): Promise<ExchangeStateRow> {
  const result = await client.query<{ seq: string; since: Date }>(
    `update exchange_state set state = $1, incident_id = $2, since = $3, seq = seq + 1, updated_at = now()
      where id returning seq, since`,
    [next.state, next.incidentId, next.at],
  );
  const seq = Number(result.rows[0]?.seq);
  const payload: ExchangeStatePayload = {
    type: 'exchange.state',
    version: 1,
    messageId: `t2c-exchange-${seq}`,
    seq,
    state: next.state,
    ...(next.incidentId ? { incidentId: next.incidentId } : {}),
    at: next.at.toISOString(),
  };
  const added = await addToOutbox(client, { id: payload.messageId, queue: QUEUE_NAMES.t2c, payload });
  if (!added.ok) throw new Error(`${added.code}: ${added.message}`);
  return { state: next.state, incidentId: next.incidentId, since: next.at, seq };
}

// ── The registry of authorised persons (п. 19.3) ─────────────────────────────────────────────────────────

/** A registered authorised person. */
export interface PersonRow {
  id: string;
  fullName: string;
  position: string;
  phone: string;
  fax: string | null;
  email: string;
  certificate: Uint8Array;
  thumbprint: string;
  serial: string;
  issuer: string;
  subject: string;
  notAfter: Date;
  active: boolean;
  createdBy: string;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
}

interface RawPerson {
  id: string;
  full_name: string;
  position: string;
  phone: string;
  fax: string | null;
  email: string;
  certificate: Buffer;
  cert_thumbprint: string;
  cert_serial: string;
  cert_issuer: string;
  cert_subject: string;
  cert_not_after: Date;
  active: boolean;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

const PERSON_COLUMNS = `id, full_name, position, phone, fax, email, certificate, cert_thumbprint, cert_serial, cert_issuer,
  cert_subject, cert_not_after, active, created_by, updated_by, created_at, updated_at`;

function toPerson(r: RawPerson): PersonRow {
  return {
    id: r.id,
    fullName: r.full_name,
    position: r.position,
    phone: r.phone,
    fax: r.fax,
    email: r.email,
    certificate: new Uint8Array(r.certificate),
    thumbprint: r.cert_thumbprint,
    serial: r.cert_serial,
    issuer: r.cert_issuer,
    subject: r.cert_subject,
    notAfter: r.cert_not_after,
    active: r.active,
    createdBy: r.created_by,
    updatedBy: r.updated_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Every registered person (inactive ones too, when asked), by id. */
export async function listPersons(db: Queryable, includeInactive = false): Promise<PersonRow[]> {
  const result = await db.query<RawPerson>(
    `select ${PERSON_COLUMNS} from authorised_persons ${includeInactive ? '' : 'where active'} order by id`,
  );
  return result.rows.map(toPerson);
}

/** One person by id, active or not. */
export async function findPerson(db: Queryable, id: string): Promise<PersonRow | undefined> {
  const result = await db.query<RawPerson>(`select ${PERSON_COLUMNS} from authorised_persons where id = $1`, [id]);
  return result.rows[0] ? toPerson(result.rows[0]) : undefined;
}

/** What is written of a person: the row without what the database keeps itself (state, who, when). */
export type PersonWrite = Omit<PersonRow, 'active' | 'createdBy' | 'updatedBy' | 'createdAt' | 'updatedAt'>;

/** True when another active person holds the certificate. */
export async function certificateTaken(db: Queryable, thumbprint: string, exceptId?: string): Promise<boolean> {
  const result = await db.query('select 1 from authorised_persons where active and cert_thumbprint = $1 and id <> $2', [
    thumbprint,
    exceptId ?? '',
  ]);
  return (result.rowCount ?? 0) > 0;
}

/** The parameters $1…$13 of a person's row, in the order insertPerson and updatePerson use them. */
function personParams(person: PersonWrite, actor: string): unknown[] {
  return [
    person.id,
    person.fullName,
    person.position,
    person.phone,
    person.fax,
    person.email,
    Buffer.from(person.certificate),
    person.thumbprint,
    person.serial,
    person.issuer,
    person.subject,
    person.notAfter,
    actor,
  ];
}

/** Adds a person; false when the id exists. */
export async function insertPerson(db: Queryable, person: PersonWrite, actor: string): Promise<boolean> {
  const result = await db.query(
    `insert into authorised_persons (id, full_name, position, phone, fax, email, certificate, cert_thumbprint,
       cert_serial, cert_issuer, cert_subject, cert_not_after, created_by, updated_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
     on conflict (id) do nothing`,
    personParams(person, actor),
  );
  return result.rowCount === 1;
}

/** Replaces a person's requisites and certificate (and makes them active again); false when unknown. */
export async function updatePerson(db: Queryable, person: PersonWrite, actor: string): Promise<boolean> {
  const result = await db.query(
    `update authorised_persons set full_name = $2, position = $3, phone = $4, fax = $5, email = $6, certificate = $7,
       cert_thumbprint = $8, cert_serial = $9, cert_issuer = $10, cert_subject = $11, cert_not_after = $12,
       active = true, updated_by = $13, updated_at = now()
     where id = $1`,
    personParams(person, actor),
  );
  return result.rowCount === 1;
}

/** Removes a person from the active registry (kept for the requests that name them); false when unknown or inactive. */
export async function deactivatePerson(db: Queryable, id: string, actor: string): Promise<boolean> {
  const result = await db.query(
    'update authorised_persons set active = false, updated_by = $2, updated_at = now() where id = $1 and active',
    [id, actor],
  );
  return result.rowCount === 1;
}

// ── Incidents and requests ────────────────────────────────────────────────────────────────────────────────

/** Incident states. */
export type IncidentState = 'suspending' | 'suspended' | 'resuming' | 'resumed';
/** Request statuses. */
export type RequestStatus = 'pending' | 'needs-resend' | 'answered' | 'refused';

/** An incident row. */
export interface IncidentRow {
  id: string;
  reason: string;
  personId: string;
  requestedBy: string;
  state: IncidentState;
  suspendedAt: Date;
  annulled: number;
  cbrSuspendedAt: Date | null;
  resumeRequestedBy: string | null;
  resumePersonId: string | null;
  resumeRequestedAt: Date | null;
  resumedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface RawIncident {
  id: string;
  reason: string;
  person_id: string;
  requested_by: string;
  state: IncidentState;
  suspended_at: Date;
  annulled: number;
  cbr_suspended_at: Date | null;
  resume_requested_by: string | null;
  resume_person_id: string | null;
  resume_requested_at: Date | null;
  resumed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const INCIDENT_COLUMNS = `id, reason, person_id, requested_by, state, suspended_at, annulled, cbr_suspended_at,
  resume_requested_by, resume_person_id, resume_requested_at, resumed_at, created_at, updated_at`;

function toIncident(r: RawIncident): IncidentRow {
  return {
    id: r.id,
    reason: r.reason,
    personId: r.person_id,
    requestedBy: r.requested_by,
    state: r.state,
    suspendedAt: r.suspended_at,
    annulled: r.annulled,
    cbrSuspendedAt: r.cbr_suspended_at,
    resumeRequestedBy: r.resume_requested_by,
    resumePersonId: r.resume_person_id,
    resumeRequestedAt: r.resume_requested_at,
    resumedAt: r.resumed_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Records a new incident. */
export async function insertIncident(
  client: Queryable,
  incident: { id: string; reason: string; personId: string; requestedBy: string; suspendedAt: Date; annulled: number },
): Promise<void> {
  await client.query(
    `insert into incidents (id, reason, person_id, requested_by, state, suspended_at, annulled)
     values ($1, $2, $3, $4, 'suspending', $5, $6)`,
    [incident.id, incident.reason, incident.personId, incident.requestedBy, incident.suspendedAt, incident.annulled],
  );
}

/** Adds to the count of messages an incident annulled (those that arrived while it held the exchange). */
export async function countAnnulled(client: Queryable, incidentId: string, n: number): Promise<void> {
  if (n > 0) await client.query('update incidents set annulled = annulled + $2 where id = $1', [incidentId, n]);
}

/** One incident by id. */
export async function findIncident(db: Queryable, id: string): Promise<IncidentRow | undefined> {
  const result = await db.query<RawIncident>(`select ${INCIDENT_COLUMNS} from incidents where id = $1`, [id]);
  return result.rows[0] ? toIncident(result.rows[0]) : undefined;
}

/** The latest incidents, newest first. */
export async function listIncidents(db: Queryable, limit: number): Promise<IncidentRow[]> {
  const result = await db.query<RawIncident>(
    `select ${INCIDENT_COLUMNS} from incidents order by created_at desc, id limit $1`,
    [limit],
  );
  return result.rows.map(toIncident);
}

/** Changes an incident's state and the times that go with it. */
export async function updateIncident(
  client: Queryable,
  id: string,
  change: {
    state: IncidentState;
    cbrSuspendedAt?: Date;
    resume?: { requestedBy: string; personId: string; at: Date };
    resumedAt?: Date;
  },
): Promise<void> {
  await client.query(
    `update incidents set state = $2,
       cbr_suspended_at = coalesce(cbr_suspended_at, $3),
       resume_requested_by = coalesce($4, resume_requested_by),
       resume_person_id = coalesce($5, resume_person_id),
       resume_requested_at = coalesce($6, resume_requested_at),
       resumed_at = coalesce($7, resumed_at),
       updated_at = now()
     where id = $1`,
    [
      id,
      change.state,
      change.cbrSuspendedAt ?? null,
      change.resume?.requestedBy ?? null,
      change.resume?.personId ?? null,
      change.resume?.at ?? null,
      change.resumedAt ?? null,
    ],
  );
}

/** A request row. */
export interface RequestRow {
  id: string;
  incidentId: string;
  kind: IncidentRequestKind;
  personId: string;
  document: Uint8Array;
  documentSha256: string;
  signature: Uint8Array;
  signatureSha256: string;
  signedOn: 'server' | 'client';
  signer: { serial: string; issuer: string; thumbprint: string };
  status: RequestStatus;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: Date | null;
  reserve: { sha256: string; at: Date; size: number } | null;
  answer: {
    document: Uint8Array;
    signature: Uint8Array | null;
    decision: 'accepted' | 'refused';
    code: string | null;
    at: Date;
  } | null;
  createdAt: Date;
  updatedAt: Date;
}

interface RawRequest {
  id: string;
  incident_id: string;
  kind: IncidentRequestKind;
  person_id: string;
  document: Buffer;
  document_sha256: string;
  signature: Buffer;
  signature_sha256: string;
  signed_on: 'server' | 'client';
  signer_serial: string;
  signer_issuer: string;
  signer_thumbprint: string;
  status: RequestStatus;
  attempts: number;
  last_error: string | null;
  last_attempt_at: Date | null;
  reserve_pdf_sha256: string | null;
  reserve_at: Date | null;
  reserve_size: number | null;
  answer: Buffer | null;
  answer_signature: Buffer | null;
  answer_decision: 'accepted' | 'refused' | null;
  answer_code: string | null;
  answered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const REQUEST_COLUMNS = `id, incident_id, kind, person_id, document, document_sha256, signature, signature_sha256,
  signed_on, signer_serial, signer_issuer, signer_thumbprint, status, attempts, last_error, last_attempt_at,
  reserve_pdf_sha256, reserve_at, octet_length(reserve_pdf) as reserve_size, answer, answer_signature,
  answer_decision, answer_code, answered_at, created_at, updated_at`;

function toRequest(r: RawRequest): RequestRow {
  return {
    id: r.id,
    incidentId: r.incident_id,
    kind: r.kind,
    personId: r.person_id,
    document: new Uint8Array(r.document),
    documentSha256: r.document_sha256,
    signature: new Uint8Array(r.signature),
    signatureSha256: r.signature_sha256,
    signedOn: r.signed_on,
    signer: { serial: r.signer_serial, issuer: r.signer_issuer, thumbprint: r.signer_thumbprint },
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    lastAttemptAt: r.last_attempt_at,
    reserve:
      r.reserve_pdf_sha256 && r.reserve_at
        ? { sha256: r.reserve_pdf_sha256, at: r.reserve_at, size: Number(r.reserve_size ?? 0) }
        : null,
    answer:
      r.answer && r.answer_decision && r.answered_at
        ? {
            document: new Uint8Array(r.answer),
            signature: r.answer_signature ? new Uint8Array(r.answer_signature) : null,
            decision: r.answer_decision,
            code: r.answer_code,
            at: r.answered_at,
          }
        : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** What is written of a new request. */
export interface RequestInsert {
  id: string;
  incidentId: string;
  kind: IncidentRequestKind;
  personId: string;
  document: Uint8Array;
  documentSha256: string;
  signature: Uint8Array;
  signatureSha256: string;
  signedOn: 'server' | 'client';
  signer: { serial: string; issuer: string; thumbprint: string };
}

/** Records a signed request as `pending`; false when its id exists (a replayed document). */
export async function insertRequest(client: Queryable, r: RequestInsert): Promise<boolean> {
  const result = await client.query(
    `insert into incident_requests (id, incident_id, kind, person_id, document, document_sha256, signature,
       signature_sha256, signed_on, signer_serial, signer_issuer, signer_thumbprint, status)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending')
     on conflict (id) do nothing`,
    [
      r.id,
      r.incidentId,
      r.kind,
      r.personId,
      Buffer.from(r.document),
      r.documentSha256,
      Buffer.from(r.signature),
      r.signatureSha256,
      r.signedOn,
      r.signer.serial,
      r.signer.issuer,
      r.signer.thumbprint,
    ],
  );
  return result.rowCount === 1;
}

/** True when a request with this id exists. */
export async function requestExists(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query('select 1 from incident_requests where id = $1', [id]);
  return (result.rowCount ?? 0) > 0;
}

/** One request, optionally locked until the transaction ends. */
export async function findRequest(db: Queryable, id: string, forUpdate = false): Promise<RequestRow | undefined> {
  const result = await db.query<RawRequest>(
    `select ${REQUEST_COLUMNS} from incident_requests where id = $1${forUpdate ? ' for update' : ''}`,
    [id],
  );
  return result.rows[0] ? toRequest(result.rows[0]) : undefined;
}

/** The requests of some incidents, oldest first. */
export async function requestsOf(db: Queryable, incidentIds: readonly string[]): Promise<RequestRow[]> {
  if (incidentIds.length === 0) return [];
  const result = await db.query<RawRequest>(
    `select ${REQUEST_COLUMNS} from incident_requests where incident_id = any($1::uuid[]) order by created_at, id`,
    [incidentIds],
  );
  return result.rows.map(toRequest);
}

/** Requests still to go through the main channel, oldest first (a cancellation never overtakes its suspension). */
export async function openRequests(db: Queryable): Promise<RequestRow[]> {
  const result = await db.query<RawRequest>(
    `select ${REQUEST_COLUMNS} from incident_requests where status in ('pending', 'needs-resend')
      order by created_at, id`,
  );
  return result.rows.map(toRequest);
}

/** Records a failed main-channel attempt: the request must be sent again (п. 19.1). */
export async function markChannelFailed(client: Queryable, id: string, error: string): Promise<void> {
  await client.query(
    `update incident_requests set status = 'needs-resend', attempts = attempts + 1, last_error = $2,
       last_attempt_at = now(), updated_at = now()
     where id = $1`,
    [id, error.slice(0, 2000)],
  );
}

/** Stores the reserve channel's printable copy (made once, at the first failure). */
export async function storeReserveCopy(client: Queryable, id: string, pdf: Uint8Array, sha256: string): Promise<void> {
  await client.query(
    `update incident_requests set reserve_pdf = $2, reserve_pdf_sha256 = $3, reserve_at = now(), updated_at = now()
      where id = $1 and reserve_pdf is null`,
    [id, Buffer.from(pdf), sha256],
  );
}

/** The reserve copy of a request of an incident, if one was made. */
export async function reserveCopy(
  db: Queryable,
  incidentId: string,
  requestId: string,
): Promise<{ pdf: Uint8Array; sha256: string } | undefined> {
  const result = await db.query<{ reserve_pdf: Buffer | null; reserve_pdf_sha256: string | null }>(
    'select reserve_pdf, reserve_pdf_sha256 from incident_requests where id = $1 and incident_id = $2',
    [requestId, incidentId],
  );
  const row = result.rows[0];
  return row?.reserve_pdf && row.reserve_pdf_sha256
    ? { pdf: new Uint8Array(row.reserve_pdf), sha256: row.reserve_pdf_sha256 }
    : undefined;
}

/** Records the Bank of Russia's answer: `answered` (accepted) or `refused`. */
export async function markAnswered(
  client: Queryable,
  id: string,
  answer: { document: Uint8Array; signature: Uint8Array; decision: 'accepted' | 'refused'; code: string | null },
): Promise<void> {
  await client.query(
    `update incident_requests set status = $2, attempts = attempts + 1, last_attempt_at = now(), answer = $3,
       answer_signature = $4, answer_decision = $5, answer_code = $6, answered_at = now(), updated_at = now()
     where id = $1`,
    [
      id,
      answer.decision === 'accepted' ? 'answered' : 'refused',
      Buffer.from(answer.document),
      Buffer.from(answer.signature),
      answer.decision,
      answer.code,
    ],
  );
}

/** Number of requests waiting to be sent again through the main channel (the metric of п. 19.1). */
export async function countAwaitingResend(db: Queryable): Promise<number> {
  const result = await db.query<{ n: string }>(
    `select count(*) as n from incident_requests where status = 'needs-resend'`,
  );
  return Number(result.rows[0]?.n ?? 0);
}
