import type { Pool } from '@twincontour/platform';
import { createLoop } from '@twincontour/platform';
import type { Logger } from 'pino';

/** Options of {@link createAlertDelivery}. */
export interface AlertDeliveryOptions {
  pool: Pool;
  /** TWINCONTOUR_SECURITY_WEBHOOK_URL. */
  url: string;
  logger: Logger;
  /** First retry delay; doubles per failed attempt. */
  retryBaseMs: number;
  /** Longest delay between attempts. */
  retryMaxMs: number;
  /** Pause between runs when nothing was due; default 500 ms. */
  intervalMs?: number;
  /** Time one POST may take; default 5000 ms. */
  timeoutMs?: number;
  /** Alerts claimed per run; default 20. */
  batchSize?: number;
  /** Called once per failed attempt (metrics). */
  onFailure?: () => void;
}

/** What one run did. */
export interface AlertRunReport {
  delivered: number;
  failed: number;
}

/** The delivery loop: `runOnce` for tests, `start`/`stop` for the service. */
export interface AlertDelivery {
  runOnce(): Promise<AlertRunReport>;
  start(): void;
  /** Wakes the loop now (a refusal was just recorded). */
  nudge(): void;
  stop(): Promise<void>;
}

/**
 * Delivers security alerts from `security_alerts` to the webhook. An alert is never lost: it was
 * written in the refusal's transaction, and it stays until the webhook answers 2xx. Each run claims due
 * alerts with `FOR UPDATE SKIP LOCKED` and pushes their next attempt into the future before POSTing, so
 * several instances never send one alert at the same time and a crash mid-POST only delays it. A
 * failure schedules the next attempt at base × 2^(attempts−1), at most the maximum; attempts never stop.
 * The receiver may see an alert twice (at-least-once): `alertId` in the body identifies it.
 */
export function createAlertDelivery(options: AlertDeliveryOptions): AlertDelivery {
  const { pool, logger } = options;
  const intervalMs = options.intervalMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 5000;
  const batchSize = options.batchSize ?? 20;
  const lease = Math.max(timeoutMs * 2, 1000);

  async function claim(): Promise<{ id: string; body: unknown; attempts: number }[]> {
    const result = await pool.query<{ id: string; body: unknown; attempts: number }>(
      `with due as (
         select id from security_alerts
          where delivered_at is null and next_attempt_at <= now()
          order by next_attempt_at limit $1 for update skip locked)
       update security_alerts a set attempts = a.attempts + 1,
              next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
         from due where a.id = due.id
       returning a.id, a.body, a.attempts`,
      [batchSize, lease],
    );
    return result.rows;
  }

  async function send(body: unknown): Promise<string | undefined> {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      await response.body?.cancel();
      return response.ok ? undefined : `status ${response.status}`;
    } catch (error) {
      // Only the error class: a message could carry the URL and with it a token.
      return error instanceof Error ? error.name : 'error';
    }
  }

  async function runOnce(): Promise<AlertRunReport> {
    const report: AlertRunReport = { delivered: 0, failed: 0 };
    for (const alert of await claim()) {
      const problem = await send(alert.body);
      if (problem === undefined) {
        await pool.query('update security_alerts set delivered_at = now(), last_error = null where id = $1', [
          alert.id,
        ]);
        report.delivered += 1;
        continue;
      }
      const delay = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.min(alert.attempts - 1, 30));
      await pool.query(
        `update security_alerts set last_error = $2, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)
          where id = $1`,
        [alert.id, problem, delay],
      );
      report.failed += 1;
      options.onFailure?.();
      logger.error(
        { code: 'CTL_ALERT_DELIVERY_FAILED', alertId: alert.id, attempts: alert.attempts, problem, retryInMs: delay },
        'security alert not delivered; it will be retried',
      );
    }
    return report;
  }

  const loop = createLoop(
    'security-alerts',
    async () => {
      const r = await runOnce();
      return r.delivered + r.failed >= batchSize;
    },
    intervalMs,
    logger,
  );
  return { runOnce, start: loop.start, nudge: loop.nudge, stop: loop.stop };
}
