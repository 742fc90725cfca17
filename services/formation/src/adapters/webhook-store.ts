import { randomUUID } from 'node:crypto';
import {
  type EdRefPayload,
  ORDER_STAGES,
  type OrderStage,
  type Pool,
  type PoolClient,
  type Queryable,
  withTransaction,
} from '@twincontour/platform';
import { openSecret, sealSecret } from '../domain/secret-box.js';
import type { StageRecord } from '../domain/stages.js';
import { generateWebhookSecret, stageEventBody } from '../domain/webhooks.js';

/**
 * PostgreSQL side of the stage webhooks: subscriptions (secrets sealed with AES-256-GCM) and the
 * delivery outbox (DESIGN.md, Storage: every hand-over is a row in the same transaction as its state;
 * nothing in Redis).
 */

/** A subscription as its owner sees it in GET (never the secret). */
export interface WebhookSubscriptionView {
  id: string;
  url: string;
  stages: OrderStage[];
  description?: string;
  createdAt: string;
}

/** The answer of POST /v1/webhooks: the view and, this once, the secret. */
export interface CreatedSubscription extends WebhookSubscriptionView {
  secret: string;
}

/** What a new subscription needs. */
export interface NewSubscription {
  ownerId: string;
  url: string;
  /** Undefined: every stage. */
  stages?: readonly OrderStage[];
  description?: string;
}

interface SubscriptionRow {
  id: string;
  url: string;
  stages: OrderStage[];
  description: string | null;
  created_at: Date;
}

/** Associated data of a sealed secret: binds it to its subscription row. */
function secretAad(subscriptionId: string): string {
  return `twincontour.webhook-secret.v1:${subscriptionId}`;
}

function toView(row: SubscriptionRow): WebhookSubscriptionView {
  return {
    id: row.id,
    url: row.url,
    stages: row.stages,
    ...(row.description === null ? {} : { description: row.description }),
    createdAt: row.created_at.toISOString(),
  };
}

/** Stages in ORDER_STAGES order without repeats (how a subscription's filter is stored and shown). */
function normalizeStages(stages: readonly OrderStage[] | undefined): OrderStage[] {
  const wanted = new Set(stages ?? ORDER_STAGES);
  return ORDER_STAGES.filter((s) => wanted.has(s));
}

/**
 * Creates a subscription owned by `ownerId`, unless the owner already has `maxPerOwner` (answers
 * `undefined` then). The secret is generated here, stored sealed under `key`, and returned once.
 */
export async function createSubscription(
  pool: Pool,
  key: Uint8Array,
  input: NewSubscription,
  maxPerOwner: number,
): Promise<CreatedSubscription | undefined> {
  return withTransaction(pool, async (client) => {
    // One owner's concurrent POSTs are serialized so the limit holds (a transaction-scoped advisory lock).
    await client.query("select pg_advisory_xact_lock(hashtext('webhook-owner:' || $1))", [input.ownerId]);
    const count = await client.query<{ n: number }>(
      'select count(*)::int as n from webhook_subscriptions where owner_id = $1',
      [input.ownerId],
    );
    if ((count.rows[0]?.n ?? 0) >= maxPerOwner) return undefined;
    const id = randomUUID();
    const secret = generateWebhookSecret();
    const result = await client.query<SubscriptionRow>(
      `insert into webhook_subscriptions (id, owner_id, url, stages, description, secret_enc)
         values ($1, $2, $3, $4::text[], $5, $6)
       returning id, url, stages, description, created_at`,
      [
        id,
        input.ownerId,
        input.url,
        normalizeStages(input.stages),
        input.description ?? null,
        sealSecret(key, secret, secretAad(id)),
      ],
    );
    const row = result.rows[0];
    if (!row) throw new Error('insert … returning gave no row');
    return { ...toView(row), secret };
  });
}

/** The subscriptions of one owner, oldest first. */
export async function listSubscriptions(db: Queryable, ownerId: string): Promise<WebhookSubscriptionView[]> {
  const result = await db.query<SubscriptionRow>(
    `select id, url, stages, description, created_at from webhook_subscriptions
      where owner_id = $1 order by created_at, id`,
    [ownerId],
  );
  return result.rows.map(toView);
}

/**
 * Deletes a subscription of `ownerId` and its deliveries. Answers undefined when the owner has no such
 * subscription (another owner's is "not found" too), else how many undelivered stages were dropped.
 */
export async function deleteSubscription(
  pool: Pool,
  ownerId: string,
  id: string,
): Promise<{ droppedPending: number } | undefined> {
  return withTransaction(pool, async (client) => {
    const found = await client.query('select 1 from webhook_subscriptions where id = $1 and owner_id = $2 for update', [
      id,
      ownerId,
    ]);
    if (found.rowCount === 0) return undefined;
    const dropped = await client.query(
      "delete from webhook_deliveries where subscription_id = $1 and state = 'pending'",
      [id],
    );
    await client.query('delete from webhook_subscriptions where id = $1', [id]);
    return { droppedPending: dropped.rowCount ?? 0 };
  });
}

/**
 * Writes the deliveries of stages an order just reached, inside the caller's transaction (the one that
 * records the stage rows): one row per stage and matching subscription, in the order given (the order
 * the stages were recorded in). Answers how many rows were written.
 */
export async function recordStageEvents(
  client: PoolClient,
  orderId: string,
  ed: EdRefPayload,
  stages: readonly StageRecord[],
): Promise<number> {
  if (stages.length === 0) return 0;
  const subs = await client.query<{ id: string; stages: OrderStage[] }>(
    'select id, stages from webhook_subscriptions where stages && $1::text[] order by id',
    [stages.map((s) => s.stage)],
  );
  const ids: string[] = [];
  const subscriptionIds: string[] = [];
  const stageNames: string[] = [];
  const bodies: string[] = [];
  for (const stage of stages) {
    for (const sub of subs.rows) {
      if (!sub.stages.includes(stage.stage)) continue;
      const deliveryId = randomUUID();
      ids.push(deliveryId);
      subscriptionIds.push(sub.id);
      stageNames.push(stage.stage);
      bodies.push(stageEventBody(deliveryId, orderId, ed, stage));
    }
  }
  if (ids.length === 0) return 0;
  // `with ordinality … order by n`: seq is assigned in this order, which is the stages' recording order.
  const inserted = await client.query(
    `insert into webhook_deliveries (id, subscription_id, order_id, stage, body)
       select d.id, d.sub, $5, d.stage, d.body
         from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality as d(id, sub, stage, body, n)
        order by d.n
     on conflict (subscription_id, order_id, stage) do nothing`,
    [ids, subscriptionIds, stageNames, bodies, orderId],
  );
  return inserted.rowCount ?? 0;
}

/** A delivery claimed by a dispatcher: what it posts, and the lease it holds. */
export interface ClaimedDelivery {
  id: string;
  subscriptionId: string;
  orderId: string;
  stage: OrderStage;
  url: string;
  body: string;
  /** The secret, opened; undefined when it does not open under the configured key. */
  secret: string | undefined;
  /** This attempt's number (1 for the first). */
  attempt: number;
  leaseToken: string;
}

interface ClaimRow {
  id: string;
  subscription_id: string;
  order_id: string;
  stage: OrderStage;
  url: string;
  body: string;
  secret_enc: Buffer;
  attempts: number;
}

/**
 * Claims up to `limit` due deliveries for one attempt each, under a lease of `leaseMs`. Only the
 * earliest undelivered row of each (subscription, order) is eligible, so one order's stages reach one
 * receiver strictly in the order they were recorded. `FOR UPDATE SKIP LOCKED` lets several formation
 * processes claim at once without taking the same row; the lease (not a long transaction) keeps it
 * theirs while they post, and a process that died gives it back when the lease runs out.
 */
export async function claimDeliveries(
  pool: Pool,
  key: Uint8Array,
  limit: number,
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  const token = randomUUID();
  const result = await pool.query<ClaimRow>(
    `with due as (
       select d.id from webhook_deliveries d
        where d.state = 'pending'
          and d.next_attempt_at <= now()
          and (d.leased_until is null or d.leased_until < now())
          and not exists (
            select 1 from webhook_deliveries e
             where e.subscription_id = d.subscription_id and e.order_id = d.order_id
               and e.state = 'pending' and e.seq < d.seq)
        order by d.next_attempt_at, d.seq
        limit $1
        for update of d skip locked)
     update webhook_deliveries w
        set leased_until = now() + make_interval(secs => $2::double precision / 1000),
            lease_token = $3, attempts = w.attempts + 1
       from due, webhook_subscriptions s
      where w.id = due.id and s.id = w.subscription_id
     returning w.id, w.subscription_id, w.order_id, w.stage, s.url, w.body, s.secret_enc, w.attempts`,
    [limit, leaseMs, token],
  );
  return result.rows.map((row) => ({
    id: row.id,
    subscriptionId: row.subscription_id,
    orderId: row.order_id,
    stage: row.stage,
    url: row.url,
    body: row.body,
    secret: openSecret(key, row.secret_enc, secretAad(row.subscription_id)),
    attempt: row.attempts,
    leaseToken: token,
  }));
}

/** Marks a claimed delivery delivered. False when the row is gone (its subscription was removed) or the lease was lost. */
export async function markDelivered(db: Queryable, delivery: ClaimedDelivery, status: number): Promise<boolean> {
  const result = await db.query(
    `update webhook_deliveries
        set state = 'delivered', delivered_at = now(), last_status = $3, last_error = null,
            leased_until = null, lease_token = null
      where id = $1 and lease_token = $2 and state = 'pending'`,
    [delivery.id, delivery.leaseToken, status],
  );
  return result.rowCount === 1;
}

/** Schedules the next attempt of a claimed delivery `delayMs` from now. False when the row is gone or the lease was lost. */
export async function markFailed(
  db: Queryable,
  delivery: ClaimedDelivery,
  failure: { status?: number; error: string; delayMs: number },
): Promise<boolean> {
  const result = await db.query(
    `update webhook_deliveries
        set next_attempt_at = now() + make_interval(secs => $5::double precision / 1000),
            last_status = $3, last_error = $4, leased_until = null, lease_token = null
      where id = $1 and lease_token = $2 and state = 'pending'`,
    [delivery.id, delivery.leaseToken, failure.status ?? null, failure.error, failure.delayMs],
  );
  return result.rowCount === 1;
}

/** Undelivered rows and the age of the oldest (for the metrics). */
export async function webhookBacklog(db: Queryable): Promise<{ pending: number; oldestAgeSeconds: number }> {
  const result = await db.query<{ pending: number; oldest: number | null }>(
    `select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as oldest
       from webhook_deliveries where state = 'pending'`,
  );
  const row = result.rows[0];
  return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.max(0, row?.oldest ?? 0) };
}
