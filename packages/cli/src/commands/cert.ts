import { describeCertificate } from '@twincontour/crypto';
import type { Command } from '../command.js';
import { CliError, EXIT_OK, onePositional, printJson, readInput, userPath } from '../io.js';

const show: Command = {
  path: ['cert', 'show'],
  usage: 'FILE',
  summary:
    'Describe a certificate (PEM or DER): subject, issuer, serial, validity, thumbprint, key, usages, contour marker.',
  async run(positionals, _options, io) {
    const file = onePositional(positionals, 'FILE');
    const description = describeCertificate(await readInput(userPath(io, file)));
    if (!description.ok) throw new CliError(description.code, description.message);
    printJson(io, description.value);
    return EXIT_OK;
  },
};

/** `twincontour cert …` */
export const certCommands: readonly Command[] = [show];
