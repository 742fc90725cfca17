import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACT_PATHS, REDACTED, SECRET_FIELD_NAMES } from './logger.js';

/** An in-memory destination: every line pino writes. */
function memory() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

describe('createLogger', () => {
  it('writes JSON lines with the service, a level name and an ISO time', () => {
    const { lines, stream } = memory();
    const log = createLogger({
      service: 'formation',
      level: 'debug',
      destination: stream,
      bindings: { contour: 'formation' },
    });
    log.debug({ messageId: 'ed-1' }, 'hello');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line).toMatchObject({
      service: 'formation',
      contour: 'formation',
      level: 'debug',
      messageId: 'ed-1',
      msg: 'hello',
    });
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  it('respects the level', () => {
    const { lines, stream } = memory();
    const log = createLogger({ service: 's', level: 'warn', destination: stream });
    log.info('quiet');
    log.warn('loud');
    expect(lines).toHaveLength(1);
  });

  it('redacts credential headers and secret fields at every covered depth, in children too', () => {
    const { lines, stream } = memory();
    const log = createLogger({ service: 'control', destination: stream });
    const secrets = {
      authorization: 'ApiKey tck_AUTHHEADER',
      apiKeyHeader: 'tck_XAPIKEYHEADER',
      cookie: 'session=COOKIEVALUE',
      password: 'TOPLEVELPASSWORD',
      nested: 'NESTEDPASSPHRASE',
      deep: 'DEEPSECRETVALUE',
      token: 'TOKENVALUE',
      privateKey: '-----BEGIN PRIVATE KEY-----PKVALUE',
      pin: 'HSMPIN1234',
    };
    log.info(
      {
        req: {
          headers: { authorization: secrets.authorization, 'x-api-key': secrets.apiKeyHeader, cookie: secrets.cookie },
        },
        password: secrets.password,
        signer: { passphrase: secrets.nested, pin: secrets.pin },
        a: { b: { secret: secrets.deep } },
        token: secrets.token,
      },
      'with secrets',
    );
    log.child({ messageId: 'ed-2' }).warn({ key: { privateKey: secrets.privateKey } }, 'child');
    log.error({ err: Object.assign(new Error('boom'), { password: secrets.password }) }, 'error object');
    const text = lines.join('');
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
    const first = JSON.parse(lines[0] ?? '{}');
    expect(first.req.headers.authorization).toBe(REDACTED);
    expect(first.req.headers['x-api-key']).toBe(REDACTED);
    expect(first.signer.passphrase).toBe(REDACTED);
    expect(first.a.b.secret).toBe(REDACTED);
    expect(JSON.parse(lines[1] ?? '{}').messageId).toBe('ed-2');
  });

  it('redacts any value under any secret field name (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SECRET_FIELD_NAMES),
        fc.string({ minLength: 8, maxLength: 40 }).filter((s) => !REDACTED.includes(s) && /^[A-Za-z0-9]+$/.test(s)),
        fc.nat({ max: 2 }),
        (field, value, depth) => {
          const { lines, stream } = memory();
          const log = createLogger({ service: 's', destination: stream });
          let object: Record<string, unknown> = { [field]: value };
          for (let i = 0; i < depth; i++) object = { [`level${i}`]: object };
          log.info(object, 'x');
          expect(lines.join('')).not.toContain(value);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('has its paths fixed once, as constants', () => {
    expect(Object.isFrozen(REDACT_PATHS)).toBe(true);
    expect(REDACT_PATHS).toContain('req.headers.authorization');
    expect(REDACT_PATHS).toContain('*.password');
    expect(REDACT_PATHS).toContain('*.apiKey');
  });
});
