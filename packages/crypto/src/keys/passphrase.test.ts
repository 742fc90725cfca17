import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPassphrase } from './passphrase.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tc-pass-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content, { mode: 0o600 });
  return p;
}

describe('readPassphrase', () => {
  it.each([
    ['no newline', 'secret', 'secret'],
    ['one trailing LF dropped', 'secret\n', 'secret'],
    ['one trailing CRLF dropped', 'secret\r\n', 'secret'],
    ['only one of two newlines dropped', 'secret\n\n', 'secret\n'],
    ['inner and leading spaces kept', '  se cret \n', '  se cret '],
    ['UTF-8 kept', 'пароль\n', 'пароль'],
  ])('from a file: %s', (name, content, expected) => {
    expect(readPassphrase({ file: file(`${name}.pass`, content) })).toEqual({ ok: true, value: expected });
  });

  it('from an environment variable', () => {
    expect(readPassphrase({ env: 'TC_KEY_PASS' }, { TC_KEY_PASS: 'from-env' })).toEqual({
      ok: true,
      value: 'from-env',
    });
  });

  it.each([
    ['a missing file', { file: '/nonexistent/tc.pass' }, {}],
    ['an empty file', { file: 'EMPTY' }, {}],
    ['a file with only a newline', { file: 'NEWLINE' }, {}],
    ['an unset variable', { env: 'TC_UNSET' }, {}],
    ['an empty variable', { env: 'TC_EMPTY' }, { TC_EMPTY: '' }],
    ['no source', {}, {}],
    ['two sources', { file: 'EMPTY', env: 'X' }, { X: 'y' }],
  ])('KEY_PASSPHRASE_UNAVAILABLE for %s', (_n, source, env) => {
    const s = { ...source } as { file?: string; env?: string };
    if (s.file === 'EMPTY') s.file = file('empty.pass', '');
    if (s.file === 'NEWLINE') s.file = file('nl.pass', '\n');
    expect(readPassphrase(s, env)).toMatchObject({ ok: false, code: 'KEY_PASSPHRASE_UNAVAILABLE' });
  });

  it('refuses an oversized file', () => {
    expect(readPassphrase({ file: file('big.pass', 'x'.repeat(5000)) })).toMatchObject({
      code: 'KEY_PASSPHRASE_UNAVAILABLE',
    });
  });

  it('never puts the passphrase into a message', () => {
    const r = readPassphrase({ env: 'A' }, { A: '' });
    expect(JSON.stringify(r)).not.toContain('secret');
  });
});
