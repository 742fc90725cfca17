import { createHash } from 'node:crypto';
import type { AuditEventInput, AuditLog } from '@twincontour/audit';
import {
  auditCertificate,
  type EventSubject,
  type SignatureCheck,
  signatureCheckedEvents,
  signatureMadeEvents,
} from '@twincontour/audit';
import { type CertificateValidator, describeCertificate, type Signer } from '@twincontour/crypto';
import {
  addToOutbox,
  type EdRefPayload,
  type F2cPayload,
  JobError,
  type OutboxMessage,
  type Pool,
  type PoolClient,
  processOnce,
  QUEUE_NAMES,
  type RequisiteDiff,
  withTransaction,
} from '@twincontour/platform';
import type { Logger } from 'pino';
import {
  deletePending,
  dueRows,
  findDuplicatePayment,
  identityTaken,
  insertAlert,
  insertDecision,
  insertPending,
  lockForDecision,
  lockPending,
  postponePending,
} from '../adapters/decision-repository.js';
import type { SourcePull } from '../adapters/source-pull.js';
import { findSourceByKey, storeSource } from '../adapters/source-repository.js';
import { type Assessment, assessEd, edDigest, type SourceDocument } from '../domain/assess.js';
import { c2tPayload, decodeF2c, statusPayload } from '../domain/payload.js';
import { type SigMode, sealEd } from '../domain/seal.js';
import type { SourceKey } from '../domain/source-key.js';
import type { ControlMetrics } from '../metrics.js';

/** The consumer name under which f2c messages are recorded in `processed_messages`. */
export const F2C_CONSUMER = 'control-f2c';

/** Options of {@link createControlProcessor}. */
export interface ControlProcessorOptions {
  pool: Pool;
  /** The trust store. */
  validator: CertificateValidator;
  /** Control's signer (`loadSigner('control', …)`). */
  signer: Signer;
  sigMode: SigMode;
  sigId?: string | undefined;
  /** TWINCONTOUR_SOURCE_WAIT_MS. */
  waitMs: number;
  /** TWINCONTOUR_SOURCE_RECHECK_MS. */
  recheckMs: number;
  /** TWINCONTOUR_DUPLICATE_WINDOW_HOURS. */
  duplicateWindowHours: number;
  /** The back-office pull, when TWINCONTOUR_SOURCE_PULL_URL is set. */
  pull?: SourcePull | undefined;
  /** True when a security webhook is configured: every refusal then also gets a `security_alerts` row. */
  alerts: boolean;
  logger: Logger;
  metrics: ControlMetrics;
  /** Called after a refusal committed an alert (wakes the delivery loop). */
  onAlert?: () => void;
  /**
   * The service's audit log: the check of formation's ЗК, the decision and control's ЗК and КА are
   * recorded in the decision's transaction (DESIGN.md, Audit log).
   */
  audit: AuditLog;
}

/** What happened to one message. */
export type ControlOutcome =
  | { kind: 'controlled'; orderId: string }
  | { kind: 'rejected'; orderId: string | undefined; code: string }
  | { kind: 'waiting'; orderId: string }
  | { kind: 'duplicate-message' }
  | { kind: 'already-decided'; orderId: string };

/** The f2c handler and the sweeper of waiting EDs. */
export interface ControlProcessor {
  /** Handles one f2c job's data (job id = message id): decides it, or puts it aside to wait. */
  handleF2c(data: unknown, jobId: string): Promise<ControlOutcome>;
  /** Looks again at waiting EDs that are due; returns how many it looked at. */
  sweep(limit?: number): Promise<number>;
}

/** A refusal to record, with everything the decision, the status and the alert carry. */
interface RefusalRecord {
  orderId: string | undefined;
  messageId: string;
  /** The ED identity formation gave (addresses the c2f status). */
  address: EdRefPayload | undefined;
  /** The identity stated by the ED itself, when it could be read. */
  edIdentity?: EdRefPayload | undefined;
  claimsIdentity: boolean;
  code: string;
  reason: string;
  diff?: RequisiteDiff[] | undefined;
  sigCode?: string | undefined;
  fingerprint?: string | undefined;
  sourceId?: string | undefined;
  edSha256?: string | undefined;
  receivedAt: Date;
  /** The checks of formation's ЗК the refusal follows (none when the payload could not be read). */
  checks?: readonly SignatureCheck[] | undefined;
}

/** What to do once the transaction committed (logs, metrics, waking the alert loop). */
type AfterCommit = () => void;

/**
 * The control contour's decision procedure (802-П прил. 1.4) over f2c messages, following services.md:
 * formation's ЗК → the ED and its requisites → the primary document (waiting for it, bounded) → every
 * requisite compared → duplicates (ED identity, then payment fingerprint within the window) → only if all
 * passed: control's ЗК and КА, and in one transaction the decision, the c2t hand-over and the c2f
 * statuses `controlled` and `signed-by-control`. A refusal records the decision, a c2f
 * `rejected-by-control` status with code, reason and diff, a security alert row (webhook configured) and
 * a log line with `event: 'security'`.
 *
 * The wait: an ED whose primary document is missing is stored in `pending_eds` (the f2c job then
 * completes: PostgreSQL, not a delayed Redis job, holds it, so a Redis restart cannot lose it), and
 * {@link ControlProcessor.sweep} looks at it again every recheck interval — at once when a matching
 * primary document is posted — until it passes, is refused, or its deadline (arrival + wait) passes:
 * then CTL_SOURCE_MISSING.
 */
export function createControlProcessor(options: ControlProcessorOptions): ControlProcessor {
  const { pool, logger, metrics, audit } = options;
  const described = describeCertificate(options.signer.certificate);
  if (!described.ok) throw new Error(`control certificate unreadable: ${described.code}`);
  const signerCertificate = auditCertificate(described.value)!;

  /** Records events in the caller's transaction, in order (the chain keeps the order of the inserts). */
  async function record(client: PoolClient, events: readonly AuditEventInput[]): Promise<void> {
    for (const event of events) await audit.record(event, client);
  }

  /** 802-П прил. 1.4: the decision, with its code, the digest of the ED content and the facts behind it. */
  function decisionEvent(
    subject: EventSubject,
    outcome: { status: 'controlled' | 'rejected'; code?: string; at: Date; digest?: string | undefined },
    details: Record<string, unknown>,
  ): AuditEventInput {
    return {
      type: 'control.decision',
      ...subject,
      result: outcome.status === 'controlled' ? 'pass' : 'fail',
      reason: outcome.code,
      digest: outcome.digest,
      details: { status: outcome.status, ...details },
      at: outcome.at,
    };
  }

  async function findSource(key: SourceKey): Promise<SourceDocument | undefined> {
    const stored = await findSourceByKey(pool, key);
    if (stored) return { id: stored.id, document: stored.document };
    if (!options.pull) return undefined;
    const pulled = await options.pull(key);
    if (!pulled) return undefined;
    const outcome = await withTransaction(pool, (client) => storeSource(client, pulled, 'pull'));
    // A document posted meanwhile under the same key wins: what the back office posted is the primary document.
    const source = outcome.kind === 'conflict' ? outcome.existing : outcome.source;
    logger.info({ sourceId: source.id, docNo: key.accDocNo, outcome: outcome.kind }, 'primary document pulled');
    return { id: source.id, document: source.document };
  }

  const assess = (payload: F2cPayload): Promise<Assessment> =>
    assessEd(payload, { validator: options.validator, findSource });

  async function outbox(client: PoolClient, message: OutboxMessage): Promise<void> {
    const added = await addToOutbox(client, message);
    // A conflict means a deterministic id already holds another message: a bug or tampering, never retried.
    if (!added.ok) throw new JobError(added.code, added.message, { retryable: false });
  }

  async function recordRefusal(client: PoolClient, r: RefusalRecord): Promise<[ControlOutcome, AfterCommit]> {
    let claims = r.claimsIdentity && r.edIdentity !== undefined;
    if (claims && r.edIdentity) {
      await lockForDecision(client, r.edIdentity);
      // The identity is already used: this refusal keeps its own code but cannot claim it again.
      if (await identityTaken(client, r.edIdentity)) claims = false;
    }
    const decidedAt = new Date();
    let alertId: string | undefined;
    if (r.orderId !== undefined && r.address !== undefined) {
      const inserted = await insertDecision(client, {
        orderId: r.orderId,
        messageId: r.messageId,
        ed: r.edIdentity ?? r.address,
        claimsIdentity: claims,
        status: 'rejected',
        code: r.code,
        reason: r.reason,
        ...(r.diff ? { diff: r.diff } : {}),
        ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}),
        ...(r.sourceId ? { sourceDocumentId: r.sourceId } : {}),
        ...(r.edSha256 ? { edSha256: r.edSha256 } : {}),
        receivedAt: r.receivedAt,
        decidedAt,
      });
      if (!inserted) {
        const orderId = r.orderId;
        await record(client, [
          ...signatureCheckedEvents(r.checks ?? [], refusalSubject(r)),
          decisionEvent(
            refusalSubject(r),
            { status: 'rejected', code: r.code, at: decidedAt, digest: r.checks?.[0]?.digest },
            { note: 'the order already had a decision: the first stands', edSha256: r.edSha256 ?? null },
          ),
        ]);
        return [
          { kind: 'already-decided', orderId },
          () =>
            logger.warn({ event: 'security', code: r.code, orderId, messageId: r.messageId }, 'order already decided'),
        ];
      }
      const status = statusPayload(r.orderId, r.address, 'rejected-by-control', decidedAt, {
        code: r.code,
        reason: r.reason,
        ...(r.diff ? { diff: r.diff } : {}),
      });
      await outbox(client, { id: status.messageId, queue: QUEUE_NAMES.c2f, payload: status });
    }
    await record(client, [
      ...signatureCheckedEvents(r.checks ?? [], refusalSubject(r)),
      decisionEvent(
        refusalSubject(r),
        { status: 'rejected', code: r.code, at: decidedAt, digest: r.checks?.[0]?.digest },
        {
          ...(r.sigCode ? { sigCode: r.sigCode } : {}),
          ...(r.diff ? { diffFields: r.diff.map((d) => d.field) } : {}),
          ...(r.sourceId ? { sourceDocumentId: r.sourceId } : {}),
          ...(r.edSha256 ? { edSha256: r.edSha256 } : {}),
        },
      ),
    ]);
    if (options.alerts) {
      alertId = await insertAlert(client, r.orderId, {
        type: 'control.refusal',
        service: 'control',
        at: decidedAt.toISOString(),
        orderId: r.orderId ?? null,
        messageId: r.messageId,
        ed: r.edIdentity ?? r.address ?? null,
        code: r.code,
        reason: r.reason,
        ...(r.sigCode ? { sigCode: r.sigCode } : {}),
        ...(r.diff ? { diff: r.diff } : {}),
        ...(r.edSha256 ? { edSha256: r.edSha256 } : {}),
      });
    }
    const after: AfterCommit = () => {
      metrics.controlFailures.inc({ code: r.code });
      if (r.sigCode) metrics.signatureFailures.inc({ code: r.sigCode });
      // 802-П прил. 1.4: a refusal is an information-security event. Ids, codes and field names only:
      // never the message itself (STYLE.md, Logging).
      logger.warn(
        {
          event: 'security',
          code: r.code,
          ...(r.sigCode ? { sigCode: r.sigCode } : {}),
          orderId: r.orderId,
          messageId: r.messageId,
          ed: r.edIdentity ?? r.address,
          ...(r.edSha256 ? { edSha256: r.edSha256 } : {}),
          ...(r.diff ? { diffFields: r.diff.map((d) => d.field) } : {}),
          ...(alertId ? { alertId } : {}),
        },
        'ED refused by control',
      );
      if (alertId) options.onAlert?.();
    };
    return [{ kind: 'rejected', orderId: r.orderId, code: r.code }, after];
  }

  async function recordPass(
    client: PoolClient,
    payload: F2cPayload,
    ready: Extract<Assessment, { kind: 'ready' }>,
    receivedAt: Date,
  ): Promise<[ControlOutcome, AfterCommit]> {
    const base = {
      orderId: payload.orderId,
      messageId: payload.messageId,
      address: payload.ed,
      edIdentity: ready.edIdentity,
      edSha256: edDigest(payload),
      fingerprint: ready.fingerprint,
      sourceId: ready.sourceId,
      receivedAt,
      checks: ready.checks,
    };
    await lockForDecision(client, ready.edIdentity, ready.fingerprint);
    if (await identityTaken(client, ready.edIdentity)) {
      const { edNo, edDate, edAuthor } = ready.edIdentity;
      return recordRefusal(client, {
        ...base,
        claimsIdentity: false,
        code: 'CTL_DUPLICATE_ED',
        reason: `ED ${edNo} of ${edDate} by ${edAuthor} was already decided by control`,
      });
    }
    const duplicate = await findDuplicatePayment(client, ready.fingerprint, options.duplicateWindowHours);
    if (duplicate) {
      return recordRefusal(client, {
        ...base,
        claimsIdentity: true,
        code: 'CTL_DUPLICATE_PAYMENT',
        reason:
          `the same payment (payer, payee, sum, document number and date) was controlled within ` +
          `${options.duplicateWindowHours} h as ED ${duplicate.ed.edNo} of ${duplicate.ed.edDate} (order ${duplicate.orderId})`,
      });
    }
    // Both checks passed: the decision is taken now, the signatures follow it.
    const acceptedAt = new Date();
    // 802-П прил. 1.4: the second signature only now, once both checks passed.
    const signedAt = new Date();
    const sealed = await sealEd(ready.edBytes, options.signer, {
      mode: options.sigMode,
      sigId: options.sigId,
      now: signedAt,
    });
    if (!sealed.ok) {
      return recordRefusal(client, {
        ...base,
        claimsIdentity: false,
        code: 'CTL_ED_INVALID',
        reason: `${sealed.code}: ${sealed.message}`,
      });
    }
    const decidedAt = new Date();
    const envelopeSha256 = sha256Hex(sealed.value.envelope);
    const inserted = await insertDecision(client, {
      orderId: payload.orderId,
      messageId: payload.messageId,
      ed: ready.edIdentity,
      claimsIdentity: true,
      status: 'controlled',
      fingerprint: ready.fingerprint,
      sourceDocumentId: ready.sourceId,
      edSha256: base.edSha256,
      envelopeSha256,
      receivedAt,
      decidedAt,
    });
    if (!inserted) {
      throw new JobError('CTL_ORDER_DECIDED', `order ${payload.orderId} already has a decision`, { retryable: false });
    }
    const handOver = c2tPayload(payload.orderId, payload.ed, sealed.value.envelope, decidedAt);
    await outbox(client, { id: handOver.messageId, queue: QUEUE_NAMES.c2t, payload: handOver });
    for (const stage of ['controlled', 'signed-by-control'] as const) {
      const status = statusPayload(payload.orderId, payload.ed, stage, decidedAt);
      await outbox(client, { id: status.messageId, queue: QUEUE_NAMES.c2f, payload: status });
    }
    const subject: EventSubject = {
      actor: ACTOR,
      orderId: payload.orderId,
      messageId: payload.messageId,
      ed: ready.edIdentity,
    };
    await record(client, [
      ...signatureCheckedEvents(ready.checks, subject),
      decisionEvent(
        subject,
        { status: 'controlled', at: acceptedAt, digest: ready.checks[0]?.digest },
        { sourceDocumentId: ready.sourceId, edSha256: base.edSha256 },
      ),
      ...signatureMadeEvents(sealed.value.made, signerCertificate, subject, signedAt),
    ]);
    const after: AfterCommit = () => {
      const seconds = Math.max(0, (decidedAt.getTime() - Date.parse(payload.formedAt)) / 1000);
      if (Number.isFinite(seconds)) metrics.stageLatency.observe({ stage: 'signed-by-control' }, seconds);
      logger.info(
        { orderId: payload.orderId, ed: ready.edIdentity, edSha256: base.edSha256, envelopeSha256 },
        'ED controlled and signed by control',
      );
    };
    return [{ kind: 'controlled', orderId: payload.orderId }, after];
  }

  /** Records the decision an assessment leads to; `wait` here means the wait is over. */
  function decide(
    client: PoolClient,
    payload: F2cPayload,
    assessment: Assessment,
    receivedAt: Date,
  ): Promise<[ControlOutcome, AfterCommit]> {
    const common = {
      orderId: payload.orderId,
      messageId: payload.messageId,
      address: payload.ed,
      edSha256: edDigest(payload),
      receivedAt,
    };
    switch (assessment.kind) {
      case 'ready':
        return recordPass(client, payload, assessment, receivedAt);
      case 'wait':
        return recordRefusal(client, {
          ...common,
          edIdentity: assessment.edIdentity,
          claimsIdentity: true,
          checks: assessment.checks,
          code: 'CTL_SOURCE_MISSING',
          reason:
            `no primary document for document ${assessment.key.accDocNo} of ${assessment.key.accDocDate} ` +
            `arrived within ${options.waitMs} ms`,
        });
      case 'refuse':
        return recordRefusal(client, {
          ...common,
          edIdentity: assessment.edIdentity,
          claimsIdentity: assessment.claimsIdentity,
          code: assessment.code,
          reason: assessment.reason,
          diff: assessment.diff,
          sigCode: assessment.sigCode,
          fingerprint: assessment.fingerprint,
          sourceId: assessment.sourceId,
          checks: assessment.checks,
        });
    }
  }

  async function handleF2c(data: unknown, jobId: string): Promise<ControlOutcome> {
    const receivedAt = new Date();
    const decoded = decodeF2c(data);
    if (!decoded.ok) {
      const errors = decoded.errors.map((e) => `${e.path}: ${e.code}`).join('; ');
      const result = await processOnce(pool, F2C_CONSUMER, jobId, (client) =>
        recordRefusal(client, {
          orderId: decoded.address?.orderId,
          messageId: jobId,
          address: decoded.address?.ed,
          claimsIdentity: false,
          code: decoded.code,
          reason: `${decoded.message}${errors ? ` (${errors})` : ''}`,
          receivedAt,
        }),
      );
      if (result.duplicate) return { kind: 'duplicate-message' };
      result.value[1]();
      return result.value[0];
    }
    const payload = decoded.payload;
    const assessment = await assess(payload);
    const result = await processOnce(pool, F2C_CONSUMER, payload.messageId, async (client) => {
      if (assessment.kind === 'wait' && options.waitMs > 0) {
        await insertPending(client, payload, assessment.key, {
          receivedAt,
          waitMs: options.waitMs,
          recheckMs: options.recheckMs,
        });
        // The ЗК check that let the ED wait; the re-checks of the sweeper are recorded with the decision.
        await record(
          client,
          signatureCheckedEvents(assessment.checks, {
            actor: ACTOR,
            orderId: payload.orderId,
            messageId: payload.messageId,
            ed: assessment.edIdentity,
          }),
        );
        const outcome: ControlOutcome = { kind: 'waiting', orderId: payload.orderId };
        const after: AfterCommit = () =>
          logger.info(
            { orderId: payload.orderId, ed: payload.ed, waitMs: options.waitMs },
            'ED waits for its primary document',
          );
        return [outcome, after] as [ControlOutcome, AfterCommit];
      }
      return decide(client, payload, assessment, receivedAt);
    });
    if (result.duplicate) return { kind: 'duplicate-message' };
    result.value[1]();
    return result.value[0];
  }

  async function sweep(limit = 20): Promise<number> {
    const due = await dueRows(pool, limit);
    for (const row of due) {
      const decoded = decodeF2c(row.payload);
      if (!decoded.ok) {
        // Only validated payloads are ever stored; a row that no longer decodes was edited in the database.
        logger.error({ event: 'security', code: decoded.code, messageId: row.messageId }, 'waiting ED altered');
        await deletePending(pool, row.messageId);
        continue;
      }
      const payload = decoded.payload;
      const assessment = await assess(payload);
      const done = await withTransaction(pool, async (client): Promise<[ControlOutcome, AfterCommit] | undefined> => {
        if (!(await lockPending(client, row.messageId))) return undefined;
        if (assessment.kind === 'wait' && !row.expired) {
          await postponePending(client, row.messageId, options.recheckMs);
          return undefined;
        }
        await deletePending(client, row.messageId);
        return decide(client, payload, assessment, row.receivedAt);
      });
      done?.[1]();
    }
    return due.length;
  }

  return { handleF2c, sweep };
}

/** The actor of every event the service records on its own behalf. */
const ACTOR = 'service:control';

/** Who and what a refusal's events are about. */
function refusalSubject(r: RefusalRecord): EventSubject {
  return { actor: ACTOR, orderId: r.orderId, messageId: r.messageId, ed: r.edIdentity ?? r.address };
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
