import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkEd } from './check.js';
import type { Ed101, PacketEpd, PaymentOrder } from './model.js';
import { validatePaymentOrder } from './validate/index.js';
import { orderToEd101 } from './xml/mapping.js';
import { xsdSample } from './xml/test-helpers.js';
import { writeEd101, writePacketEpd } from './xml/writer.js';

/** Every ED this file writes is also checked against the official XSD. */
const written = xsdSample();
afterAll(async () => {
  expect(await written.invalid()).toEqual([]);
});

const examples = join(import.meta.dirname, '../../../examples');
function example(name: string): PaymentOrder {
  const result = validatePaymentOrder(JSON.parse(readFileSync(join(examples, name), 'utf8')));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return structuredClone(result.value) as PaymentOrder;
}

function ed(no: string, order = example('payment-order.json')): Ed101 {
  return orderToEd101(order, { edNo: no, edDate: '2026-11-24', edAuthor: '4525545000' });
}

function packet(eds: Ed101[], overrides: Partial<PacketEpd> = {}): Uint8Array {
  const total = eds.reduce((s, e) => s + BigInt(e.sum), 0n).toString();
  const p: PacketEpd = {
    kind: 'PacketEPD',
    edNo: '900',
    edDate: '2026-11-24',
    edAuthor: '4525545000',
    edQuantity: String(eds.length),
    sum: total,
    systemCode: '02',
    eds,
    ...overrides,
  };
  const result = writePacketEpd(p);
  if (!result.ok) throw new Error(result.message);
  written.add(result.value);
  return result.value;
}

describe('checkEd', () => {
  it('accepts the example orders as ED101 and as a packet', () => {
    for (const name of ['payment-order.json', 'budget-payment-order.json']) {
      const result = writeEd101(ed('5', example(name)));
      expect(result.ok).toBe(true);
      if (result.ok) {
        written.add(result.value);
        expect(checkEd(result.value)).toMatchObject({ readable: true, valid: true, kind: 'ED101' });
      }
    }
    const both = [ed('1'), ed('2', example('budget-payment-order.json'))].map((e) => ({ ...e, systemCode: '02' }));
    expect(checkEd(packet(both))).toMatchObject({ valid: true, kind: 'PacketEPD', edCount: 2, findings: [] });
  });

  it.each([
    ['a wrong EDQuantity', { edQuantity: '3' }, 'UFEBS_PACKET_QUANTITY', 'edQuantity'],
    ['a wrong Sum', { sum: '1' }, 'UFEBS_PACKET_SUM', 'sum'],
    ['another SystemCode', { systemCode: '05' }, 'UFEBS_PACKET_SYSTEM_CODE', 'eds.0.systemCode'],
  ])('reports %s of a packet', (_name, overrides, code, path) => {
    const eds = [ed('1'), ed('2')].map((e) => ({ ...e, systemCode: '02' }));
    const report = checkEd(packet(eds, overrides));
    expect(report.valid).toBe(false);
    expect(report.findings).toContainEqual(expect.objectContaining({ code, path }));
  });

  it('reports two EDs of one identity in a packet, and a bad member requisite under its path', () => {
    const first = { ...ed('7'), systemCode: '02' };
    const second = { ...ed('7'), systemCode: '02', payer: { ...first.payer, inn: '7707083890' } };
    const report = checkEd(packet([first, second]));
    expect(report.findings).toContainEqual(
      expect.objectContaining({ code: 'UFEBS_PACKET_DUPLICATE_ED', path: 'eds.1.edNo' }),
    );
    expect(report.findings).toContainEqual(
      expect.objectContaining({ code: 'UFEBS_INN_CHECKSUM', path: 'eds.1.payer.inn' }),
    );
  });

  it('never throws on arbitrary bytes, and marks non-XML unreadable', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const report = checkEd(bytes);
        expect(report.valid).toBe(false);
        expect(report.findings.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
    expect(checkEd('not xml at all').readable).toBe(false);
  });
});
