import type { RequisiteDiff } from '@twincontour/platform';
import type { PaymentOrder } from '@twincontour/ufebs';

/** Longest value carried in a diff entry (the boundary schema's limit). */
const MAX_VALUE = 1000;

/** Flattens an order to dotted paths of scalar values (`payer.bank.bic` → `044525225`). */
function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      flatten(item, `${prefix}[${i}]`, out);
    });
    return;
  }
  if (typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      flatten(child, prefix === '' ? key : `${prefix}.${key}`, out);
    }
    return;
  }
  out.set(prefix, String(value));
}

function cap(value: string | undefined): string | null {
  if (value === undefined) return null;
  return value.length > MAX_VALUE ? value.slice(0, MAX_VALUE) : value;
}

/**
 * Compares every requisite of the order an ED carries with the primary document (802-П прил. 1.4),
 * field by field, and lists every difference — never only the first — as `{ field, ed, source }`
 * (null where one side lacks the field), sorted by field path. Values are compared exactly: a
 * requisite either is what the back office decided or it is not.
 */
export function compareRequisites(ed: PaymentOrder, source: PaymentOrder): RequisiteDiff[] {
  const edFields = new Map<string, string>();
  const sourceFields = new Map<string, string>();
  flatten(ed, '', edFields);
  flatten(source, '', sourceFields);
  const fields = [...new Set([...edFields.keys(), ...sourceFields.keys()])].sort();
  const diff: RequisiteDiff[] = [];
  for (const field of fields) {
    const a = edFields.get(field);
    const b = sourceFields.get(field);
    if (a !== b) diff.push({ field, ed: cap(a), source: cap(b) });
  }
  return diff;
}
