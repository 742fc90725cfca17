import type { OrderStage, Queryable } from '@twincontour/platform';
import { Gauge, type Registry } from 'prom-client';

/**
 * Stages of an order accepted by formation that has not reached the Bank of Russia yet: still with
 * formation (the f2c outbox row not yet taken by control), with control (waiting for its primary document,
 * or controlled and queued on c2t), or with transport (delivery to the Bank of Russia retried). The count
 * of such orders is the one number that grows whichever of control, transport or the Bank of Russia channel
 * is down: control down leaves orders at `signed-by-formation` (the f2c outbox is acknowledged only once
 * control's job completed, platform outbox.ts); transport or the channel down leaves them at
 * `signed-by-control` (control keeps taking them and its c2t outbox grows). `sent` and later, and the
 * refusals, are out of the gateway's hands and do not count.
 */
export const IN_FLIGHT_STAGES: readonly OrderStage[] = Object.freeze([
  'accepted',
  'formed',
  'signed-by-formation',
  'controlled',
  'signed-by-control',
]);

/** Options of {@link createBacklog}. */
export interface BacklogOptions {
  db: Queryable;
  /** Orders in flight from which POST /v1/payment-orders answers 503 FRM_BACKPRESSURE (TWINCONTOUR_BACKLOG_LIMIT). */
  limit: number;
  /** The count is read from PostgreSQL at most this often; default 1000 ms. */
  refreshMs?: number;
  /** Default `Date.now`. */
  now?: () => number;
}

/** What the intake asks before it forms an order. */
export type Admission = { ok: true; backlog: number } | { ok: false; backlog: number; limit: number };

/** The in-flight count behind formation's backpressure, cached so that the check costs one query a second. */
export interface Backlog {
  /** Whether one more order may be accepted now. */
  admit(): Promise<Admission>;
  /** Counts an order just accepted, until the next refresh reads the truth. */
  accepted(): void;
  /** The count as last read (plus the orders accepted since), for the gauge. */
  current(): number;
  readonly limit: number;
  /** Reads the count from PostgreSQL now. */
  refresh(): Promise<number>;
}

/**
 * The backlog of orders in flight (see {@link IN_FLIGHT_STAGES}). The count is cached for `refreshMs` and
 * bumped by each order accepted meanwhile, so a burst cannot overshoot the limit by more than the orders
 * that were being formed at the same moment; concurrent callers share one refresh.
 */
export function createBacklog(options: BacklogOptions): Backlog {
  const refreshMs = options.refreshMs ?? 1000;
  const now = options.now ?? Date.now;
  let count = 0;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<number> | undefined;

  const refresh = (): Promise<number> => {
    reading ??= options.db
      .query<{ n: number }>('select count(*)::int as n from orders where status = any($1::text[])', [
        [...IN_FLIGHT_STAGES],
      ])
      .then((result) => {
        count = result.rows[0]?.n ?? 0;
        readAt = now();
        return count;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };

  return {
    limit: options.limit,
    async admit() {
      const backlog = now() - readAt >= refreshMs ? await refresh() : count;
      return backlog < options.limit ? { ok: true, backlog } : { ok: false, backlog, limit: options.limit };
    },
    accepted() {
      count += 1;
    },
    current: () => count,
    refresh,
  };
}

/**
 * Registers `formation_backlog_orders` (the count the backpressure decision uses, read afresh on each scrape)
 * and `formation_backlog_limit` on the app's registry.
 */
export function registerBacklogMetrics(registry: Registry, backlog: Backlog, onError: (error: unknown) => void): void {
  new Gauge({
    name: 'formation_backlog_orders',
    help: 'Orders accepted but not yet at the Bank of Russia (accepted … signed-by-control): the backpressure count.',
    registers: [registry],
    async collect() {
      try {
        this.set(await backlog.refresh());
      } catch (error) {
        // A database that does not answer must not take /metrics down with it; /ready reports it.
        onError(error);
        this.set(backlog.current());
      }
    },
  });
  new Gauge({
    name: 'formation_backlog_limit',
    help: 'TWINCONTOUR_BACKLOG_LIMIT: from this many orders in flight, new orders are answered 503 FRM_BACKPRESSURE.',
    registers: [registry],
  }).set(backlog.limit);
}
