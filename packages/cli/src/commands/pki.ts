import { CRL_REASONS, devInit, revoke } from '@twincontour/crypto';
import type { Command } from '../command.js';
import { CliError, EXIT_OK, onePositional, printJson, userPath } from '../io.js';

const init: Command = {
  path: ['pki', 'dev-init'],
  usage: 'DIR',
  summary:
    'Make a development CA (with a CRL), and certificates and encrypted keys for formation, control, transport, the Bank of Russia simulator and an authorised person. Idempotent.',
  async run(positionals, _options, io) {
    const dir = userPath(io, onePositional(positionals, 'DIR'));
    const result = await devInit(dir);
    if (!result.ok) throw new CliError(result.code, result.message);
    const { ca, identities } = result.value.layout;
    printJson(io, { dir, created: result.value.created, ca, identities });
    return EXIT_OK;
  },
};

const revokeCommand: Command = {
  path: ['pki', 'revoke'],
  usage: 'DIR SERIAL [--reason keyCompromise|…]',
  summary: "Revoke a development certificate by its serial (hex) and reissue the development CA's CRL.",
  options: { reason: { type: 'string' } },
  async run(positionals, options, io) {
    const [dir, serial, ...rest] = positionals;
    if (!dir || !serial || rest.length > 0) throw new CliError('CLI_USAGE', 'give DIR and SERIAL');
    const reasonName = options.reason as string | undefined;
    const reasons: Readonly<Record<string, number>> = CRL_REASONS;
    const reason = reasonName === undefined ? undefined : reasons[reasonName];
    if (reasonName !== undefined && reason === undefined) {
      throw new CliError('CLI_USAGE', `--reason must be one of ${Object.keys(CRL_REASONS).join(', ')}`);
    }
    const result = await revoke(userPath(io, dir), serial, reason === undefined ? {} : { reason });
    if (!result.ok) throw new CliError(result.code, result.message);
    printJson(io, { dir: userPath(io, dir), ...result.value });
    return EXIT_OK;
  },
};

/** `twincontour pki …` */
export const pkiCommands: readonly Command[] = [init, revokeCommand];
