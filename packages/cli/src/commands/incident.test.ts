import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../io.js';
import { main } from '../main.js';
import { transportTarget } from './incident.js';

// Where `twincontour incident` finds transport and its ops key; the commands themselves run against the
// real services in test/e2e/incident.test.ts.

const work = mkdtempSync(join(tmpdir(), 'tc-cli-incident-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function io(env: Record<string, string> = {}): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (c) => out.push(Buffer.from(c).toString()),
    stderr: (c) => err.push(c),
    cwd: work,
    env: { TWINCONTOUR_DEV_DIR: join(work, 'none'), ...env },
  };
}

describe('incident: transport and key', () => {
  const credentials = join(work, 'credentials.json');
  writeFileSync(
    credentials,
    JSON.stringify({ transport: { ops: { id: 'dev-transport-ops', role: 'ops', key: 'tck_dev' } } }),
  );
  writeFileSync(join(work, 'key.txt'), 'tck_file\n');

  it.each([
    [
      'TWINCONTOUR_API_KEY first',
      { TWINCONTOUR_API_KEY: 'tck_env', TWINCONTOUR_API_KEY_FILE: 'key.txt' },
      {},
      'tck_env',
    ],
    ['then TWINCONTOUR_API_KEY_FILE', { TWINCONTOUR_API_KEY_FILE: 'key.txt' }, { credentials }, 'tck_file'],
    ['then the development credentials', {}, { credentials }, 'tck_dev'],
  ])('takes %s', (_name, env, options, key) => {
    expect(transportTarget(options, io(env)).key).toBe(key);
  });

  it('takes the URL from --transport-url, then TWINCONTOUR_TRANSPORT_URL, then the development port', () => {
    const env = { TWINCONTOUR_API_KEY: 'k', TWINCONTOUR_TRANSPORT_URL: 'http://t:1/' };
    expect(transportTarget({ 'transport-url': 'http://x:2' }, io(env)).url).toBe('http://x:2');
    expect(transportTarget({}, io(env)).url).toBe('http://t:1');
    expect(transportTarget({}, io({ TWINCONTOUR_API_KEY: 'k' })).url).toBe('http://127.0.0.1:8083');
  });

  it('says where the key is missing (CLI_NO_DEV_CREDENTIALS) and needs --reason to suspend (CLI_USAGE)', async () => {
    const missing = io();
    expect(await main(['incident', 'status'], missing)).toBe(2);
    expect(missing.err.join('')).toContain('CLI_NO_DEV_CREDENTIALS');
    const usage = io({ TWINCONTOUR_API_KEY: 'k' });
    expect(await main(['incident', 'suspend'], usage)).toBe(2);
    expect(usage.err.join('')).toContain('CLI_USAGE');
  });

  it('reports transport unreachable with CLI_GATEWAY_UNREACHABLE', async () => {
    const down = io({ TWINCONTOUR_API_KEY: 'k', TWINCONTOUR_TRANSPORT_URL: 'http://127.0.0.1:9' });
    expect(await main(['incident', 'status'], down)).toBe(2);
    expect(down.err.join('')).toContain('CLI_GATEWAY_UNREACHABLE');
  });
});
