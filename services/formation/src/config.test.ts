import { ConfigError, parseConfig } from '@twincontour/platform';
import { describe, expect, it } from 'vitest';
import { FORMATION_CONFIG_SCHEMA, keySettings, loadFormationConfig } from './config.js';

const BASE = {
  TWINCONTOUR_DATABASE_URL: 'postgres://formation@127.0.0.1:5432/formation',
  TWINCONTOUR_F2C_REDIS_URL: 'redis://127.0.0.1:6379',
};

describe('formation configuration', () => {
  it('applies the defaults of services.md', () => {
    const config = loadFormationConfig({ ...BASE, TWINCONTOUR_PKI_DIR: '/pki' });
    expect(config.TWINCONTOUR_HTTP_PORT).toBe(8081);
    expect(config.TWINCONTOUR_QUEUE_PREFIX).toBe('tc');
    expect(config.TWINCONTOUR_ED_AUTHOR).toBe('4525545000');
    expect(config.TWINCONTOUR_SIG_ID_FORMATION).toBeUndefined();
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
  ])('refuses %s=%s (%s)', (name, value, code) => {
    const result = parseConfig(FORMATION_CONFIG_SCHEMA, { ...BASE, TWINCONTOUR_PKI_DIR: '/pki', [name]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors?.map((e) => [e.path, e.code])).toContainEqual([name, code]);
  });
});
