import { spawnSync } from 'node:child_process';
import { OFFICIAL_XSD_DIR } from '@twincontour/ufebs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslVerify, type TestLeaf, TestPki, TestValidator } from './cms/test-pki.js';
import { unwrapEnvelope, verifyEnvelope, wrapEnvelope } from './ka.js';
import { createSoftwareSigner } from './signer.js';
import type { Signer } from './types.js';

let pki: TestPki;
let ec: TestLeaf;
let rsa: TestLeaf;
let signers: Record<'ecdsa' | 'rsa', Signer>;
let validator: TestValidator;
let wrapperXsd: string;

/** A file as АРМ КБР-Н exchanges them: Windows-1251 XML, here with bytes ≥ 0x80 and a ЗК already inside. */
const FILE = new Uint8Array(
  Buffer.concat([
    Buffer.from('<?xml version="1.0" encoding="windows-1251"?>\r\n<PacketEPD xmlns="urn:cbr-ru:ed:v2.0">', 'latin1'),
    Buffer.from([0xcf, 0xeb, 0xe0, 0xf2, 0xe5, 0xe6]),
    Buffer.from('<x:SigValue xmlns:x="urn:cbr-ru:dsig:v1.1">QUJD</x:SigValue></PacketEPD>\r\n', 'latin1'),
  ]),
);

beforeAll(() => {
  pki = new TestPki();
  ec = pki.leaf('ec', 'ec-p256');
  rsa = pki.leaf('rsa', 'rsa-2048');
  signers = {
    ecdsa: createSoftwareSigner(ec.key, ec.certificateDer),
    rsa: createSoftwareSigner(rsa.key, rsa.certificateDer),
  };
  validator = new TestValidator(pki.caDer, new Map([[rsa.thumbprint, 'control']]));
  // cbr_dsig_env_v1.1.0.xsd holds SigContainer's content as <xs:any namespace="urn:cbr-ru:dsig:v1.1"
  // processContents="strict"/> and does not import the dsig schema: validate with a wrapper importing both.
  const xsd = OFFICIAL_XSD_DIR.replace(/\/$/, '');
  wrapperXsd = pki.file(
    'env-with-dsig.xsd',
    `<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:import namespace="urn:cbr-ru:dsig:env:v1.1" schemaLocation="${xsd}/cbr_dsig_env_v1.1.0.xsd"/>
<xs:import namespace="urn:cbr-ru:dsig:v1.1" schemaLocation="${xsd}/cbr_dsig_v1.1.0.xsd"/></xs:schema>`,
  );
});
afterAll(() => pki.dispose());

function xsdValid(xml: Uint8Array): { ok: boolean; stderr: string } {
  const path = pki.file('envelope.xml', xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', wrapperXsd, path]);
  return { ok: r.status === 0, stderr: r.stderr.toString() };
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('wrapEnvelope', () => {
  it.each([
    ['ecdsa', 'windows-1251'],
    ['rsa', 'utf-8'],
  ] as const)(
    '%s, %s: valid against cbr_dsig_env_v1.1.0.xsd; the КА verifies with openssl over the file',
    async (alg, encoding) => {
      const envelope = await wrapEnvelope(FILE, signers[alg], { encoding });
      const text = Buffer.from(envelope).toString('latin1');
      expect(
        text.startsWith(
          `<?xml version="1.0" encoding="${encoding}"?>\n<sen:SigEnvelope xmlns:sen="urn:cbr-ru:dsig:env:v1.1"`,
        ),
      ).toBe(true);
      expect(xsdValid(envelope)).toEqual({ ok: true, stderr: expect.stringContaining('validates') });
      const unwrapped = unwrapEnvelope(envelope);
      if (!unwrapped.ok) throw new Error(unwrapped.message);
      expect(unwrapped.value.file).toEqual(FILE);
      expect(opensslVerify(pki, unwrapped.value.mac, FILE)).toMatchObject({ ok: true });
      const verified = await verifyEnvelope(envelope, { validator });
      expect(verified.ok).toBe(true);
      if (verified.ok) {
        expect(verified.file).toEqual(FILE);
        expect(verified.report.signers[0]!.certificate?.thumbprint).toBe(
          signers[alg] === signers.rsa ? rsa.thumbprint : ec.thumbprint,
        );
      }
    },
  );

  it('the contour of the КА signer can be required', async () => {
    const envelope = await wrapEnvelope(FILE, signers.rsa);
    expect((await verifyEnvelope(envelope, { validator, expectedContours: ['control'] })).ok).toBe(true);
    const byFormation = await wrapEnvelope(FILE, signers.ecdsa);
    expect(await verifyEnvelope(byFormation, { validator, expectedContours: ['control'] })).toMatchObject({
      ok: false,
      code: 'SIG_WRONG_CONTOUR',
    });
  });
});

describe('unwrapEnvelope and verifyEnvelope', () => {
  it('reads an envelope written by another tool: other prefixes, whitespace, wrapped base64', async () => {
    const ours = unwrapEnvelope(await wrapEnvelope(FILE, signers.ecdsa));
    if (!ours.ok) throw new Error(ours.message);
    const wrap = (b: Uint8Array) =>
      Buffer.from(b)
        .toString('base64')
        .replace(/(.{76})/g, '$1\r\n');
    const xml = enc(
      `<?xml version="1.0" encoding="UTF-8"?>\n<!-- КА -->\n<env:SigEnvelope xmlns:env="urn:cbr-ru:dsig:env:v1.1">\n  <env:SigContainer>\n    <MACValue xmlns="urn:cbr-ru:dsig:v1.1">\n${wrap(ours.value.mac)}\n</MACValue>\n  </env:SigContainer>\n  <env:Object>${wrap(FILE)}</env:Object>\n</env:SigEnvelope>\n`,
    );
    expect(xsdValid(xml)).toMatchObject({ ok: true });
    const verified = await verifyEnvelope(xml, { validator });
    expect(verified.ok).toBe(true);
  });

  it('a changed file inside the envelope → SIG_DIGEST_MISMATCH; a changed MAC → not ok', async () => {
    const envelope = Buffer.from(await wrapEnvelope(FILE, signers.ecdsa)).toString('latin1');
    const objectAt = envelope.indexOf('<sen:Object>') + '<sen:Object>'.length + 8;
    const swap = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
    const badFile = enc(swap(envelope, objectAt));
    expect(await verifyEnvelope(badFile, { validator })).toMatchObject({ ok: false, code: 'SIG_DIGEST_MISMATCH' });
    const macEnd = envelope.indexOf('</dsig:MACValue>') - 10;
    const badMac = await verifyEnvelope(enc(swap(envelope, macEnd)), { validator });
    if (badMac.ok) throw new Error('a changed MAC was accepted');
    expect(badMac.code).toMatch(/^SIG_(BAD_SIGNATURE|MALFORMED)$/);
    expect(badMac.report).toBeDefined();
  });

  const ENV = 'xmlns:sen="urn:cbr-ru:dsig:env:v1.1" xmlns:dsig="urn:cbr-ru:dsig:v1.1"';
  it.each([
    [
      'a DOCTYPE',
      `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><sen:SigEnvelope ${ENV}>&e;</sen:SigEnvelope>`,
      'UFEBS_XML_DTD_FORBIDDEN',
    ],
    ['not XML', 'MIIB', 'UFEBS_XML_MALFORMED'],
    ['another root', `<sen:Other ${ENV}/>`, 'SIG_MALFORMED'],
    [
      'no Object',
      `<sen:SigEnvelope ${ENV}><sen:SigContainer><dsig:MACValue>QUJD</dsig:MACValue></sen:SigContainer></sen:SigEnvelope>`,
      'SIG_MALFORMED',
    ],
    [
      'Object first',
      `<sen:SigEnvelope ${ENV}><sen:Object>QUJD</sen:Object><sen:SigContainer><dsig:MACValue>QUJD</dsig:MACValue></sen:SigContainer></sen:SigEnvelope>`,
      'SIG_MALFORMED',
    ],
    [
      'a SigValue for MACValue',
      `<sen:SigEnvelope ${ENV}><sen:SigContainer><dsig:SigValue>QUJD</dsig:SigValue></sen:SigContainer><sen:Object>QUJD</sen:Object></sen:SigEnvelope>`,
      'SIG_MALFORMED',
    ],
    [
      'bad base64',
      `<sen:SigEnvelope ${ENV}><sen:SigContainer><dsig:MACValue>QUJD</dsig:MACValue></sen:SigContainer><sen:Object>Q@JD</sen:Object></sen:SigEnvelope>`,
      'SIG_MALFORMED',
    ],
    [
      'text in the envelope',
      `<sen:SigEnvelope ${ENV}>x<sen:SigContainer><dsig:MACValue>QUJD</dsig:MACValue></sen:SigContainer><sen:Object>QUJD</sen:Object></sen:SigEnvelope>`,
      'SIG_MALFORMED',
    ],
    [
      'the wrong namespace',
      `<sen:SigEnvelope xmlns:sen="urn:other" xmlns:dsig="urn:cbr-ru:dsig:v1.1"><sen:SigContainer><dsig:MACValue>QUJD</dsig:MACValue></sen:SigContainer><sen:Object>QUJD</sen:Object></sen:SigEnvelope>`,
      'SIG_MALFORMED',
    ],
  ])('refuses %s (%s)', (_, xml, code) => {
    expect(unwrapEnvelope(enc(xml))).toMatchObject({ ok: false, code });
  });

  it('refuses an envelope over the size cap before parsing it', async () => {
    const envelope = await wrapEnvelope(FILE, signers.ecdsa);
    expect(unwrapEnvelope(envelope, { maxBytes: envelope.length - 1 })).toMatchObject({
      ok: false,
      code: 'UFEBS_XML_TOO_LARGE',
    });
    expect(await verifyEnvelope(envelope, { maxBytes: envelope.length - 1 })).toMatchObject({
      ok: false,
      code: 'UFEBS_XML_TOO_LARGE',
    });
    expect(unwrapEnvelope(envelope, { maxBytes: envelope.length }).ok).toBe(true);
  });

  it('arbitrary bytes never make unwrapEnvelope or verifyEnvelope throw', async () => {
    const fragments = fc.constantFrom(
      '<sen:SigEnvelope xmlns:sen="urn:cbr-ru:dsig:env:v1.1" xmlns:dsig="urn:cbr-ru:dsig:v1.1">',
      '</sen:SigEnvelope>',
      '<sen:SigContainer>',
      '</sen:SigContainer>',
      '<dsig:MACValue>',
      '</dsig:MACValue>',
      '<sen:Object>',
      '</sen:Object>',
      'QUJD',
      'MIIB',
      '<',
      '&',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.array(fragments, { maxLength: 20 }).map((a) => enc(a.join(''))),
        ),
        async (bytes) => {
          unwrapEnvelope(bytes);
          expect((await verifyEnvelope(bytes, { validator })).ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
