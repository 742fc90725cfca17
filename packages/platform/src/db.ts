import pg from 'pg';
import type { Logger } from 'pino';
import type { ReadinessCheck } from './app.js';

/** A pg pool. */
export type Pool = pg.Pool;
/** A client checked out of a pool (inside a transaction when given to a callback of this package). */
export type PoolClient = pg.PoolClient;
/** Anything that runs a query: a pool or a checked-out client. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Options of {@link createPool}. */
export interface PoolOptions {
  /** `postgres://user@host:port/db`; when absent, pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE. */
  connectionString?: string;
  /** Largest number of connections; default 10. */
  max?: number;
  /** Shown in `pg_stat_activity` (the service name). */
  applicationName?: string;
  /** Server-side limit per statement; default 30 s, so a stuck query cannot hold a connection forever. */
  statementTimeoutMs?: number;
  /** Time to wait for a connection; default 5 s. */
  connectionTimeoutMs?: number;
  /** Idle connections are closed after this; default 30 s. */
  idleTimeoutMs?: number;
  /** Receives errors of idle connections (a restarted server); without a listener they would crash the process. */
  logger?: Logger;
  /** TLS options passed to pg as is. */
  ssl?: pg.PoolConfig['ssl'];
}

/** A pg pool with the platform's defaults and an error listener on idle connections. */
export function createPool(options: PoolOptions = {}): Pool {
  const config: pg.PoolConfig = {
    max: options.max ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
  };
  if (options.connectionString !== undefined) config.connectionString = options.connectionString;
  if (options.applicationName !== undefined) config.application_name = options.applicationName;
  if (options.ssl !== undefined) config.ssl = options.ssl;
  const pool = new pg.Pool(config);
  pool.on('error', (error) => {
    // An idle client lost its connection; the pool drops it and opens a new one on demand.
    options.logger?.warn({ err: error }, 'idle PostgreSQL connection failed');
  });
  // The pool listens only while a client is idle. A client checked out (a transaction awaiting a signature,
  // an HTTP call) whose server restarts emits 'error' with no listener, which would crash the process
  // (issue 8 fault suite). Its queries reject anyway, and the pool discards a client that is no longer
  // queryable when it is released.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      options.logger?.warn({ err: error }, 'PostgreSQL connection failed while in use');
    });
  });
  return pool;
}

/** Isolation levels of {@link withTransaction}. */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/** Options of {@link withTransaction}. */
export interface TransactionOptions {
  /** Default `read committed`. */
  isolation?: IsolationLevel;
  /** Times to retry after a serialization failure or deadlock (SQLSTATE 40001 / 40P01); default 0. */
  retries?: number;
}

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/**
 * Runs `fn` inside one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws
 * (the error is re-thrown). A client whose ROLLBACK fails is destroyed rather than returned to the pool.
 */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 0;
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${(options.isolation ?? 'read committed').toUpperCase()}`);
      const value = await fn(client);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      const sqlstate = (error as { code?: unknown }).code;
      if (attempt < retries && typeof sqlstate === 'string' && RETRYABLE_SQLSTATES.has(sqlstate)) continue;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** A readiness check running `select 1` on the pool. */
export function pgReadiness(pool: Pool): ReadinessCheck {
  return async () => {
    await pool.query('select 1');
  };
}
