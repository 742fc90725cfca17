import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, csvRecord, exportAudit, verifyExport } from './export.js';
import { createTestAuditLog, type TestAuditLog } from './testing.js';
import type { AuditEvent } from './types.js';

/** A strict RFC 4180 reader, independent of the writer: records of fields, CRLF line ends. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      if (c === '"' || c === '\n' || c === '\r') throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error('unterminated quote');
  if (field !== '' || record.length > 0) throw new Error('last record without CRLF');
  return records;
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of chunks) out += chunk;
  return out;
}

describe('CSV', () => {
  it('quotes so that any field, with commas, quotes, CR, LF and edge spaces, reads back exactly', () => {
    const value = fc.string({ unit: fc.constantFrom('a', ',', '"', '\r', '\n', ' ', 'я', '\t', '=') });
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), (fields) => {
        const line = `${fields.map(csvField).join(',')}\r\n`;
        expect(parseCsv(line)).toEqual([fields]);
      }),
      { numRuns: 1000 },
    );
  });

  it('writes a field per column; null is empty', () => {
    const event: AuditEvent = {
      seq: '7',
      id: '00000000-0000-4000-8000-000000000007',
      at: '2026-12-02T10:00:00.000Z',
      contour: 'control',
      service: 'control',
      type: 'control.decision',
      actor: 'service:control',
      result: 'fail',
      reason: 'CTL_MISMATCH',
      orderId: 'o, "7"',
      messageId: null,
      ed: { edNo: '7', edDate: '2026-12-02', edAuthor: '4525545000' },
      digest: null,
      certificate: { serial: '1a', issuer: 'CN=CA,O=Bank\\, Ltd', thumbprint: 'ab' },
      details: { diff: ['sum', 'payee\nname'] },
      prevHash: '0'.repeat(64),
      hash: '1'.repeat(64),
    };
    const [row] = parseCsv(`${csvRecord(event)}\r\n`);
    expect(row).toHaveLength(CSV_COLUMNS.length);
    const byColumn = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, row?.[i]]));
    expect(byColumn).toMatchObject({
      orderId: 'o, "7"',
      messageId: '',
      edAuthor: '4525545000',
      certIssuer: 'CN=CA,O=Bank\\, Ltd',
      details: JSON.stringify(event.details),
    });
  });
});

describe('export and offline verification', () => {
  let t: TestAuditLog;

  beforeAll(async () => {
    t = await createTestAuditLog({ contour: 'transport' });
    for (let i = 1; i <= 30; i++) {
      await t.audit.record({
        type: i % 2 ? 'message.delivered' : 'answer.received',
        actor: 'service:transport',
        result: 'info',
        orderId: `order-${i % 4}`,
        messageId: `m-${i}`,
        details: { channel: 'folder', note: 'quote " comma , newline \n end' },
      });
      if (i % 10 === 0) {
        await t.audit.flush();
        await t.audit.checkpoint();
      }
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const full = () => collect(exportAudit(t.pool, { contour: 'transport', service: 'transport', format: 'ndjson' }));

  it('an unfiltered NDJSON export verifies offline: header, every event, every checkpoint', async () => {
    const text = await full();
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: 'header', contour: 'transport', service: 'transport', full: true });
    expect(lines.filter((l) => l.kind === 'event').map((l) => l.seq)).toEqual(
      Array.from({ length: 30 }, (_, i) => String(i + 1)),
    );
    expect(lines.filter((l) => l.kind === 'checkpoint').map((l) => l.no)).toEqual(['1', '2', '3']);
    expect(await verifyExport(text, t.trustStore, { contour: 'transport' })).toEqual({
      ok: true,
      contour: 'transport',
      events: 30,
      checkpoints: 3,
      problems: [],
    });
  });

  it('finds an edited line, a removed line, a removed checkpoint and a forged header', async () => {
    const text = await full();
    const lines = text.trimEnd().split('\n');
    const edited = lines.map((l) =>
      l.includes('"seq":"12"') && l.includes('"kind":"event"') ? l.replace('"m-12"', '"m-99"') : l,
    );
    const e = await verifyExport(edited.join('\n'), t.trustStore);
    expect(e.firstBroken).toMatchObject({ code: 'AUDIT_HASH_MISMATCH', seq: '12' });

    const removed = lines.filter((l) => !(l.includes('"seq":"5"') && l.includes('"kind":"event"')));
    expect((await verifyExport(removed.join('\n'), t.trustStore)).firstBroken).toMatchObject({
      code: 'AUDIT_SEQ_GAP',
      seq: '6',
    });

    const noCheckpoint2 = lines.filter((l) => !(l.includes('"kind":"checkpoint"') && l.includes('"no":"2"')));
    expect((await verifyExport(noCheckpoint2.join('\n'), t.trustStore)).problems).toEqual([
      expect.objectContaining({ code: 'AUDIT_CHECKPOINT_GAP', checkpointNo: '3' }),
    ]);

    const otherContour = await verifyExport(
      text.replace('"contour":"transport"', '"contour":"control"'),
      t.trustStore,
      {
        contour: 'transport',
      },
    );
    expect(otherContour.problems[0]?.code).toBe('AUDIT_EXPORT_MALFORMED');
  });

  it('a filtered export is partial: each event hash is still checked', async () => {
    const text = await collect(
      exportAudit(t.pool, {
        contour: 'transport',
        service: 'transport',
        format: 'ndjson',
        query: { orderId: 'order-1' },
      }),
    );
    const header = JSON.parse(text.split('\n')[0] ?? '');
    expect(header).toMatchObject({ full: false, filter: { orderId: 'order-1' } });
    expect(text).not.toContain('"kind":"checkpoint"');
    const verdict = await verifyExport(text, t.trustStore);
    expect(verdict.problems.map((p) => p.code)).toEqual(['AUDIT_EXPORT_PARTIAL']);
    expect(verdict.events).toBeGreaterThan(0);
    const tampered = text.replace('"actor":"service:transport"', '"actor":"someone"');
    expect((await verifyExport(tampered, t.trustStore)).problems.map((p) => p.code)).toContain('AUDIT_HASH_MISMATCH');
  });

  it('reports lines that are not export lines, and never throws on arbitrary text', async () => {
    const text = await full();
    const broken = text.replace(/\n/, '\nnot json\n{"kind":"mystery"}\n');
    const verdict = await verifyExport(broken, t.trustStore);
    expect(verdict.problems.filter((p) => p.code === 'AUDIT_EXPORT_MALFORMED')).toHaveLength(2);
    expect((await verifyExport('', t.trustStore)).problems[0]?.code).toBe('AUDIT_EXPORT_MALFORMED');
    await fc.assert(
      fc.asyncProperty(fc.string(), async (junk) => {
        const v = await verifyExport(junk, t.trustStore);
        expect(v.ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('the CSV export has a header row and one record per event, every field readable back', async () => {
    const csv = await collect(exportAudit(t.pool, { contour: 'transport', service: 'transport', format: 'csv' }));
    const records = parseCsv(csv);
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    expect(records).toHaveLength(31);
    const details = records[1]?.[CSV_COLUMNS.indexOf('details')];
    expect(JSON.parse(details ?? '')).toEqual({ channel: 'folder', note: 'quote " comma , newline \n end' });
  });
});
