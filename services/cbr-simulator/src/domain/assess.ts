import {
  type CertificateValidator,
  type Contour,
  unwrapEnvelope,
  verifyEnvelope,
  verifyZks,
} from '@twincontour/crypto';
import { type AnyEd, type EdIdentity, parseEd, parseXml, type XsdResult } from '@twincontour/ufebs';
import { CTRL_CODES, type CtrlCode } from './ctrl-codes.js';

/** The outcome of one check: ok, or the code (SIG_*, UFEBS_*, …) and a short message. */
export interface CheckOutcome {
  ok: boolean;
  code?: string;
  message?: string;
}

/** Every check the simulator makes on an envelope, in the order it makes them; absent = not reached. */
export interface Checks {
  /** https: the CMS EnvelopedData opened with the cbr key. */
  decrypt?: CheckOutcome;
  /** The КА: one signer, of the control contour (the participant's registered certificate). */
  ka?: CheckOutcome;
  /** The ЗК: formation's, then control's (mode zk+ka), from two different certificates. */
  zk?: CheckOutcome;
  /** The enclosed ED against the official UFEBS XSD. */
  xsd?: CheckOutcome;
  /** The ED identity not accepted before from this participant. */
  duplicate?: CheckOutcome;
}

/** What the checks of the envelope itself concluded (the duplicate check needs the database: see intake). */
export interface Assessment {
  /** 0000 when every check passed; otherwise the code of the first failing check. */
  ctrlCode: CtrlCode;
  checks: Checks;
  /** The ED identity, when the enclosed file names a well-formed one (EDRefID of the answer). */
  identity?: EdIdentity;
  /** The root element of the enclosed file (`ED101`, `PacketEPD`, …). */
  kind?: string;
  /** The parsed ED, when the gateway's parser reads it (the ED206 is made from it). */
  ed?: AnyEd;
  /** A short diagnostic of the failing check, for ErrorDiagnostic. */
  diagnostic?: string;
}

/** What {@link assessEnvelope} needs. */
export interface AssessOptions {
  /** The trust store: chains, validity, revocation, and the contour each participant certificate is bound to. */
  validator: CertificateValidator;
  /** `zk+ka`: ЗК formation + ЗК control + КА control; `ka`: ЗК formation + КА control (NOTES.md, protection variant). */
  sigMode: 'zk+ka' | 'ka';
  /** Validates an ED against the official XSD (ufebs `xsdValidate`). */
  xsd: (ed: Uint8Array) => Promise<XsdResult>;
  now?: Date;
}

const ED_NO = /^[1-9][0-9]{0,8}$/;
const ED_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const UIS = /^[0-9]{10}$/;

/**
 * The ED identity written on the root of a file (EDNo, EDDate, EDAuthor), when each has the form the
 * schema's EDRefID allows; read with the package's safe XML reader (never throws).
 */
export function readIdentity(file: Uint8Array): { identity?: EdIdentity; kind?: string } {
  const doc = parseXml(file);
  if (!doc.ok) return {};
  const root = doc.value.root;
  const attr = (name: string) => root.attributes.find((a) => a.uri === '' && a.local === name)?.value;
  const [edNo, edDate, edAuthor] = [attr('EDNo'), attr('EDDate'), attr('EDAuthor')];
  const kind = root.local.slice(0, 64);
  if (edNo === undefined || edDate === undefined || edAuthor === undefined) return { kind };
  if (!ED_NO.test(edNo) || !ED_DATE.test(edDate) || !UIS.test(edAuthor)) return { kind };
  return { identity: { edNo, edDate, edAuthor }, kind };
}

/** The first line of a checker's output, kept short (the ED201 ErrorDiagnostic carries it). */
function firstProblem(output: string): string {
  const line = output.split('\n').find((l) => l.trim() !== '' && !l.endsWith(' validates')) ?? output;
  // xmllint names the input "-"; the line number and the rule are what the participant needs.
  return line.replace(/^-:/, 'line ').trim().slice(0, 500);
}

/**
 * The checks of the Bank of Russia's reception, in its order: the КА of the file (control's, 802-П п. 14.3),
 * the ЗК of the ED (formation's and, in mode zk+ka, control's, from two different certificates), then the ED
 * against the official XSD. Signatures come first: an ED whose signatures fail is not read further (0202);
 * an ED that is correctly signed but breaks the schema is 0101. Never throws for bad input.
 */
export async function assessEnvelope(envelope: Uint8Array, options: AssessOptions): Promise<Assessment> {
  const verifyOptions = { validator: options.validator, ...(options.now ? { now: options.now } : {}) };
  const ka = await verifyEnvelope(envelope, { ...verifyOptions, expectedContours: ['control'] });
  if (!ka.ok) {
    // Even when the КА fails, the ED inside (if any) names what the refusal answers.
    const unwrapped = unwrapEnvelope(envelope);
    const read = unwrapped.ok ? readIdentity(unwrapped.value.file) : {};
    return {
      ctrlCode: CTRL_CODES.signature.code,
      checks: { ka: { ok: false, code: ka.code, message: ka.message.slice(0, 300) } },
      ...read,
      diagnostic: `КА: ${ka.code}`,
    };
  }
  const file = ka.file;
  const read = readIdentity(file);
  const checks: Checks = { ka: { ok: true } };

  const contours: Contour[] = options.sigMode === 'zk+ka' ? ['formation', 'control'] : ['formation'];
  const zk = await verifyZks(file, { ...verifyOptions, expectedContours: contours });
  if (!zk.ok) {
    checks.zk = { ok: false, code: zk.code ?? 'SIG_MALFORMED', message: (zk.message ?? '').slice(0, 300) };
    return { ctrlCode: CTRL_CODES.signature.code, checks, ...read, diagnostic: `ЗК: ${checks.zk.code}` };
  }
  checks.zk = { ok: true };

  const xsd = await options.xsd(file);
  if (!xsd.ok) {
    const problem = firstProblem(xsd.output);
    checks.xsd = { ok: false, code: 'UFEBS_XSD_INVALID', message: problem };
    return { ctrlCode: CTRL_CODES.schema.code, checks, ...read, diagnostic: problem };
  }
  checks.xsd = { ok: true };

  const parsed = parseEd(file);
  return { ctrlCode: CTRL_CODES.accepted.code, checks, ...read, ...(parsed.ok ? { ed: parsed.value } : {}) };
}
