import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Ed101 } from '../model.js';
import { writeEd101 } from './writer.js';
import { ED_WRAPPER_XSD, xsdValidate, xsdValidateMany } from './xsd.js';

const ed101: Ed101 = {
  kind: 'ED101',
  edNo: '100',
  edDate: '2025-03-14',
  edAuthor: '4525545000',
  accDocNo: '512',
  accDocDate: '2025-03-14',
  sum: '150000',
  transKind: '01',
  priority: '5',
  systemCode: '02',
  paymentPrecedence: '69',
  payer: { name: 'ООО Ромашка', personalAcc: '40702810900000000001', bank: { bic: '044525225' } },
  payee: { name: 'АО Лютик', personalAcc: '40702810500000000002', bank: { bic: '044525187' } },
  purpose: 'Оплата по счёту № 15',
};

function bytes(ed: Ed101): Uint8Array {
  const result = writeEd101(ed);
  if (!result.ok) throw new Error(result.code);
  return result.value;
}

const signed = bytes({
  ...ed101,
  sigValues: [
    { value: 'MIIBsw==', sigId: '01' },
    { value: 'MIIBtA==', sigId: '02' },
  ],
});

/** The same ED with its first ЗК moved after the content. */
function sigValueLast(doc: Uint8Array): Uint8Array {
  const text = Buffer.from(doc).toString('latin1');
  const sig = /<dsig:SigValue[^>]*>[^<]*<\/dsig:SigValue>/.exec(text)?.[0] ?? '';
  expect(sig).not.toBe('');
  return new Uint8Array(Buffer.from(text.replace(sig, '').replace('</ED101>', `${sig}</ED101>`), 'latin1'));
}

describe('schemas/ed-with-dsig.xsd', () => {
  it('imports the official schemas by paths that resolve from the repository', () => {
    const wrapper = readFileSync(ED_WRAPPER_XSD, 'utf8');
    const locations = [...wrapper.matchAll(/schemaLocation="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(locations.map((l) => l.split('/').pop())).toEqual([
      'cbr_dsig_v1.1.0.xsd',
      'cbr_dsig_env_v1.1.0.xsd',
      'cbr_ed_kbr_v2024.4.0.xsd',
    ]);
    for (const location of locations) {
      expect(location.startsWith('xsd-v2024.4.0/')).toBe(true);
      expect(existsSync(resolve(dirname(ED_WRAPPER_XSD), location))).toBe(true);
    }
  });

  it('accepts an ED101 with two dsig:SigValue first children', async () => {
    expect(await xsdValidate(signed)).toEqual({ ok: true, output: '- validates\n' });
  });

  it('refuses an ED101 whose dsig:SigValue comes last', async () => {
    const result = await xsdValidate(sigValueLast(signed));
    expect(result.ok).toBe(false);
    expect(result.output).toContain("Element '{urn:cbr-ru:dsig:v1.1}SigValue': This element is not expected");
  });

  it('refuses a schema violation and a document that is not XML', async () => {
    expect((await xsdValidate(bytes({ ...ed101, priority: '7' }))).ok).toBe(false);
    expect((await xsdValidate(new TextEncoder().encode('<ED101'))).ok).toBe(false);
  });

  it('validates the envelope namespace too (КА: sen:SigEnvelope)', async () => {
    const envelope = `<sen:SigEnvelope xmlns:sen="urn:cbr-ru:dsig:env:v1.1" xmlns:dsig="urn:cbr-ru:dsig:v1.1"><sen:SigContainer><dsig:MACValue>QUJD</dsig:MACValue></sen:SigContainer><sen:Object>${Buffer.from(signed).toString('base64')}</sen:Object></sen:SigEnvelope>`;
    expect((await xsdValidate(new TextEncoder().encode(envelope))).ok).toBe(true);
    expect(
      (
        await xsdValidate(
          new TextEncoder().encode(
            envelope.replace('dsig:MACValue', 'dsig:Other').replace('/dsig:MACValue', '/dsig:Other'),
          ),
        )
      ).ok,
    ).toBe(false);
  });
});

describe('xsdValidateMany', () => {
  it('returns one result per document, in order', async () => {
    const results = await xsdValidateMany([signed, sigValueLast(signed), bytes(ed101)]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]?.output).toContain('SigValue');
    expect(await xsdValidateMany([])).toEqual([]);
  });
});

describe('a missing xmllint', () => {
  it('fails loudly instead of answering', async () => {
    await expect(xsdValidate(signed, { xmllint: '/nonexistent/xmllint' })).rejects.toMatchObject({
      code: 'UFEBS_XML_XMLLINT_MISSING',
    });
    await expect(xsdValidateMany([signed], { xmllint: '/nonexistent/xmllint' })).rejects.toMatchObject({
      code: 'UFEBS_XML_XMLLINT_MISSING',
    });
  });
});
