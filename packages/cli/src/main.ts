import { parseArgs } from 'node:util';
import type { Command } from './command.js';
import { archiveCommands } from './commands/archive.js';
import { auditCommands } from './commands/audit.js';
import { certCommands } from './commands/cert.js';
import { demoCommands } from './commands/demo.js';
import { edCommands } from './commands/ed.js';
import { envelopeCommands } from './commands/envelope.js';
import { incidentCommands } from './commands/incident.js';
import { keysCommands } from './commands/keys.js';
import { pkiCommands } from './commands/pki.js';
import { CliError, EXIT_OK, EXIT_UNUSABLE, type Io, processIo } from './io.js';

/** Every subcommand of the gateway's one command-line tool. */
export const COMMANDS: readonly Command[] = [
  ...edCommands,
  ...envelopeCommands,
  ...keysCommands,
  ...certCommands,
  ...pkiCommands,
  ...demoCommands,
  ...auditCommands,
  ...archiveCommands,
  ...incidentCommands,
];

function help(io: Io): void {
  const lines = COMMANDS.map((c) => `  twincontour ${c.path.join(' ')} ${c.usage}\n      ${c.summary}`);
  io.stdout(`usage:\n${lines.join('\n')}\n`);
}

function findCommand(argv: readonly string[]): Command | undefined {
  let best: Command | undefined;
  for (const command of COMMANDS) {
    const matches = command.path.every((word, i) => argv[i] === word);
    if (matches && (!best || command.path.length > best.path.length)) best = command;
  }
  return best;
}

/** Runs `twincontour ARGV…`; returns the exit code. Never throws for bad input: it prints a coded error. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    help(io);
    return argv.length === 0 ? EXIT_UNUSABLE : EXIT_OK;
  }
  const command = findCommand(argv);
  if (!command) {
    io.stderr(`twincontour: unknown command "${argv.join(' ')}" (CLI_UNKNOWN_COMMAND); see twincontour help\n`);
    return EXIT_UNUSABLE;
  }
  try {
    const parsed = parseArgs({
      args: argv.slice(command.path.length) as string[],
      options: command.options ?? {},
      allowPositionals: true,
      strict: true,
    });
    const positionals = parsed.positionals;
    return await command.run(positionals, parsed.values, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`twincontour ${command.path.join(' ')}: ${error.message} (${error.code})\n`);
      return error.exitCode;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      io.stderr(
        `twincontour ${command.path.join(' ')}: ${error.message} (CLI_USAGE)\nusage: twincontour ${command.path.join(' ')} ${command.usage}\n`,
      );
      return EXIT_UNUSABLE;
    }
    throw error;
  }
}
