import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import type { Ed101, Ed201, Ed206, Ed211, PacketEpd } from '../model.js';
import { parseEd } from './parser.js';
import {
  ED_XML_DECLARATION,
  writeEd,
  writeEd101,
  writeEd201,
  writeEd206,
  writeEd211,
  writePacketEpd,
} from './writer.js';
import { xsdValidate, xsdValidateMany } from './xsd.js';

/** Every ED this file writes; afterAll validates them all against the official XSD. */
const written: { name: string; bytes: Uint8Array }[] = [];

function bytesOf(name: string, result: ReturnType<typeof writeEd101>): Uint8Array {
  if (!result.ok) throw new Error(`${result.code}: ${JSON.stringify(result.errors)}`);
  written.push({ name, bytes: result.value });
  return result.value;
}

afterAll(async () => {
  const results = await xsdValidateMany(written.map((w) => w.bytes));
  const invalid = results.flatMap((r, i) => (r.ok ? [] : [`${written[i]?.name}: ${r.output}`]));
  expect(invalid).toEqual([]);
});

const ed101: Ed101 = {
  kind: 'ED101',
  edNo: '100',
  edDate: '2025-03-14',
  edAuthor: '4525545000',
  edReceiver: '4583001999',
  accDocNo: '512',
  accDocDate: '2025-03-14',
  sum: '150000',
  transKind: '01',
  priority: '5',
  systemCode: '02',
  paymentPrecedence: '69',
  paytKind: '4',
  paymentId: '0',
  payer: {
    name: 'ООО "Ромашка" & <партнёры> \'№1\'',
    personalAcc: '40702810900000000001',
    inn: '7707083893',
    kpp: '770701001',
    bank: { bic: '044525225', correspAcc: '30101810400000000225' },
  },
  payee: {
    name: 'ИП Ёлкин Ё.Ё.',
    personalAcc: '40802810500000000002',
    inn: '770207013900',
    bank: { bic: '044525187', correspAcc: '30101810700000000187' },
  },
  purpose: 'Оплата по счёту № 15 от 10.03.2025 (1 < 2 > 0) & "кавычки", без НДС',
  resField: 'a"b&c<d>e\'f',
};

const SIG_A = 'MIIBsw==';
const SIG_B = 'MIIB\ntA==';

const decode = (bytes: Uint8Array): string => iconv.decode(Buffer.from(bytes), 'windows-1251');

describe('writeEd101', () => {
  it('writes Windows-1251 with the UFEBS declaration and default namespace', () => {
    const bytes = bytesOf('plain ED101', writeEd101(ed101));
    expect(decode(bytes).startsWith(`${ED_XML_DECLARATION}<ED101 xmlns="urn:cbr-ru:ed:v2.0" EDNo="100"`)).toBe(true);
    const text = Buffer.from(bytes);
    expect(text.includes(Buffer.from([0xb9]))).toBe(true); // № in Windows-1251
    expect(text.includes(Buffer.from([0xef, 0xeb, 0xe0, 0xf2, 0xe0]))).toBe(true); // "плата"
    expect(text.includes(Buffer.from('№', 'utf8'))).toBe(false);
  });

  it('writes attributes and elements in schema order', () => {
    const text = decode(
      bytesOf('ordered ED101', writeEd101({ ...ed101, settleNotLater: { settlementTime: '15:00:00' } })),
    );
    const attrs = [...text.matchAll(/ (\w+)="/g)].map((m) => m[1]).slice(2, 14); // after version, encoding
    expect(attrs).toEqual([
      'xmlns',
      'EDNo',
      'EDDate',
      'EDAuthor',
      'EDReceiver',
      'PaytKind',
      'Sum',
      'PaymentPrecedence',
      'TransKind',
      'Priority',
      'SystemCode',
      'PaymentID',
    ]);
    const elements = [...text.matchAll(/<(\w+)[ >]/g)].map((m) => m[1]);
    expect(elements).toEqual([
      'ED101',
      'SettleNotLater',
      'SettlementTime',
      'AccDoc',
      'Payer',
      'Name',
      'Bank',
      'Payee',
      'Name',
      'Bank',
      'Purpose',
    ]);
  });

  it('escapes markup characters, and Cyrillic, №, &, <, quotes round-trip', () => {
    const bytes = bytesOf('escaped ED101', writeEd101(ed101));
    const text = decode(bytes);
    expect(text).toContain('<Name>ООО "Ромашка" &amp; &lt;партнёры&gt; \'№1\'</Name>');
    expect(text).toContain('ResField="a&quot;b&amp;c&lt;d>e\'f"');
    expect(parseEd(bytes)).toStrictEqual({ ok: true, value: ed101 });
  });

  it('puts ЗК first, in order, with SigId when set', () => {
    const signed: Ed101 = { ...ed101, sigValues: [{ value: SIG_A, sigId: '01' }, { value: SIG_B }] };
    const bytes = bytesOf('ED101 with two ЗК', writeEd101(signed));
    const text = decode(bytes);
    expect(text).toContain(' xmlns:dsig="urn:cbr-ru:dsig:v1.1" EDNo="100"');
    expect(text).toMatch(
      /^<\?xml[^>]*><ED101 [^<]*><dsig:SigValue SigId="01">MIIBsw==<\/dsig:SigValue><dsig:SigValue>MIIB\ntA==<\/dsig:SigValue><AccDoc /,
    );
    expect(parseEd(bytes)).toStrictEqual({ ok: true, value: signed });
  });

  it('declares the dsig namespace only when a ЗК is written', () => {
    expect(decode(bytesOf('unsigned ED101', writeEd101(ed101)))).not.toContain('dsig');
    expect(decode(bytesOf('empty sigValues', writeEd101({ ...ed101, sigValues: [] })))).not.toContain('dsig');
  });

  it('keeps carriage returns, tabs and newlines of values through a round trip', async () => {
    // Not schema-valid text (TextCategory forbids control characters); the writer must still not lose them.
    const odd: Ed101 = { ...ed101, purpose: 'a\r\nb\tc', resField: 'x\ty\nz\r' };
    const result = writeEd101(odd);
    expect(result.ok && parseEd(result.value)).toStrictEqual({ ok: true, value: odd });
    // …and the independent checker agrees that such text is not UFEBS.
    expect(result.ok && (await xsdValidate(result.value)).ok).toBe(false);
  });

  it.each<[string, Partial<Ed101>, string[]]>([
    ['a character outside Windows-1251', { purpose: 'Оплата 漢字' }, ['purpose']],
    ['an emoji', { payer: { ...ed101.payer, name: 'ООО 😀' } }, ['payer.name']],
    ['a control character', { resField: 'a\u0001b' }, ['resField']],
    [
      'several fields at once',
      { purpose: '€ ok, but ✓ is not', payee: { ...ed101.payee, bank: { bic: '04452518\u2007' } } },
      ['payee.bank.bic', 'purpose'],
    ],
  ])('refuses %s with UFEBS_ED_UNENCODABLE and the paths', (_, change, paths) => {
    const result = writeEd101({ ...ed101, ...change });
    expect(result).toMatchObject({ ok: false, code: 'UFEBS_ED_UNENCODABLE' });
    expect(result.ok ? [] : (result.errors ?? []).map((e) => [e.code, e.path]).sort()).toEqual(
      paths.map((p) => ['UFEBS_ED_UNENCODABLE', p]),
    );
  });

  it('reports the offending character, not the value', () => {
    const result = writeEd101({ ...ed101, purpose: 'секретный текст ✓' });
    expect(result.ok ? '' : result.errors?.[0]?.message).toContain('U+2713');
    expect(result.ok ? '' : result.errors?.[0]?.message).not.toContain('секретный');
  });

  it('refuses an unencodable ЗК attribute with its path', () => {
    const result = writeEd101({ ...ed101, sigValues: [{ value: SIG_A }, { value: SIG_A, sigId: '0\u00020' }] });
    expect(result.ok ? [] : result.errors?.map((e) => e.path)).toEqual(['sigValues[1].sigId']);
  });
});

const packet: PacketEpd = {
  kind: 'PacketEPD',
  edNo: '7',
  edDate: '2025-03-14',
  edAuthor: '4525545000',
  edQuantity: '2',
  sum: '300000',
  systemCode: '02',
  session: { sessionId: '1', sessionType: 'NURG' },
  sigValues: [{ value: SIG_A }],
  eds: [
    { ...ed101, sigValues: [{ value: SIG_B, sigId: '01' }] },
    { ...ed101, edNo: '101' },
  ],
};

const ed201: Ed201 = {
  kind: 'ED201',
  edNo: '5',
  edDate: '2025-03-14',
  edAuthor: '4583001999',
  edReceiver: '4525545000',
  ctrlCode: '0000',
  ctrlTime: '2025-03-14T10:15:00Z',
  annotation: 'ЭС принято к исполнению',
  edRefId: { edNo: '100', edDate: '2025-03-14', edAuthor: '4525545000' },
  sigValues: [{ value: SIG_A }],
};

const ed206: Ed206 = {
  kind: 'ED206',
  edNo: '6',
  edDate: '2025-03-14',
  edAuthor: '4583001999',
  acc: '30101810400000000225',
  bicCorr: '044525187',
  sum: '150000',
  transDate: '2025-03-14',
  transTime: '10:20:00',
  dc: '1',
  accDoc: { accDocNo: '512', accDocDate: '2025-03-14' },
  edRefId: { edNo: '100', edDate: '2025-03-14', edAuthor: '4525545000' },
  processingDetails: { debitDate: '2025-03-14', session: { settlementTime: '10:20:00' } },
};

const ed211: Ed211 = {
  kind: 'ED211',
  edNo: '9',
  edDate: '2025-03-14',
  edAuthor: '4583001999',
  abstractDate: '2025-03-14',
  abstractKind: '1',
  acc: '30101810400000000225',
  bic: '044525225',
  endTime: '18:00:00',
  enterBal: '-5',
  outBal: '149995',
  creditSum: '150000',
  transInfo: [
    {
      dc: '2',
      sum: '150000',
      transKind: '01',
      turnoverKind: '1',
      accDocNo: '512',
      payerPersonalAcc: '40702810900000000001',
      bicCorr: '044525187',
      edRefId: { edNo: '100', edDate: '2025-03-14', edAuthor: '4525545000' },
    },
  ],
};

describe('writePacketEpd, writeEd201, writeEd206, writeEd211', () => {
  it.each<[string, Uint8Array | (() => ReturnType<typeof writeEd101>), unknown]>([
    ['PacketEPD', () => writePacketEpd(packet), packet],
    ['ED201', () => writeEd201(ed201), ed201],
    ['ED206', () => writeEd206(ed206), ed206],
    ['ED211', () => writeEd211(ed211), ed211],
    ['ED211 without TransInfo', () => writeEd211({ ...ed211, transInfo: [] }), { ...ed211, transInfo: [] }],
  ])('writes %s that parses back to the same model', (name, write, model) => {
    const bytes = bytesOf(name, (write as () => ReturnType<typeof writeEd101>)());
    expect(parseEd(bytes)).toStrictEqual({ ok: true, value: model });
  });

  it('writes the ЗК of each packet member inside that member', () => {
    const text = decode(bytesOf('packet with member ЗК', writePacketEpd(packet)));
    expect(text).toMatch(
      /<PacketEPD [^<]*><dsig:SigValue>MIIBsw==<\/dsig:SigValue><Session SessionType="NURG"><SessionID>1<\/SessionID><\/Session><ED101 [^<]*><dsig:SigValue SigId="01">/,
    );
  });

  it('writeEd dispatches on kind', () => {
    for (const ed of [ed101, packet, ed201, ed206, ed211]) {
      const byKind = writeEd(ed);
      expect(byKind.ok).toBe(true);
      expect(byKind.ok && parseEd(byKind.value)).toStrictEqual({ ok: true, value: ed });
    }
  });
});
