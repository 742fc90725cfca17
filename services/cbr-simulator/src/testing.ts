// Test fixtures of the simulator (imported by *.test.ts only): the participant's side of the exchange played
// by hand — the envelope exactly as control makes it (services/control/src/domain/seal.ts: ED101 from
// examples/payment-order.json, formation's ЗК, control's ЗК, control's КА), encrypted to the cbr certificate
// and posted over mTLS with the transport identity — and the independent checks of the answers.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { addZk, type Signer, wrapEnvelope } from '@twincontour/crypto';
import { type EdIdentity, orderToEd101, type PaymentOrder, writeEd101 } from '@twincontour/ufebs';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');

/** A fresh copy of examples/payment-order.json. */
export function exampleOrder(): PaymentOrder {
  return JSON.parse(readFileSync(join(EXAMPLES, 'payment-order.json'), 'utf8')) as PaymentOrder;
}

/** The development ED author (formation's default УИС). */
export const ED_AUTHOR = '4525545000';

/** How to build one participant envelope (defaults: a correct one). */
export interface EnvelopeOptions {
  edNo: string;
  edDate?: string;
  formation: Signer;
  /** Signer of the second ЗК (default control's). */
  secondZk: Signer | null;
  /** Signer of the КА (default control's). */
  ka: Signer;
  /** Changes the ED before any signature (a correctly signed ED that breaks the schema). */
  beforeSigning?: (xml: string) => string;
  /** Changes the ED after its ЗК, before the КА (a tampered ED under a valid КА). */
  afterZk?: (xml: string) => string;
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const fromLatin1 = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

/** The envelope control hands to transport for the example order with this identity. */
export async function participantEnvelope(options: EnvelopeOptions): Promise<{ envelope: Uint8Array; ed: EdIdentity }> {
  const ed = { edNo: options.edNo, edDate: options.edDate ?? '2025-04-15', edAuthor: ED_AUTHOR };
  const written = writeEd101(orderToEd101(exampleOrder(), ed));
  if (!written.ok) throw new Error(`${written.code}: ${written.message}`);
  // Windows-1251 bytes are edited as latin1 text: one byte per character, so nothing else changes.
  let file = options.beforeSigning ? fromLatin1(options.beforeSigning(latin1(written.value))) : written.value;
  for (const signer of [options.formation, options.secondZk]) {
    if (signer === null) continue;
    const signed = await addZk(file, signer);
    if (!signed.ok) throw new Error(`${signed.code}: ${signed.message}`);
    file = signed.value;
  }
  if (options.afterZk) file = fromLatin1(options.afterZk(latin1(file)));
  return { envelope: await wrapEnvelope(file, options.ka), ed };
}

/** The TLS client side: transport's key and certificate (or another), the dev CA, servername cbr-simulator. */
export interface ClientTls {
  key?: string;
  cert?: string;
  ca: string;
}

/** One HTTP answer. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** A request to the mTLS intake; rejects when the TLS handshake (or the connection) fails. */
export function exchangeRequest(
  port: number,
  tls: ClientTls,
  options: { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: Uint8Array },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        // The cbr certificate names cbr-simulator, cbr and localhost, no IP (issue5.md, TLS detail).
        servername: 'cbr-simulator',
        ca: tls.ca,
        ...(tls.key ? { key: tls.key } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body ? Buffer.from(options.body) : undefined);
  });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs openssl; exit status and output. */
export function openssl(args: string[]): { status: number; output: string; stdout: Buffer } {
  const r = spawnSync('openssl', args);
  return { status: r.status ?? 1, output: `${r.stdout?.toString('latin1')}${r.stderr?.toString()}`, stdout: r.stdout };
}

export { devCaFile as caFile, opensslVerifyEnvelope } from '@twincontour/crypto/testing';
