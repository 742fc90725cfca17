import { ConfigError, parseConfig } from '@twincontour/platform';
import { describe, expect, it } from 'vitest';
import { FORMATION_CONFIG_SCHEMA, keySettings, loadFormationConfig, webhookKey } from './config.js';

const BASE = {
  TWINCONTOUR_DATABASE_URL: 'postgres://formation@127.0.0.1:5432/formation',
  TWINCONTOUR_F2C_REDIS_URL: 'redis://127.0.0.1:6379',
  TWINCONTOUR_WEBHOOK_KEY: Buffer.alloc(32, 7).toString('base64'),
};

describe('formation configuration', () => {
  it('applies the defaults of services.md', () => {
    const config = loadFormationConfig({ ...BASE, TWINCONTOUR_PKI_DIR: '/pki' });
    expect(config.TWINCONTOUR_HTTP_PORT).toBe(8081);
    expect(config.TWINCONTOUR_QUEUE_PREFIX).toBe('tc');
    expect(config.TWINCONTOUR_ED_AUTHOR).toBe('4525545000');
    expect(config.TWINCONTOUR_SIG_ID_FORMATION).toBeUndefined();
    expect(config.TWINCONTOUR_AUDIT_CHECKPOINT_MS).toBe(60_000);
    const keys = keySettings(config);
    expect(keys).toEqual({ ok: true, value: { signer: { pkiDir: '/pki' }, trustDir: '/pki' } });
  });

  it('takes key files and a trust dir instead of a PKI dir', () => {
    const config = loadFormationConfig({
      ...BASE,
      TWINCONTOUR_FORMATION_KEY_FILE: '/keys/formation.p8',
      TWINCONTOUR_FORMATION_CERT_FILE: '/keys/formation.pem',
      TWINCONTOUR_FORMATION_PASSPHRASE_FILE: '/run/secrets/formation-pass',
      TWINCONTOUR_TRUST_DIR: '/trust',
    });
    expect(keySettings(config)).toEqual({
      ok: true,
      value: {
        signer: {
          keyFile: '/keys/formation.p8',
          certificateFile: '/keys/formation.pem',
          passphrase: { file: '/run/secrets/formation-pass' },
        },
        trustDir: '/trust',
      },
    });
  });

  it.each([
    ['no key source', {}, ['TWINCONTOUR_PKI_DIR', 'TWINCONTOUR_TRUST_DIR']],
    [
      'a key file without certificate and passphrase',
      { TWINCONTOUR_FORMATION_KEY_FILE: '/k', TWINCONTOUR_TRUST_DIR: '/t' },
      ['TWINCONTOUR_FORMATION_CERT_FILE', 'TWINCONTOUR_FORMATION_PASSPHRASE_FILE'],
    ],
  ])('refuses %s, naming every missing variable', (_name, extra, paths) => {
    let error: unknown;
    try {
      loadFormationConfig({ ...BASE, ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).errors.map((e) => e.path)).toEqual(paths);
  });

  it.each([
    ['TWINCONTOUR_ED_AUTHOR', '452554500', 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_SIG_ID_FORMATION', '1', 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_F2C_REDIS_URL', 'http://redis', 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_QUEUE_PREFIX', 'tc:prod', 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_EDAUTHOR', '4525545000', 'CFG_UNKNOWN_KEY'],
    ['TWINCONTOUR_WEBHOOK_KEY', Buffer.alloc(16, 7).toString('base64'), 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_WEBHOOK_KEY', 'not base64 of thirty-two bytes, clearly!!!!', 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_WEBHOOK_TIMEOUT_MS', '50', 'CFG_CONSTRAINT'],
    ['TWINCONTOUR_AUDIT_CHECKPOINT_MS', '0', 'CFG_CONSTRAINT'],
  ])('refuses %s=%s (%s)', (name, value, code) => {
    const result = parseConfig(FORMATION_CONFIG_SCHEMA, { ...BASE, TWINCONTOUR_PKI_DIR: '/pki', [name]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors?.map((e) => [e.path, e.code])).toContainEqual([name, code]);
  });

  it('reads the webhook key (also from a _FILE) and its delivery defaults', () => {
    const key = Buffer.alloc(32, 9);
    const config = loadFormationConfig({
      ...BASE,
      TWINCONTOUR_PKI_DIR: '/pki',
      TWINCONTOUR_WEBHOOK_KEY: key.toString('base64'),
    });
    expect(webhookKey(config).equals(key)).toBe(true);
    expect(config.TWINCONTOUR_WEBHOOK_BACKOFF_BASE_MS).toBe(1_000);
    expect(config.TWINCONTOUR_WEBHOOK_BACKOFF_MAX_MS).toBe(600_000);
    expect(config.TWINCONTOUR_WEBHOOK_TIMEOUT_MS).toBe(10_000);
    const { TWINCONTOUR_WEBHOOK_KEY: _omit, ...rest } = BASE;
    const fromFile = parseConfig(
      FORMATION_CONFIG_SCHEMA,
      {
        ...rest,
        TWINCONTOUR_PKI_DIR: '/pki',
        TWINCONTOUR_WEBHOOK_KEY_FILE: '/run/secrets/webhook-key',
      },
      { readFile: () => `${key.toString('base64')}\n` },
    );
    expect(fromFile.ok && webhookKey(fromFile.value).equals(key)).toBe(true);
  });

  it('requires the webhook key and refuses a backoff base above its maximum, naming both', () => {
    const { TWINCONTOUR_WEBHOOK_KEY: _omit, ...rest } = BASE;
    const missing = parseConfig(FORMATION_CONFIG_SCHEMA, { ...rest, TWINCONTOUR_PKI_DIR: '/pki' });
    expect(missing.ok ? [] : missing.errors?.map((e) => [e.path, e.code])).toContainEqual([
      'TWINCONTOUR_WEBHOOK_KEY',
      'CFG_MISSING',
    ]);
    let error: unknown;
    try {
      loadFormationConfig({
        ...BASE,
        TWINCONTOUR_PKI_DIR: '/pki',
        TWINCONTOUR_WEBHOOK_BACKOFF_BASE_MS: '5000',
        TWINCONTOUR_WEBHOOK_BACKOFF_MAX_MS: '1000',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).errors.map((e) => [e.path, e.code])).toEqual([
      ['TWINCONTOUR_WEBHOOK_BACKOFF_BASE_MS', 'CFG_CONSTRAINT'],
    ]);
  });
});
