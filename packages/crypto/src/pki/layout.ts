import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Result } from '@twincontour/ufebs';
import { CONTOURS, isContour } from '../certs/contour.js';
import { normaliseThumbprint, type TrustConfig } from '../certs/trust-store.js';
import type { Contour } from '../types.js';

/** Name of the layout file devInit writes last; its presence marks a complete directory. */
export const TRUST_FILE = 'trust.json';

/** The dev CA's files (paths relative to the PKI directory). */
export interface DevCaFiles {
  certificate: string;
  key: string;
  passphraseFile: string;
  crl: string;
  thumbprint: string;
  serialNumber: string;
}

/** One contour's certificate, key and passphrase file (paths relative to the PKI directory). */
export interface DevIdentityFiles {
  contour: Contour;
  certificate: string;
  key: string;
  passphraseFile: string;
  thumbprint: string;
  serialNumber: string;
}

/** The content of `trust.json`. */
export interface DevPkiLayout {
  version: 1;
  ca: DevCaFiles;
  identities: Record<Contour, DevIdentityFiles>;
}

const bad = (message: string): Result<never> => ({ ok: false, code: 'PKI_LAYOUT_INVALID', message });

/** A relative path that stays inside the directory: no absolute paths, no `..`, plain characters. */
function safeRelative(p: unknown): p is string {
  return (
    typeof p === 'string' &&
    p.length > 0 &&
    p.length < 256 &&
    !isAbsolute(p) &&
    /^[A-Za-z0-9._/-]+$/.test(p) &&
    !p.split('/').some((s) => s === '..' || s === '' || s === '.')
  );
}

function readFiles<K extends string>(
  value: unknown,
  keys: readonly K[],
  where: string,
  problems: string[],
): Record<K, string> | undefined {
  if (typeof value !== 'object' || value === null) {
    problems.push(`${where} is not an object`);
    return undefined;
  }
  const v = value as Record<string, unknown>;
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const x = v[k];
    if (k === 'thumbprint') {
      const t = typeof x === 'string' ? normaliseThumbprint(x) : undefined;
      if (!t) problems.push(`${where}.${k} is not a SHA-256 thumbprint`);
      else out[k] = t;
    } else if (k === 'serialNumber') {
      if (typeof x !== 'string' || !/^[0-9a-f]+$/.test(x)) problems.push(`${where}.${k} is not lowercase hex`);
      else out[k] = x;
    } else if (!safeRelative(x)) {
      problems.push(`${where}.${k} is not a safe relative path`);
    } else {
      out[k] = x;
    }
  }
  return out;
}

/** Validates a parsed `trust.json`; reports every problem at once. */
export function validateLayout(json: unknown): Result<DevPkiLayout> {
  if (typeof json !== 'object' || json === null) return bad('trust.json is not an object');
  const j = json as Record<string, unknown>;
  const problems: string[] = [];
  if (j.version !== 1) problems.push('version must be 1');
  const ca = readFiles(
    j.ca,
    ['certificate', 'key', 'passphraseFile', 'crl', 'thumbprint', 'serialNumber'] as const,
    'ca',
    problems,
  );
  const ids = j.identities;
  const identities = {} as Record<Contour, DevIdentityFiles>;
  if (typeof ids !== 'object' || ids === null) {
    problems.push('identities is not an object');
  } else {
    for (const key of Object.keys(ids)) if (!isContour(key)) problems.push(`identities.${key}: unknown contour`);
    for (const contour of CONTOURS) {
      const entry = (ids as Record<string, unknown>)[contour];
      const files = readFiles(
        entry,
        ['certificate', 'key', 'passphraseFile', 'thumbprint', 'serialNumber'] as const,
        `identities.${contour}`,
        problems,
      );
      if (files && (entry as Record<string, unknown>).contour !== contour) {
        problems.push(`identities.${contour}.contour must be ${contour}`);
      }
      if (files) identities[contour] = { contour, ...files };
    }
  }
  if (problems.length > 0 || !ca) return bad(problems.join('; '));
  return { ok: true, value: { version: 1, ca, identities } };
}

/** Every file a layout names. */
export function layoutFiles(layout: DevPkiLayout): string[] {
  const { ca, identities } = layout;
  return [
    ca.certificate,
    ca.key,
    ca.passphraseFile,
    ca.crl,
    ...CONTOURS.flatMap((c) => [identities[c].certificate, identities[c].key, identities[c].passphraseFile]),
  ];
}

/**
 * Reads and validates `trust.json` of a development PKI directory. `PKI_NOT_INITIALISED` when there
 * is none, `PKI_LAYOUT_INVALID` when it is unreadable, `PKI_DIR_INCOMPLETE` when a file it names is missing.
 */
export function readDevLayout(dir: string): Result<DevPkiLayout> {
  const path = join(dir, TRUST_FILE);
  if (!existsSync(path)) return { ok: false, code: 'PKI_NOT_INITIALISED', message: `no ${TRUST_FILE} in ${dir}` };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return bad(`${TRUST_FILE} is not valid JSON`);
  }
  const layout = validateLayout(json);
  if (!layout.ok) return layout;
  const missing = layoutFiles(layout.value).filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    return { ok: false, code: 'PKI_DIR_INCOMPLETE', message: `missing: ${missing.join(', ')}` };
  }
  return layout;
}

/**
 * Reads a development PKI directory back into a {@link TrustConfig}: the dev CA as the only anchor,
 * its CRL file as the CRL source, and each contour's certificate pinned to its contour (consistent
 * with the certificates' contour markers).
 */
export function loadTrustConfigFromDir(dir: string): Result<TrustConfig> {
  const layout = readDevLayout(dir);
  if (!layout.ok) return layout;
  const { ca, identities } = layout.value;
  let anchor: string;
  try {
    anchor = readFileSync(join(dir, ca.certificate), 'utf8');
  } catch {
    return bad(`cannot read ${ca.certificate}`);
  }
  const pins: Partial<Record<Contour, string[]>> = {};
  for (const c of CONTOURS) pins[c] = [identities[c].thumbprint];
  return { ok: true, value: { anchors: [anchor], crls: [join(dir, ca.crl)], pins } };
}
