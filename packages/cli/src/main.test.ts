import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { normalizeEd, xsdValidate } from '@twincontour/ufebs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from './io.js';
import { main } from './main.js';

const repo = resolve(import.meta.dirname, '../../..');
const example = join(repo, 'examples', 'payment-order.json');
const budgetExample = join(repo, 'examples', 'budget-payment-order.json');
const bin = join(repo, 'packages', 'cli', 'bin', 'twincontour.mjs');

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
  json: () => Record<string, unknown>;
}

let work: string;

/** Runs `twincontour ARGS` in-process, capturing what it prints. */
async function tc(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out: Buffer[] = [];
  let err = '';
  const io: Io = {
    stdout: (chunk) => out.push(Buffer.from(chunk)),
    stderr: (chunk) => {
      err += chunk;
    },
    cwd: work,
    env,
  };
  const code = await main(args, io);
  const stdout = Buffer.concat(out);
  return { code, stdout, stderr: err, json: () => JSON.parse(stdout.toString('utf8')) };
}

function openssl(args: string[]): { status: number; output: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

/** Writes each ЗК of an ED as DER and checks it with `openssl cms -verify` over the normalized ED. */
function caOf(pki: string): string {
  return join(pki, JSON.parse(readFileSync(join(pki, 'trust.json'), 'utf8')).ca.certificate);
}

function opensslVerifyZks(edPath: string, pki: string): number {
  const ed = readFileSync(edPath);
  const normalized = normalizeEd(ed);
  if (!normalized.ok) throw new Error(normalized.code);
  const contentPath = `${edPath}.normalized`;
  writeFileSync(contentPath, normalized.value);
  const text = ed.toString('latin1');
  const values = [...text.matchAll(/<dsig:SigValue[^>]*>([^<]+)<\/dsig:SigValue>/g)].map((m) => m[1]!);
  values.forEach((b64, i) => {
    const sig = `${edPath}.zk${i}.der`;
    writeFileSync(sig, Buffer.from(b64, 'base64'));
    const r = openssl([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      sig,
      '-content',
      contentPath,
      '-CAfile',
      caOf(pki),
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ]);
    expect(r.status, r.output).toBe(0);
  });
  return values.length;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tc-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('ed build / check / to-order / normalize', () => {
  it.each([
    ['payment-order.json', example],
    ['budget-payment-order.json', budgetExample],
  ])('builds %s into an ED101 that the official XSD, ed check and ed to-order accept', async (_name, orderFile) => {
    const built = await tc([
      'ed',
      'build',
      orderFile,
      '--ed-author',
      '4525545000',
      '--ed-no',
      '17',
      '--ed-date',
      '2026-11-24',
    ]);
    expect(built.code, built.stderr + built.stdout.toString()).toBe(0);
    expect(built.stdout.subarray(0, 45).toString('latin1')).toContain('encoding="WINDOWS-1251"');
    const xsd = await xsdValidate(built.stdout);
    expect(xsd.ok, xsd.output).toBe(true);

    const edPath = join(work, `built-${_name}.xml`);
    writeFileSync(edPath, built.stdout);
    const checked = await tc(['ed', 'check', edPath, '--schema']);
    expect(checked.code).toBe(0);
    expect(checked.json()).toMatchObject({
      readable: true,
      valid: true,
      kind: 'ED101',
      identity: { edNo: '17', edDate: '2026-11-24', edAuthor: '4525545000' },
      findings: [],
    });

    const order = await tc(['ed', 'to-order', edPath]);
    expect(order.code).toBe(0);
    expect(order.json()).toEqual(JSON.parse(readFileSync(orderFile, 'utf8')));

    const normalized = await tc(['ed', 'normalize', edPath]);
    expect(normalized.code).toBe(0);
    const expected = normalizeEd(built.stdout);
    expect(expected.ok && Buffer.from(expected.value).equals(normalized.stdout)).toBe(true);
  });

  it('reports every requisite failure of an ED at once with codes and paths, exit 1', async () => {
    const order = JSON.parse(readFileSync(example, 'utf8'));
    const built = await tc(['ed', 'build', example, '--ed-author', '4525545000', '--ed-date', '2026-11-24']);
    // Corrupt two requisites directly in the XML: the payer's account control key and the payee INN.
    const xml = built.stdout
      .toString('latin1')
      .replace(
        `PersonalAcc="${order.payer.personalAcc}"`,
        `PersonalAcc="${order.payer.personalAcc.slice(0, 19)}${(Number(order.payer.personalAcc.at(-1)) + 1) % 10}"`,
      )
      .replace(
        `INN="${order.payee.inn}"`,
        `INN="${order.payee.inn.slice(0, -1)}${(Number(order.payee.inn.at(-1)) + 1) % 10}"`,
      );
    const edPath = join(work, 'bad.xml');
    writeFileSync(edPath, Buffer.from(xml, 'latin1'));
    const checked = await tc(['ed', 'check', edPath]);
    expect(checked.code).toBe(1);
    const findings = checked.json().findings as { code: string; path: string }[];
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'UFEBS_ACCOUNT_KEY', path: 'payer.personalAcc' }),
        expect.objectContaining({ code: 'UFEBS_INN_CHECKSUM', path: 'payee.inn' }),
      ]),
    );
  });

  it.each([
    ['garbage', Buffer.from('this is not xml')],
    [
      'a DTD with entities',
      Buffer.from('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><ED101 xmlns="urn:cbr-ru:ed:v2.0">&x;</ED101>'),
    ],
  ])('exits 2 on unreadable input: %s', async (name, bytes) => {
    const path = join(work, `unreadable-${name.replace(/\W/g, '')}`);
    writeFileSync(path, bytes);
    const checked = await tc(['ed', 'check', path]);
    expect(checked.code).toBe(2);
    expect(checked.json().readable).toBe(false);
  });

  it('exits 2 with a coded error for a missing file and for bad usage', async () => {
    const missing = await tc(['ed', 'check', join(work, 'no-such-file.xml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('CLI_UNREADABLE_INPUT');
    const usage = await tc(['ed', 'check']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('CLI_USAGE');
    const unknown = await tc(['ed', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('CLI_UNKNOWN_COMMAND');
  });

  it('refuses an invalid order with every field error and exit 1', async () => {
    const order = JSON.parse(readFileSync(example, 'utf8'));
    order.payer.bank.bic = '12345';
    order.sum = '0';
    const path = join(work, 'bad-order.json');
    writeFileSync(path, JSON.stringify(order));
    const built = await tc(['ed', 'build', path, '--ed-author', '4525545000']);
    expect(built.code).toBe(1);
    const paths = (built.json().findings as { path: string }[]).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['payer.bank.bic', 'sum']));
  });
});

describe('keys, signatures and envelopes with a development PKI', () => {
  let pki: string;
  let edPath: string;

  beforeAll(async () => {
    pki = join(work, 'pki');
    const init = await tc(['pki', 'dev-init', pki]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.json().created).toBe(true);
    const again = await tc(['pki', 'dev-init', pki]);
    expect(again.json().created).toBe(false);
    const built = await tc(['ed', 'build', example, '--ed-author', '4525545000', '--ed-date', '2026-11-24']);
    edPath = join(work, 'to-sign.xml');
    writeFileSync(edPath, built.stdout);
  });

  it('adds formation then control ЗК; ed verify and openssl cms -verify accept both; the first stays byte for byte', async () => {
    const first = await tc(['ed', 'sign', '--contour', 'formation', '--pki', pki, edPath]);
    expect(first.code, first.stderr).toBe(0);
    const onePath = join(work, 'signed-1.xml');
    writeFileSync(onePath, first.stdout);
    const second = await tc(['ed', 'sign', '--contour', 'control', '--pki', pki, onePath]);
    expect(second.code, second.stderr).toBe(0);
    const twoPath = join(work, 'signed-2.xml');
    writeFileSync(twoPath, second.stdout);

    const firstZk = first.stdout.toString('latin1').match(/<dsig:SigValue[^>]*>[^<]+<\/dsig:SigValue>/)![0];
    expect(second.stdout.toString('latin1')).toContain(firstZk);

    const verified = await tc(['ed', 'verify', twoPath, '--pki', pki, '--contours', 'formation,control']);
    expect(verified.code, verified.stdout.toString()).toBe(0);
    const report = verified.json() as { ok: boolean; zks: { ok: boolean; certificate: { contour: string } }[] };
    expect(report.zks.map((z) => [z.ok, z.certificate.contour])).toEqual([
      [true, 'formation'],
      [true, 'control'],
    ]);
    expect(opensslVerifyZks(twoPath, pki)).toBe(2);
    expect((await xsdValidate(second.stdout)).ok).toBe(true);
  });

  it('refuses two ЗК from one contour, and a changed requisite after signing', async () => {
    const first = await tc(['ed', 'sign', '--contour', 'formation', '--pki', pki, edPath]);
    const onePath = join(work, 'same-1.xml');
    writeFileSync(onePath, first.stdout);
    const twice = await tc(['ed', 'sign', '--contour', 'formation', '--pki', pki, onePath]);
    const twicePath = join(work, 'same-2.xml');
    writeFileSync(twicePath, twice.stdout);
    const sameContour = await tc(['ed', 'verify', twicePath, '--pki', pki, '--contours', 'formation,control']);
    expect(sameContour.code).toBe(1);
    expect(['SIG_WRONG_CONTOUR', 'SIG_SAME_CERTIFICATE']).toContain(sameContour.json().code);

    const tampered = first.stdout
      .toString('latin1')
      .replace(/Sum="(\d+)"/, (_m, s: string) => `Sum="${BigInt(s) + 1n}"`);
    const tamperedPath = join(work, 'tampered.xml');
    writeFileSync(tamperedPath, Buffer.from(tampered, 'latin1'));
    const verified = await tc(['ed', 'verify', tamperedPath, '--pki', pki]);
    expect(verified.code).toBe(1);
    expect(verified.json().code).toBe('SIG_DIGEST_MISMATCH');
  });

  it('wraps a file in a КА envelope that envelope verify and openssl accept', async () => {
    const wrapped = await tc(['envelope', 'wrap', edPath, '--pki', pki]);
    expect(wrapped.code, wrapped.stderr).toBe(0);
    const envPath = join(work, 'envelope.xml');
    writeFileSync(envPath, wrapped.stdout);
    const outPath = join(work, 'unwrapped.xml');
    const verified = await tc(['envelope', 'verify', envPath, '--pki', pki, '--contour', 'control', '--out', outPath]);
    expect(verified.code, verified.stdout.toString()).toBe(0);
    expect(readFileSync(outPath).equals(readFileSync(edPath))).toBe(true);

    const mac = wrapped.stdout.toString('latin1').match(/<dsig:MACValue>([^<]+)<\/dsig:MACValue>/)![1]!;
    writeFileSync(join(work, 'mac.der'), Buffer.from(mac, 'base64'));
    const r = openssl([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      join(work, 'mac.der'),
      '-content',
      edPath,
      '-CAfile',
      caOf(pki),
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ]);
    expect(r.status, r.output).toBe(0);

    const asFormation = await tc(['envelope', 'verify', envPath, '--pki', pki, '--contour', 'formation']);
    expect(asFormation.code).toBe(1);
  });

  it('generates a contour key, makes a CSR openssl verifies, and imports the certificate the CA issued', async () => {
    const keysDir = join(work, 'keys');
    const generated = await tc(['keys', 'generate', '--contour', 'formation', '--out', keysDir]);
    expect(generated.code, generated.stderr).toBe(0);
    const { keyFile, passphraseFile } = generated.json() as { keyFile: string; passphraseFile: string };
    expect(readFileSync(keyFile, 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
    const passphrase = readFileSync(passphraseFile, 'utf8').trim();
    expect(readFileSync(keyFile, 'utf8')).not.toContain(passphrase);

    const again = await tc(['keys', 'generate', '--contour', 'formation', '--out', keysDir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('CLI_EXISTS');

    const csr = await tc([
      'keys',
      'csr',
      '--contour',
      'formation',
      '--key',
      keyFile,
      '--passphrase-file',
      passphraseFile,
      '--subject',
      'CN=Formation contour,O=Test Bank,C=RU',
    ]);
    expect(csr.code, csr.stderr).toBe(0);
    const csrPath = join(keysDir, 'formation.csr.pem');
    writeFileSync(csrPath, csr.stdout);
    expect(openssl(['req', '-verify', '-noout', '-in', csrPath]).status).toBe(0);

    // The development CA issues it, as the bank's CA would.
    const layout = JSON.parse(readFileSync(join(pki, 'trust.json'), 'utf8'));
    const certPath = join(keysDir, 'issued.pem');
    execFileSync('openssl', [
      'x509',
      '-req',
      '-in',
      csrPath,
      '-CA',
      join(pki, layout.ca.certificate),
      '-CAkey',
      join(pki, layout.ca.key),
      '-passin',
      `file:${join(pki, layout.ca.passphraseFile)}`,
      '-copy_extensions',
      'copy',
      '-days',
      '30',
      '-set_serial',
      '0x1234abcd',
      '-out',
      certPath,
    ]);
    const imported = await tc([
      'keys',
      'import-cert',
      '--contour',
      'formation',
      '--key',
      keyFile,
      '--passphrase-file',
      passphraseFile,
      '--cert',
      certPath,
      '--out',
      keysDir,
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    const shown = await tc(['cert', 'show', join(keysDir, 'formation.cert.pem')]);
    expect(shown.code).toBe(0);
    expect(shown.json()).toMatchObject({ serialNumber: '1234abcd', contourMarker: 'formation' });

    const wrongKey = await tc([
      'keys',
      'import-cert',
      '--contour',
      'formation',
      '--key',
      join(pki, layout.identities.control.key),
      '--passphrase-file',
      join(pki, layout.identities.control.passphraseFile),
      '--cert',
      certPath,
      '--out',
      keysDir,
    ]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('KEY_CERT_MISMATCH');
    expect(wrongKey.stderr).not.toContain(
      readFileSync(join(pki, layout.identities.control.passphraseFile), 'utf8').trim(),
    );
  });
});

describe('the installed bin', () => {
  it('runs as a separate process with the same exit codes', () => {
    const help = spawnSync(process.execPath, [bin, 'help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('twincontour ed check');
    const missing = spawnSync(process.execPath, [bin, 'ed', 'check', '/nonexistent/file.xml'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
  });
});
