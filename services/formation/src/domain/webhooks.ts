import { createHmac, randomBytes } from 'node:crypto';
import type { EdRefPayload, RequisiteDiff } from '@twincontour/platform';
import type { StageRecord } from './stages.js';

/**
 * Stage webhooks (4600-У п. 2.2.3: the sender is told each stage a document passes): the body of one
 * event, its signature, the retry schedule and the checks on a subscription URL. Pure: no I/O.
 */

/** The event name of every stage webhook. */
export const STAGE_EVENT = 'order.stage';

/** Header carrying the delivery id (stable across retries: the receiver dedupes on it). */
export const DELIVERY_HEADER = 'X-TwinContour-Delivery';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export const SIGNATURE_HEADER = 'X-TwinContour-Signature';

/** Longest subscription URL. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** The body of one stage event as the receiver gets it. */
export interface StageEvent {
  event: typeof STAGE_EVENT;
  deliveryId: string;
  orderId: string;
  ed: EdRefPayload;
  stage: StageRecord['stage'];
  at: string;
  code?: string;
  reason?: string;
  diff?: RequisiteDiff[];
}

/**
 * The exact body of one delivery (JSON text). It is made once, when the stage is recorded, and stored:
 * every retry sends the same bytes with the same delivery id.
 */
export function stageEventBody(deliveryId: string, orderId: string, ed: EdRefPayload, stage: StageRecord): string {
  const event: StageEvent = {
    event: STAGE_EVENT,
    deliveryId,
    orderId,
    ed: { edNo: ed.edNo, edDate: ed.edDate, edAuthor: ed.edAuthor },
    stage: stage.stage,
    at: stage.at,
  };
  if (stage.code !== undefined) event.code = stage.code;
  if (stage.reason !== undefined) event.reason = stage.reason;
  if (stage.diff !== undefined) event.diff = stage.diff;
  return JSON.stringify(event);
}

/** A new subscription secret: 32 random bytes, base64url (43 characters). */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The signature header value for one attempt: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, keyed with the
 * secret exactly as shown to the subscriber (its base64url text, UTF-8), over `"<t>.<raw body>"`. The
 * time is inside the MAC so a receiver can refuse old replays.
 */
export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Retry schedule of failed deliveries. */
export interface Backoff {
  /** Delay after the first failure (before jitter). */
  baseMs: number;
  /** Largest delay. */
  maxMs: number;
}

/**
 * Delay before the next attempt after `attempt` failed attempts (1, 2, …): exponential
 * (`base · 2^(attempt−1)`, capped at `max`) with "equal jitter" — a random point in the upper half —
 * so that a receiver coming back is not hit by every pending delivery at the same instant, while the
 * delay still grows. `random` returns [0, 1).
 */
export function backoffDelayMs(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 52);
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** exponent);
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}

/** Why a subscription URL is refused. */
export type WebhookUrlProblem = 'too-long' | 'not-a-url' | 'scheme' | 'credentials';

/**
 * Checks a subscription URL: absolute http or https, at most 2048 characters, no user name or
 * password in it (the URL is stored in clear and shown in GET; the signature authenticates instead).
 */
export function checkWebhookUrl(text: string): { ok: true; value: string } | { ok: false; problem: WebhookUrlProblem } {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) return { ok: false, problem: 'too-long' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, problem: 'not-a-url' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, problem: 'scheme' };
  if (url.hostname === '') return { ok: false, problem: 'not-a-url' };
  if (url.username !== '' || url.password !== '') return { ok: false, problem: 'credentials' };
  return { ok: true, value: text };
}
