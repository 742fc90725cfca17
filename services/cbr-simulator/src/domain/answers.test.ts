import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devInit, loadSigner, type Signer, verifyEnvelope, verifyZks } from '@twincontour/crypto';
import { type Ed101, orderToEd101, parseEd, xsdValidateMany } from '@twincontour/ufebs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleOrder } from '../testing.js';
import { buildEd201, buildEd206, isoDateTime, paymentEds, sealAnswer, toUfebsText } from './answers.js';
import { CTRL_CODES } from './ctrl-codes.js';

const ref = { edNo: '42', edDate: '2025-04-15', edAuthor: '4525545000' };
const answerId = { edNo: '1', edDate: '2025-04-16', edAuthor: '4583001999' };
const at = new Date('2025-04-16T09:30:05.123Z');
const TEXT_SET = /^[!-~А-яЁё№][ -~А-яЁё№]*$/;

let dir: string;
let cbr: Signer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cbr-sim-answers-'));
  const init = await devInit(join(dir, 'pki'));
  if (!init.ok) throw new Error(init.code);
  const signer = await loadSigner('cbr', { pkiDir: join(dir, 'pki') });
  if (!signer.ok) throw new Error(signer.code);
  cbr = signer.value;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('answer EDs', () => {
  it('writes an ED201 for every CtrlCode, and an ED206, that the official XSD accepts', async () => {
    const ed101: Ed101 = orderToEd101(exampleOrder(), ref);
    const eds = [
      ...Object.values(CTRL_CODES).map((c) =>
        buildEd201({
          identity: answerId,
          receiver: ref.edAuthor,
          ctrlCode: c.code,
          ctrlTime: at,
          ref,
          ...(c.code === '0000' ? {} : { diagnostic: '-:1: element ED101: Schema validity error «x»\n' }),
        }),
      ),
      buildEd201({ identity: answerId, ctrlCode: '0202', ctrlTime: at }),
      buildEd206(ed101, answerId, at),
    ];
    const files = [];
    for (const ed of eds) {
      const sealed = await sealAnswer(ed, cbr, at);
      if (!sealed.ok) throw new Error(sealed.code);
      files.push(sealed.value.edFile);
      const ka = await verifyEnvelope(sealed.value.envelope, {});
      expect(ka.ok).toBe(true);
      expect((await verifyZks(sealed.value.edFile, {})).ok).toBe(true);
      const parsed = parseEd(sealed.value.edFile);
      expect(parsed.ok).toBe(true);
    }
    const results = await xsdValidateMany(files);
    for (const r of results) expect(r.ok, r.output).toBe(true);
  });

  it('fills the ED206 from the ED it confirms', () => {
    const ed101: Ed101 = orderToEd101(exampleOrder(), ref);
    expect(buildEd206(ed101, answerId, at)).toMatchObject({
      dc: '1',
      sum: '12500000',
      transDate: '2025-04-16',
      transTime: '09:30:05',
      bicCorr: '044525593',
      acc: '30101810400000000225',
      accDoc: { accDocNo: '1482', accDocDate: '2025-04-15' },
      edRefId: ref,
      edReceiver: ref.edAuthor,
    });
    expect(paymentEds(ed101)).toEqual([ed101]);
    expect(isoDateTime(at)).toBe('2025-04-16T09:30:05Z');
  });

  it('makes any text fit the UFEBS text set', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 1, max: 300 }), (text, max) => {
        const out = toUfebsText(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).toMatch(TEXT_SET);
      }),
      { numRuns: 300 },
    );
  });
});
