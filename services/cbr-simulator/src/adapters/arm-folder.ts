import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Intake } from '../intake.js';
import { writeFileAtomic } from './files.js';
import type { PublishedAnswer } from './repository.js';

/** The pickup side of the АРМ КБР-Н folders, as the simulator plays the АРМ (NOTES.md, 802-П п. 10). */
export interface PickupPoller {
  /** Looks at the pickup folder once; takes every complete file. Returns how many were taken. */
  poll(): Promise<number>;
}

/** A name that is never a complete envelope: a temporary (`*.tmp`) or hidden file. */
export function isIncompleteName(name: string): boolean {
  return name.endsWith('.tmp') || name.startsWith('.');
}

/**
 * Takes complete files from the pickup folder as the АРМ does: a file is taken only when its name is not
 * a temporary one (`*.tmp`, hidden) and its size and modification time did not change since the previous
 * look — so a file still being written, even under its final name, is left alone. Each taken file is
 * handed to the intake (kept in the store folder and PostgreSQL, checked, answered) and then deleted (the
 * АРМ removes what it took). If the intake fails, the file stays and is taken on a later poll; a retaken
 * file is recognized by its name and bytes and answered only once.
 */
export function createPickupPoller(options: { dir: string; intake: Intake; logger: Logger }): PickupPoller {
  const seen = new Map<string, string>();
  return {
    async poll() {
      const entries = await readdir(options.dir, { withFileTypes: true });
      const present = new Set<string>();
      let taken = 0;
      for (const entry of entries) {
        if (!entry.isFile() || isIncompleteName(entry.name)) continue;
        present.add(entry.name);
        const path = join(options.dir, entry.name);
        let mark: string;
        try {
          const info = await stat(path);
          mark = `${info.size}:${info.mtimeMs}`;
        } catch {
          continue; // gone between readdir and stat
        }
        if (seen.get(entry.name) !== mark) {
          seen.set(entry.name, mark);
          continue;
        }
        try {
          const bytes = await readFile(path);
          await options.intake.receive({ channel: 'folder', ref: entry.name, bytes: new Uint8Array(bytes) });
          await unlink(path);
          seen.delete(entry.name);
          taken++;
        } catch (error) {
          options.logger.error(
            { err: error, code: 'SIM_FOLDER_FAILED', file: entry.name },
            'cannot take a pickup file',
          );
        }
      }
      for (const name of seen.keys()) if (!present.has(name)) seen.delete(name);
      return taken;
    },
  };
}

/** The file name of an answer in the incoming folder: one name per answer ED identity. */
export function answerFileName(answer: PublishedAnswer): string {
  const { edAuthor, edDate, edNo } = answer.identity;
  return `${answer.kind}_${edAuthor}_${edDate.replaceAll('-', '')}_${edNo}.xml`;
}

/** Writes one answer into the incoming folder atomically (`.tmp`, fsync, rename); returns its path. */
export function writeAnswerFile(dir: string, answer: PublishedAnswer): Promise<string> {
  return writeFileAtomic(dir, answerFileName(answer), answer.envelope);
}
