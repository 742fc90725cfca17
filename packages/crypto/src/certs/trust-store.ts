import { readFile, stat } from 'node:fs/promises';
import type { CertificateCheck, CertificateInfo, CertificateValidator, Contour, SigFailureCode } from '../types.js';
import { contourFromPolicies, isContour } from './contour.js';
import { MAX_CRL_BYTES, type ParsedCrl, parseCrl } from './crl.js';
import { EXT, type ParsedCertificate, parseCertificate, sha256Hex } from './parse.js';
import { derObjects } from './pem.js';
import { isSupportedSignatureAlgorithm, type SignatureVerifier, verifySignature } from './signature.js';

/** A certificate given to the trust configuration: PEM text (one or more blocks) or DER bytes. */
export type CertificateSource = string | Uint8Array;

/**
 * Where a CA's CRL comes from: a file path, an `http:`/`https:` URL, or the CRL itself (PEM text or
 * DER bytes — a fixed snapshot, e.g. one kept in the archive for re-verification, 802-П п. 11).
 */
export type CrlSource = string | Uint8Array;

/** The fetch the trust store uses for http(s) CRL sources (the global `fetch` by default). */
export type CrlFetch = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<Response>;

/** What the trust store trusts, and how it keeps revocation information current. */
export interface TrustConfig {
  /** Trust anchors: the CA certificates every accepted path must end at. */
  anchors: readonly CertificateSource[];
  /** Intermediate CA certificates available for path building (not trusted by themselves). */
  intermediates?: readonly CertificateSource[];
  /**
   * CRL sources. Each loaded CRL belongs to the configured CA whose subject is the CRL's issuer and
   * whose key verifies the CRL's signature. Every CA on a checked certificate's path must have a
   * current CRL, or the check fails with `SIG_CRL_UNAVAILABLE` (fail closed).
   */
  crls?: readonly CrlSource[];
  /**
   * Certificates pinned to a contour by SHA-256 thumbprint (hex; `:` and spaces ignored). A pin
   * binds a certificate with no TwinContour marker (a Bank of Russia–issued certificate, 802-П п. 12);
   * a certificate whose marker names another contour than its pin is bound to neither.
   */
  pins?: Readonly<Partial<Record<Contour, readonly string[]>>>;
  /** Contours for which only pinned certificates are accepted; the policy marker alone is not enough. */
  pinnedOnly?: readonly Contour[];
  /** How often `start()` refreshes the CRLs. Default 15 minutes. */
  crlRefreshIntervalMs?: number;
  /** How long past its nextUpdate a CRL is still used when no newer one could be loaded. Default 0. */
  crlGraceMs?: number;
  /** Time limit for one http(s) CRL download. Default 10 seconds. */
  crlFetchTimeoutMs?: number;
  /** How many checked certificates are remembered by thumbprint. Default 10,000. */
  cacheSize?: number;
  /** The clock (for tests and simulations). Default: the system clock. */
  clock?: () => Date;
  /** The fetch for http(s) CRL sources. Default: the global fetch. */
  fetch?: CrlFetch;
  /** Verifiers for signature algorithms node:crypto does not know, by algorithm OID (a GOST provider). */
  signatureVerifiers?: Readonly<Record<string, SignatureVerifier>>;
}

/** Options of one certificate check. */
export interface TrustCheckOptions {
  /** When the signature was made (the CMS signingTime). Default: now. */
  signingTime?: Date;
  /**
   * The current time. Default: the store's clock. Pass `null` to skip the "valid now" checks — for
   * re-verifying an archived message (802-П п. 11) whose certificate has since expired: validity
   * and revocation are then judged at `signingTime` alone, and the CRL used must have been issued
   * at or after the signing time (it then proves the certificate was not revoked when it signed).
   * In that mode `signingTime` must come from a trusted record (the archive's time of receipt),
   * not from the signer's own claim. With a `now`, revocation is judged as of now: a certificate on
   * the CRL fails whatever signing time it claims.
   */
  now?: Date | null;
  /** The contour the certificate must belong to; anything else is `SIG_WRONG_CONTOUR`. */
  expectedContour?: Contour;
  /**
   * What the key is used for: `signing` (default) needs digitalSignature or nonRepudiation;
   * `encryption` needs keyEncipherment or keyAgreement.
   */
  usage?: 'signing' | 'encryption';
}

/** The outcome of loading one CRL source. */
export interface CrlLoadResult {
  /** The source (URL credentials removed; inline sources as `inline#<n>`). */
  source: string;
  ok: boolean;
  /** `CRL_*` code when not ok. */
  code?: string;
  message?: string;
  /** Issuer of the loaded CRL, RFC 4514. */
  issuer?: string;
  thisUpdate?: Date;
  nextUpdate?: Date;
}

/** The outcome of one refresh of every CRL source. */
export interface CrlRefreshReport {
  /** True when every source loaded. */
  ok: boolean;
  results: CrlLoadResult[];
}

/** Revocation status of one configured CA, for health endpoints. */
export interface CaStatus {
  subject: string;
  thumbprint: string;
  anchor: boolean;
  /** Absent when no CRL of this CA has been loaded. */
  crl?: { source: string; thisUpdate: Date; nextUpdate: Date; crlNumber?: string; stale: boolean };
}

/** A CRL currently in use, for archiving next to the messages it verified (802-П п. 11). */
export interface CrlSnapshot {
  issuer: string;
  der: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date;
}

/**
 * The trust store: a {@link CertificateValidator} with a CRL cache. `check` is synchronous and,
 * for a certificate seen before, does no ASN.1 parsing: the parse, the chain and the verdicts that
 * do not depend on time are cached by SHA-256 thumbprint (CRYPTO.md: keep object-model parsing
 * and chain building off the hot path).
 */
export interface TrustStore extends CertificateValidator {
  check(certificateDer: Uint8Array, options?: TrustCheckOptions): CertificateCheck;
  /** Loads every CRL source now. Never rejects; a source that fails keeps its previous CRL. */
  refresh(): Promise<CrlRefreshReport>;
  /** Refreshes now, then every `crlRefreshIntervalMs` (the timer does not keep the process alive). */
  start(): Promise<CrlRefreshReport>;
  /** Stops the refresh timer. */
  close(): void;
  /** Each configured CA and its CRL. */
  status(): CaStatus[];
  /** The CRLs in use. */
  crlSnapshots(): CrlSnapshot[];
}

/** Thrown by {@link createTrustStore} for a configuration that cannot work; lists every problem. */
export class TrustConfigError extends Error {
  readonly code = 'TRUST_CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`invalid trust configuration: ${problems.join('; ')}`);
    this.name = 'TrustConfigError';
  }
}

interface CaEntry {
  cert: ParsedCertificate;
  anchor: boolean;
}

interface LoadedCrl {
  crl: ParsedCrl;
  source: string;
}

type Failure = { ok: false; code: SigFailureCode; message: string; info?: CertificateInfo };

interface CacheEntry {
  failure?: Failure;
  info: CertificateInfo;
  /** Leaf first, anchor last. */
  path: readonly ParsedCertificate[];
  signing: boolean;
  encryption: boolean;
  contour: Contour | undefined;
  contourNote: string;
}

/** RFC 5280 extensions the path check understands; an unknown critical one makes a certificate untrusted. */
const UNDERSTOOD = new Set<string>([
  EXT.KEY_USAGE,
  EXT.BASIC_CONSTRAINTS,
  EXT.EXT_KEY_USAGE,
  EXT.CERTIFICATE_POLICIES,
  EXT.SUBJECT_ALT_NAME,
  EXT.SUBJECT_KEY_ID,
  EXT.AUTHORITY_KEY_ID,
]);

/** Reasons that mean the key itself may be in someone else's hands: then no signing time is believable. */
const COMPROMISE_REASONS = new Set([1, 2, 10]);

const MAX_PATH = 8;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);

/** Normalises a thumbprint written as hex, with or without `:` or spaces; undefined if not SHA-256 hex. */
export function normaliseThumbprint(value: string): string | undefined {
  const t = value.replace(/[:\s]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(t) ? t : undefined;
}

function sourceLabel(source: CrlSource, index: number): string {
  if (typeof source !== 'string' || source.startsWith('-----BEGIN')) return `inline#${index}`;
  if (/^https?:\/\//i.test(source)) {
    try {
      const u = new URL(source);
      u.username = '';
      u.password = '';
      return u.toString();
    } catch {
      return `inline#${index}`;
    }
  }
  return source;
}

/**
 * Creates a trust store. Throws {@link TrustConfigError} when an anchor or intermediate cannot be
 * read or the pins contradict each other — a start-up fault, reported with every problem at once.
 * CRLs are not loaded here: call `start()` (or `refresh()`) before the first check; until then every
 * check fails closed with `SIG_CRL_UNAVAILABLE`.
 */
export function createTrustStore(config: TrustConfig): TrustStore {
  const problems: string[] = [];
  const clock = config.clock ?? (() => new Date());
  const grace = config.crlGraceMs ?? 0;
  const interval = config.crlRefreshIntervalMs ?? 15 * 60_000;
  const fetchTimeout = config.crlFetchTimeoutMs ?? 10_000;
  const cacheSize = Math.max(1, config.cacheSize ?? 10_000);
  const verifiers = config.signatureVerifiers ?? {};
  const doFetch: CrlFetch = config.fetch ?? ((url, init) => fetch(url, init));

  const cas: CaEntry[] = [];
  const addCas = (sources: readonly CertificateSource[] | undefined, anchor: boolean): void => {
    (sources ?? []).forEach((source, i) => {
      const ders = derObjects(source, ['CERTIFICATE']);
      if (ders.length === 0) problems.push(`${anchor ? 'anchor' : 'intermediate'} #${i}: no certificate`);
      for (const der of ders) {
        const p = parseCertificate(der);
        if (!p.ok) {
          problems.push(`${anchor ? 'anchor' : 'intermediate'} #${i}: ${p.message}`);
        } else if (!p.value.basicConstraints?.ca) {
          problems.push(`${anchor ? 'anchor' : 'intermediate'} #${i} (${p.value.subject}) is not a CA certificate`);
        } else if (!cas.some((c) => c.cert.thumbprint === p.value.thumbprint)) {
          cas.push({ cert: p.value, anchor });
        }
      }
    });
  };
  addCas(config.anchors, true);
  addCas(config.intermediates, false);
  if (config.anchors.length === 0) problems.push('no trust anchors');

  const pinByThumb = new Map<string, Contour>();
  for (const [contour, list] of Object.entries(config.pins ?? {})) {
    if (!isContour(contour)) {
      problems.push(`pins: unknown contour ${contour}`);
      continue;
    }
    for (const raw of list ?? []) {
      const t = normaliseThumbprint(raw);
      if (!t) {
        problems.push(`pins.${contour}: not a SHA-256 thumbprint`);
      } else if (pinByThumb.has(t) && pinByThumb.get(t) !== contour) {
        // 802-П прил. 1.1: one key, one contour.
        problems.push(`pins: ${t} is pinned to both ${pinByThumb.get(t)} and ${contour}`);
      } else {
        pinByThumb.set(t, contour);
      }
    }
  }
  const pinnedOnly = new Set<Contour>(config.pinnedOnly ?? []);
  for (const c of pinnedOnly) if (!isContour(c)) problems.push(`pinnedOnly: unknown contour ${String(c)}`);
  const crlSources = config.crls ?? [];
  if (problems.length > 0) throw new TrustConfigError(problems);

  const casBySubject = new Map<string, CaEntry[]>();
  // Anchors first, so a path ends at an anchor as soon as one can sign the link.
  for (const ca of [...cas].sort((a, b) => Number(b.anchor) - Number(a.anchor))) {
    const key = hex(ca.cert.subjectDer);
    casBySubject.set(key, [...(casBySubject.get(key) ?? []), ca]);
  }
  const anchorThumbs = new Set(cas.filter((c) => c.anchor).map((c) => c.cert.thumbprint));

  const cache = new Map<string, CacheEntry>();
  const crlByCa = new Map<string, LoadedCrl>();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<CrlRefreshReport> | undefined;

  function infoOf(c: ParsedCertificate, contour: Contour | undefined): CertificateInfo {
    const info: CertificateInfo = {
      thumbprint: c.thumbprint,
      serialNumber: c.serialNumber,
      issuer: c.issuer,
      subject: c.subject,
      notBefore: c.notBefore,
      notAfter: c.notAfter,
    };
    if (contour) info.contour = contour;
    return Object.freeze(info);
  }

  function unknownCritical(c: ParsedCertificate): string | undefined {
    return c.extensions.find((e) => e.critical && !UNDERSTOOD.has(e.oid))?.oid;
  }

  /** Builds and verifies the path leaf → anchor; signature of every link is checked. */
  function buildPath(leaf: ParsedCertificate): ParsedCertificate[] | Omit<Failure, 'info'> {
    const path = [leaf];
    const untrusted = (message: string) => ({ ok: false as const, code: 'SIG_CERT_UNTRUSTED' as const, message });
    if (anchorThumbs.has(leaf.thumbprint)) return path;
    let current = leaf;
    for (let depth = 0; depth < MAX_PATH; depth++) {
      const critical = unknownCritical(current);
      if (critical) return untrusted(`unsupported critical extension ${critical} in ${current.subject}`);
      if (!isSupportedSignatureAlgorithm(current.signatureAlgorithm.oid, verifiers)) {
        return {
          ok: false,
          code: 'SIG_UNSUPPORTED_ALGORITHM',
          message: `certificate signature algorithm ${current.signatureAlgorithm.oid} is not supported`,
        };
      }
      const candidates = (casBySubject.get(hex(current.issuerDer)) ?? []).filter(
        (ca) =>
          ca.cert.thumbprint !== current.thumbprint &&
          !(current.authorityKeyId && ca.cert.subjectKeyId && !sameBytes(current.authorityKeyId, ca.cert.subjectKeyId)),
      );
      const cur = current;
      const next = candidates.find((ca) =>
        verifySignature(cur.signatureAlgorithm, cur.tbs, cur.signature, ca.cert.spki, ca.cert.publicKey, verifiers),
      );
      if (!next) {
        return untrusted(
          candidates.length === 0
            ? `no configured CA issued ${current.subject}`
            : `signature of ${current.subject} does not verify with its issuer's key`,
        );
      }
      const ca = next.cert;
      if (!ca.basicConstraints?.ca) return untrusted(`issuer ${ca.subject} is not a CA`);
      if (ca.keyUsage && !ca.keyUsage.includes('keyCertSign'))
        return untrusted(`issuer ${ca.subject} may not sign certificates`);
      // RFC 5280 4.2.1.9: pathLenConstraint counts the non-self-issued intermediates below the CA.
      const below = path.slice(1).filter((c) => !sameBytes(c.issuerDer, c.subjectDer)).length;
      if (ca.basicConstraints.pathLength !== undefined && below > ca.basicConstraints.pathLength) {
        return untrusted(`path length constraint of ${ca.subject} exceeded`);
      }
      if (path.some((c) => c.thumbprint === ca.thumbprint)) return untrusted('certificate path loops');
      path.push(ca);
      if (next.anchor) {
        const anchorCritical = unknownCritical(ca);
        if (anchorCritical) return untrusted(`unsupported critical extension ${anchorCritical} in ${ca.subject}`);
        return path;
      }
      current = ca;
    }
    return untrusted('certificate path too long');
  }

  function bindContour(c: ParsedCertificate): { contour: Contour | undefined; note: string } {
    const pinned = pinByThumb.get(c.thumbprint);
    const { contour: marker, markers } = contourFromPolicies(c.policies);
    if (markers.length > 1) return { contour: undefined, note: `marked for several contours (${markers.join(', ')})` };
    if (pinned) {
      if (marker && marker !== pinned) {
        return { contour: undefined, note: `pinned to ${pinned} but marked for ${marker}` };
      }
      return { contour: pinned, note: '' };
    }
    if (marker && pinnedOnly.has(marker)) return { contour: undefined, note: `not pinned for ${marker}` };
    return { contour: marker, note: marker ? '' : 'no contour marker and not pinned' };
  }

  function analyse(der: Uint8Array): CacheEntry {
    const parsed = parseCertificate(der);
    if (!parsed.ok) {
      const info = Object.freeze({
        thumbprint: sha256Hex(der),
        serialNumber: '',
        issuer: '',
        subject: '',
        notBefore: new Date(0),
        notAfter: new Date(0),
      });
      return {
        failure: { ok: false, code: 'SIG_CERT_MALFORMED', message: parsed.message },
        info,
        path: [],
        signing: false,
        encryption: false,
        contour: undefined,
        contourNote: '',
      };
    }
    const c = parsed.value;
    const { contour, note } = bindContour(c);
    const info = infoOf(c, contour);
    const ku = c.keyUsage ?? [];
    const base = {
      info,
      signing: ku.includes('digitalSignature') || ku.includes('nonRepudiation'),
      encryption: ku.includes('keyEncipherment') || ku.includes('keyAgreement'),
      contour,
      contourNote: note,
    };
    const path = buildPath(c);
    if (!Array.isArray(path)) return { ...base, path: [], failure: { ...path, info } };
    return { ...base, path };
  }

  function lookup(der: Uint8Array): CacheEntry {
    const key = sha256Hex(der);
    const hit = cache.get(key);
    if (hit) return hit;
    const entry = analyse(der);
    if (cache.size >= cacheSize) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, entry);
    return entry;
  }

  function check(certificateDer: Uint8Array, options: TrustCheckOptions = {}): CertificateCheck {
    if (!(certificateDer instanceof Uint8Array)) return { ok: false, code: 'SIG_CERT_MALFORMED', message: 'not bytes' };
    const e = lookup(certificateDer);
    if (e.failure) return e.failure;
    const info = e.info;
    const fail = (code: SigFailureCode, message: string): CertificateCheck => ({ ok: false, code, message, info });

    const now = options.now === null ? undefined : (options.now ?? clock());
    const signingTime = options.signingTime ?? now ?? clock();
    if (Number.isNaN(signingTime.getTime()) || (now && Number.isNaN(now.getTime()))) {
      throw new TypeError('check: signingTime / now must be valid dates');
    }

    // Validity of every certificate on the path, at the signing time and now (RFC 5280 6.1.3 (a)(2)).
    for (const [label, t] of [
      ['signing time', signingTime],
      ['now', now],
    ] as const) {
      if (!t) continue;
      for (const c of e.path) {
        const who = c === e.path[0] ? 'certificate' : `CA certificate ${c.subject}`;
        if (t < c.notBefore) return fail('SIG_CERT_NOT_YET_VALID', `${who} not yet valid at ${label}`);
        if (t > c.notAfter) return fail('SIG_CERT_EXPIRED', `${who} expired at ${label}`);
      }
    }

    const usage = options.usage ?? 'signing';
    if (usage === 'signing' ? !e.signing : !e.encryption) {
      return fail(
        'SIG_CERT_KEY_USAGE',
        usage === 'signing'
          ? 'key usage has neither digitalSignature nor nonRepudiation'
          : 'key usage has neither keyEncipherment nor keyAgreement',
      );
    }

    // Revocation of every non-anchor certificate on the path, on its issuer's CRL.
    for (let k = 0; k + 1 < e.path.length; k++) {
      const c = e.path[k]!;
      const issuer = e.path[k + 1]!;
      const loaded = crlByCa.get(issuer.thumbprint);
      if (!loaded) return fail('SIG_CRL_UNAVAILABLE', `no CRL loaded for ${issuer.subject}`);
      const crl = loaded.crl;
      if (now) {
        if (now.getTime() > crl.nextUpdate.getTime() + grace) {
          return fail('SIG_CRL_UNAVAILABLE', `CRL of ${issuer.subject} is past its nextUpdate`);
        }
      } else if (crl.thisUpdate < signingTime) {
        return fail('SIG_CRL_UNAVAILABLE', `no CRL of ${issuer.subject} issued after the signing time`);
      }
      const entry = crl.revoked.get(c.serialNumber);
      if (entry) {
        const effective =
          entry.invalidityDate && entry.invalidityDate < entry.revocationDate
            ? entry.invalidityDate
            : entry.revocationDate;
        // Live checks: the signingTime is the signer's own claim, so revocation is judged as of
        // now and a listed certificate fails whatever time it claims (this includes "revoked as of
        // the signing time"). Archive re-verification (now: null) judges as of signingTime, which
        // the caller takes from a trusted record; a compromised key can still have signed at any
        // time, so a compromise revocation counts whatever the time.
        const at = now ?? signingTime;
        if ((entry.reason !== undefined && COMPROMISE_REASONS.has(entry.reason)) || effective <= at) {
          return fail(
            'SIG_CERT_REVOKED',
            `${c === e.path[0] ? 'certificate' : `CA certificate ${c.subject}`} is revoked`,
          );
        }
      }
    }

    if (options.expectedContour !== undefined && e.contour !== options.expectedContour) {
      // 802-П прил. 1.1 / п. 14.3: a formation certificate never passes as control, and back.
      return fail(
        'SIG_WRONG_CONTOUR',
        e.contour
          ? `certificate belongs to ${e.contour}, not ${options.expectedContour}`
          : `certificate belongs to no contour: ${e.contourNote}`,
      );
    }
    return { ok: true, info };
  }

  async function loadBytes(source: CrlSource): Promise<Uint8Array> {
    if (typeof source !== 'string') return source;
    if (source.startsWith('-----BEGIN')) return new Uint8Array(Buffer.from(source, 'latin1'));
    if (/^https?:\/\//i.test(source)) {
      // fetch refuses URLs with credentials: send them as HTTP Basic instead.
      const url = new URL(source);
      const headers: Record<string, string> = {};
      if (url.username || url.password) {
        const user = decodeURIComponent(url.username);
        const pass = decodeURIComponent(url.password);
        headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
        url.username = '';
        url.password = '';
      }
      const res = await doFetch(url.toString(), { signal: AbortSignal.timeout(fetchTimeout), headers });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > MAX_CRL_BYTES) throw new Error('CRL too large');
      const body = new Uint8Array(await res.arrayBuffer());
      if (body.length > MAX_CRL_BYTES) throw new Error('CRL too large');
      return body;
    }
    const s = await stat(source);
    if (s.size > MAX_CRL_BYTES) throw new Error('CRL too large');
    return new Uint8Array(await readFile(source));
  }

  function install(crl: ParsedCrl, label: string): CrlLoadResult {
    const base = { source: label, issuer: crl.issuer, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate };
    const candidates = casBySubject.get(hex(crl.issuerDer)) ?? [];
    if (candidates.length === 0) {
      return { ...base, ok: false, code: 'CRL_UNKNOWN_ISSUER', message: 'no configured CA issued this CRL' };
    }
    const owners = candidates.filter(
      (ca) =>
        (!ca.cert.keyUsage || ca.cert.keyUsage.includes('cRLSign')) &&
        verifySignature(crl.signatureAlgorithm, crl.tbs, crl.signature, ca.cert.spki, ca.cert.publicKey, verifiers),
    );
    if (owners.length === 0) {
      return {
        ...base,
        ok: false,
        code: 'CRL_BAD_SIGNATURE',
        message: 'CRL signature does not verify with its issuer',
      };
    }
    for (const owner of owners) {
      const current = crlByCa.get(owner.cert.thumbprint)?.crl;
      // Never go back to an older list: a replayed old CRL could hide a revocation.
      const older =
        current &&
        (current.crlNumber !== undefined && crl.crlNumber !== undefined
          ? crl.crlNumber < current.crlNumber
          : crl.thisUpdate < current.thisUpdate);
      if (older) return { ...base, ok: false, code: 'CRL_OUTDATED', message: 'older than the CRL already loaded' };
      crlByCa.set(owner.cert.thumbprint, { crl, source: label });
    }
    return { ...base, ok: true };
  }

  async function loadOne(source: CrlSource, index: number): Promise<CrlLoadResult> {
    const label = sourceLabel(source, index);
    let bytes: Uint8Array;
    try {
      bytes = await loadBytes(source);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return { source: label, ok: false, code: 'CRL_FETCH_FAILED', message: reason };
    }
    const ders = derObjects(bytes, ['X509 CRL']);
    if (ders.length !== 1) return { source: label, ok: false, code: 'CRL_MALFORMED', message: 'expected one CRL' };
    const parsed = parseCrl(ders[0]!);
    if (!parsed.ok) return { source: label, ok: false, code: parsed.code, message: parsed.message };
    return install(parsed.value, label);
  }

  function refresh(): Promise<CrlRefreshReport> {
    if (!inFlight) {
      inFlight = Promise.all(crlSources.map((s, i) => loadOne(s, i)))
        .then((results) => ({ ok: results.every((r) => r.ok), results }))
        .finally(() => {
          inFlight = undefined;
        });
    }
    return inFlight;
  }

  return {
    check,
    refresh,
    async start() {
      const report = await refresh();
      if (!timer) {
        timer = setInterval(() => {
          void refresh();
        }, interval);
        timer.unref();
      }
      return report;
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    status() {
      const now = clock().getTime();
      return cas.map((ca) => {
        const s: CaStatus = { subject: ca.cert.subject, thumbprint: ca.cert.thumbprint, anchor: ca.anchor };
        const loaded = crlByCa.get(ca.cert.thumbprint);
        if (loaded) {
          const { crl } = loaded;
          s.crl = {
            source: loaded.source,
            thisUpdate: crl.thisUpdate,
            nextUpdate: crl.nextUpdate,
            stale: now > crl.nextUpdate.getTime() + grace,
            ...(crl.crlNumber !== undefined ? { crlNumber: crl.crlNumber.toString() } : {}),
          };
        }
        return s;
      });
    },
    crlSnapshots() {
      const seen = new Set<string>();
      const out: CrlSnapshot[] = [];
      for (const { crl } of crlByCa.values()) {
        if (seen.has(crl.thumbprint)) continue;
        seen.add(crl.thumbprint);
        out.push({ issuer: crl.issuer, der: crl.der, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate });
      }
      return out;
    },
  };
}
