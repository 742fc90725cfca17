// The simulator's mTLS intake (POST /v1/exchange, GET /v1/exchange/answers) over a real TLS socket:
// handshakes without or with the wrong certificate, plain HTTP on the TLS port, wrong methods, paths,
// content types and references, oversized bodies, random and damaged CMS EnvelopedData (fast-check), and
// well-encrypted hostile contents (DTDs, random bytes, damaged КА envelopes). Every answer is a SIM_* code
// with its catalog status, nothing crashes, and the received table grows by exactly one complete row per
// envelope answered 202 or 422 (the Bank of Russia keeps what it was sent, readable or not).

import { request } from 'node:https';
import { connect } from 'node:net';
import { encryptFor, loadSigner, readDevIdentity, wrapEnvelope } from '@twincontour/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SIMULATOR_CODES } from '../../../services/cbr-simulator/src/errors.js';
import { participantEnvelope } from '../../../services/cbr-simulator/src/testing.js';
import { DTD_DOCUMENTS, sample } from '../support/inputs.js';
import { judge } from '../support/judge.js';
import { rowCounts, type Stack } from '../support/stack.js';
import type { Tally } from '../support/tally.js';

interface Answer {
  statusCode: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request to the intake; resolves with the answer, or with the socket error when the handshake fails. */
function exchange(
  port: number,
  tls: { key?: string; cert?: string; ca: string },
  options: { method: string; path: string; headers?: Record<string, string>; body?: Uint8Array | string },
): Promise<Answer | { error: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
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
        res.on('end', () =>
          resolve({
            statusCode: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', (error) => resolve({ error: error.message }));
      },
    );
    req.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
    req.end(options.body === undefined ? undefined : Buffer.from(options.body));
  });
}

/** The mTLS intake tests, over the stack `current()` returns. */
export function intakeFuzz(current: () => Stack, tally: Tally): void {
  describe('the simulator’s mTLS intake', () => {
    it('refuses every hostile exchange with a SIM_* code, never crashes, and keeps exactly what it answered for', async () => {
      const { intake, services } = current();
      const { pool } = services['cbr-simulator'];
      const before = await rowCounts(pool);
      const problems: string[] = [];
      let stored = 0;
      const tls = intake.clientTls;
      const send = async (
        kind: string,
        options: Parameters<typeof exchange>[2],
        expect?: { status?: number; code?: string },
        client: Parameters<typeof exchange>[1] = tls,
      ) => {
        tally.count(kind);
        const answer = await exchange(intake.port, client, options);
        const what = `intake ${options.method} ${options.path} [${kind}]`;
        if ('error' in answer) {
          if (expect?.status !== 0) problems.push(`${what}: connection failed (${answer.error})`);
          return undefined;
        }
        problems.push(...judge(tally, SIMULATOR_CODES, what, answer));
        if (expect?.status !== undefined && answer.statusCode !== expect.status) {
          problems.push(`${what}: ${answer.statusCode}, expected ${expect.status} ${answer.body.slice(0, 200)}`);
        }
        if (expect?.code !== undefined && !answer.body.includes(`"${expect.code}"`)) {
          problems.push(`${what}: expected ${expect.code}, got ${answer.body.slice(0, 200)}`);
        }
        const replayed = answer.headers['idempotent-replayed'] === 'true';
        if ((answer.statusCode === 202 || answer.statusCode === 422) && !replayed) stored += 1;
        return answer;
      };
      const post = (body: Uint8Array | string, headers: Record<string, string> = {}) => ({
        method: 'POST',
        path: '/v1/exchange',
        headers: { 'content-type': 'application/cms', ...headers },
        body,
      });

      // The handshake: no client certificate, then a certificate of the CA that is not the participant's.
      await send('tls-no-client-certificate', post('x'), { status: 0 }, { ca: intake.ca });
      const formation = await loadSigner('formation', { pkiDir: current().pki });
      const stranger = await readDevIdentity(current().pki, 'formation');
      if (!formation.ok || !stranger.ok) throw new Error('dev identities');
      await send(
        'tls-wrong-client-certificate',
        post('x'),
        { status: 403, code: 'SIM_CLIENT_FORBIDDEN' },
        {
          ca: intake.ca,
          key: stranger.value.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          cert: stranger.value.certificatePem,
        },
      );
      // Plain HTTP and garbage on the TLS port: the socket closes, the server lives on.
      for (const garbage of [
        'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
        '\x16\x03\x01\xff\xff',
        'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      ]) {
        tally.count('tls-garbage');
        await new Promise<void>((resolve) => {
          const socket = connect(intake.port, '127.0.0.1', () => socket.end(garbage, 'latin1'));
          socket.on('error', () => resolve());
          socket.on('close', () => resolve());
          socket.resume();
        });
      }

      // Routes, methods, headers, parameters.
      await send(
        'wrong-method',
        { method: 'GET', path: '/v1/exchange' },
        { status: 405, code: 'SIM_METHOD_NOT_ALLOWED' },
      );
      await send('wrong-method', { method: 'DELETE', path: '/v1/exchange/answers' }, { status: 405 });
      for (const path of ['/', '/v1', '/v1/exchange/', '/v1/exchange/x', '/%ZZ', `/${'a'.repeat(8000)}`]) {
        await send('path', { method: 'GET', path }, { status: 404, code: 'SIM_NOT_FOUND' });
      }
      for (const contentType of [
        '',
        'application/octet-stream',
        'application/json',
        'text/plain',
        'application/cms-x',
        'multipart/form-data',
      ]) {
        const headers: Record<string, string> = contentType === '' ? {} : { 'content-type': contentType };
        await send('wrong-content-type', { method: 'POST', path: '/v1/exchange', headers, body: 'x' }, { status: 415 });
      }
      for (const ref of [
        'x',
        '4525545000-2025-04-15-0',
        '4525545000-2025-04-15-1234567890',
        `${'9'.repeat(10)}-9999-99-99-1\r\nX: y`.replace(/\r\n.*/, '-'),
        '../../etc',
      ]) {
        await send('bad-ed-ref', post('x', { 'x-ed-ref': ref }), { status: 400, code: 'SIM_BAD_REQUEST' });
      }
      for (const query of [
        'after=-1',
        'after=1e3',
        'after=99999999999999999999',
        'limit=0',
        'limit=1001',
        'limit=abc',
        'after=%00',
        'limit=',
      ]) {
        await send(
          'query',
          { method: 'GET', path: `/v1/exchange/answers?${query}` },
          { status: 400, code: 'SIM_BAD_REQUEST' },
        );
      }
      await send('oversized', post(new Uint8Array(intake.bodyLimit + 1)), { status: 413, code: 'SIM_BODY_TOO_LARGE' });
      await send('oversized', post(new Uint8Array(intake.bodyLimit * 8)), { status: 413, code: 'SIM_BODY_TOO_LARGE' });

      // Random and damaged CMS: refused as unreadable (and kept).
      const { envelope } = await participantEnvelope({
        edNo: '31001',
        formation: formation.value,
        secondZk: null,
        ka: formation.value,
      });
      const enveloped = await encryptFor(envelope, intake.keys.certificateDer);
      for (const bytes of sample(fc.uint8Array({ minLength: 1, maxLength: 600 }), 40, 71)) {
        await send('random-cms', post(bytes), { status: 422, code: 'SIM_ENVELOPE_UNREADABLE' });
      }
      for (const cut of sample(fc.integer({ min: 1, max: enveloped.length - 1 }), 20, 72)) {
        await send('truncated-cms', post(enveloped.slice(0, cut)), { status: 422 });
      }
      for (const [at, xor] of sample(
        fc.tuple(fc.nat({ max: enveloped.length - 1 }), fc.integer({ min: 1, max: 255 })),
        20,
        73,
      )) {
        const flipped = Uint8Array.from(enveloped);
        flipped[at] = (flipped[at] ?? 0) ^ xor;
        // A flip in the ciphertext may still open (CBC has no integrity): then the КА check refuses it (202, a
        // negative ED201); anywhere else it is unreadable (422).
        const answer = await send('bit-flipped-cms', post(flipped));
        if (answer && answer.statusCode !== 202 && answer.statusCode !== 422) {
          problems.push(`bit-flipped-cms: ${answer.statusCode}`);
        }
      }

      // Well encrypted, hostile inside: answered 202 with a refusing ED201, nothing expanded.
      const inner: Uint8Array[] = [
        ...DTD_DOCUMENTS.map((d) => new Uint8Array(Buffer.from(d.xml))),
        ...sample(fc.uint8Array({ maxLength: 300 }), 10, 74),
        envelope.slice(0, Math.floor(envelope.length / 2)),
        await wrapEnvelope(new Uint8Array(Buffer.from(DTD_DOCUMENTS[0]?.xml ?? '')), formation.value),
      ];
      for (const content of inner) {
        const body = await encryptFor(content, intake.keys.certificateDer);
        const answer = await send('encrypted-hostile-content', post(body), {
          status: body.length > intake.bodyLimit ? 413 : 202,
        });
        if (answer && answer.statusCode === 202) expect(JSON.parse(answer.body).ctrlCode).not.toBe('0000');
      }

      // Replays: the same envelope under the same reference is the first receipt; without one, a duplicate.
      const ref = { 'x-ed-ref': '4525545000-2025-04-15-31001' };
      const first = await send('replay-envelope', post(enveloped, ref), { status: 202 });
      const again = await send('replay-envelope', post(enveloped, ref), { status: 200 });
      if (first && again) expect(JSON.parse(again.body).id).toBe(JSON.parse(first.body).id);

      expect(problems).toEqual([]);
      // Still serving, and one complete row per envelope it answered for.
      const alive = await exchange(intake.port, tls, { method: 'GET', path: '/v1/exchange/answers' });
      expect('statusCode' in alive && alive.statusCode).toBe(200);
      const after = await rowCounts(pool);
      expect((after.received ?? 0) - (before.received ?? 0)).toBe(stored);
      const incomplete = await pool.query(
        "select id from received where state <> 'unreadable' and id not in (select received_id from answers)",
      );
      expect(incomplete.rows).toEqual([]);
    });
  });
}
