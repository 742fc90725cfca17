import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** Exit codes every subcommand keeps: 0 done/valid, 1 checked and found invalid, 2 unusable input or usage. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_UNUSABLE = 2;

/** Where a command writes: injected so tests run commands in-process and read what they printed. */
export interface Io {
  stdout: (chunk: string | Uint8Array) => void;
  stderr: (chunk: string) => void;
  /** Directory relative paths are resolved against (the caller's working directory). */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** The process's own streams. */
export function processIo(): Io {
  return {
    stdout: (chunk) => process.stdout.write(chunk),
    stderr: (chunk) => process.stderr.write(chunk),
    // `pnpm twincontour` runs in the workspace root; INIT_CWD is where the user typed the command.
    cwd: process.env.INIT_CWD ?? process.cwd(),
    env: process.env,
  };
}

/** A failure a command reports with a stable code before exiting 2. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT_UNUSABLE,
  ) {
    super(message);
  }
}

/** Reads a whole input file; a missing or unreadable file is a `CLI_UNREADABLE_INPUT` error, never a stack trace. */
export async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'read failed';
    throw new CliError('CLI_UNREADABLE_INPUT', `cannot read ${path}: ${reason}`);
  }
}

/** Prints a value as indented JSON with a trailing newline. */
export function printJson(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Resolves a path the user gave against the directory they ran the command in. */
export function userPath(io: Io, path: string): string {
  return resolve(io.cwd, path);
}

/** The one positional argument a command needs, or a usage error. */
export function onePositional(positionals: readonly string[], what: string): string {
  const [first, ...rest] = positionals;
  if (first === undefined || rest.length > 0) throw new CliError('CLI_USAGE', `expected exactly one ${what}`);
  return first;
}
