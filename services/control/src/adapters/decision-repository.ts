import { randomUUID } from 'node:crypto';
import type { EdRefPayload, F2cPayload, Queryable, RequisiteDiff } from '@twincontour/platform';
import type { SourceKey } from '../domain/source-key.js';

/** One control decision to record. */
export interface DecisionRow {
  orderId: string;
  messageId: string;
  ed: EdRefPayload | undefined;
  claimsIdentity: boolean;
  status: 'controlled' | 'rejected';
  code?: string;
  reason?: string;
  diff?: readonly RequisiteDiff[];
  fingerprint?: string;
  sourceDocumentId?: string;
  edSha256?: string;
  envelopeSha256?: string;
  receivedAt: Date;
  decidedAt: Date;
}

/**
 * Serializes decisions about one ED identity and one payment fingerprint until the transaction ends, so
 * two EDs deciding at once cannot both pass the duplicate checks. Always identity first, then
 * fingerprint: one order of locks, no deadlock.
 */
export async function lockForDecision(db: Queryable, ed: EdRefPayload, fingerprint?: string): Promise<void> {
  await db.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `control:ed:${ed.edAuthor}:${ed.edDate}:${ed.edNo}`,
  ]);
  if (fingerprint !== undefined) {
    await db.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`control:fp:${fingerprint}`]);
  }
}

/** True when a decision already used this ED identity (CTL_DUPLICATE_ED). */
export async function identityTaken(db: Queryable, ed: EdRefPayload): Promise<boolean> {
  const result = await db.query(
    'select 1 from control_decisions where claims_identity and ed_author = $1 and ed_date = $2 and ed_no = $3',
    [ed.edAuthor, ed.edDate, ed.edNo],
  );
  return (result.rowCount ?? 0) > 0;
}

/** A controlled ED with the same fingerprint within the window (CTL_DUPLICATE_PAYMENT), if any. */
export async function findDuplicatePayment(
  db: Queryable,
  fingerprint: string,
  windowHours: number,
): Promise<{ orderId: string; ed: EdRefPayload } | undefined> {
  const result = await db.query<{ order_id: string; ed_no: string; ed_date: string; ed_author: string }>(
    `select order_id, ed_no, ed_date, ed_author from control_decisions
      where status = 'controlled' and fingerprint = $1 and decided_at > now() - make_interval(hours => $2)
      order by decided_at desc limit 1`,
    [fingerprint, windowHours],
  );
  const row = result.rows[0];
  return row
    ? { orderId: row.order_id, ed: { edNo: row.ed_no, edDate: row.ed_date, edAuthor: row.ed_author } }
    : undefined;
}

/** Inserts a decision; false when the order already has one (the first decision stands). */
export async function insertDecision(db: Queryable, row: DecisionRow): Promise<boolean> {
  const result = await db.query(
    `insert into control_decisions (order_id, message_id, ed_no, ed_date, ed_author, claims_identity, status, code,
       reason, diff, fingerprint, source_document_id, ed_sha256, envelope_sha256, received_at, decided_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15, $16)
     on conflict do nothing`,
    [
      row.orderId,
      row.messageId,
      row.ed?.edNo ?? null,
      row.ed?.edDate ?? null,
      row.ed?.edAuthor ?? null,
      row.claimsIdentity,
      row.status,
      row.code ?? null,
      row.reason ?? null,
      row.diff && row.diff.length > 0 ? JSON.stringify(row.diff) : null,
      row.fingerprint ?? null,
      row.sourceDocumentId ?? null,
      row.edSha256 ?? null,
      row.envelopeSha256 ?? null,
      row.receivedAt,
      row.decidedAt,
    ],
  );
  return result.rowCount === 1;
}

/** A decision as the HTTP API shows it. */
export interface DecisionView {
  orderId: string;
  status: 'controlled' | 'rejected' | 'waiting';
  ed: EdRefPayload | null;
  code?: string;
  reason?: string;
  diff?: RequisiteDiff[];
  sourceDocumentId?: string;
  receivedAt: string;
  decidedAt?: string;
  /** While waiting: when CTL_SOURCE_MISSING is decided at the latest. */
  deadlineAt?: string;
}

/** The decision about an order, or its waiting ED; undefined when control never saw the order. */
export async function findDecisionView(db: Queryable, orderId: string): Promise<DecisionView | undefined> {
  const decided = await db.query<{
    status: 'controlled' | 'rejected';
    ed_no: string | null;
    ed_date: string | null;
    ed_author: string | null;
    code: string | null;
    reason: string | null;
    diff: RequisiteDiff[] | null;
    source_document_id: string | null;
    received_at: Date;
    decided_at: Date;
  }>(
    `select status, ed_no, ed_date, ed_author, code, reason, diff, source_document_id, received_at, decided_at
       from control_decisions where order_id = $1`,
    [orderId],
  );
  const row = decided.rows[0];
  if (row) {
    const view: DecisionView = {
      orderId,
      status: row.status,
      ed:
        row.ed_no && row.ed_date && row.ed_author
          ? { edNo: row.ed_no, edDate: row.ed_date, edAuthor: row.ed_author }
          : null,
      receivedAt: row.received_at.toISOString(),
      decidedAt: row.decided_at.toISOString(),
    };
    if (row.code) view.code = row.code;
    if (row.reason) view.reason = row.reason;
    if (row.diff) view.diff = row.diff;
    if (row.source_document_id) view.sourceDocumentId = row.source_document_id;
    return view;
  }
  const pending = await db.query<{ payload: F2cPayload; received_at: Date; deadline_at: Date }>(
    'select payload, received_at, deadline_at from pending_eds where order_id = $1',
    [orderId],
  );
  const waiting = pending.rows[0];
  if (!waiting) return undefined;
  return {
    orderId,
    status: 'waiting',
    ed: waiting.payload.ed,
    receivedAt: waiting.received_at.toISOString(),
    deadlineAt: waiting.deadline_at.toISOString(),
  };
}

/** Puts an ED aside until its primary document arrives (at most `waitMs` from its arrival). */
export async function insertPending(
  db: Queryable,
  payload: F2cPayload,
  key: SourceKey,
  options: { receivedAt: Date; waitMs: number; recheckMs: number },
): Promise<void> {
  await db.query(
    `insert into pending_eds (message_id, order_id, payload, payer_account, payer_bic, acc_doc_no, acc_doc_date,
       received_at, deadline_at, next_check_at)
     values ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $8::timestamptz + make_interval(secs => $9::float8 / 1000),
       least(now() + make_interval(secs => $10::float8 / 1000), $8::timestamptz + make_interval(secs => $9::float8 / 1000)))
     on conflict do nothing`,
    [
      payload.messageId,
      payload.orderId,
      JSON.stringify(payload),
      key.payerAccount,
      key.payerBic,
      key.accDocNo,
      key.accDocDate,
      options.receivedAt,
      options.waitMs,
      options.recheckMs,
    ],
  );
}

/** A waiting ED due for another look. */
export interface DuePending {
  messageId: string;
  payload: unknown;
  receivedAt: Date;
  /** True when its deadline has passed (by the database clock): decide it now. */
  expired: boolean;
}

/** Waiting EDs whose next look is due, soonest first. */
export async function dueRows(db: Queryable, limit: number): Promise<DuePending[]> {
  const result = await db.query<{ message_id: string; payload: unknown; received_at: Date; expired: boolean }>(
    `select message_id, payload, received_at, deadline_at <= now() as expired from pending_eds
      where next_check_at <= now() order by next_check_at limit $1`,
    [limit],
  );
  return result.rows.map((r) => ({
    messageId: r.message_id,
    payload: r.payload,
    receivedAt: r.received_at,
    expired: r.expired,
  }));
}

/** Locks a waiting ED for this transaction; false when another sweeper has it or it is gone. */
export async function lockPending(db: Queryable, messageId: string): Promise<boolean> {
  const result = await db.query('select 1 from pending_eds where message_id = $1 for update skip locked', [messageId]);
  return (result.rowCount ?? 0) > 0;
}

/** Schedules the next look at a waiting ED (never later than its deadline). */
export async function postponePending(db: Queryable, messageId: string, recheckMs: number): Promise<void> {
  await db.query(
    `update pending_eds set checks = checks + 1,
       next_check_at = least(now() + make_interval(secs => $2::float8 / 1000), deadline_at)
     where message_id = $1`,
    [messageId, recheckMs],
  );
}

/** Removes a waiting ED once it is decided (in the decision's transaction). */
export async function deletePending(db: Queryable, messageId: string): Promise<void> {
  await db.query('delete from pending_eds where message_id = $1', [messageId]);
}

/** Number of waiting EDs (metrics). */
export async function countPending(db: Queryable): Promise<number> {
  const result = await db.query<{ n: string }>('select count(*) as n from pending_eds');
  return Number(result.rows[0]?.n ?? 0);
}

/** Records a security alert for delivery to the webhook (in the refusal's transaction). */
export async function insertAlert(
  db: Queryable,
  orderId: string | undefined,
  body: Record<string, unknown>,
): Promise<string> {
  const id = randomUUID();
  await db.query('insert into security_alerts (id, order_id, body) values ($1, $2, $3::jsonb)', [
    id,
    orderId ?? null,
    JSON.stringify({ ...body, alertId: id }),
  ]);
  return id;
}
