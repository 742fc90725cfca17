import {
  type CertificateValidator,
  type Contour,
  type Signer,
  signDetached,
  verifyDetached,
} from '@twincontour/crypto';
import { sha256Hex } from './hash.js';
import type { AuditCheckpoint } from './types.js';

/** The fields a checkpoint's signature covers. */
export interface CheckpointFields {
  contour: string;
  no: string;
  seq: string;
  headHash: string;
  prevCheckpointHash: string;
  /** ISO 8601 with milliseconds. */
  at: string;
  intervalMs: number;
}

/**
 * The canonical text a checkpoint signs: a fixed first line naming what it is (so the signature can
 * never be taken for a signature over anything else the contour key signs, such as an ED), then one
 * `name=value` per line in a fixed order. Values never contain a newline (hex, digits, ISO time, a
 * contour name), so the text cannot be read two ways.
 */
export function checkpointText(c: CheckpointFields): string {
  return [
    'twincontour-audit-checkpoint',
    `contour=${c.contour}`,
    `no=${c.no}`,
    `seq=${c.seq}`,
    `head=${c.headHash}`,
    `prev=${c.prevCheckpointHash}`,
    `at=${c.at}`,
    `interval=${c.intervalMs}`,
  ].join('\n');
}

/** What the next checkpoint links to: SHA-256 of the text followed by the signature's DER. */
export function checkpointHash(text: string, signature: Uint8Array): string {
  return sha256Hex(text, signature);
}

/** Signs a checkpoint with the contour key (detached CMS, signingTime = the checkpoint's time). */
export async function signCheckpoint(
  fields: CheckpointFields,
  signer: Signer,
): Promise<{ text: string; signature: Uint8Array; hash: string }> {
  const text = checkpointText(fields);
  const signature = await signDetached(Buffer.from(text, 'utf8'), signer, { signingTime: new Date(fields.at) });
  return { text, signature, hash: checkpointHash(text, signature) };
}

/** The verdict on one checkpoint's signature. */
export type CheckpointSignatureCheck = { ok: true } | { ok: false; code: string; message: string };

/**
 * Verifies a checkpoint's detached CMS over its canonical text, and that the signer's certificate is a
 * valid certificate of `contour` at the checkpoint time — not now: a checkpoint signed years ago by a
 * certificate that has since expired still proves what it proved (802-П п. 11, re-verification later).
 * The checkpoint time is the signer's own claim: a stolen contour key could sign a backdated checkpoint,
 * so a compromised key must be treated as compromising that contour's checkpoints (README, limits).
 */
export async function verifyCheckpointSignature(
  checkpoint: AuditCheckpoint,
  contour: string,
  validator: CertificateValidator,
): Promise<CheckpointSignatureCheck> {
  const text = checkpointText({ ...checkpoint, intervalMs: checkpoint.intervalMs ?? 0 });
  const at = new Date(checkpoint.at);
  const expectedContour = contour as Contour;
  const pinned: CertificateValidator = {
    check: (der) => {
      const then = validator.check(der, { signingTime: at, now: null, expectedContour });
      // As of its time, a certificate is proved unrevoked by a CRL issued after that time; a checkpoint
      // younger than the newest CRL has none yet. Then it must be valid and unrevoked now — which also
      // proves it was not revoked when it signed (a revocation is never lifted).
      if (then.ok || then.code !== 'SIG_CRL_UNAVAILABLE') return then;
      return validator.check(der, { signingTime: at, expectedContour });
    },
  };
  const signature = Buffer.from(checkpoint.signatureBase64, 'base64');
  const report = await verifyDetached(signature, Buffer.from(text, 'utf8'), { validator: pinned });
  if (report.ok && report.signers.length === 1) return { ok: true };
  if (report.ok) return { ok: false, code: 'SIG_MALFORMED', message: 'a checkpoint has exactly one signer' };
  return { ok: false, code: report.code ?? 'SIG_BAD_SIGNATURE', message: report.message ?? 'does not verify' };
}
