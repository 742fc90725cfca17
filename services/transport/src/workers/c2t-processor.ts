import type { AuditEventInput, AuditLog } from '@twincontour/audit';
import { type EventSubject, type SignatureCheck, signatureCheckedEvents } from '@twincontour/audit';
import type { CertificateValidator } from '@twincontour/crypto';
import {
  addToOutbox,
  type C2tPayload,
  type EdRefPayload,
  JobError,
  type Pool,
  type PoolClient,
  processOnce,
  QUEUE_NAMES,
  withTransaction,
} from '@twincontour/platform';
import type { Logger } from 'pino';
import type { TransportArchive } from '../adapters/archive-repository.js';
import type { DeliveryAdapter } from '../adapters/delivery/types.js';
import {
  annulDelivering,
  countAnnulled,
  type ExchangeStateRow,
  withDeliveryGate,
} from '../adapters/incident-repository.js';
import {
  claimDelivery,
  findEnvelope,
  findMessage,
  findMessageByEd,
  insertDelivering,
  insertRejected,
  lockEdIdentity,
  markSent,
  releaseDelivery,
} from '../adapters/message-repository.js';
import { decodeC2t, edFileName, type SigMode, sha256Hex, statusPayload, verifyHandOver } from '../domain/handover.js';
import type { createTransportMetrics } from '../metrics.js';

/** What a delivery needs of its hand-over: the c2t payload, or for a re-driven message its stored row. */
type Delivery = Pick<C2tPayload, 'orderId' | 'messageId' | 'ed'> & { controlledAt?: string | undefined };

/** The consumer name under which c2t messages are recorded in `processed_messages`. */
export const C2T_CONSUMER = 'transport-c2t';
/** How long one worker holds a message's delivery (longer than any delivery attempt takes). */
export const DELIVERY_LEASE_MS = 60_000;

/** What became of one c2t message. */
export type C2tOutcome =
  | { kind: 'sent'; orderId: string; reference: string }
  | { kind: 'rejected'; orderId?: string | undefined; code: string }
  | { kind: 'duplicate-message' }
  // 802-П п. 19: the exchange was suspended; the message was not delivered and never will be.
  | { kind: 'annulled'; orderId: string };

/** Everything the processor needs. */
export interface C2tProcessorOptions {
  pool: Pool;
  validator: CertificateValidator;
  sigMode: SigMode;
  adapter: DeliveryAdapter;
  logger: Logger;
  metrics: ReturnType<typeof createTransportMetrics>;
  /**
   * The service's audit log: the checks of the КА and both ЗК, the refusal or the delivery, each in the
   * transaction of the state it describes (DESIGN.md, Audit log).
   */
  audit: AuditLog;
  /** The five-year archive (802-П п. 11): each message with its certificate chain and CRLs. */
  archive: TransportArchive;
}

/** The actor of every event the service records on its own behalf. */
const ACTOR = 'service:transport';

interface Refusal {
  orderId?: string | undefined;
  ed?: EdRefPayload | undefined;
  messageId: string;
  code: string;
  reason: string;
  sigCode?: string | undefined;
  envelopeSha256?: string | undefined;
  /** The signature checks made before the refusal (none when the payload could not be read). */
  checks?: readonly SignatureCheck[] | undefined;
}

/**
 * Transport's worker on c2t (802-П п. 14.3; DESIGN.md data flow step 3). For each hand-over:
 *
 * 1. the payload against the boundary contract (TRN_BAD_PAYLOAD);
 * 2. control's КА, formation's and control's ЗК from two different certificates, the ED (verifyHandOver);
 * 3. the ED identity not already delivered for another order (TRN_DUPLICATE_ED);
 * 4. the message recorded as `delivering` with the exact wire bytes BEFORE any delivery; then
 *    delivered under a lease (one worker at a time) through the idempotent adapter; then, in one
 *    transaction, `sent` + the archive of the bytes sent + the t2c `sent` status + processed_messages.
 *
 * A refusal records the message as `rejected` with a t2c `rejected-by-transport` status in one
 * transaction, then logs `event: 'security'`: nothing is delivered. A redelivered job finds its
 * processed_messages row or the `sent` state and never sends again.
 */
export function createC2tProcessor(options: C2tProcessorOptions) {
  const { pool, logger, metrics, adapter, audit } = options;
  const archive = options.archive.append;

  /** Records events in the caller's transaction (or on their own without one), in order. */
  async function recordEvents(events: readonly AuditEventInput[], client?: PoolClient): Promise<void> {
    for (const event of events) await audit.record(event, client);
  }

  /** The checks and the `message.refused` of a refused hand-over. */
  function refusalEvents(r: Refusal): AuditEventInput[] {
    const subject: EventSubject = { actor: ACTOR, orderId: r.orderId, messageId: r.messageId, ed: r.ed };
    return [
      ...signatureCheckedEvents(r.checks ?? [], subject),
      {
        type: 'message.refused',
        ...subject,
        result: 'fail',
        reason: r.code,
        digest: r.envelopeSha256,
        details: {
          channel: adapter.channel,
          ...(r.sigCode ? { sigCode: r.sigCode } : {}),
          ...(r.envelopeSha256 ? { envelopeSha256: r.envelopeSha256 } : {}),
        },
      },
    ];
  }

  async function alreadyProcessed(messageId: string): Promise<boolean> {
    const result = await pool.query('select 1 from processed_messages where consumer = $1 and message_id = $2', [
      C2T_CONSUMER,
      messageId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async function outbox(client: PoolClient, id: string, payload: unknown): Promise<void> {
    const added = await addToOutbox(client, { id, queue: QUEUE_NAMES.t2c, payload });
    // A conflict means a deterministic id already holds another message: a bug or tampering, never retried.
    if (!added.ok) throw new JobError(added.code, added.message, { retryable: false });
  }

  async function refuse(r: Refusal, receivedAt: Date): Promise<C2tOutcome> {
    const result = await processOnce(pool, C2T_CONSUMER, r.messageId, async (client) => {
      await recordEvents(refusalEvents(r), client);
      if (r.orderId === undefined || r.ed === undefined) return true;
      const inserted = await insertRejected(client, {
        orderId: r.orderId,
        messageId: r.messageId,
        ed: r.ed,
        channel: adapter.channel,
        code: r.code,
        reason: r.reason,
        envelopeSha256: r.envelopeSha256,
        receivedAt,
      });
      if (!inserted) return false;
      const status = statusPayload(r.orderId, r.ed, 'rejected-by-transport', new Date(), {
        code: r.code,
        reason: r.reason,
      });
      await outbox(client, status.messageId, status);
      return true;
    });
    if (result.duplicate) return { kind: 'duplicate-message' };
    metrics.failures.inc({ code: r.code });
    if (r.sigCode) metrics.signatureFailures.inc({ code: r.sigCode });
    // 802-П п. 14.3: a hand-over that fails transport's checks is an information-security event. Ids,
    // codes and digests only: never the message (STYLE.md, Logging).
    logger.warn(
      {
        event: 'security',
        code: r.code,
        ...(r.sigCode ? { sigCode: r.sigCode } : {}),
        orderId: r.orderId,
        messageId: r.messageId,
        ed: r.ed,
        ...(r.envelopeSha256 ? { envelopeSha256: r.envelopeSha256 } : {}),
        ...(result.value ? {} : { note: 'the order already had a message: the first stands' }),
      },
      'hand-over refused by transport',
    );
    return { kind: 'rejected', orderId: r.orderId, code: r.code };
  }

  /** Steps 3–4 up to the row: the duplicate check and the `delivering` record, in one transaction. */
  async function record(
    payload: C2tPayload,
    envelope: Uint8Array,
    envelopeSha256: string,
    receivedAt: Date,
    checks: readonly SignatureCheck[],
  ) {
    const fileName = edFileName(payload.ed);
    // Prepared outside the transaction (encryption), stored inside: every attempt sends these bytes.
    const prepared = await adapter.prepare({ name: fileName, bytes: envelope, ed: payload.ed });
    return withTransaction(pool, async (client): Promise<'recorded' | 'duplicate-ed' | 'exists'> => {
      await lockEdIdentity(client, payload.ed);
      const holder = await findMessageByEd(client, payload.ed);
      const subject = { actor: ACTOR, orderId: payload.orderId, messageId: payload.messageId, ed: payload.ed };
      // The checks passed; a duplicate ED is refused next, with its own event.
      if (holder && holder.orderId !== payload.orderId) {
        await recordEvents(signatureCheckedEvents(checks, subject), client);
        return 'duplicate-ed';
      }
      const inserted = await insertDelivering(client, {
        orderId: payload.orderId,
        messageId: payload.messageId,
        ed: payload.ed,
        channel: adapter.channel,
        fileName,
        envelopeSha256,
        envelope,
        wire: prepared.wire,
        wireSha256: sha256Hex(prepared.wire),
        receivedAt,
      });
      // Another worker recorded this hand-over first, with its own checks.
      if (!inserted) return 'exists';
      await recordEvents(signatureCheckedEvents(checks, subject), client);
      return 'recorded';
    });
  }

  /**
   * 802-П п. 19: every delivery runs behind the exchange gate (adapters/incident-repository.ts), in one
   * transaction that holds it shared from the claim to the `sent` record; a suspension holds it exclusively.
   * While the exchange is not running, the message is annulled at once instead: never delivered, not even
   * after the exchange resumes. A failed attempt commits its count and released lease before it is retried.
   */
  async function deliver(payload: Delivery, envelope: Uint8Array): Promise<C2tOutcome> {
    return withDeliveryGate(
      pool,
      (db) => deliverOpen(payload, envelope, db),
      (db, exchange) => annulOnArrival(db, payload, exchange),
      (error) =>
        error instanceof JobError && (error.code === 'TRN_DELIVERY_FAILED' || error.code === 'TRN_DELIVERY_CONFLICT'),
    );
  }

  /** A hand-over reaching the gate while the exchange is suspended: annulled, with its t2c `annulled` status. */
  async function annulOnArrival(db: PoolClient, payload: Delivery, exchange: ExchangeStateRow): Promise<C2tOutcome> {
    const incidentId = exchange.incidentId ?? '';
    const at = new Date();
    const annulled = await annulDelivering(db, { incidentId, at, orderId: payload.orderId, c2tConsumer: C2T_CONSUMER });
    if (annulled.length === 0) return { kind: 'duplicate-message' };
    await countAnnulled(db, incidentId, annulled.length);
    await audit.record(
      {
        type: 'incident.message-annulled',
        actor: ACTOR,
        result: 'info',
        reason: 'EXCHANGE_SUSPENDED',
        orderId: payload.orderId,
        messageId: payload.messageId,
        ed: payload.ed,
        details: { incidentId, exchange: exchange.state },
        at,
      },
      db,
    );
    logger.warn(
      { event: 'incident', code: 'EXCHANGE_SUSPENDED', orderId: payload.orderId, ed: payload.ed, incidentId },
      'hand-over annulled: the exchange is suspended',
    );
    return { kind: 'annulled', orderId: payload.orderId };
  }

  async function deliverOpen(payload: Delivery, envelope: Uint8Array, db: PoolClient): Promise<C2tOutcome> {
    const claimed = await claimDelivery(db, payload.orderId, DELIVERY_LEASE_MS);
    if (!claimed) {
      const now = await findMessage(db, payload.orderId);
      if (now?.state === 'sent') return { kind: 'duplicate-message' };
      throw new JobError('TRN_DELIVERY_BUSY', `order ${payload.orderId} is being delivered by another worker`);
    }
    const wire = claimed.wire ?? envelope;
    const file = {
      name: claimed.fileName ?? edFileName(payload.ed),
      bytes: envelope,
      ed: payload.ed,
      wire,
      wireKind: adapter.channel === 'arm-kbr' ? ('envelope' as const) : ('enveloped-data' as const),
    };
    const delivered = await adapter.deliver(file);
    if (!delivered.ok) {
      await releaseDelivery(db, payload.orderId);
      metrics.deliveries.inc({ channel: adapter.channel, result: delivered.code });
      logger.warn(
        { code: delivered.code, orderId: payload.orderId, ed: payload.ed, reason: delivered.message },
        'delivery failed',
      );
      // A conflicting file in the pickup folder does not heal by retrying; an unreachable peer may.
      throw new JobError(delivered.code, delivered.message, { retryable: delivered.code !== 'TRN_DELIVERY_CONFLICT' });
    }
    const sentAt = new Date();
    const result = await processOnce(db, C2T_CONSUMER, payload.messageId, async (client) => {
      if (!(await markSent(client, payload.orderId, delivered.value.reference, sentAt))) return false;
      const common = {
        direction: 'out' as const,
        orderId: payload.orderId,
        ed: payload.ed,
        channel: adapter.channel,
        sourceRef: delivered.value.reference,
        at: sentAt,
      };
      // 802-П п. 11: exactly the bytes sent — the КА envelope, and over https the EnvelopedData around it.
      await archive(client, { ...common, kind: 'envelope', bytes: envelope, sha256: sha256Hex(envelope) });
      if (file.wireKind === 'enveloped-data') {
        await archive(client, { ...common, kind: 'enveloped-data', bytes: wire, sha256: sha256Hex(wire) });
      }
      const status = statusPayload(payload.orderId, payload.ed, 'sent', sentAt);
      await outbox(client, status.messageId, status);
      // 802-П п. 10: the ED handed to the Bank of Russia's channel, exactly these bytes.
      await audit.record(
        {
          type: 'message.delivered',
          actor: ACTOR,
          result: 'info',
          orderId: payload.orderId,
          messageId: payload.messageId,
          ed: payload.ed,
          digest: sha256Hex(envelope),
          details: {
            channel: adapter.channel,
            reference: delivered.value.reference,
            ...(file.wireKind === 'enveloped-data' ? { wireSha256: sha256Hex(wire) } : {}),
          },
          at: sentAt,
        },
        client,
      );
      return true;
    });
    if (result.duplicate || !result.value) return { kind: 'duplicate-message' };
    metrics.deliveries.inc({ channel: adapter.channel, result: 'sent' });
    const seconds = (sentAt.getTime() - Date.parse(payload.controlledAt ?? '')) / 1000;
    if (Number.isFinite(seconds)) metrics.deliveryLatency.observe({ channel: adapter.channel }, Math.max(0, seconds));
    logger.info(
      { orderId: payload.orderId, ed: payload.ed, channel: adapter.channel, reference: delivered.value.reference },
      'ED delivered',
    );
    return { kind: 'sent', orderId: payload.orderId, reference: delivered.value.reference };
  }

  async function handleC2t(data: unknown, jobId: string): Promise<C2tOutcome> {
    const receivedAt = new Date();
    const decoded = decodeC2t(data);
    if (!decoded.ok) {
      const errors = decoded.errors.map((e) => `${e.path}: ${e.code}`).join('; ');
      return refuse(
        {
          orderId: decoded.address?.orderId,
          ed: decoded.address?.ed,
          messageId: jobId,
          code: 'TRN_BAD_PAYLOAD',
          reason: `${decoded.code}: ${decoded.message}${errors ? ` (${errors})` : ''}`,
        },
        receivedAt,
      );
    }
    const payload = decoded.payload;
    if (await alreadyProcessed(payload.messageId)) return { kind: 'duplicate-message' };
    const envelope = new Uint8Array(Buffer.from(payload.envelopeBase64, 'base64'));

    const existing = await findMessage(pool, payload.orderId);
    if (existing) {
      const same =
        existing.messageId === payload.messageId &&
        existing.ed.edNo === payload.ed.edNo &&
        existing.ed.edDate === payload.ed.edDate &&
        existing.ed.edAuthor === payload.ed.edAuthor &&
        existing.envelopeSha256 === sha256Hex(envelope);
      if (!same) {
        logger.warn(
          { event: 'security', code: 'TRN_ORDER_CONFLICT', orderId: payload.orderId, messageId: payload.messageId },
          'a second, different hand-over for an order',
        );
        // No state changes (the first hand-over stands): the refusal is recorded on its own.
        await recordEvents(
          refusalEvents({
            orderId: payload.orderId,
            ed: payload.ed,
            messageId: payload.messageId,
            code: 'TRN_ORDER_CONFLICT',
            reason: 'a second, different hand-over for an order',
            envelopeSha256: sha256Hex(envelope),
          }),
        );
        throw new JobError('TRN_ORDER_CONFLICT', `order ${payload.orderId} already has another message`, {
          retryable: false,
        });
      }
      if (existing.state !== 'delivering') return { kind: 'duplicate-message' };
      // Recorded by an earlier attempt that did not finish: deliver the same stored bytes.
      return deliver(payload, envelope);
    }

    const verified = await verifyHandOver(payload, { validator: options.validator, sigMode: options.sigMode });
    if (!verified.ok) {
      return refuse(
        {
          orderId: payload.orderId,
          ed: payload.ed,
          messageId: payload.messageId,
          code: verified.code,
          reason: verified.reason,
          sigCode: verified.sigCode,
          envelopeSha256: verified.envelopeSha256,
          checks: verified.checks,
        },
        receivedAt,
      );
    }
    const recorded = await record(payload, envelope, verified.envelopeSha256, receivedAt, verified.checks);
    if (recorded === 'duplicate-ed') {
      const { edNo, edDate, edAuthor } = payload.ed;
      return refuse(
        {
          orderId: payload.orderId,
          ed: payload.ed,
          messageId: payload.messageId,
          code: 'TRN_DUPLICATE_ED',
          reason: `ED ${edNo} of ${edDate} by ${edAuthor} was already delivered for another order`,
          envelopeSha256: verified.envelopeSha256,
        },
        receivedAt,
      );
    }
    return deliver(payload, envelope);
  }

  /**
   * Re-drives a message left `delivering` (the delivery sweeper, issue 8): the stored envelope and wire
   * bytes under a new lease, exactly as a retry of its job would (the channel takes the same ED identity and
   * bytes as one delivery). Undefined when the message is no longer delivering or has no stored envelope.
   */
  async function redeliver(orderId: string): Promise<C2tOutcome | undefined> {
    const message = await findMessage(pool, orderId);
    if (message?.state !== 'delivering') return undefined;
    const envelope = await findEnvelope(pool, orderId);
    if (!envelope) return undefined;
    return deliver({ orderId, messageId: message.messageId, ed: message.ed }, envelope);
  }

  return { handleC2t, redeliver };
}

/** The c2t processor. */
export type C2tProcessor = ReturnType<typeof createC2tProcessor>;
