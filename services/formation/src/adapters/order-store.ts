import { randomUUID } from 'node:crypto';
import type { AuditCertificate, AuditLog } from '@twincontour/audit';
import {
  addToOutbox,
  type F2cPayload,
  type OrderStage,
  type Pool,
  type PoolClient,
  QUEUE_NAMES,
  type Queryable,
  type RequisiteDiff,
  type StatusPayload,
  withTransaction,
} from '@twincontour/platform';
import type { EdIdentity, PaymentOrder } from '@twincontour/ufebs';
import { zkMadeEvent } from '../domain/audit-events.js';
import type { FormFailure, SignedEd } from '../domain/form-ed.js';
import { moscowOperatingDate } from '../domain/operating-date.js';
import { type OrderRecord, type OrderView, toOrderView } from '../domain/order-view.js';
import { FORMATION_STAGES, predecessorOf, type StageRecord, stageRank, statusOf } from '../domain/stages.js';
import { recordStageEvents } from './webhook-store.js';

/** Largest EDNo (schema EDNumber: up to 9 digits). */
const MAX_ED_NO = 999_999_999;

/** What POST /v1/payment-orders hands the store. */
export interface AcceptOrderInput {
  /** The calling identity: Idempotency-Key is scoped to it. */
  clientId: string;
  idempotencyKey: string;
  /** SHA-256 of the canonical request body. */
  requestSha256: string;
  /** The order, after validatePaymentOrder passed. */
  order: PaymentOrder;
  /** EDAuthor (the bank's УИС). */
  edAuthor: string;
  /** Forms and signs the ED once its identity is allocated (inside the transaction). */
  form(identity: EdIdentity, at: Date): Promise<{ ok: true; value: SignedEd } | FormFailure>;
  /** Where the ЗК made is recorded (`signature.made`, in this transaction): the log and formation's certificate. */
  audit: { log: AuditLog; certificate: AuditCertificate; sigId?: string | undefined };
}

/** What happened to a POST. */
export type AcceptOutcome =
  | { kind: 'created'; view: OrderView; edSha256: string }
  | { kind: 'replayed'; view: OrderView }
  | { kind: 'conflict'; orderId: string }
  | { kind: 'form-failed'; failure: FormFailure }
  | { kind: 'edno-exhausted'; edDate: string };

/** List filters of GET /v1/payment-orders. */
export interface ListFilter {
  status?: OrderStage;
  /** createdAt ≥ from (ISO 8601). */
  from?: string;
  /** createdAt < to (ISO 8601). */
  to?: string;
  limit: number;
  /** Only orders inserted before this sequence number (the cursor). */
  beforeSeq?: string;
}

/** What applying a status did. */
export type ApplyStatusOutcome =
  | { kind: 'unknown-order' }
  | { kind: 'ed-mismatch'; ed: EdIdentity }
  /** The stage's predecessor is not recorded yet (it is still on its way); nothing was written. */
  | { kind: 'early'; waitingFor: OrderStage }
  | { kind: 'applied'; inserted: boolean; status: OrderStage; createdAt: Date };

/** Rolls the POST transaction back while returning an outcome (the transaction helper rolls back on throw). */
class Rollback extends Error {
  constructor(readonly outcome: AcceptOutcome) {
    super('rollback');
  }
}

interface OrderRow {
  id: string;
  seq: string;
  ed_no: number;
  ed_date: string;
  ed_author: string;
  created_at: Date;
  updated_at: Date;
}

interface StageRow {
  order_id: string;
  stage: OrderStage;
  at: Date;
  code: string | null;
  reason: string | null;
  diff: RequisiteDiff[] | null;
}

const ORDER_COLUMNS = `id, seq::text as seq, ed_no, to_char(ed_date, 'YYYY-MM-DD') as ed_date, ed_author,
  created_at, updated_at`;

function toRecord(row: OrderRow): OrderRecord {
  return {
    id: row.id,
    ed: { edNo: String(row.ed_no), edDate: row.ed_date, edAuthor: row.ed_author },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function toStage(row: StageRow): StageRecord {
  const stage: StageRecord = { stage: row.stage, at: row.at.toISOString() };
  if (row.code !== null) stage.code = row.code;
  if (row.reason !== null) stage.reason = row.reason;
  if (row.diff !== null) stage.diff = row.diff;
  return stage;
}

async function stagesOf(db: Queryable, ids: readonly string[]): Promise<Map<string, StageRecord[]>> {
  const result = await db.query<StageRow>(
    `select order_id, stage, at, code, reason, diff from order_stages where order_id = any($1::text[])
      order by order_id, seq`,
    [ids],
  );
  const out = new Map<string, StageRecord[]>();
  for (const row of result.rows) {
    const list = out.get(row.order_id) ?? [];
    list.push(toStage(row));
    out.set(row.order_id, list);
  }
  return out;
}

/** The view of one order, or undefined. */
export async function findOrderView(db: Queryable, id: string): Promise<OrderView | undefined> {
  const result = await db.query<OrderRow>(`select ${ORDER_COLUMNS} from orders where id = $1`, [id]);
  const row = result.rows[0];
  if (!row) return undefined;
  const stages = await stagesOf(db, [row.id]);
  return toOrderView(toRecord(row), sortStages(stages.get(row.id) ?? []));
}

/** Views of one page of orders, newest first, and the sequence number to continue after (if more). */
export async function listOrderViews(
  db: Queryable,
  filter: ListFilter,
): Promise<{ items: OrderView[]; lastSeq: string | null }> {
  const result = await db.query<OrderRow>(
    `select ${ORDER_COLUMNS} from orders
      where ($1::text is null or status = $1)
        and ($2::timestamptz is null or created_at >= $2)
        and ($3::timestamptz is null or created_at < $3)
        and ($4::bigint is null or seq < $4)
      order by seq desc
      limit $5`,
    [filter.status ?? null, filter.from ?? null, filter.to ?? null, filter.beforeSeq ?? null, filter.limit + 1],
  );
  const rows = result.rows.slice(0, filter.limit);
  const stages = await stagesOf(
    db,
    rows.map((r) => r.id),
  );
  const items = rows.map((row) => toOrderView(toRecord(row), sortStages(stages.get(row.id) ?? [])));
  const more = result.rows.length > filter.limit;
  return { items, lastSeq: more ? (rows.at(-1)?.seq ?? null) : null };
}

/** Stages in ORDER_STAGES order, so the history reads the same whatever order the reports arrived in. */
function sortStages(stages: StageRecord[]): StageRecord[] {
  return [...stages].sort((a, b) => stageRank(a.stage) - stageRank(b.stage));
}

async function allocateEdNo(client: PoolClient, edAuthor: string, edDate: string): Promise<number | undefined> {
  // The counter row stays locked until COMMIT: concurrent POSTs take numbers one after another, and a
  // rolled-back POST gives its number back, so EDNo is unique and gap-free per author and date.
  const result = await client.query<{ last_no: number }>(
    `insert into ed_counters (ed_author, ed_date, last_no) values ($1, $2, 1)
       on conflict (ed_author, ed_date) do update set last_no = ed_counters.last_no + 1
       where ed_counters.last_no < $3
     returning last_no`,
    [edAuthor, edDate, MAX_ED_NO],
  );
  return result.rows[0]?.last_no;
}

/**
 * Accepts an order in ONE transaction (services.md; DESIGN.md, Storage): the Idempotency-Key row, the
 * EDNo, the order with its signed ED bytes, the stages accepted → formed → signed-by-formation and the
 * f2c outbox row commit together or not at all.
 *
 * The key row is inserted first: a second request with the same key blocks on it until the first
 * commits, then answers the first's order (same body) or a conflict (another body); if the first
 * rolled back, the second proceeds as if alone. So one key gives one order, one ED, one outbox row.
 */
export async function acceptOrder(pool: Pool, input: AcceptOrderInput, clock: () => Date): Promise<AcceptOutcome> {
  try {
    return await withTransaction(pool, async (client) => {
      const orderId = randomUUID();
      const claimed = await client.query(
        `insert into idempotency_keys (client_id, key, request_sha256, order_id) values ($1, $2, $3, $4)
           on conflict (client_id, key) do nothing`,
        [input.clientId, input.idempotencyKey, input.requestSha256, orderId],
      );
      if (claimed.rowCount === 0) {
        const existing = await client.query<{ request_sha256: string; order_id: string }>(
          'select request_sha256, order_id from idempotency_keys where client_id = $1 and key = $2',
          [input.clientId, input.idempotencyKey],
        );
        const row = existing.rows[0];
        if (!row) throw new Error('idempotency key vanished between insert and select');
        if (row.request_sha256 !== input.requestSha256) return { kind: 'conflict', orderId: row.order_id };
        const view = await findOrderView(client, row.order_id);
        if (!view) throw new Error(`idempotency key points at a missing order ${row.order_id}`);
        return { kind: 'replayed', view };
      }

      const acceptedAt = clock();
      const edDate = moscowOperatingDate(acceptedAt);
      const edNo = await allocateEdNo(client, input.edAuthor, edDate);
      if (edNo === undefined) throw new Rollback({ kind: 'edno-exhausted', edDate });
      const identity: EdIdentity = { edNo: String(edNo), edDate, edAuthor: input.edAuthor };
      const signed = await input.form(identity, acceptedAt);
      if (!signed.ok) throw new Rollback({ kind: 'form-failed', failure: signed });
      const signedAt = clock();

      await client.query(
        `insert into orders (id, status, payment_order, ed_no, ed_date, ed_author, ed_bytes, ed_sha256,
                             created_by, created_at, updated_at)
         values ($1, 'signed-by-formation', $2::jsonb, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          orderId,
          JSON.stringify(input.order),
          edNo,
          edDate,
          input.edAuthor,
          signed.value.bytes,
          signed.value.sha256,
          input.clientId,
          acceptedAt,
          signedAt,
        ],
      );
      // accepted: requisites passed; formed: ED101 built with its EDNo; signed-by-formation: ЗК added.
      // They happen within one transaction; formed and signed carry the time the signature was made.
      const stageTimes: Record<string, Date> = {
        accepted: acceptedAt,
        formed: signedAt,
        'signed-by-formation': signedAt,
      };
      await client.query(
        `insert into order_stages (order_id, stage, at)
           select $1, s.stage, s.at from unnest($2::text[], $3::timestamptz[]) with ordinality as s(stage, at, n)
           order by s.n`,
        [orderId, [...FORMATION_STAGES], FORMATION_STAGES.map((s) => stageTimes[s])],
      );
      // 4600-У п. 2.2.3: each stage is announced to the back office's webhooks — the deliveries commit
      // with the stage rows or not at all.
      await recordStageEvents(
        client,
        orderId,
        identity,
        FORMATION_STAGES.map((stage) => ({ stage, at: (stageTimes[stage] ?? signedAt).toISOString() })),
      );
      const payload: F2cPayload = {
        type: 'ed.formed',
        version: 1,
        messageId: `f2c-${orderId}`,
        orderId,
        ed: identity,
        edBase64: Buffer.from(signed.value.bytes).toString('base64'),
        formedAt: signedAt.toISOString(),
      };
      // 802-П прил. 1.3: the signed ED goes to control — as an outbox row in this same transaction.
      const outboxed = await addToOutbox(client, { id: payload.messageId, queue: QUEUE_NAMES.f2c, payload });
      if (!outboxed.ok) throw new Error(`${outboxed.code}: ${outboxed.message}`);
      // The ЗК made is an audit event that commits with the order, or not at all (DESIGN.md, Audit log).
      await input.audit.log.record(
        zkMadeEvent(
          { orderId, messageId: payload.messageId, ed: identity },
          signed.value.signedSha256,
          input.audit.certificate,
          signedAt,
          input.audit.sigId,
        ),
        client,
      );
      const view = await findOrderView(client, orderId);
      if (!view) throw new Error('the order just inserted is not visible in its own transaction');
      return { kind: 'created', view, edSha256: signed.value.sha256 };
    });
  } catch (error) {
    if (error instanceof Rollback) return error.outcome;
    throw error;
  }
}

/** The stored ED101 bytes of an order (for operators and tests). */
export async function findEdBytes(db: Queryable, id: string): Promise<Uint8Array | undefined> {
  const result = await db.query<{ ed_bytes: Buffer }>('select ed_bytes from orders where id = $1', [id]);
  return result.rows[0]?.ed_bytes;
}

/**
 * Applies a status reported by control (queue c2f) inside the caller's transaction (processOnce's):
 * the order is locked, the stage is recorded once (the (order, stage) key makes a repeat a no-op), and
 * the order's status becomes the furthest stage reached ({@link statusOf}). A status for an unknown
 * order, or for another ED than the order's, changes nothing.
 */
export async function applyStatus(
  client: PoolClient,
  payload: StatusPayload,
  options: { inOrder?: boolean } = {},
): Promise<ApplyStatusOutcome> {
  const found = await client.query<OrderRow>(`select ${ORDER_COLUMNS} from orders where id = $1 for update`, [
    payload.orderId,
  ]);
  const row = found.rows[0];
  if (!row) return { kind: 'unknown-order' };
  const ed: EdIdentity = { edNo: String(row.ed_no), edDate: row.ed_date, edAuthor: row.ed_author };
  if (ed.edNo !== payload.ed.edNo || ed.edDate !== payload.ed.edDate || ed.edAuthor !== payload.ed.edAuthor) {
    return { kind: 'ed-mismatch', ed };
  }
  const predecessor = options.inOrder === false ? undefined : predecessorOf(payload.stage);
  if (predecessor !== undefined) {
    const recorded = await client.query('select 1 from order_stages where order_id = $1 and stage = $2', [
      payload.orderId,
      predecessor,
    ]);
    if (recorded.rowCount === 0) return { kind: 'early', waitingFor: predecessor };
  }
  const inserted = await client.query(
    `insert into order_stages (order_id, stage, at, code, reason, diff, message_id)
       values ($1, $2, $3, $4, $5, $6::jsonb, $7)
       on conflict (order_id, stage) do nothing`,
    [
      payload.orderId,
      payload.stage,
      payload.at,
      payload.code ?? null,
      payload.reason ?? null,
      payload.diff === undefined ? null : JSON.stringify(payload.diff),
      payload.messageId,
    ],
  );
  const stages = await client.query<{ stage: OrderStage }>('select stage from order_stages where order_id = $1', [
    payload.orderId,
  ]);
  const status = statusOf(stages.rows) ?? 'accepted';
  if (inserted.rowCount === 1) {
    await client.query('update orders set status = $2, updated_at = greatest(updated_at, now()) where id = $1', [
      payload.orderId,
      status,
    ]);
    // 4600-У п. 2.2.3: a stage reported by control reaches the back office's webhooks too, committed
    // with the stage row (processOnce's transaction), so a redelivered status announces nothing twice.
    const stage: StageRecord = { stage: payload.stage, at: new Date(payload.at).toISOString() };
    if (payload.code !== undefined) stage.code = payload.code;
    if (payload.reason !== undefined) stage.reason = payload.reason;
    if (payload.diff !== undefined) stage.diff = payload.diff;
    await recordStageEvents(client, payload.orderId, ed, [stage]);
  }
  return { kind: 'applied', inserted: inserted.rowCount === 1, status, createdAt: row.created_at };
}
