import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARCHIVE_ID,
  type ArchiveTrust,
  type ArchiveVerification,
  openArchiveDatabase,
  readArchivedRecord,
  verifyArchived,
} from '@twincontour/audit';
import { loadTrustConfigFromDir } from '@twincontour/crypto';
import type { Command, Options } from '../command.js';
import { REPO_ROOT } from '../dev/processes.js';
import { CliError, EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, type Io, onePositional, printJson, userPath } from '../io.js';

/**
 * Where the archive is read: TWINCONTOUR_ARCHIVE_DATABASE_URL, else transport's development database as
 * `npm start` makes it (ensureDevDatabases: role tc_transport owning twincontour_transport on
 * PGHOST:PGPORT). Every transaction is read-only: verifying never writes.
 */
export function archiveDatabaseUrl(env: Io['env']): string {
  const url = new URL(
    env.TWINCONTOUR_ARCHIVE_DATABASE_URL ||
      `postgres://tc_transport@${env.PGHOST ?? '127.0.0.1'}:${env.PGPORT ?? '5432'}/twincontour_transport`,
  );
  url.searchParams.set('options', '-c default_transaction_read_only=on');
  return url.toString();
}

/**
 * Whom the verification trusts: the anchors and pins of --trust-dir, TWINCONTOUR_TRUST_DIR, or the
 * development PKI. Only anchors and pins are taken: the CRLs are the archive's own.
 */
function trustFrom(options: Options, io: Io): ArchiveTrust {
  const devPki = io.env.TWINCONTOUR_PKI_DIR ?? join(io.env.TWINCONTOUR_DEV_DIR ?? join(REPO_ROOT, '.dev'), 'pki');
  const dir =
    (options['trust-dir'] as string | undefined) ??
    io.env.TWINCONTOUR_TRUST_DIR ??
    (existsSync(join(devPki, 'trust.json')) ? devPki : undefined);
  if (!dir) {
    throw new CliError(
      'CLI_TRUST_NOT_CONFIGURED',
      'no trust configuration: give --trust-dir DIR or set TWINCONTOUR_TRUST_DIR (or start the gateway once for the development PKI)',
    );
  }
  const config = loadTrustConfigFromDir(userPath(io, dir));
  if (!config.ok) throw new CliError(config.code, config.message);
  const { anchors, intermediates, pins, pinnedOnly } = config.value;
  return {
    anchors,
    ...(intermediates ? { intermediates } : {}),
    ...(pins ? { pins } : {}),
    ...(pinnedOnly ? { pinnedOnly } : {}),
  };
}

/** The verdict for a person: one line, then one line per signature. */
function printHuman(io: Io, result: ArchiveVerification): void {
  const verdict = result.ok ? 'VERIFIED' : `NOT VERIFIED (${result.code})`;
  io.stdout(
    `archive record ${result.id} (${result.direction} ${result.kind}) as of ${result.signingTime}: ${verdict}\n`,
  );
  if (result.reason) io.stdout(`  ${result.reason}\n`);
  if (result.sibling) io.stdout(`  verify record ${result.sibling} instead: it holds the signed envelope\n`);
  for (const s of result.signers) {
    const who = s.serial ? `serial ${s.serial}, issuer ${s.issuer}, thumbprint ${s.thumbprint}` : 'no certificate';
    io.stdout(`  ${s.role} #${s.index} ${s.contour}: ${s.result}${s.code ? ` (${s.code})` : ''} — ${who}\n`);
  }
  const crls = result.evidence.crls.map((c) => `${c.issuer} of ${c.thisUpdate}`).join('; ');
  io.stdout(`  evidence: ${result.evidence.certificates} stored certificates; CRLs used: ${crls || 'none'}\n`);
}

const verify: Command = {
  path: ['archive', 'verify'],
  usage: 'ID [--json] [--trust-dir DIR]',
  summary:
    'Re-verify an archived message (802-П п. 11) as of its signing time with the stored certificate chain and CRLs, from transport’s database (TWINCONTOUR_ARCHIVE_DATABASE_URL); exit 0 only when it verifies.',
  options: { json: { type: 'boolean' }, 'trust-dir': { type: 'string' } },
  async run(positionals, options, io) {
    const id = onePositional(positionals, 'ID');
    if (!ARCHIVE_ID.test(id)) throw new CliError('CLI_USAGE', 'ID is an archive record id: a positive integer');
    const trust = trustFrom(options, io);
    const pool = await openArchiveDatabase(archiveDatabaseUrl(io.env));
    if (!pool.ok) throw new CliError(pool.code, pool.message);
    try {
      const record = await readArchivedRecord(pool.value, id);
      if (!record.ok) throw new CliError(record.code, record.message);
      const result = await verifyArchived(record.value, trust);
      if (options.json) printJson(io, result);
      else printHuman(io, result);
      if (result.ok) return EXIT_OK;
      // The record could not be judged at all with this trust configuration: the input is unusable.
      return result.code === 'ARC_TRUST_INVALID' ? EXIT_UNUSABLE : EXIT_INVALID;
    } finally {
      await pool.value.end();
    }
  },
};

/** `twincontour archive …` */
export const archiveCommands: readonly Command[] = [verify];
