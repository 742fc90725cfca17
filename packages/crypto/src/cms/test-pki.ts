/**
 * Test support (not exported from the package): a throw-away CA and leaf certificates made with the
 * `openssl` command line in a temporary directory, a small `CertificateValidator` over that CA, and
 * wrappers around `openssl cms` — the independent peer every signature must satisfy (DESIGN.md, Crypto).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateCheck, CertificateValidator, Contour } from '../types.js';
import { certificateFacts, thumbprintOf } from './certificate.js';

/** One leaf: its files, its key and its certificate. */
export interface TestLeaf {
  name: string;
  keyPath: string;
  certPath: string;
  key: KeyObject;
  certificateDer: Uint8Array;
  thumbprint: string;
}

/** Key specifications understood by `openssl genpkey`. */
export type KeySpec = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-1024' | 'ed25519';

const GENPKEY: Record<KeySpec, string[]> = {
  'ec-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ec-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'rsa-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'rsa-1024': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** A temporary PKI. Call `dispose()` when done. */
export class TestPki {
  readonly dir: string;
  readonly caPath: string;
  readonly caKeyPath: string;
  readonly caDer: Uint8Array;
  /** Serial number of the last leaf issued. */
  serial = 0x1000;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'tc-cms-'));
    this.caKeyPath = join(this.dir, 'ca.key');
    this.caPath = join(this.dir, 'ca.pem');
    this.genkey('ec-p256', this.caKeyPath);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      this.caKeyPath,
      '-sha256',
      '-days',
      '30',
      '-subj',
      '/C=RU/O=TwinContour Test/CN=Test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      this.caPath,
    ]);
    this.caDer = pemToDer(readFileSync(this.caPath, 'utf8'));
  }

  /** Makes a leaf certificate signed by the CA. */
  leaf(name: string, spec: KeySpec, opts: { cn?: string; serial?: number; subject?: string } = {}): TestLeaf {
    const keyPath = join(this.dir, `${name}.key`);
    const csrPath = join(this.dir, `${name}.csr`);
    const certPath = join(this.dir, `${name}.pem`);
    const extPath = join(this.dir, `${name}.ext`);
    this.genkey(spec, keyPath);
    const subject = opts.subject ?? `/C=RU/O=TwinContour Test/CN=${opts.cn ?? name}`;
    openssl(['req', '-new', '-utf8', '-key', keyPath, '-subj', subject, '-out', csrPath]);
    writeFileSync(
      extPath,
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
    );
    this.serial++;
    const serial = opts.serial ?? this.serial;
    openssl([
      'x509',
      '-req',
      '-in',
      csrPath,
      '-CA',
      this.caPath,
      '-CAkey',
      this.caKeyPath,
      '-sha256',
      '-days',
      '30',
      '-set_serial',
      `0x${serial.toString(16)}`,
      '-extfile',
      extPath,
      '-out',
      certPath,
    ]);
    const certificateDer = pemToDer(readFileSync(certPath, 'utf8'));
    return {
      name,
      keyPath,
      certPath,
      key: createPrivateKey(readFileSync(keyPath)),
      certificateDer,
      thumbprint: thumbprintOf(certificateDer),
    };
  }

  /** Writes bytes into the PKI directory and returns the path. */
  file(name: string, bytes: Uint8Array | string): string {
    const path = join(this.dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private genkey(spec: KeySpec, out: string): void {
    openssl(['genpkey', ...GENPKEY[spec], '-out', out]);
  }
}

/** Runs openssl, throwing with its stderr on failure. */
export function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `openssl cms -verify` of a detached DER signature over `content`; true when OpenSSL accepts it. */
export function opensslVerify(
  pki: TestPki,
  signature: Uint8Array,
  content: Uint8Array,
): { ok: boolean; stderr: string } {
  const sig = pki.file('verify.sig.der', signature);
  const data = pki.file('verify.data', content);
  const r = spawnSync('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    sig,
    '-content',
    data,
    '-CAfile',
    pki.caPath,
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]);
  return { ok: r.status === 0, stderr: r.stderr.toString() };
}

/** `openssl cms -sign` (detached, binary, SHA-256) of `content` by `leaf`. */
export function opensslSign(pki: TestPki, leaf: TestLeaf, content: Uint8Array, extra: string[] = []): Uint8Array {
  const data = pki.file('sign.data', content);
  const out = join(pki.dir, 'sign.out.der');
  openssl([
    'cms',
    '-sign',
    '-binary',
    '-in',
    data,
    '-signer',
    leaf.certPath,
    '-inkey',
    leaf.keyPath,
    '-md',
    'sha256',
    '-outform',
    'DER',
    '-out',
    out,
    ...extra,
  ]);
  return new Uint8Array(readFileSync(out));
}

/** `openssl cms -resign`: adds `leaf` as a signer to an existing detached signature. */
export function opensslResign(pki: TestPki, signature: Uint8Array, leaf: TestLeaf, content: Uint8Array): Uint8Array {
  const input = pki.file('resign.in.der', signature);
  const data = pki.file('resign.data', content);
  const out = join(pki.dir, 'resign.out.der');
  openssl([
    'cms',
    '-resign',
    '-binary',
    '-inform',
    'DER',
    '-in',
    input,
    '-content',
    data,
    '-signer',
    leaf.certPath,
    '-inkey',
    leaf.keyPath,
    '-md',
    'sha256',
    '-outform',
    'DER',
    '-out',
    out,
  ]);
  return new Uint8Array(readFileSync(out));
}

/** PEM → DER of the first block. */
export function pemToDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/**
 * A real, small certificate validator for tests: the certificate must be issued by the test CA
 * (signature checked with node:crypto), valid at signing time and now; its contour comes from a
 * thumbprint → contour map, as a trust store's configuration would bind it.
 */
export class TestValidator implements CertificateValidator {
  private readonly ca: X509Certificate;
  readonly calls: Array<{ thumbprint: string; signingTime?: Date; now?: Date }> = [];

  constructor(
    caDer: Uint8Array,
    private readonly contours: ReadonlyMap<string, Contour> = new Map(),
  ) {
    this.ca = new X509Certificate(caDer);
  }

  check(certificateDer: Uint8Array, options: { signingTime?: Date; now?: Date }): CertificateCheck {
    const thumbprint = thumbprintOf(certificateDer);
    this.calls.push({ thumbprint, ...options });
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certificateDer);
    } catch {
      return { ok: false, code: 'SIG_CERT_MALFORMED', message: 'unreadable certificate' };
    }
    const facts = certificateFacts(certificateDer);
    if (!facts.ok) return facts;
    const contour = this.contours.get(thumbprint);
    const info = { ...facts.value.info, ...(contour ? { contour } : {}) };
    if (!cert.checkIssued(this.ca) || !cert.verify(this.ca.publicKey)) {
      return { ok: false, code: 'SIG_CERT_UNTRUSTED', message: 'not issued by the test CA', info };
    }
    for (const t of [options.signingTime, options.now]) {
      if (t && t < info.notBefore) return { ok: false, code: 'SIG_CERT_NOT_YET_VALID', message: 'not yet valid', info };
      if (t && t > info.notAfter) return { ok: false, code: 'SIG_CERT_EXPIRED', message: 'expired', info };
    }
    return { ok: true, info };
  }
}
