import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENC_CODES } from '../envelope-encrypt/codes.js';
import { KEY_CODES } from '../keys/codes.js';
import { PKI_CODES } from '../pki/codes.js';
import { CERTIFICATE_CHECK_CODES, TRUST_CODES } from './codes.js';

const src = join(dirname(fileURLToPath(import.meta.url)), '..');
const catalog: Record<string, { meaning: string; action: string }> = {
  ...TRUST_CODES,
  ...CERTIFICATE_CHECK_CODES,
  ...KEY_CODES,
  ...PKI_CODES,
  ...ENC_CODES,
};

/** Every `<AREA>_<REASON>` string literal in the non-test sources of these folders. */
function codesInSources(): Set<string> {
  const found = new Set<string>();
  for (const folder of ['certs', 'keys', 'pki', 'envelope-encrypt']) {
    for (const f of readdirSync(join(src, folder))) {
      if (!f.endsWith('.ts') || f.endsWith('.test.ts') || f === 'codes.ts') continue;
      const text = readFileSync(join(src, folder, f), 'utf8');
      for (const m of text.matchAll(/'((?:SIG|KEY|PKI|ENC|CRL|TRUST)_[A-Z_]+)'/g)) found.add(m[1]!);
    }
  }
  return found;
}

describe('code catalogs', () => {
  it('document every code the certificate, key, PKI and encryption modules return', () => {
    const used = codesInSources();
    expect(used.size).toBeGreaterThan(20);
    const missing = [...used].filter((c) => !(c in catalog));
    expect(missing).toEqual([]);
  });

  it('give every code a meaning and an operator action, in the <AREA>_<REASON> form', () => {
    for (const [code, info] of Object.entries(catalog)) {
      expect(code).toMatch(/^[A-Z]+_[A-Z_]+$/);
      expect(info.meaning.length).toBeGreaterThan(10);
      expect(info.action.length).toBeGreaterThan(10);
    }
  });
});
