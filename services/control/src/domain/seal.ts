import { createHash } from 'node:crypto';
import type { SignatureMade } from '@twincontour/audit';
import { addZk, type Signer, wrapEnvelope } from '@twincontour/crypto';
import type { Result } from '@twincontour/ufebs';
import { zkContentDigest } from './audit-events.js';

/** How control signs (NOTES.md: the protection variant agreed with the Bank of Russia). */
export type SigMode = 'zk+ka' | 'ka';

/** What control hands to transport: the ED with its ЗК, and the КА envelope over that file. */
export interface Sealed {
  /** The ED: formation's ЗК byte for byte, then control's ЗК in mode `zk+ka`. */
  edFile: Uint8Array;
  /** `sen:SigEnvelope` holding control's КА over `edFile`. */
  envelope: Uint8Array;
  /** The signatures made, in order (ЗК, then КА), with the digest of what each signs: for the audit log. */
  made: SignatureMade[];
}

/**
 * Control's signatures (802-П п. 14.3, прил. 1.4: the second signature, only once both checks passed —
 * the caller calls this last). Mode `zk+ka`: control's ЗК after formation's (`addZk` keeps every other
 * byte), then the КА over the whole file; mode `ka`: only the КА. Fails as a value when the ED cannot be
 * normalized (`UFEBS_XML_*`, `SIG_MALFORMED`).
 */
export async function sealEd(
  edBytes: Uint8Array,
  signer: Signer,
  options: { mode: SigMode; sigId?: string | undefined; now?: Date },
): Promise<Result<Sealed>> {
  let edFile = edBytes;
  const made: SignatureMade[] = [];
  if (options.mode === 'zk+ka') {
    const zk = await addZk(edBytes, signer, {
      ...(options.sigId === undefined ? {} : { sigId: options.sigId }),
      ...(options.now ? { signingTime: options.now } : {}),
    });
    if (!zk.ok) return zk;
    edFile = zk.value;
    // The normalized ED skips every ЗК, so this is the digest formation's ЗК signed as well.
    made.push({ signature: 'ЗК', sigId: options.sigId, digest: zkContentDigest(edBytes) ?? '' });
  }
  const envelope = await wrapEnvelope(edFile, signer, options.now ? { signingTime: options.now } : {});
  made.push({ signature: 'КА', digest: createHash('sha256').update(edFile).digest('hex') });
  return { ok: true, value: { edFile, envelope, made } };
}
