import type { KeyObject } from 'node:crypto';
import { Agent, request } from 'node:https';
import { decrypt, encryptFor, toPem } from '@twincontour/crypto';
import { fail, ok, type Result } from '@twincontour/platform';
import { edRef } from '../../domain/handover.js';
import type { AnswerOutcome, DeliveryAdapter, IncomingAnswer, OutgoingFile, PreparedFile } from './types.js';

/** Where the https channel keeps its answer cursor (PostgreSQL in the service, so a restart resumes). */
export interface CursorStore {
  load(): Promise<string | undefined>;
  save(cursor: string): Promise<void>;
}

/** Options of {@link createHttpsAdapter}. */
export interface HttpsAdapterOptions {
  channel: 'https' | 'simulator';
  /** Base URL of the peer, e.g. https://127.0.0.1:8444. */
  peerUrl: string;
  /** CA certificate(s), PEM, the peer's TLS certificate must chain to. */
  caPem: string;
  /** TLS server name checked against the peer certificate (the dev cbr certificate has DNS names only). */
  servername?: string | undefined;
  /** Transport's own key and certificate: the TLS client identity and the recipient of the answers. */
  clientKey: KeyObject;
  clientCertificateDer: Uint8Array;
  /** The certificate envelopes are encrypted to (the Bank of Russia's, or the simulator's cbr). */
  recipientCertificateDer: Uint8Array;
  timeoutMs: number;
  cursor: CursorStore;
}

/** Largest answer list body read from the peer. */
const MAX_BODY = 32 * 1024 * 1024;
const ITEM_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

interface HttpAnswer {
  status: number;
  body: Buffer;
}

/**
 * The HTTPS peer channel (802-П п. 14.3: application-level encryption over a mutually authenticated
 * channel). `prepare` encrypts the КА envelope to the peer's certificate (CMS EnvelopedData,
 * `encryptFor`); the result is stored before the first attempt, so every attempt sends the same bytes.
 * `deliver` POSTs them to `<peer>/v1/exchange` over mutual TLS (`Content-Type: application/cms`,
 * `X-Ed-Ref: <edAuthor>-<edDate>-<edNo>`: the peer's idempotency key). Answers: GET
 * `<peer>/v1/exchange/answers?after=<cursor>` → `{ items: [{ id, envelopeBase64 }], next }`, each an
 * EnvelopedData to transport's certificate; the cursor advances once the last item of a batch is acked.
 */
export function createHttpsAdapter(options: HttpsAdapterOptions): DeliveryAdapter {
  const base = options.peerUrl.replace(/\/+$/, '');
  const agent = new Agent({
    keepAlive: true,
    key: options.clientKey.export({ type: 'pkcs8', format: 'pem' }),
    cert: toPem('CERTIFICATE', options.clientCertificateDer),
    ca: options.caPem,
    ...(options.servername ? { servername: options.servername } : {}),
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
  /** Cursor to save once the answer with this ref is acked (the last of its batch). */
  const cursorAfter = new Map<string, string>();

  function call(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: Uint8Array) {
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        {
          method,
          agent,
          headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
          timeout: options.timeoutMs,
          ...(options.servername ? { servername: options.servername } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY) {
              res.destroy(new Error('answer body too large'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body ? Buffer.from(body) : undefined);
    });
  }

  const why = (error: unknown): string =>
    error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : 'failed';

  return {
    channel: options.channel,
    async prepare(file: OutgoingFile): Promise<PreparedFile> {
      const wire = await encryptFor(file.bytes, options.recipientCertificateDer);
      return { ...file, wire, wireKind: 'enveloped-data' };
    },
    async deliver(file: PreparedFile): Promise<Result<{ reference: string }>> {
      const ref = edRef(file.ed);
      let answer: HttpAnswer;
      try {
        answer = await call(
          'POST',
          '/v1/exchange',
          { 'content-type': 'application/cms', 'x-ed-ref': ref, accept: 'application/json' },
          file.wire,
        );
      } catch (error) {
        return fail('TRN_DELIVERY_FAILED', `the peer could not be reached: ${why(error)}`);
      }
      if (answer.status < 200 || answer.status > 299) {
        return fail('TRN_DELIVERY_FAILED', `the peer answered ${answer.status}`);
      }
      let reference = ref;
      try {
        const json = JSON.parse(answer.body.toString('utf8')) as { id?: unknown };
        if (typeof json.id === 'string' && ITEM_ID.test(json.id)) reference = json.id;
      } catch {
        // A 2xx without a JSON id: the ED reference is the reference.
      }
      return ok({ reference });
    },
    async fetchAnswers(): Promise<Result<IncomingAnswer[]>> {
      const after = await options.cursor.load();
      let answer: HttpAnswer;
      try {
        const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
        answer = await call('GET', `/v1/exchange/answers${query}`, { accept: 'application/json' });
      } catch (error) {
        return fail('TRN_ANSWER_FETCH_FAILED', `the peer could not be reached: ${why(error)}`);
      }
      if (answer.status !== 200) return fail('TRN_ANSWER_FETCH_FAILED', `the peer answered ${answer.status}`);
      let json: { items?: unknown; next?: unknown };
      try {
        json = JSON.parse(answer.body.toString('utf8')) as { items?: unknown; next?: unknown };
      } catch {
        return fail('TRN_ANSWER_FETCH_FAILED', 'the answer list is not JSON');
      }
      if (!Array.isArray(json.items)) return fail('TRN_ANSWER_FETCH_FAILED', 'the answer list has no items');
      const next =
        typeof json.next === 'string' && json.next.length > 0 && json.next.length <= 200 ? json.next : undefined;
      const items: IncomingAnswer[] = [];
      for (const item of json.items as unknown[]) {
        const { id, envelopeBase64 } = (item ?? {}) as { id?: unknown; envelopeBase64?: unknown };
        if (typeof id !== 'string' || !ITEM_ID.test(id) || typeof envelopeBase64 !== 'string') {
          return fail('TRN_ANSWER_FETCH_FAILED', 'an answer item is not { id, envelopeBase64 }');
        }
        const compact = envelopeBase64.replace(/\s+/g, '');
        // Kept as bytes even when not base64: the answer is then refused and archived like any other.
        const bytes = BASE64.test(compact) ? Buffer.from(compact, 'base64') : Buffer.from(envelopeBase64, 'utf8');
        items.push({ ref: id, bytes: new Uint8Array(bytes), kind: 'enveloped-data' });
      }
      if (next !== undefined && next !== after) {
        const last = items.at(-1);
        if (last) cursorAfter.set(last.ref, next);
        else await options.cursor.save(next);
      }
      return ok(items);
    },
    async ack(answer: IncomingAnswer, _outcome: AnswerOutcome): Promise<void> {
      const next = cursorAfter.get(answer.ref);
      if (next === undefined) return;
      cursorAfter.delete(answer.ref);
      await options.cursor.save(next);
    },
    async open(answer: IncomingAnswer): Promise<Result<Uint8Array>> {
      return decrypt(answer.bytes, options.clientKey, options.clientCertificateDer);
    },
    // 802-П п. 19.1: incident requests go to `<peer>/v1/exchange/incident` over the same mTLS channel.
    incident: {
      async send(body: Uint8Array): Promise<Result<{ status: number; body: Uint8Array }>> {
        try {
          const answer = await call(
            'POST',
            '/v1/exchange/incident',
            { 'content-type': 'application/json', accept: 'application/json' },
            body,
          );
          return ok({ status: answer.status, body: new Uint8Array(answer.body) });
        } catch (error) {
          return fail('INC_CHANNEL_FAILED', `the peer could not be reached: ${why(error)}`);
        }
      },
    },
    async close(): Promise<void> {
      agent.destroy();
    },
  };
}

/** Development defaults of the `simulator` channel (issue5.md): the dev PKI's cbr-simulator on 8444. */
export const SIMULATOR_DEFAULTS = Object.freeze({
  peerUrl: 'https://127.0.0.1:8444',
  servername: 'cbr-simulator',
});
