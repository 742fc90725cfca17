import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServiceApp } from './app.js';
import {
  type AuthFailureEvent,
  createIdentityRegistry,
  generateApiKey,
  hashApiKey,
  type IdentityRecord,
  type IdentityRegistry,
} from './auth.js';
import { createLogger } from './logger.js';

const KEY = {
  backoffice: 'tck_bo_formation_key',
  officer: 'tck_officer_formation_key',
  controlOperator: 'tck_control_operator_key',
};
const records: IdentityRecord[] = [
  { id: 'bo-1', role: 'backoffice', contour: 'formation', keySha256: hashApiKey(KEY.backoffice) },
  { id: 'so-1', role: 'security-officer', contour: 'formation', keySha256: hashApiKey(KEY.officer) },
  // Same gateway, other contour: 802-П прил. 1.1 keeps its staff out of formation.
  { id: 'co-1', role: 'control-operator', contour: 'control', keySha256: hashApiKey(KEY.controlOperator) },
];

function registryOf(list: readonly IdentityRecord[]): IdentityRegistry {
  const result = createIdentityRegistry(list);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

describe('hashApiKey and generateApiKey', () => {
  it('is SHA-256 hex (published test vector)', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('generates distinct keys whose hash is the one returned', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).not.toBe(b.key);
    expect(hashApiKey(a.key)).toBe(a.keySha256);
    expect(a.key.length).toBeGreaterThan(40);
  });
});

describe('createIdentityRegistry', () => {
  it('reports every problem at once', () => {
    const result = createIdentityRegistry([
      { id: 'a', role: 'ops', contour: 'formation', keySha256: 'a'.repeat(64) },
      { id: 'a', role: 'root' as never, contour: 'formation', keySha256: 'A'.repeat(64) },
      { id: 'c', role: 'ops', contour: '' },
      { id: 'd', role: 'ops', contour: 'control', keySha256: 'xyz' },
      { id: 'e', role: 'ops', contour: 'control', certSha256: `${'ab:'.repeat(31)}ab` },
      { id: 'f', role: 'ops', contour: 'control', certSha256: 'AB'.repeat(32) },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('AUTH_REGISTRY_INVALID');
    expect(result.errors?.map((e) => e.path)).toEqual([
      '[1].id',
      '[1].role',
      '[1].keySha256',
      '[2].contour',
      '[2]',
      '[3].keySha256',
      '[5].certSha256',
    ]);
  });

  it('finds each key and nothing else (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (keys, probe) => {
          const registry = registryOf(
            keys.map((k, i) => ({ id: `id-${i}`, role: 'ops', contour: 'formation', keySha256: hashApiKey(k) })),
          );
          keys.forEach((k, i) => {
            expect(registry.findByApiKey(k)?.id).toBe(`id-${i}`);
          });
          if (!keys.includes(probe)) expect(registry.findByApiKey(probe)).toBeUndefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses empty and oversized keys without a match', () => {
    const registry = registryOf([{ id: 'x', role: 'ops', contour: 'c', keySha256: hashApiKey('k'.repeat(600)) }]);
    expect(registry.findByApiKey('')).toBeUndefined();
    expect(registry.findByApiKey('k'.repeat(600))).toBeUndefined();
  });
});

describe('installAuth over HTTP', () => {
  const events: AuthFailureEvent[] = [];
  const lines: string[] = [];
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await buildServiceApp({
      service: 'formation',
      logger: createLogger({ service: 'formation', destination: { write: (l: string) => void lines.push(l) } }),
      auth: {
        contour: 'formation',
        registry: registryOf(records),
        onAuthFailure: async (event) => {
          events.push(event);
        },
      },
      metrics: { defaultMetrics: false },
    });
    app.get('/v1/orders', { config: { roles: ['backoffice'] } }, async (request) => request.identity);
    app.get('/v1/audit', { config: { roles: ['security-officer', 'ops'] } }, async (request) => request.identity);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([
    ['no credential', {}, '/v1/orders', 401, 'AUTH_REQUIRED'],
    ['unknown key (Authorization)', { authorization: 'ApiKey tck_nobody' }, '/v1/orders', 401, 'AUTH_INVALID'],
    ['unknown key (X-Api-Key)', { 'x-api-key': 'tck_nobody' }, '/v1/orders', 401, 'AUTH_INVALID'],
    ['unsupported scheme', { authorization: `Bearer ${KEY.backoffice}` }, '/v1/orders', 401, 'AUTH_INVALID'],
    [
      'two different keys',
      { authorization: `ApiKey ${KEY.backoffice}`, 'x-api-key': KEY.officer },
      '/v1/orders',
      401,
      'AUTH_INVALID',
    ],
    ['wrong role', { 'x-api-key': KEY.officer }, '/v1/orders', 403, 'AUTH_FORBIDDEN'],
    ['other contour', { 'x-api-key': KEY.controlOperator }, '/v1/orders', 403, 'AUTH_WRONG_CONTOUR'],
    ['other contour, unknown URL', { 'x-api-key': KEY.controlOperator }, '/v1/zzz', 403, 'AUTH_WRONG_CONTOUR'],
    ['no credential, unknown URL', {}, '/v1/zzz', 401, 'AUTH_REQUIRED'],
    ['valid key, unknown URL', { 'x-api-key': KEY.officer }, '/v1/zzz', 404, 'PLT_NOT_FOUND'],
  ])('%s: %j %s → %i %s', async (_name, headers, url, status, code) => {
    const res = await app.inject({ method: 'GET', url, headers });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ statusCode: status, code });
    if (status === 401) expect(res.headers['www-authenticate']).toBe('ApiKey');
  });

  it.each([
    ['Authorization: ApiKey', { authorization: `ApiKey ${KEY.backoffice}` }],
    ['Authorization: apikey (any case)', { authorization: `apikey   ${KEY.backoffice}` }],
    ['X-Api-Key', { 'x-api-key': KEY.backoffice }],
    ['both, same key', { authorization: `ApiKey ${KEY.backoffice}`, 'x-api-key': KEY.backoffice }],
  ])('accepts %s', async (_name, headers) => {
    const res = await app.inject({ method: 'GET', url: '/v1/orders', headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: 'bo-1', role: 'backoffice', contour: 'formation', via: 'api-key' });
  });

  it('lets a role in only where the route allows it', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/audit', headers: { 'x-api-key': KEY.officer } });
    expect(res.json()).toMatchObject({ id: 'so-1' });
    const head = await app.inject({ method: 'HEAD', url: '/v1/audit', headers: { 'x-api-key': KEY.backoffice } });
    expect(head.statusCode).toBe(403);
  });

  it('reports each refusal through onAuthFailure and the log, never with the key', async () => {
    events.length = 0;
    await app.inject({ method: 'GET', url: '/v1/orders?secret=1', headers: { 'x-api-key': 'tck_guess_1' } });
    await app.inject({ method: 'GET', url: '/v1/orders', headers: { 'x-api-key': KEY.controlOperator } });
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      code: 'AUTH_INVALID',
      contour: 'formation',
      method: 'GET',
      path: '/v1/orders',
      route: '/v1/orders',
      credential: 'api-key',
      keyFingerprint: hashApiKey('tck_guess_1').slice(0, 16),
    });
    expect(events[1]).toMatchObject({
      code: 'AUTH_WRONG_CONTOUR',
      identityId: 'co-1',
      identityRole: 'control-operator',
      identityContour: 'control',
    });
    const text = JSON.stringify(events) + lines.join('');
    for (const key of [...Object.values(KEY), 'tck_guess_1']) expect(text).not.toContain(key);
    expect(lines.some((l) => l.includes('"code":"AUTH_WRONG_CONTOUR"'))).toBe(true);
  });

  it('refuses to register a route that declares no roles, or an unknown role', async () => {
    const other = await buildServiceApp({
      service: 's',
      logger: createLogger({ service: 's', level: 'silent' }),
      auth: { contour: 'formation', registry: registryOf(records) },
      metrics: { defaultMetrics: false },
    });
    expect(() => other.get('/v1/forgotten', async () => 'open')).toThrow(
      /declares neither config.roles nor config.public/,
    );
    other.register(async (scope) => {
      scope.get('/v1/x', { config: { roles: ['root' as never] } }, async () => 'x');
    });
    await expect(other.ready()).rejects.toThrow(/unknown role root/);
    await other.close();
  });
});

describe('client certificates (mTLS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-mtls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  let app: FastifyInstance;
  let port = 0;

  /** A P-256 key and a certificate signed by `issuer` (or self-signed). */
  function issue(name: string, cn: string, issuer?: string, serverSan?: string): void {
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file(`${name}.key`));
    if (!issuer) {
      openssl(
        'req',
        '-new',
        '-x509',
        '-key',
        file(`${name}.key`),
        '-subj',
        `/CN=${cn}`,
        '-days',
        '2',
        '-out',
        file(`${name}.crt`),
      );
      return;
    }
    openssl('req', '-new', '-key', file(`${name}.key`), '-subj', `/CN=${cn}`, '-out', file(`${name}.csr`));
    const ext = file(`${name}.ext`);
    execFileSync('sh', [
      '-c',
      `printf '%s\\n' "${serverSan ? `subjectAltName=${serverSan}` : 'extendedKeyUsage=clientAuth'}" > ${ext}`,
    ]);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${issuer}.crt`),
      '-CAkey',
      file(`${issuer}.key`),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      file(`${name}.crt`),
    );
  }
  const pem = (name: string) => readFileSync(file(name), 'utf8');
  const thumbprint = (name: string) => new X509Certificate(pem(`${name}.crt`)).fingerprint256;

  function get(path: string, client?: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          headers,
          ca: pem('ca.crt'),
          ...(client ? { key: pem(`${client}.key`), cert: pem(`${client}.crt`) } : {}),
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  beforeAll(async () => {
    issue('ca', 'TwinContour test CA');
    issue('server', 'localhost', 'ca', 'IP:127.0.0.1');
    issue('alice', 'alice', 'ca');
    issue('carol', 'carol', 'ca');
    issue('mallory', 'alice');
    app = await buildServiceApp({
      service: 'transport',
      logger: createLogger({ service: 'transport', level: 'silent' }),
      auth: {
        contour: 'transport',
        registry: registryOf([
          { id: 'alice', role: 'service', contour: 'transport', certSha256: thumbprint('alice') },
          { id: 'carol', role: 'service', contour: 'control', certSha256: thumbprint('carol') },
          // Registered, but not issued by the trusted CA: the thumbprint alone is not enough.
          { id: 'mallory', role: 'service', contour: 'transport', certSha256: thumbprint('mallory') },
          { id: 'ops-1', role: 'ops', contour: 'transport', keySha256: hashApiKey('tck_ops') },
        ]),
      },
      https: {
        key: pem('server.key'),
        cert: pem('server.crt'),
        ca: pem('ca.crt'),
        requestCert: true,
        rejectUnauthorized: false,
      },
      metrics: { defaultMetrics: false },
    });
    app.get('/v1/who', { config: { roles: ['service', 'ops'] } }, async (request) => request.identity);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('authenticates a CA-verified client certificate by its thumbprint', async () => {
    const res = await get('/v1/who', 'alice');
    expect(res).toEqual({
      status: 200,
      body: { id: 'alice', role: 'service', contour: 'transport', via: 'client-certificate' },
    });
  });

  it('refuses the certificate of an identity of another contour', async () => {
    expect((await get('/v1/who', 'carol')).body.code).toBe('AUTH_WRONG_CONTOUR');
  });

  it('ignores a certificate the CA did not issue, even with a registered thumbprint', async () => {
    expect((await get('/v1/who', 'mallory')).body.code).toBe('AUTH_REQUIRED');
  });

  it('still accepts an API key without a certificate, and documents mutualTLS', async () => {
    const res = await get('/v1/who', undefined, { 'x-api-key': 'tck_ops' });
    expect(res.body).toMatchObject({ id: 'ops-1', via: 'api-key' });
    const doc = await get('/openapi.json');
    const paths = doc.body.paths as Record<string, { get: { security: unknown[] } }>;
    expect(paths['/v1/who']?.get.security).toContainEqual({ clientCertificate: [] });
  });
});
