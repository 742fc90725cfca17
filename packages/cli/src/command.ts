import type { ParseArgsConfig } from 'node:util';
import type { Io } from './io.js';

/** Parsed options of one command: strings, booleans and string lists as declared in its `options`. */
export type Options = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One subcommand of `twincontour`. Later capabilities add theirs to the table in main.ts. */
export interface Command {
  /** Words that select it, e.g. ['ed', 'check']. */
  path: readonly string[];
  /** One line of usage after the path, e.g. 'FILE [--schema]'. */
  usage: string;
  /** What it does, one sentence. */
  summary: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  run(positionals: string[], options: Options, io: Io): Promise<number>;
}
