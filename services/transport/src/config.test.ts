import { describe, expect, it } from 'vitest';
import { acceptCodes, parseTransportConfig } from './config.js';

const BASE = {
  TWINCONTOUR_DATABASE_URL: 'postgres://transport@127.0.0.1:5432/transport',
  TWINCONTOUR_C2T_REDIS_URL: 'redis://127.0.0.1:6379',
  TWINCONTOUR_PKI_DIR: '/var/lib/twincontour/pki',
};

describe('transport configuration', () => {
  it('applies the documented defaults', () => {
    const parsed = parseTransportConfig(BASE);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({
      TWINCONTOUR_HTTP_PORT: 8083,
      TWINCONTOUR_QUEUE_PREFIX: 'tc',
      TWINCONTOUR_SIG_MODE: 'zk+ka',
      TWINCONTOUR_DELIVERY: 'simulator',
      TWINCONTOUR_ARM_POLL_MS: 1000,
      TWINCONTOUR_ANSWER_POLL_MS: 2000,
      TWINCONTOUR_CBR_ACCEPT_CODES: '0000',
      TWINCONTOUR_ARCHIVE_RETAIN_YEARS: 5,
      TWINCONTOUR_AUDIT_CHECKPOINT_MS: 60_000,
    });
    expect(parsed.value.TWINCONTOUR_PEER_URL).toBeUndefined();
    expect([...acceptCodes(parsed.value)]).toEqual(['0000']);
  });

  it.each([
    ['an unknown variable', { TWINCONTOUR_DELIVERY_MODE: 'x' }, 'CFG_UNKNOWN_KEY'],
    ['an unknown channel', { TWINCONTOUR_DELIVERY: 'smtp' }, 'CFG_CONSTRAINT'],
    ['a plain-http peer', { TWINCONTOUR_PEER_URL: 'http://127.0.0.1:8444' }, 'CFG_CONSTRAINT'],
    ['accept codes that are not 4 digits', { TWINCONTOUR_CBR_ACCEPT_CODES: '0,12' }, 'CFG_CONSTRAINT'],
    ['an archive kept under five years (802-П п. 11)', { TWINCONTOUR_ARCHIVE_RETAIN_YEARS: '4' }, 'CFG_CONSTRAINT'],
    ['an audit checkpoint interval of 0', { TWINCONTOUR_AUDIT_CHECKPOINT_MS: '0' }, 'CFG_CONSTRAINT'],
    ['arm-kbr without its folders', { TWINCONTOUR_DELIVERY: 'arm-kbr' }, 'CFG_CONSTRAINT'],
    [
      'arm-kbr with one folder for both directions',
      { TWINCONTOUR_DELIVERY: 'arm-kbr', TWINCONTOUR_ARM_OUT_DIR: '/x', TWINCONTOUR_ARM_IN_DIR: '/x' },
      'CFG_CONSTRAINT',
    ],
    ['https without peer URL, CA and certificate', { TWINCONTOUR_DELIVERY: 'https' }, 'CFG_CONSTRAINT'],
    [
      'the simulator without a PKI dir nor peer files',
      {
        TWINCONTOUR_PKI_DIR: undefined,
        TWINCONTOUR_TRANSPORT_KEY_FILE: '/k',
        TWINCONTOUR_TRANSPORT_CERT_FILE: '/c',
        TWINCONTOUR_TRANSPORT_PASSPHRASE_FILE: '/p',
        TWINCONTOUR_TRUST_DIR: '/t',
      },
      'CFG_CONSTRAINT',
    ],
    ['key files without the passphrase', { TWINCONTOUR_TRANSPORT_KEY_FILE: '/k' }, 'CFG_CONSTRAINT'],
    ['neither a PKI dir nor key files', { TWINCONTOUR_PKI_DIR: undefined }, 'CFG_CONSTRAINT'],
  ])('refuses %s', (_name, change, code) => {
    const parsed = parseTransportConfig({ ...BASE, ...change });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors?.map((e) => e.code)).toContain(code);
  });

  it('accepts https with its peer files, and arm-kbr with both folders', () => {
    const https = parseTransportConfig({
      ...BASE,
      TWINCONTOUR_DELIVERY: 'https',
      TWINCONTOUR_PEER_URL: 'https://cbr.example:443',
      TWINCONTOUR_PEER_CA_FILE: '/ca.pem',
      TWINCONTOUR_PEER_CERT_FILE: '/cbr.pem',
      TWINCONTOUR_CBR_ACCEPT_CODES: '0000,0001',
    });
    expect(https.ok).toBe(true);
    if (https.ok) expect([...acceptCodes(https.value)]).toEqual(['0000', '0001']);
    const arm = parseTransportConfig({
      ...BASE,
      TWINCONTOUR_DELIVERY: 'arm-kbr',
      TWINCONTOUR_ARM_OUT_DIR: '/arm/out',
      TWINCONTOUR_ARM_IN_DIR: '/arm/in',
    });
    expect(arm.ok).toBe(true);
  });
});
