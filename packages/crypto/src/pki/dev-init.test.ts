import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOUR_POLICY_OIDS, CONTOURS } from '../certs/contour.js';
import { parseCrl } from '../certs/crl.js';
import { describeCertificate } from '../certs/info.js';
import { derObjects } from '../certs/pem.js';
import { createTrustStore } from '../certs/trust-store.js';
import { samePublicKey } from '../keys/same-key.js';
import { devInit, isDevPkiComplete, readDevIdentity, revoke } from './dev-init.js';
import {
  issueDevCertificate,
  issueExpiredDevCertificate,
  issueNotYetValidDevCertificate,
  issueRevokedDevCertificate,
} from './dev-testing.js';
import { type DevPkiLayout, loadTrustConfigFromDir, readDevLayout, TRUST_FILE, validateLayout } from './layout.js';

const roots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tc-pki-'));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

/** Every file under dir with its SHA-256 and mode, to prove a second run changes nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out[p.slice(dir.length)] =
          `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${st.mode.toString(8)} ${st.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

function openssl(args: string[]): { status: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('devInit', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    const r = await devInit(dir);
    expect(r).toMatchObject({ ok: true, value: { created: true } });
  });

  it('writes the CA, a CRL, and a key, passphrase and certificate per contour, with private files at 0600', () => {
    const layout = readDevLayout(dir);
    expect(layout.ok).toBe(true);
    if (!layout.ok) return;
    const secret = [
      layout.value.ca.key,
      layout.value.ca.passphraseFile,
      ...CONTOURS.flatMap((c) => [layout.value.identities[c].key, layout.value.identities[c].passphraseFile]),
    ];
    for (const f of secret) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    for (const c of CONTOURS) {
      const pem = readFileSync(join(dir, layout.value.identities[c].certificate), 'utf8');
      const d = describeCertificate(pem);
      expect(d).toMatchObject({
        ok: true,
        value: { contourMarker: c, policies: [CONTOUR_POLICY_OIDS[c]], keyAlgorithm: 'ECDSA P-256' },
      });
      if (!d.ok) continue;
      expect(d.value.thumbprint).toBe(layout.value.identities[c].thumbprint);
      expect(d.value.keyUsage).toEqual(
        c === 'transport' || c === 'cbr'
          ? ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'keyAgreement']
          : ['digitalSignature', 'nonRepudiation'],
      );
      expect(readFileSync(join(dir, layout.value.identities[c].key), 'utf8')).toMatch(
        /^-----BEGIN ENCRYPTED PRIVATE KEY-----/,
      );
    }
    const ca = describeCertificate(readFileSync(join(dir, layout.value.ca.certificate), 'utf8'));
    expect(ca).toMatchObject({
      ok: true,
      value: { isCa: true, keyAlgorithm: 'ECDSA P-256', keyUsage: ['keyCertSign', 'cRLSign'] },
    });
    if (ca.ok) {
      const years = (ca.value.notAfter.getTime() - Date.now()) / (365.25 * 86_400_000);
      expect(years).toBeGreaterThan(9.9);
      expect(years).toBeLessThan(10.1);
    }
    // Distinct random passphrases, one per key.
    const passes = new Set(
      CONTOURS.map((c) => readFileSync(join(dir, layout.value.identities[c].passphraseFile), 'utf8')),
    );
    expect(passes.size).toBe(CONTOURS.length);
  });

  it('is idempotent: a second call changes nothing and says created: false', async () => {
    const before = snapshot(dir);
    const again = await devInit(dir);
    expect(again).toMatchObject({ ok: true, value: { created: false } });
    expect(snapshot(dir)).toEqual(before);
    expect(isDevPkiComplete(dir)).toBe(true);
  });

  it('gives each contour a key that opens with its passphrase file and matches its certificate', async () => {
    for (const c of CONTOURS) {
      const id = await readDevIdentity(dir, c);
      expect(id.ok).toBe(true);
      if (!id.ok) continue;
      const d = describeCertificate(id.value.certificateDer);
      expect(d.ok && d.value.thumbprint).toBe(id.value.thumbprint);
      expect(samePublicKey(id.value.privateKey, new X509Certificate(id.value.certificatePem).publicKey)).toBe(true);
    }
  });

  it.each(CONTOURS)('openssl verify -crl_check accepts the %s certificate', (c) => {
    const o = openssl([
      'verify',
      '-CAfile',
      join(dir, 'ca', 'ca.pem'),
      '-crl_check',
      '-CRLfile',
      join(dir, 'ca', 'crl.pem'),
      join(dir, c, 'cert.pem'),
    ]);
    expect(o.status, o.out).toBe(0);
  });

  it('loads back into a trust configuration that accepts every contour for itself only', async () => {
    const cfg = loadTrustConfigFromDir(dir);
    expect(cfg.ok).toBe(true);
    if (!cfg.ok) return;
    const store = createTrustStore(cfg.value);
    expect((await store.refresh()).ok).toBe(true);
    for (const c of CONTOURS) {
      const der = derObjects(readFileSync(join(dir, c, 'cert.pem'), 'utf8'), ['CERTIFICATE'])[0]!;
      expect(store.check(der, { expectedContour: c }).ok).toBe(true);
    }
  });
});

describe('revoke and the test helpers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    expect((await devInit(dir)).ok).toBe(true);
  });

  it('revokes a serial: the CRL lists it with a higher cRLNumber, and openssl agrees', async () => {
    const c = await issueDevCertificate(dir, { contour: 'formation' });
    const file = join(dir, 'extra.pem');
    writeFileSync(file, c.certificatePem);
    const verify = () =>
      openssl([
        'verify',
        '-CAfile',
        join(dir, 'ca', 'ca.pem'),
        '-crl_check',
        '-CRLfile',
        join(dir, 'ca', 'crl.pem'),
        file,
      ]);
    expect(verify().status).toBe(0);
    const crlOf = () => {
      const r = parseCrl(derObjects(readFileSync(join(dir, 'ca', 'crl.pem'), 'utf8'), ['X509 CRL'])[0]!);
      if (!r.ok) throw new Error(r.message);
      return r.value;
    };
    const before = crlOf();
    const r = await revoke(dir, c.serialNumber.toUpperCase(), { reason: 1 });
    expect(r).toMatchObject({ ok: true, value: { revoked: [c.serialNumber] } });
    const after = crlOf();
    expect(after.crlNumber).toBe((before.crlNumber ?? 0n) + 1n);
    expect(after.revoked.get(c.serialNumber)).toMatchObject({ reason: 1 });
    const o = verify();
    expect(o.status).not.toBe(0);
    expect(o.out).toMatch(/certificate revoked/);
    // Revoking again keeps one entry and its first date.
    await revoke(dir, c.serialNumber);
    expect(crlOf().revoked.get(c.serialNumber)?.revocationDate).toEqual(
      after.revoked.get(c.serialNumber)?.revocationDate,
    );
  });

  it.each([
    ['not hex', 'xyz', undefined, 'PKI_BAD_SERIAL'],
    ['an unknown reason', '01', 7, 'PKI_BAD_REASON'],
  ])('refuses %s', async (_n, serial, reason, code) => {
    expect(await revoke(dir, serial, reason === undefined ? {} : { reason })).toMatchObject({ ok: false, code });
  });

  it('issues expired, not-yet-valid and revoked certificates for other tests', async () => {
    const expired = await issueExpiredDevCertificate(dir, 'control');
    const future = await issueNotYetValidDevCertificate(dir, 'control');
    const revoked = await issueRevokedDevCertificate(dir, 'control');
    const cfg = loadTrustConfigFromDir(dir);
    if (!cfg.ok) throw new Error(cfg.message);
    const store = createTrustStore(cfg.value);
    await store.refresh();
    expect(store.check(expired.certificateDer)).toMatchObject({ code: 'SIG_CERT_EXPIRED' });
    expect(store.check(future.certificateDer)).toMatchObject({ code: 'SIG_CERT_NOT_YET_VALID' });
    expect(store.check(revoked.certificateDer)).toMatchObject({ code: 'SIG_CERT_REVOKED' });
    const fresh = await issueDevCertificate(dir, { contour: 'control', keyAlgorithm: 'rsa-2048' });
    expect(store.check(fresh.certificateDer, { expectedContour: 'control' }).ok).toBe(true);
  });
});

describe('damaged and concurrent directories', () => {
  let layout: DevPkiLayout;
  beforeAll(async () => {
    const r = await devInit(tempDir());
    if (!r.ok) throw new Error(r.message);
    layout = r.value.layout;
  });

  it('refuses a directory whose trust.json names missing files, and changes nothing', async () => {
    const dir = tempDir();
    expect((await devInit(dir)).ok).toBe(true);
    rmSync(join(dir, 'control', 'key.pem'));
    const before = snapshot(dir);
    expect(await devInit(dir)).toMatchObject({ ok: false, code: 'PKI_DIR_INCOMPLETE' });
    expect(snapshot(dir)).toEqual(before);
    expect(loadTrustConfigFromDir(dir)).toMatchObject({ ok: false, code: 'PKI_DIR_INCOMPLETE' });
  });

  it('regenerates a directory that was never finished (no trust.json)', async () => {
    const dir = tempDir();
    expect((await devInit(dir)).ok).toBe(true);
    const oldCa = readFileSync(join(dir, 'ca', 'ca.pem'), 'utf8');
    rmSync(join(dir, TRUST_FILE));
    expect(await devInit(dir)).toMatchObject({ ok: true, value: { created: true } });
    expect(readFileSync(join(dir, 'ca', 'ca.pem'), 'utf8')).not.toBe(oldCa);
  });

  it('refuses an invalid trust.json', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, TRUST_FILE), '{"version":1,');
    expect(await devInit(dir)).toMatchObject({ ok: false, code: 'PKI_LAYOUT_INVALID' });
    expect(loadTrustConfigFromDir(join(dir, 'nothing-here'))).toMatchObject({ code: 'PKI_NOT_INITIALISED' });
  });

  it('lets concurrent callers make exactly one PKI', async () => {
    const dir = tempDir();
    const results = await Promise.all([devInit(dir), devInit(dir), devInit(dir)]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.filter((r) => r.ok && r.value.created)).toHaveLength(1);
    const thumbs = new Set(results.map((r) => (r.ok ? r.value.layout.ca.thumbprint : '')));
    expect(thumbs.size).toBe(1);
  });

  it.each([
    ['an absolute path', { certificate: '/etc/passwd' }],
    ['a path leaving the directory', { certificate: '../ca.pem' }],
    ['a bad thumbprint', { thumbprint: 'abc' }],
    ['a wrong contour name', { contour: 'control' }],
  ])('validateLayout refuses %s', (_n, patch) => {
    const json = JSON.parse(JSON.stringify(layout));
    Object.assign(json.identities.formation, patch);
    expect(validateLayout(json)).toMatchObject({ ok: false, code: 'PKI_LAYOUT_INVALID' });
    expect(validateLayout(layout)).toMatchObject({ ok: true });
  });
});
