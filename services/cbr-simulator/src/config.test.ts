import { describe, expect, it } from 'vitest';
import { parseSimulatorConfig } from './config.js';

const BASE = {
  TWINCONTOUR_DATABASE_URL: 'postgres://cbr@127.0.0.1:5432/cbr_simulator',
  TWINCONTOUR_PKI_DIR: '/var/lib/twincontour/pki',
  TWINCONTOUR_SIM_STORE_DIR: '/var/lib/cbr-simulator/received',
};

describe('simulator configuration', () => {
  it('applies the documented defaults', () => {
    const parsed = parseSimulatorConfig(BASE);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({
      TWINCONTOUR_HTTP_PORT: 8084,
      TWINCONTOUR_SIM_PORT: 8444,
      TWINCONTOUR_SIM_MODE: 'https',
      TWINCONTOUR_SIM_ED206_DELAY_MS: 1000,
      TWINCONTOUR_SIM_ED_AUTHOR: '4583001999',
      TWINCONTOUR_SIG_MODE: 'zk+ka',
      TWINCONTOUR_ARM_POLL_MS: 500,
    });
  });

  it.each([
    ['an unknown variable', { TWINCONTOUR_SIM_DELAY: '1' }, 'CFG_UNKNOWN_KEY'],
    ['a bad mode', { TWINCONTOUR_SIM_MODE: 'ftp' }, 'CFG_CONSTRAINT'],
    ['an answer author that is not a УИС', { TWINCONTOUR_SIM_ED_AUTHOR: '123' }, 'CFG_CONSTRAINT'],
    ['folder mode without folders', { TWINCONTOUR_SIM_MODE: 'folder' }, 'CFG_CONSTRAINT'],
    [
      'folder mode with one folder for both ways',
      { TWINCONTOUR_SIM_MODE: 'folder', TWINCONTOUR_ARM_OUT_DIR: '/arm', TWINCONTOUR_ARM_IN_DIR: '/arm' },
      'CFG_CONSTRAINT',
    ],
    [
      'both a PKI dir and key files',
      { TWINCONTOUR_CBR_KEY_FILE: '/k', TWINCONTOUR_CBR_CERT_FILE: '/c', TWINCONTOUR_CBR_PASSPHRASE_FILE: '/p' },
      'CFG_CONSTRAINT',
    ],
    [
      'key files without a trust dir and participant certificate',
      {
        TWINCONTOUR_PKI_DIR: undefined,
        TWINCONTOUR_CBR_KEY_FILE: '/k',
        TWINCONTOUR_CBR_CERT_FILE: '/c',
        TWINCONTOUR_CBR_PASSPHRASE_FILE: '/p',
      },
      'CFG_CONSTRAINT',
    ],
    ['no store folder', { TWINCONTOUR_SIM_STORE_DIR: undefined }, 'CFG_MISSING'],
  ])('refuses %s', (_name, change, code) => {
    const parsed = parseSimulatorConfig({ ...BASE, ...change });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors?.map((e) => e.code)).toContain(code);
  });

  it('accepts folder mode with two folders, and key files with a trust dir and a participant certificate', () => {
    expect(
      parseSimulatorConfig({
        ...BASE,
        TWINCONTOUR_SIM_MODE: 'folder',
        TWINCONTOUR_ARM_OUT_DIR: '/arm/out',
        TWINCONTOUR_ARM_IN_DIR: '/arm/in',
      }).ok,
    ).toBe(true);
    expect(
      parseSimulatorConfig({
        ...BASE,
        TWINCONTOUR_PKI_DIR: undefined,
        TWINCONTOUR_CBR_KEY_FILE: '/k',
        TWINCONTOUR_CBR_CERT_FILE: '/c',
        TWINCONTOUR_CBR_PASSPHRASE_FILE: '/p',
        TWINCONTOUR_TRUST_DIR: '/t',
        TWINCONTOUR_SIM_PARTICIPANT_CERT_FILE: '/transport.pem',
      }).ok,
    ).toBe(true);
  });
});
