// The audit events themselves are built by packages/audit (events.ts); only the digest of the ED
// needs packages/ufebs, which the audit package does not depend on.
import { createHash } from 'node:crypto';
import { normalizeEd } from '@twincontour/ufebs';

/** SHA-256 (hex) of what a ЗК signs — the normalized ED — or undefined when the ED cannot be normalized. */
export function zkContentDigest(edBytes: Uint8Array): string | undefined {
  const normalized = normalizeEd(edBytes);
  return normalized.ok ? createHash('sha256').update(normalized.value).digest('hex') : undefined;
}
