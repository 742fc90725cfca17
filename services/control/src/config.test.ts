import { describe, expect, it } from 'vitest';
import { parseControlConfig } from './config.js';

const BASE = {
  TWINCONTOUR_DATABASE_URL: 'postgres://control@127.0.0.1:5432/control',
  TWINCONTOUR_F2C_REDIS_URL: 'redis://127.0.0.1:6379',
  TWINCONTOUR_C2T_REDIS_URL: 'redis://127.0.0.1:6379',
  TWINCONTOUR_PKI_DIR: '/var/lib/twincontour/pki',
};

describe('control configuration', () => {
  it('applies the documented defaults', () => {
    const parsed = parseControlConfig(BASE);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({
      TWINCONTOUR_HTTP_PORT: 8082,
      TWINCONTOUR_QUEUE_PREFIX: 'tc',
      TWINCONTOUR_SIG_MODE: 'zk+ka',
      TWINCONTOUR_SOURCE_WAIT_MS: 60_000,
      TWINCONTOUR_DUPLICATE_WINDOW_HOURS: 72,
      TWINCONTOUR_AUDIT_CHECKPOINT_MS: 60_000,
    });
    expect(parsed.value.TWINCONTOUR_SECURITY_WEBHOOK_URL).toBeUndefined();
  });

  it.each([
    ['an unknown variable', { TWINCONTOUR_SOURCE_WAIT: '1' }, 'CFG_UNKNOWN_KEY'],
    ['a bad signature mode', { TWINCONTOUR_SIG_MODE: 'zk' }, 'CFG_CONSTRAINT'],
    ['a SigId that is not two digits', { TWINCONTOUR_SIG_ID_CONTROL: '7' }, 'CFG_CONSTRAINT'],
    ['a pull URL that is not http(s)', { TWINCONTOUR_SOURCE_PULL_URL: 'ftp://x' }, 'CFG_CONSTRAINT'],
    ['an audit checkpoint interval of 0', { TWINCONTOUR_AUDIT_CHECKPOINT_MS: '0' }, 'CFG_CONSTRAINT'],
    [
      'both a PKI dir and key files',
      {
        TWINCONTOUR_CONTROL_KEY_FILE: '/k',
        TWINCONTOUR_CONTROL_CERT_FILE: '/c',
        TWINCONTOUR_CONTROL_PASSPHRASE_FILE: '/p',
      },
      'CFG_CONSTRAINT',
    ],
    [
      'key files without the passphrase',
      {
        TWINCONTOUR_PKI_DIR: undefined,
        TWINCONTOUR_CONTROL_KEY_FILE: '/k',
        TWINCONTOUR_CONTROL_CERT_FILE: '/c',
        TWINCONTOUR_TRUST_DIR: '/t',
      },
      'CFG_CONSTRAINT',
    ],
    ['neither a PKI dir nor key files', { TWINCONTOUR_PKI_DIR: undefined }, 'CFG_CONSTRAINT'],
  ])('refuses %s', (_name, change, code) => {
    const parsed = parseControlConfig({ ...BASE, ...change });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors?.map((e) => e.code)).toContain(code);
  });

  it('accepts key files with a trust dir instead of a PKI dir', () => {
    const parsed = parseControlConfig({
      ...BASE,
      TWINCONTOUR_PKI_DIR: undefined,
      TWINCONTOUR_CONTROL_KEY_FILE: '/k',
      TWINCONTOUR_CONTROL_CERT_FILE: '/c',
      TWINCONTOUR_CONTROL_PASSPHRASE_FILE: '/p',
      TWINCONTOUR_TRUST_DIR: '/t',
    });
    expect(parsed.ok).toBe(true);
  });
});
