import type { ExchangeState, ExchangeStatePayload, Queryable } from '@twincontour/platform';

/** The exchange state formation knows (802-П п. 19). */
export interface KnownExchangeState {
  state: ExchangeState;
  incidentId: string | null;
  since: Date | null;
  seq: number;
}

const RUNNING: KnownExchangeState = Object.freeze({ state: 'running', incidentId: null, since: null, seq: 0 });

/**
 * Records an exchange-state message from transport (through control), in the caller's transaction. Queues do
 * not keep order: only a message newer (higher `seq`) than the one recorded changes anything. Returns
 * whether it did.
 */
export async function recordExchangeState(db: Queryable, message: ExchangeStatePayload): Promise<boolean> {
  const result = await db.query(
    `insert into exchange_state (id, state, incident_id, seq, since) values (true, $1, $2, $3, $4)
     on conflict (id) do update set state = excluded.state, incident_id = excluded.incident_id, seq = excluded.seq,
       since = excluded.since, updated_at = now()
     where exchange_state.seq < excluded.seq`,
    [message.state, message.incidentId ?? null, message.seq, message.at],
  );
  return result.rowCount === 1;
}

/** Reads the recorded state (running when transport never reported one). */
export async function readExchangeState(db: Queryable): Promise<KnownExchangeState> {
  const result = await db.query<{ state: ExchangeState; incident_id: string | null; seq: string; since: Date }>(
    'select state, incident_id, seq, since from exchange_state where id',
  );
  const row = result.rows[0];
  return row ? { state: row.state, incidentId: row.incident_id, since: row.since, seq: Number(row.seq) } : RUNNING;
}

/** What POST /v1/payment-orders asks before it accepts an order. */
export interface ExchangeGate {
  /** The state, read from PostgreSQL at most once per `ttlMs` (concurrent callers share one read). */
  current(): Promise<KnownExchangeState>;
}

/**
 * The cached exchange state: one query a second at most, so the check costs nothing on the order path; a
 * suspension reaches the intake within that second of its message being recorded.
 */
export function createExchangeGate(db: Queryable, options: { ttlMs?: number; now?: () => number } = {}): ExchangeGate {
  const ttlMs = options.ttlMs ?? 1000;
  const now = options.now ?? Date.now;
  let cached: KnownExchangeState = RUNNING;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<KnownExchangeState> | undefined;
  return {
    async current() {
      if (now() - readAt < ttlMs) return cached;
      reading ??= readExchangeState(db)
        .then((state) => {
          cached = state;
          readAt = now();
          return state;
        })
        .finally(() => {
          reading = undefined;
        });
      return reading;
    },
  };
}
