import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { FieldError } from '../result.js';
import { parseEd, parseEd101, parseEd201, parseEd206, parseEd211, parsePacketEpd } from './parser.js';
import { xsdValidate } from './xsd.js';

/** A small valid ED101 (checked against the XSD below) to mutate. */
const ED101 = `<?xml version="1.0" encoding="UTF-8"?>
<ED101 xmlns="urn:cbr-ru:ed:v2.0" xmlns:dsig="urn:cbr-ru:dsig:v1.1" EDNo="100" EDDate="2025-03-14" EDAuthor="4525545000" Sum="150000" PaymentPrecedence="69" TransKind="01" Priority="5" SystemCode="02">
  <dsig:SigValue SigId="01">
MIIB
sw==
</dsig:SigValue>
  <SettleNotEarlier><SessionID>1</SessionID></SettleNotEarlier>
  <AccDoc AccDocNo="512" AccDocDate="2025-03-14"/>
  <Payer PersonalAcc="40702810900000000001" INN="7707083893">
    <Name>ООО "Ромашка" &amp; партнёры</Name>
    <Bank BIC="044525225" CorrespAcc="30101810400000000225"/>
  </Payer>
  <Payee>
    <Name>АО Лютик</Name>
    <Bank BIC="044525187"/>
  </Payee>
  <Purpose>Оплата по счёту № 15 (1 &lt; 2)</Purpose>
</ED101>`;

function errorsOf(doc: string): FieldError[] {
  const result = parseEd(doc);
  if (result.ok) throw new Error('expected a structural failure');
  expect(result.code).toBe('UFEBS_ED_STRUCTURE');
  return result.errors ?? [];
}

const pairs = (errors: FieldError[]): [string, string][] => errors.map((e) => [e.code, e.path]);

describe('parseEd — a valid ED101', () => {
  it('starts from an ED101 that the official XSD accepts', async () => {
    expect(await xsdValidate(new TextEncoder().encode(ED101))).toMatchObject({ ok: true });
  });

  it('maps every requisite, keeping values as written', () => {
    expect(parseEd(ED101)).toStrictEqual({
      ok: true,
      value: {
        kind: 'ED101',
        edNo: '100',
        edDate: '2025-03-14',
        edAuthor: '4525545000',
        sum: '150000',
        paymentPrecedence: '69',
        transKind: '01',
        priority: '5',
        systemCode: '02',
        sigValues: [{ value: '\nMIIB\nsw==\n', sigId: '01' }],
        settleNotEarlier: { sessionId: '1' },
        accDocNo: '512',
        accDocDate: '2025-03-14',
        payer: {
          personalAcc: '40702810900000000001',
          inn: '7707083893',
          name: 'ООО "Ромашка" & партнёры',
          bank: { bic: '044525225', correspAcc: '30101810400000000225' },
        },
        payee: { name: 'АО Лютик', bank: { bic: '044525187' } },
        purpose: 'Оплата по счёту № 15 (1 < 2)',
      },
    });
  });

  it('reads the same ED from Windows-1251 bytes', () => {
    const bytes = iconv.encode(ED101.replace('UTF-8', 'windows-1251'), 'windows-1251');
    expect(parseEd(new Uint8Array(bytes))).toStrictEqual(parseEd(ED101));
  });

  it('accepts xsi:schemaLocation and a prefixed ED namespace', () => {
    const doc = ED101.replace(
      '<ED101 xmlns="urn:cbr-ru:ed:v2.0"',
      '<ED101 xmlns="urn:cbr-ru:ed:v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:cbr-ru:ed:v2.0 ed101.xsd"',
    )
      .replace(/<(\/?)(ED101|SettleNotEarlier|SessionID|AccDoc|Payer|Payee|Name|Bank|Purpose)\b/g, '<$1e:$2')
      .replace('xmlns="urn:cbr-ru:ed:v2.0"', 'xmlns:e="urn:cbr-ru:ed:v2.0"');
    expect(parseEd(doc)).toStrictEqual(parseEd(ED101));
  });
});

describe('parseEd — structural problems', () => {
  it.each<[string, string, [string, string][]]>([
    ['a missing required attribute', ED101.replace(' EDNo="100"', ''), [['UFEBS_ED_MISSING_ATTRIBUTE', 'edNo']]],
    [
      'a missing nested attribute',
      ED101.replace('<Bank BIC="044525187"/>', '<Bank/>'),
      [['UFEBS_ED_MISSING_ATTRIBUTE', 'payee.bank.bic']],
    ],
    [
      'a missing required element',
      ED101.replace(/<Payer [\s\S]*<\/Payer>/, ''),
      [['UFEBS_ED_MISSING_ELEMENT', 'payer']],
    ],
    ['a missing AccDoc', ED101.replace(/<AccDoc [^>]*\/>/, ''), [['UFEBS_ED_MISSING_ELEMENT', 'AccDoc']]],
    ['a missing leaf', ED101.replace('<Name>АО Лютик</Name>', ''), [['UFEBS_ED_MISSING_ELEMENT', 'payee.name']]],
    ['an unknown element', ED101.replace('</ED101>', '<Extra/></ED101>'), [['UFEBS_ED_UNEXPECTED_ELEMENT', 'Extra']]],
    [
      'a repeated element',
      ED101.replace('</ED101>', '<Purpose>2</Purpose></ED101>'),
      [['UFEBS_ED_UNEXPECTED_ELEMENT', 'Purpose']],
    ],
    [
      'an unknown attribute',
      ED101.replace('<Payee>', '<Payee Foo="1">'),
      [['UFEBS_ED_UNEXPECTED_ATTRIBUTE', 'payee.@Foo']],
    ],
    [
      'a qualified attribute',
      ED101.replace(' Sum="150000"', ' dsig:Sum="150000"'),
      [['UFEBS_ED_WRONG_NAMESPACE', 'sum']],
    ],
    [
      'an element in another namespace',
      ED101.replace('<Payee>', '<Payee xmlns="urn:other">'),
      [
        ['UFEBS_ED_WRONG_NAMESPACE', 'payee'],
        ['UFEBS_ED_WRONG_NAMESPACE', 'payee.name'],
        ['UFEBS_ED_WRONG_NAMESPACE', 'payee.bank'],
      ],
    ],
    [
      'a ЗК placed last',
      ED101.replace('</ED101>', '<dsig:SigValue>QQ==</dsig:SigValue></ED101>'),
      [['UFEBS_ED_SIGVALUE_MISPLACED', 'SigValue']],
    ],
    [
      'a ЗК in the ED namespace',
      ED101.replace(/dsig:SigValue/g, 'SigValue'),
      [['UFEBS_ED_WRONG_NAMESPACE', 'sigValues[0]']],
    ],
    [
      'a ЗК inside another element',
      ED101.replace('<Payee>', '<Payee><dsig:SigValue>QQ==</dsig:SigValue>'),
      [['UFEBS_ED_SIGVALUE_MISPLACED', 'payee.SigValue']],
    ],
    [
      'text where only elements belong',
      ED101.replace('<Payee>', '<Payee>stray'),
      [['UFEBS_ED_UNEXPECTED_TEXT', 'payee.#text']],
    ],
    [
      'an element inside a leaf',
      ED101.replace('<Purpose>', '<Purpose><b/>'),
      [['UFEBS_ED_UNEXPECTED_ELEMENT', 'purpose.b']],
    ],
    [
      'both options of a choice',
      ED101.replace('<SessionID>1</SessionID>', '<SessionID>1</SessionID><SettlementTime>10:00:00</SettlementTime>'),
      [['UFEBS_ED_CHOICE', 'settleNotEarlier.settlementTime']],
    ],
    [
      'none of a required choice',
      ED101.replace('<SessionID>1</SessionID>', ''),
      [['UFEBS_ED_CHOICE', 'settleNotEarlier']],
    ],
    [
      'elements out of order',
      ED101.replace(/(<Payee>[\s\S]*<\/Payee>)\s*(<Purpose>[\s\S]*<\/Purpose>)/, '$2$1'),
      [
        ['UFEBS_ED_MISSING_ELEMENT', 'payee'],
        ['UFEBS_ED_UNEXPECTED_ELEMENT', 'Payee'],
      ],
    ],
  ])('reports %s', (_, doc, expected) => {
    expect(pairs(errorsOf(doc))).toEqual(expected);
  });

  it('reports every element of an ED written in no namespace', () => {
    const errors = errorsOf(ED101.replace('xmlns="urn:cbr-ru:ed:v2.0"', ''));
    expect(errors[0]).toMatchObject({ code: 'UFEBS_ED_WRONG_NAMESPACE', path: '' });
    expect(errors.map((e) => e.path)).toEqual([
      '',
      'settleNotEarlier',
      'settleNotEarlier.sessionId',
      'AccDoc',
      'payer',
      'payer.name',
      'payer.bank',
      'payee',
      'payee.name',
      'payee.bank',
      'purpose',
    ]);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['UFEBS_ED_WRONG_NAMESPACE']));
  });

  it('reports a ЗК between other children without making the rest look missing', () => {
    const doc = ED101.replace('<Payer ', '<dsig:SigValue>QQ==</dsig:SigValue><Payer ');
    expect(pairs(errorsOf(doc))).toEqual([['UFEBS_ED_SIGVALUE_MISPLACED', 'SigValue']]);
  });

  it('collects every problem at once, with a message for each', () => {
    const doc = ED101.replace(' EDNo="100"', '')
      .replace(' Sum="150000"', '')
      .replace('<Payee>', '<Payee Foo="1">')
      .replace('<Bank BIC="044525225"', '<Bank')
      .replace('</ED101>', '<Extra/><dsig:SigValue>QQ==</dsig:SigValue></ED101>');
    const errors = errorsOf(doc);
    expect(pairs(errors)).toEqual([
      ['UFEBS_ED_MISSING_ATTRIBUTE', 'edNo'],
      ['UFEBS_ED_MISSING_ATTRIBUTE', 'sum'],
      ['UFEBS_ED_MISSING_ATTRIBUTE', 'payer.bank.bic'],
      ['UFEBS_ED_UNEXPECTED_ATTRIBUTE', 'payee.@Foo'],
      ['UFEBS_ED_UNEXPECTED_ELEMENT', 'Extra'],
      ['UFEBS_ED_SIGVALUE_MISPLACED', 'SigValue'],
    ]);
    for (const e of errors) expect(e.message.length).toBeGreaterThan(0);
  });
});

describe('parseEd — dispatch', () => {
  it('refuses a root it does not handle with UFEBS_ED_UNSUPPORTED', () => {
    expect(parseEd('<ED999 xmlns="urn:cbr-ru:ed:v2.0"/>')).toMatchObject({ ok: false, code: 'UFEBS_ED_UNSUPPORTED' });
    expect(parseEd('<constructor/>')).toMatchObject({ ok: false, code: 'UFEBS_ED_UNSUPPORTED' });
  });

  it('reports EDs of a packet that are valid UFEBS but not handled', () => {
    const packet = `<PacketEPD xmlns="urn:cbr-ru:ed:v2.0" EDNo="1" EDDate="2025-01-01" EDAuthor="4525545000" EDQuantity="2" Sum="2" SystemCode="02">${ED101.replace(/<\?xml[^>]*>/, '').replace(' xmlns="urn:cbr-ru:ed:v2.0"', '')}<ED103 EDNo="2" EDDate="2025-01-01" EDAuthor="4525545000"/></PacketEPD>`;
    expect(pairs(errorsOf(packet))).toEqual([['UFEBS_ED_UNSUPPORTED', 'ED103']]);
  });

  it('reports a packet without EDs', () => {
    const packet =
      '<PacketEPD xmlns="urn:cbr-ru:ed:v2.0" EDNo="1" EDDate="2025-01-01" EDAuthor="4525545000" EDQuantity="1" Sum="1" SystemCode="02"/>';
    expect(pairs(errorsOf(packet))).toEqual([['UFEBS_ED_MISSING_ELEMENT', 'eds']]);
  });

  it('gives paths into the packet for problems of its EDs', () => {
    const ed = ED101.replace(/<\?xml[^>]*>/, '').replace(' xmlns="urn:cbr-ru:ed:v2.0"', '');
    const packet = `<PacketEPD xmlns="urn:cbr-ru:ed:v2.0" xmlns:dsig="urn:cbr-ru:dsig:v1.1" EDNo="1" EDDate="2025-01-01" EDAuthor="4525545000" EDQuantity="2" Sum="2" SystemCode="02">${ed}${ed.replace('<Bank BIC="044525187"/>', '<Bank/>')}</PacketEPD>`;
    expect(pairs(errorsOf(packet))).toEqual([['UFEBS_ED_MISSING_ATTRIBUTE', 'eds[1].payee.bank.bic']]);
  });

  it.each([
    ['parseEd101', parseEd101],
    ['parsePacketEpd', parsePacketEpd],
    ['parseEd201', parseEd201],
    ['parseEd206', parseEd206],
    ['parseEd211', parseEd211],
  ])('%s refuses another kind of ED', (name, parse) => {
    const other = name === 'parseEd201' ? ED101 : ED101.replace(/ED101/g, 'ED201');
    expect(parse(other)).toMatchObject({ ok: false, code: 'UFEBS_ED_UNSUPPORTED' });
  });

  it('parseEd101 passes reader failures through', () => {
    expect(parseEd101('<ED101')).toMatchObject({ ok: false, code: 'UFEBS_XML_MALFORMED' });
  });
});
