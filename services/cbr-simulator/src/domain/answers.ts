import { addZk, type Signer, wrapEnvelope } from '@twincontour/crypto';
import type { AnyEd, Ed101, Ed201, Ed206, EdIdentity, Result } from '@twincontour/ufebs';
import { writeEd201, writeEd206 } from '@twincontour/ufebs';
import { annotationOf, type CtrlCode } from './ctrl-codes.js';

/** `YYYY-MM-DD` of a time (UTC). */
export function isoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** `hh:mm:ss` of a time (UTC). */
export function isoTime(at: Date): string {
  return at.toISOString().slice(11, 19);
}

/** `YYYY-MM-DDThh:mm:ssZ` (schema DateTimeType: no fraction). */
export function isoDateTime(at: Date): string {
  return `${isoDate(at)}T${isoTime(at)}Z`;
}

const TEXT_CHAR = /[ -~А-яЁё№]/;

/**
 * Makes a free text fit the UFEBS text set (`[ -~А-яЁё№]`, not starting with a space, NOTES.md): other
 * characters become `?`, runs of spaces one space; empty becomes `-`. At most `max` characters.
 */
export function toUfebsText(text: string, max: number): string {
  const mapped = [...text].map((c) => (TEXT_CHAR.test(c) ? c : c === '\n' || c === '\t' ? ' ' : '?')).join('');
  const squeezed = mapped.replace(/ {2,}/g, ' ').trim().slice(0, max).trim();
  return squeezed === '' ? '-' : squeezed;
}

/** What an ED201 says. */
export interface Ed201Input {
  /** The answer's own identity (the simulator's УИС as author). */
  identity: EdIdentity;
  /** The participant's УИС (the answered ED's author), when known. */
  receiver?: string | undefined;
  ctrlCode: CtrlCode;
  ctrlTime: Date;
  /** The ED answered (EDRefID); absent when the file named no readable identity. */
  ref?: EdIdentity | undefined;
  diagnostic?: string | undefined;
}

/** The ED201 model (result of control) for a CtrlCode; Annotation from the CtrlCode table. */
export function buildEd201(input: Ed201Input): Ed201 {
  return {
    kind: 'ED201',
    ...input.identity,
    ...(input.receiver === undefined ? {} : { edReceiver: input.receiver }),
    ctrlCode: input.ctrlCode,
    ctrlTime: isoDateTime(input.ctrlTime),
    annotation: annotationOf(input.ctrlCode),
    ...(input.diagnostic === undefined ? {} : { errorDiagnostic: toUfebsText(input.diagnostic, 300) }),
    ...(input.ref === undefined
      ? {}
      : { edRefId: { edNo: input.ref.edNo, edDate: input.ref.edDate, edAuthor: input.ref.edAuthor } }),
  };
}

/** The payment EDs an accepted file holds: the ED101 itself, or each ED101 of a PacketEPD. */
export function paymentEds(ed: AnyEd | undefined): Ed101[] {
  if (ed === undefined) return [];
  if (ed.kind === 'ED101') return [ed];
  if (ed.kind === 'PacketEPD') return ed.eds;
  return [];
}

/**
 * The ED206 (debit confirmation) of an executed ED101, sent to the payer's bank: DC 1 (debit), Sum of the
 * ED, TransDate/TransTime of execution, AccDoc from the ED, BICCorr the payee's bank, Acc the payer bank's
 * correspondent account, EDRefID the ED's identity.
 */
export function buildEd206(ed: Ed101, identity: EdIdentity, executedAt: Date): Ed206 {
  return {
    kind: 'ED206',
    ...identity,
    edReceiver: ed.edAuthor,
    ...(ed.payer.bank.correspAcc === undefined ? {} : { acc: ed.payer.bank.correspAcc }),
    bicCorr: ed.payee.bank.bic,
    ...(ed.payee.bank.correspAcc === undefined ? {} : { corrAcc: ed.payee.bank.correspAcc }),
    sum: ed.sum,
    transDate: isoDate(executedAt),
    transTime: isoTime(executedAt),
    dc: '1',
    systemCode: ed.systemCode,
    accDoc: { accDocNo: ed.accDocNo, accDocDate: ed.accDocDate },
    edRefId: { edNo: ed.edNo, edDate: ed.edDate, edAuthor: ed.edAuthor },
  };
}

/** A signed answer: the ED with the cbr ЗК, and the КА envelope around it. */
export interface SealedAnswer {
  edFile: Uint8Array;
  envelope: Uint8Array;
}

/**
 * Writes an answer ED (Windows-1251, as UFEBS), adds the Bank of Russia's ЗК and wraps the file in its
 * КА envelope — the same two signatures a participant makes, so the participant checks them the same way.
 */
export async function sealAnswer(ed: Ed201 | Ed206, signer: Signer, signingTime?: Date): Promise<Result<SealedAnswer>> {
  const written = ed.kind === 'ED201' ? writeEd201(ed) : writeEd206(ed);
  if (!written.ok) return written;
  const zk = await addZk(written.value, signer, signingTime ? { signingTime } : {});
  if (!zk.ok) return zk;
  const envelope = await wrapEnvelope(zk.value, signer, signingTime ? { signingTime } : {});
  return { ok: true, value: { edFile: zk.value, envelope } };
}
