import { addZk, type Contour, isContour, verifyZks } from '@twincontour/crypto';
import type { Command } from '../command.js';
import { contourOption, resolveSigner, resolveTrust } from '../identity.js';
import {
  CliError,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_UNUSABLE,
  onePositional,
  printJson,
  readInput,
  userPath,
} from '../io.js';

/** `ed sign`: adds this contour's ЗК after the ED's existing ones, which stay byte for byte. */
export const edSignCommand: Command = {
  path: ['ed', 'sign'],
  usage: '--contour NAME FILE [--pki DIR] [--sig-id NN]',
  summary: "Print the ED with a new ЗК (detached CMS over the normalized ED) of the contour's key added.",
  options: { contour: { type: 'string' }, pki: { type: 'string' }, 'sig-id': { type: 'string' } },
  async run(positionals, options, io) {
    const file = onePositional(positionals, 'FILE');
    const contour = contourOption(options.contour);
    const sigId = options['sig-id'] as string | undefined;
    if (sigId !== undefined && !/^\d{2}$/.test(sigId)) throw new CliError('CLI_USAGE', '--sig-id is two digits');
    const bytes = await readInput(userPath(io, file));
    const signer = await resolveSigner(contour, options.pki as string | undefined, io);
    const signed = await addZk(bytes, signer, sigId === undefined ? {} : { sigId });
    if (!signed.ok) throw new CliError(signed.code, signed.message);
    io.stdout(signed.value);
    return EXIT_OK;
  },
};

function parseContours(value: unknown): Contour[] | undefined {
  if (value === undefined) return undefined;
  const names = String(value).split(',');
  if (!names.every(isContour))
    throw new CliError('CLI_USAGE', '--contours is a comma-separated list, e.g. formation,control');
  return names as Contour[];
}

/** `ed verify`: every ЗК, per signer; exit 0 only when every one passes. */
export const edVerifyCommand: Command = {
  path: ['ed', 'verify'],
  usage: 'FILE [--pki DIR] [--contours formation,control]',
  summary:
    'Verify every ЗК of an ED (signature, certificate, revocation, and with --contours the contour of each, in order); JSON per signer; exit 0 only if all pass.',
  options: { pki: { type: 'string' }, contours: { type: 'string' } },
  async run(positionals, options, io) {
    const file = onePositional(positionals, 'FILE');
    const bytes = await readInput(userPath(io, file));
    const expectedContours = parseContours(options.contours);
    const trust = await resolveTrust(options.pki as string | undefined, io);
    try {
      const report = await verifyZks(bytes, { validator: trust, ...(expectedContours ? { expectedContours } : {}) });
      printJson(io, { file, ...report });
      if (report.ok) return EXIT_OK;
      return report.code === 'SIG_MALFORMED' && report.zks.length === 0 ? EXIT_UNUSABLE : EXIT_INVALID;
    } finally {
      trust.close();
    }
  },
};
