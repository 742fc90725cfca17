import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServiceApp } from './app.js';
import { createIdentityRegistry, hashApiKey } from './auth.js';
import { createLogger } from './logger.js';

// What the hostile-input suite (test/hostile) found at the edge of every service, pinned here: each used to
// answer a 500 or a body outside the platform's.

const KEY = 'tck_edges_key_0001';
const registry = createIdentityRegistry([
  { id: 'op-1', role: 'formation-operator', contour: 'formation', keySha256: hashApiKey(KEY) },
]);
if (!registry.ok) throw new Error('test registry invalid');
const headers = { 'x-api-key': KEY };

let app: FastifyInstance;
let port: number;
beforeAll(async () => {
  if (!registry.ok) throw new Error('unreachable');
  app = await buildServiceApp({
    service: 'edges-test',
    logger: createLogger({ service: 'test', level: 'silent' }),
    auth: { contour: 'formation', registry: registry.value },
    metrics: { defaultMetrics: false },
  });
  app.get(
    '/v1/items/:id',
    {
      config: { roles: ['formation-operator'] },
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100 },
            from: { type: 'string', format: 'date-time' },
            day: { type: 'string', format: 'date' },
          },
        },
      },
    },
    async (request) => ({ query: request.query }),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await app.close();
});

describe('query values ajv would let through', () => {
  it.each([
    ['limit=1e999', 'PLT_FIELD_TYPE'],
    ['limit=Infinity', 'PLT_FIELD_TYPE'],
    ['from=0000-01-01T00:00:00Z', 'PLT_FIELD_FORMAT'],
    ['from=2016-12-31T23:59:60Z', 'PLT_FIELD_FORMAT'],
    ['day=0000-01-01', 'PLT_FIELD_FORMAT'],
  ])('%s → 400 PLT_VALIDATION (%s)', async (query, detail) => {
    const res = await app.inject({ url: `/v1/items/a?${query}`, headers });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'PLT_VALIDATION', details: [{ code: detail }] });
  });

  it('still takes ordinary values', async () => {
    const res = await app.inject({
      url: '/v1/items/a?limit=1e2&from=2025-04-15T10:00:00%2B03:00&day=2025-04-15',
      headers,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().query).toEqual({ limit: 100, from: '2025-04-15T10:00:00+03:00', day: '2025-04-15' });
  });
});

describe('URLs the router cannot take', () => {
  it.each([
    ['/v1/items/%ZZ', 400, 'PLT_BAD_REQUEST'],
    ['/v1/items/%C0%AF', 400, 'PLT_BAD_REQUEST'],
    [`/v1/items/${'a'.repeat(257)}`, 414, 'PLT_URL_TOO_LONG'],
  ])('%s → %i %s in the platform body', async (url, status, code) => {
    const res = await app.inject({ url, headers });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ statusCode: status, code });
    expect(typeof res.json().requestId).toBe('string');
  });

  it('takes an id up to 256 characters to the route (its schema decides)', async () => {
    const res = await app.inject({ url: `/v1/items/${'a'.repeat(200)}`, headers });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('PLT_VALIDATION');
  });
});

/** Sends raw bytes on a new connection; resolves with everything the server wrote before it closed. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes, 'latin1'));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('requests node’s HTTP parser refuses', () => {
  it.each([
    ['a garbage request line', 'GARBAGE\r\n\r\n', 400, 'PLT_BAD_REQUEST'],
    [
      'Content-Length and Transfer-Encoding together',
      'POST /v1/items/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'PLT_BAD_REQUEST',
    ],
    [
      'a bad chunk size',
      'POST /v1/items/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      400,
      'PLT_BAD_REQUEST',
    ],
    [
      'a header over 16 KiB',
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'PLT_HEADERS_TOO_LARGE',
    ],
  ])('%s → %i %s, then the connection closes', async (_name, bytes, status, code) => {
    const answer = await raw(bytes);
    expect(answer.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ statusCode: status, code });
    // The service lives on.
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
  });
});
