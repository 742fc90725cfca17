import { createHash } from 'node:crypto';
import { type CertificateValidator, type Signer, signDetached, verifyDetached } from '@twincontour/crypto';
import { type Pool, type Queryable, withTransaction } from '@twincontour/platform';
import type { Logger } from 'pino';
import { lockAnswers } from './adapters/repository.js';

/**
 * The simulated Bank of Russia's side of 802-П п. 19–19.5: requests (обращения) to suspend the exchange with
 * the participant and to cancel the suspension, received over the main channel (the mTLS intake, POST
 * /v1/exchange/incident). It checks the integrity and authenticity of each (п. 19.5: the detached CMS of an
 * authorised person, contour authorised-person, trusted and unrevoked, and the person the document names is
 * the one who signed); on a suspension it annuls every ED accepted and not yet executed (no ED206 follows)
 * and refuses every further envelope of the participant (`SIM_EXCHANGE_SUSPENDED`) until a cancellation.
 * Each answer is a small document signed by the simulator's cbr key. State lives in PostgreSQL
 * (migrations/0002_incidents.sql): a restart keeps the suspension.
 */

/** Largest request body (the document and its signature, base64, in JSON). */
export const MAX_INCIDENT_BODY = 256 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the desk needs. */
export interface IncidentDeskOptions {
  pool: Pool;
  logger: Logger;
  /** The cbr signer: every answer is signed. */
  signer: Signer;
  /** The trust store: the authorised persons' certificates (contour authorised-person). */
  validator: CertificateValidator;
  participant: string;
  clock?: () => Date;
}

/** The answer of one request: the HTTP status and the body (`{ answerBase64, signatureBase64, … }`). */
export interface DeskAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** The state of the exchange with the participant. */
export interface SuspensionView {
  participant: string;
  state: 'running' | 'suspended';
  since: string | null;
  requestId: string | null;
}

/** One request as the ops API shows it. */
export interface IncidentRequestView {
  id: string;
  kind: 'suspend' | 'resume';
  decision: 'accepted' | 'refused';
  code: string | null;
  annulled: number;
  signerThumbprint: string | null;
  signerSerial: string | null;
  documentSha256: string;
  receivedAt: string;
}

/** True while the exchange with the participant is suspended (inside the caller's transaction, if any). */
export async function exchangeSuspended(db: Queryable, participant: string): Promise<boolean> {
  const result = await db.query("select 1 from exchange_suspension where participant = $1 and state = 'suspended'", [
    participant,
  ]);
  return (result.rowCount ?? 0) > 0;
}

/** Reads a request body: `{ requestId, kind, documentBase64, signatureBase64 }`; undefined when malformed. */
function readBody(
  body: Uint8Array,
): { requestId: string; kind: 'suspend' | 'resume'; document: Uint8Array; signature: Uint8Array } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return undefined;
  }
  const { requestId, kind, documentBase64, signatureBase64 } = (value ?? {}) as Record<string, unknown>;
  if (typeof requestId !== 'string' || !UUID.test(requestId)) return undefined;
  if (kind !== 'suspend' && kind !== 'resume') return undefined;
  if (typeof documentBase64 !== 'string' || !BASE64.test(documentBase64)) return undefined;
  if (typeof signatureBase64 !== 'string' || !BASE64.test(signatureBase64)) return undefined;
  return {
    requestId,
    kind,
    document: new Uint8Array(Buffer.from(documentBase64, 'base64')),
    signature: new Uint8Array(Buffer.from(signatureBase64, 'base64')),
  };
}

/** The incident desk of the simulated Bank of Russia. */
export function createIncidentDesk(options: IncidentDeskOptions) {
  const { pool, logger, participant } = options;
  const clock = options.clock ?? (() => new Date());

  async function answerOf(
    requestId: string,
    kind: 'suspend' | 'resume',
    decision: 'accepted' | 'refused',
    extra: { code?: string; message?: string; exchange: 'suspended' | 'running'; annulled: number },
  ): Promise<{ answer: Uint8Array; signature: Uint8Array }> {
    const answer = new Uint8Array(
      Buffer.from(
        JSON.stringify({
          type: 'cbr.incident-answer',
          version: 1,
          requestId,
          kind,
          decision,
          ...(extra.code ? { code: extra.code } : {}),
          ...(extra.message ? { message: extra.message } : {}),
          exchange: extra.exchange,
          annulled: extra.annulled,
          at: clock().toISOString(),
        }),
      ),
    );
    return { answer, signature: await signDetached(answer, options.signer) };
  }

  function wire(
    decision: 'accepted' | 'refused',
    code: string | null,
    signed: { answer: Uint8Array; signature: Uint8Array },
  ): DeskAnswer {
    return {
      status: decision === 'accepted' ? 200 : 422,
      body: {
        ...(code ? { code } : {}),
        answerBase64: Buffer.from(signed.answer).toString('base64'),
        signatureBase64: Buffer.from(signed.signature).toString('base64'),
      },
    };
  }

  /**
   * One request from the main channel. Malformed → undefined (nothing recorded); otherwise a
   * signed answer: 200 accepted, 422 refused with `SIM_INCIDENT_BAD_SIGNATURE` or `SIM_INCIDENT_BAD_DOCUMENT`
   * (п. 19.5: not taken, and the participant is told).
   */
  async function receive(body: Uint8Array): Promise<DeskAnswer | undefined> {
    const request = readBody(body);
    if (!request) return undefined;
    const earlier = await pool.query<{
      decision: 'accepted' | 'refused';
      code: string | null;
      answer: Buffer;
      answer_signature: Buffer;
    }>('select decision, code, answer, answer_signature from incident_requests where id = $1 and participant = $2', [
      request.requestId,
      participant,
    ]);
    const seen = earlier.rows[0];
    if (seen) {
      return wire(seen.decision, seen.code, { answer: seen.answer, signature: seen.answer_signature });
    }

    // п. 19.5: integrity and authenticity — an authorised person's signature over exactly these bytes.
    const report = await verifyDetached(request.signature, request.document, {
      validator: options.validator,
      expectedContours: ['authorised-person'],
    });
    const signer = report.signers[0]?.certificate;
    let refusal: { code: string; message: string } | undefined;
    if (!report.ok || report.signers.length !== 1) {
      refusal = {
        code: 'SIM_INCIDENT_BAD_SIGNATURE',
        message: `${report.code ?? 'SIG_BAD_SIGNATURE'}: ${report.message}`,
      };
    } else {
      let document: Record<string, unknown> | undefined;
      try {
        document = JSON.parse(Buffer.from(request.document).toString('utf8')) as Record<string, unknown>;
      } catch {
        document = undefined;
      }
      const person = (document?.authorisedPerson ?? {}) as { certificate?: { thumbprint?: unknown } };
      if (!document || document.requestId !== request.requestId || document.kind !== request.kind) {
        refusal = { code: 'SIM_INCIDENT_BAD_DOCUMENT', message: 'the document is not this request' };
      } else if (person.certificate?.thumbprint !== signer?.thumbprint) {
        refusal = { code: 'SIM_INCIDENT_BAD_DOCUMENT', message: 'the person the request names did not sign it' };
      }
    }

    const decided = await withTransaction(pool, async (client) => {
      // The answer lock also serializes the intake: no envelope is accepted between the check and the change.
      await lockAnswers(client);
      const again = await client.query('select 1 from incident_requests where id = $1', [request.requestId]);
      if ((again.rowCount ?? 0) > 0) return undefined;
      let annulled = 0;
      if (!refusal) {
        const state = request.kind === 'suspend' ? 'suspended' : 'running';
        await client.query(
          `insert into exchange_suspension (participant, state, request_id, since) values ($1, $2, $3, now())
           on conflict (participant) do update set state = excluded.state, request_id = excluded.request_id,
             since = now()`,
          [participant, state, request.requestId],
        );
        if (request.kind === 'suspend') {
          // 802-П п. 19: "аннулировать электронные сообщения, в том числе ранее поступившие … и неисполненные".
          const result = await client.query(
            `update received set state = 'annulled', annulled_at = now() where participant = $1 and state = 'accepted'`,
            [participant],
          );
          annulled = result.rowCount ?? 0;
        }
      }
      const suspended = await exchangeSuspended(client, participant);
      const signed = await answerOf(request.requestId, request.kind, refusal ? 'refused' : 'accepted', {
        ...(refusal ?? {}),
        exchange: suspended ? 'suspended' : 'running',
        annulled,
      });
      await client.query(
        `insert into incident_requests (id, participant, kind, document, document_sha256, signature, signer_thumbprint,
           signer_serial, decision, code, annulled, answer, answer_signature)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          request.requestId,
          participant,
          request.kind,
          Buffer.from(request.document),
          sha256Hex(request.document),
          Buffer.from(request.signature),
          signer?.thumbprint ?? null,
          signer?.serialNumber ?? null,
          refusal ? 'refused' : 'accepted',
          refusal?.code ?? null,
          annulled,
          Buffer.from(signed.answer),
          Buffer.from(signed.signature),
        ],
      );
      return { signed, annulled };
    });
    if (!decided) return receive(body);
    if (refusal) {
      logger.warn(
        { event: 'security', code: refusal.code, requestId: request.requestId, kind: request.kind },
        'incident request refused (802-П п. 19.5)',
      );
    } else {
      logger.warn(
        { event: 'cbr.incident', requestId: request.requestId, kind: request.kind, annulled: decided.annulled },
        request.kind === 'suspend' ? 'exchange with the participant suspended' : 'suspension cancelled',
      );
    }
    return wire(refusal ? 'refused' : 'accepted', refusal?.code ?? null, decided.signed);
  }

  async function view(): Promise<{ suspension: SuspensionView; requests: IncidentRequestView[] }> {
    const state = await pool.query<{ state: 'running' | 'suspended'; since: Date; request_id: string | null }>(
      'select state, since, request_id from exchange_suspension where participant = $1',
      [participant],
    );
    const s = state.rows[0];
    const rows = await pool.query<{
      id: string;
      kind: 'suspend' | 'resume';
      decision: 'accepted' | 'refused';
      code: string | null;
      annulled: number;
      signer_thumbprint: string | null;
      signer_serial: string | null;
      document_sha256: string;
      received_at: Date;
    }>(
      `select id, kind, decision, code, annulled, signer_thumbprint, signer_serial, document_sha256, received_at
         from incident_requests where participant = $1 order by received_at, id`,
      [participant],
    );
    return {
      suspension: {
        participant,
        state: s?.state ?? 'running',
        since: s ? s.since.toISOString() : null,
        requestId: s?.request_id ?? null,
      },
      requests: rows.rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        decision: r.decision,
        code: r.code,
        annulled: r.annulled,
        signerThumbprint: r.signer_thumbprint,
        signerSerial: r.signer_serial,
        documentSha256: r.document_sha256,
        receivedAt: r.received_at.toISOString(),
      })),
    };
  }

  return { receive, view, suspended: () => exchangeSuspended(pool, participant) };
}

/** The incident desk. */
export type IncidentDesk = ReturnType<typeof createIncidentDesk>;
