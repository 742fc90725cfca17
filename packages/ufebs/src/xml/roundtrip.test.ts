import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyEd } from '../model.js';
import { ed101Arbitrary, ed201Arbitrary, ed206Arbitrary, ed211Arbitrary, packetEpdArbitrary } from './arbitrary.js';
import { parseEd } from './parser.js';
import { xsdSample } from './test-helpers.js';
import { writeEd } from './writer.js';

describe.each<[string, fc.Arbitrary<AnyEd>, number]>([
  ['ED101', ed101Arbitrary(), 200],
  ['PacketEPD', packetEpdArbitrary, 100],
  ['ED201', ed201Arbitrary, 200],
  ['ED206', ed206Arbitrary, 200],
  ['ED211', ed211Arbitrary, 150],
])('%s', (_, arbitrary, numRuns) => {
  it('parseEd(writeEd(x)) equals x, and the written EDs are valid against the official XSD', async () => {
    const sample = xsdSample();
    fc.assert(
      fc.property(arbitrary, (ed) => {
        const written = writeEd(ed);
        if (!written.ok) throw new Error(`${written.code}: ${JSON.stringify(written.errors)}`);
        sample.add(written.value);
        expect(parseEd(written.value)).toStrictEqual({ ok: true, value: ed });
      }),
      { numRuns },
    );
    expect(await sample.invalid()).toEqual([]);
  });
});
