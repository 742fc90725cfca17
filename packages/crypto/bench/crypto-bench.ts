// Signing and verification throughput of the ЗК path (normalize the ED, detached CMS, insert /
// read dsig:SigValue) and of the bare CMS layer, per algorithm, on one core, one operation at a time.
// Keys are made at start-up by node:crypto, certificates by @peculiar/x509; nothing touches disk.
// Run: `pnpm bench crypto` from the repository root, or `npx tsx bench/crypto-bench.ts` here.
// Certificate checks (trust store) are not included: they are cached per certificate there.
import 'reflect-metadata';
import { generateKeyPairSync, type KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { signDetached } from '../src/cms/sign.js';
import { verifyDetached } from '../src/cms/verify.js';
import { createSoftwareSigner } from '../src/signer.js';
import type { Signer } from '../src/types.js';
import { addZk, verifyZks } from '../src/zk.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const subtle = webcrypto.subtle;
const MEASURE_MS = Number(process.env.BENCH_MS ?? 1000);

type Alg = 'ECDSA P-256' | 'RSA-2048';

function keyPair(alg: Alg): { privateKey: KeyObject; publicKey: KeyObject } {
  return alg === 'RSA-2048'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

async function toCrypto(
  pair: { privateKey: KeyObject; publicKey: KeyObject },
  alg: Alg,
): Promise<webcrypto.CryptoKeyPair> {
  const params =
    alg === 'RSA-2048' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const privateKey = await subtle.importKey(
    'pkcs8',
    pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
    params,
    false,
    ['sign'],
  );
  const publicKey = await subtle.importKey(
    'spki',
    pair.publicKey.export({ format: 'der', type: 'spki' }),
    params,
    true,
    ['verify'],
  );
  return { privateKey, publicKey };
}

const caPair = keyPair('ECDSA P-256');
const caKeys = await toCrypto(caPair, 'ECDSA P-256');
const caName = 'CN=Bench CA, O=TwinContour, C=RU';

async function makeSigner(alg: Alg, cn: string): Promise<Signer> {
  const pair = keyPair(alg);
  const keys = await toCrypto(pair, alg);
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}, O=TwinContour, C=RU`,
    issuer: caName,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
    ],
  });
  return createSoftwareSigner(pair.privateKey, new Uint8Array(cert.rawData));
}

// A ~2 KB ED101 in UTF-8 (CRYPTO.md measures with a 2 KB payload).
const ed = new TextEncoder().encode(
  `<?xml version="1.0" encoding="UTF-8"?>
<ED101 xmlns="urn:cbr-ru:ed:v2.0" EDNo="100" EDDate="2025-03-14" EDAuthor="4525545000" Sum="150000" PaymentPrecedence="69" TransKind="01" Priority="5" SystemCode="02" PaytKind="4">
  <AccDoc AccDocNo="512" AccDocDate="2025-03-14"/>
  <Payer PersonalAcc="40702810900000000001" INN="7707083893" KPP="770701001">
    <Name>ООО "Ромашка" &amp; партнёры</Name>
    <Bank BIC="044525225" CorrespAcc="30101810400000000225"/>
  </Payer>
  <Payee PersonalAcc="40702810500000000002" INN="7702070139">
    <Name>АО "Лютик"</Name>
    <Bank BIC="044525187" CorrespAcc="30101810700000000187"/>
  </Payee>
  <Purpose>${'Оплата по счёту № 15 от 10.03.2025, без НДС. '.repeat(20)}</Purpose>
</ED101>
`,
);

async function opsPerSecond(op: () => Promise<unknown>): Promise<number> {
  const warmUntil = performance.now() + MEASURE_MS / 4; // warm-up: let the JIT settle
  while (performance.now() < warmUntil) await op();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MEASURE_MS) {
    await op();
    n++;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

async function unwrap<T>(
  r: Promise<{ ok: true; value: T } | { ok: false; code: string; message: string }>,
): Promise<T> {
  const v = await r;
  if (!v.ok) throw new Error(`${v.code}: ${v.message}`);
  return v.value;
}

const rows: Array<{ algorithm: Alg; operation: string; opsPerSec: number }> = [];
for (const alg of ['ECDSA P-256', 'RSA-2048'] as const) {
  const formation = await makeSigner(alg, 'formation');
  const control = await makeSigner(alg, 'control');
  const one = await unwrap(addZk(ed, formation));
  const two = await unwrap(addZk(one, control));
  const cms = await signDetached(ed, formation);
  const mustPass = async (p: Promise<{ ok: boolean }>) => {
    if (!(await p).ok) throw new Error('verification failed in the benchmark');
  };
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['ЗК sign (normalize + CMS + insert)', () => addZk(ed, formation)],
    ['ЗК verify (one ЗК)', () => mustPass(verifyZks(one))],
    ['two-ЗК verify (formation + control)', () => mustPass(verifyZks(two, {}))],
    ['CMS signDetached (2 KB)', () => signDetached(ed, formation)],
    ['CMS verifyDetached (2 KB)', () => mustPass(verifyDetached(cms, ed))],
  ];
  for (const [operation, op] of cases) rows.push({ algorithm: alg, operation, opsPerSec: await opsPerSecond(op) });
}

const width = Math.max(...rows.map((r) => r.operation.length));
process.stdout.write(`${'algorithm'.padEnd(12)}  ${'operation'.padEnd(width)}  ops/s\n`);
for (const r of rows) {
  process.stdout.write(
    `${r.algorithm.padEnd(12)}  ${r.operation.padEnd(width)}  ${Math.round(r.opsPerSec).toString().padStart(6)}\n`,
  );
}
