import { writeFile } from 'node:fs/promises';
import { verifyEnvelope, wrapEnvelope } from '@twincontour/crypto';
import type { Command } from '../command.js';
import { contourOption, resolveSigner, resolveTrust } from '../identity.js';
import { EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, onePositional, printJson, readInput, userPath } from '../io.js';

const wrap: Command = {
  path: ['envelope', 'wrap'],
  usage: 'FILE [--contour control] [--pki DIR]',
  summary: 'Sign a whole file (КА) and print it wrapped as sen:SigEnvelope; by default with the control contour’s key.',
  options: { contour: { type: 'string', default: 'control' }, pki: { type: 'string' } },
  async run(positionals, options, io) {
    const file = onePositional(positionals, 'FILE');
    const bytes = await readInput(userPath(io, file));
    const signer = await resolveSigner(contourOption(options.contour), options.pki as string | undefined, io);
    io.stdout(await wrapEnvelope(bytes, signer));
    return EXIT_OK;
  },
};

const verify: Command = {
  path: ['envelope', 'verify'],
  usage: 'FILE [--pki DIR] [--contour NAME] [--out FILE]',
  summary:
    'Unwrap a sen:SigEnvelope and verify its КА (signature, certificate, revocation, and with --contour its contour); JSON; --out writes the signed file.',
  options: { pki: { type: 'string' }, contour: { type: 'string' }, out: { type: 'string' } },
  async run(positionals, options, io) {
    const file = onePositional(positionals, 'FILE');
    const bytes = await readInput(userPath(io, file));
    const contour = options.contour === undefined ? undefined : contourOption(options.contour);
    const trust = await resolveTrust(options.pki as string | undefined, io);
    try {
      const result = await verifyEnvelope(bytes, {
        validator: trust,
        ...(contour ? { expectedContours: [contour] } : {}),
      });
      if (result.ok && options.out !== undefined) await writeFile(userPath(io, options.out as string), result.file);
      printJson(io, {
        file,
        ok: result.ok,
        ...(result.ok ? {} : { code: result.code, message: result.message }),
        ...(result.report
          ? { signers: result.report.signers, certificateChecks: result.report.certificateChecks }
          : {}),
        ...(result.ok ? { fileBytes: result.file.length } : {}),
      });
      if (result.ok) return EXIT_OK;
      return result.report ? EXIT_INVALID : EXIT_UNUSABLE;
    } finally {
      trust.close();
    }
  },
};

/** `twincontour envelope …` */
export const envelopeCommands: readonly Command[] = [wrap, verify];
