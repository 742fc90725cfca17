import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type AuditEvent,
  type AuditVerification,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  queryEvents,
  verifyAuditDatabase,
  verifyExport,
} from '@twincontour/audit';
import { loadTrustStore, type TrustStore } from '@twincontour/crypto';
import { createPool, type Pool } from '@twincontour/platform';
import type { Command, Options } from '../command.js';
import { REPO_ROOT } from '../dev/processes.js';
import { CliError, EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, type Io, printJson, userPath } from '../io.js';

/** The contours that keep an audit log, in the order a payment passes them (and trails list ties). */
export const AUDIT_CONTOURS = ['formation', 'control', 'transport'] as const;
type AuditContour = (typeof AUDIT_CONTOURS)[number];

function contoursOption(value: Options[string]): AuditContour[] {
  const given = value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
  for (const c of given) {
    if (!(AUDIT_CONTOURS as readonly string[]).includes(c)) {
      throw new CliError('CLI_USAGE', `--contour is one of ${AUDIT_CONTOURS.join(', ')}`);
    }
  }
  return given.length === 0 ? [...AUDIT_CONTOURS] : [...new Set(given as AuditContour[])];
}

/**
 * Where one contour's audit log is read: TWINCONTOUR_AUDIT_DATABASE_URL_<CONTOUR>, else the development
 * database `npm start` makes for it (ensureDevDatabases: role tc_<svc> owning twincontour_<svc> on
 * PGHOST:PGPORT).
 */
export function auditDatabaseUrl(contour: AuditContour, env: Io['env']): string {
  const configured = env[`TWINCONTOUR_AUDIT_DATABASE_URL_${contour.toUpperCase()}`];
  if (configured) return configured;
  return `postgres://tc_${contour}@${env.PGHOST ?? '127.0.0.1'}:${env.PGPORT ?? '5432'}/twincontour_${contour}`;
}

/** The URL with every transaction read-only: the CLI reads the logs and must never be able to write. */
export function readOnlyUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set('options', '-c default_transaction_read_only=on');
  return u.toString();
}

/** Host, port and database of a URL, for messages (never the user or password). */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured database';
  }
}

/** The trust store: --trust-dir, TWINCONTOUR_TRUST_DIR, or the development PKI (as `npm start` makes it). */
async function trustFrom(options: Options, io: Io): Promise<TrustStore> {
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
  const store = await loadTrustStore(userPath(io, dir));
  if (!store.ok) throw new CliError(store.code, store.message);
  return store.value;
}

/** A database failure as a CLI code: the log is not there, or the database cannot be reached. */
function databaseFailure(error: unknown, contour: string, url: string): CliError {
  const code = (error as { code?: unknown }).code;
  if (code === '42P01') {
    return new CliError(
      'CLI_AUDIT_NO_LOG',
      `${contour}: ${where(url)} has no audit log (audit migrations not applied)`,
    );
  }
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : 'failed';
  return new CliError('CLI_AUDIT_DB_UNREACHABLE', `${contour}: cannot read ${where(url)} (${reason})`);
}

async function withLog<T>(contour: AuditContour, io: Io, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const url = auditDatabaseUrl(contour, io.env);
  const pool = createPool({
    connectionString: readOnlyUrl(url),
    max: 1,
    applicationName: 'twincontour-audit-cli',
    // Verifying millions of events takes a while: each page is a statement, but give them room.
    statementTimeoutMs: 300_000,
  });
  try {
    return await fn(pool);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw databaseFailure(error, contour, url);
  } finally {
    await pool.end();
  }
}

function describeVerification(source: string, v: AuditVerification): string {
  const counts = `${v.events} events, ${v.checkpoints} checkpoints`;
  if (v.ok) return `${source}: ok — ${counts}\n`;
  const lines = [`${source}: BROKEN — ${counts}, ${v.problems.length} problem(s)`];
  const f = v.firstBroken;
  if (f) {
    const at = [
      f.seq ? `seq ${f.seq}` : undefined,
      f.eventId ? `event ${f.eventId}` : undefined,
      f.checkpointNo ? `checkpoint ${f.checkpointNo}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  first broken link: ${f.code}${at ? ` at ${at}` : ''}: ${f.message}`);
  }
  const shown = v.problems.slice(0, 20);
  for (const p of shown) if (p !== f) lines.push(`  ${p.code}: ${p.message}`);
  if (v.problems.length > shown.length)
    lines.push(`  … and ${v.problems.length - shown.length} more (--json lists all)`);
  return `${lines.join('\n')}\n`;
}

const verify: Command = {
  path: ['audit', 'verify'],
  usage: '[--contour formation|control|transport]... [--file EXPORT.ndjson]... [--trust-dir DIR] [--json]',
  summary:
    "Verify the audit logs' hash chains and signed checkpoints — from each contour's database (every contour by default; read-only) or offline from export files — and name the first broken link. Exit 0 only if all verify.",
  options: {
    contour: { type: 'string', multiple: true },
    file: { type: 'string', multiple: true },
    'trust-dir': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(positionals, options, io) {
    if (positionals.length > 0) throw new CliError('CLI_USAGE', `unexpected argument ${positionals[0]}`);
    const files = ((options.file as string[] | undefined) ?? []).map((f) => userPath(io, f));
    const explicit = options.contour !== undefined;
    const contours = contoursOption(options.contour);
    const trust = await trustFrom(options, io);
    const results: (AuditVerification & { source: string })[] = [];
    const failures: CliError[] = [];
    try {
      if (files.length > 0) {
        if (explicit && contours.length > 1) {
          throw new CliError(
            'CLI_USAGE',
            'with --file, give at most one --contour (the contour the export must be of)',
          );
        }
        for (const file of files) {
          if (!existsSync(file) || !statSync(file).isFile()) {
            throw new CliError('CLI_UNREADABLE_INPUT', `cannot read ${file}: not a file`);
          }
          const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
          const v = await verifyExport(lines, trust, explicit ? { contour: contours[0] } : {});
          results.push({ source: file, ...v });
        }
      } else {
        const intervalMs = Number(io.env.TWINCONTOUR_AUDIT_CHECKPOINT_MS ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
        for (const contour of contours) {
          try {
            const v = await withLog(contour, io, (pool) =>
              verifyAuditDatabase(pool, { contour, validator: trust, checkpointIntervalMs: intervalMs }),
            );
            results.push({ source: contour, ...v });
          } catch (error) {
            if (!(error instanceof CliError)) throw error;
            failures.push(error);
          }
        }
      }
    } finally {
      trust.close();
    }
    if (options.json) {
      printJson(io, {
        ok: failures.length === 0 && results.every((r) => r.ok),
        results,
        errors: failures.map((f) => ({ code: f.code, message: f.message })),
      });
    } else {
      for (const r of results) io.stdout(describeVerification(r.source, r));
    }
    for (const f of failures) io.stderr(`twincontour audit verify: ${f.message} (${f.code})\n`);
    if (results.some((r) => !r.ok)) return EXIT_INVALID;
    return failures.length > 0 ? EXIT_UNUSABLE : EXIT_OK;
  },
};

/** One event of a trail: an audit event of one contour. */
export type TrailEvent = AuditEvent;

/**
 * Merges the contours' events of one order: by time, then contour in the order a payment passes them
 * (formation → control → transport), then chain position.
 */
export function mergeTrail(events: readonly TrailEvent[]): TrailEvent[] {
  const rank = (c: string) => {
    const i = (AUDIT_CONTOURS as readonly string[]).indexOf(c);
    return i === -1 ? AUDIT_CONTOURS.length : i;
  };
  return [...events].sort((a, b) => {
    const t = Date.parse(a.at) - Date.parse(b.at);
    if (t !== 0) return t;
    const c = rank(a.contour) - rank(b.contour);
    if (c !== 0) return c;
    const s = BigInt(a.seq) - BigInt(b.seq);
    return s < 0n ? -1 : s > 0n ? 1 : 0;
  });
}

function trailLine(e: TrailEvent): string {
  const facts = [
    e.reason ? `reason=${e.reason}` : undefined,
    e.messageId ? `message=${e.messageId}` : undefined,
    e.ed ? `ed=${e.ed.edNo}/${e.ed.edDate}/${e.ed.edAuthor}` : undefined,
    e.certificate ? `cert=${e.certificate.serial} (${e.certificate.thumbprint.slice(0, 16)}…)` : undefined,
    e.digest ? `digest=${e.digest.slice(0, 16)}…` : undefined,
  ].filter(Boolean);
  return `${e.at}  ${e.contour.padEnd(9)}  ${e.type.padEnd(26)}  ${e.result.padEnd(4)}  ${e.actor}${facts.length ? `  ${facts.join(' ')}` : ''}\n`;
}

const trail: Command = {
  path: ['audit', 'trail'],
  usage: 'ORDER_ID [--contour formation|control|transport]... [--json]',
  summary:
    "Print one payment's audit events from the three contours' logs, merged in time order (ties: formation, control, transport, then chain position). Read-only.",
  options: { contour: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  async run(positionals, options, io) {
    const [orderId, ...rest] = positionals;
    if (!orderId || rest.length > 0) throw new CliError('CLI_USAGE', 'give exactly one ORDER_ID');
    const contours = contoursOption(options.contour);
    const events: TrailEvent[] = [];
    const failures: CliError[] = [];
    for (const contour of contours) {
      try {
        await withLog(contour, io, async (pool) => {
          let cursor: string | undefined;
          do {
            const page = await queryEvents(pool, { orderId, limit: 1000, ...(cursor ? { cursor } : {}) });
            events.push(...page.events);
            cursor = page.nextCursor;
          } while (cursor);
        });
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        failures.push(error);
      }
    }
    const merged = mergeTrail(events);
    if (options.json) {
      printJson(io, {
        orderId,
        events: merged,
        errors: failures.map((f) => ({ code: f.code, message: f.message })),
      });
    } else if (merged.length > 0) {
      io.stdout(`audit trail of order ${orderId} (${merged.length} events)\n`);
      for (const e of merged) io.stdout(trailLine(e));
    }
    for (const f of failures) io.stderr(`twincontour audit trail: ${f.message} (${f.code})\n`);
    if (failures.length > 0) return EXIT_UNUSABLE;
    if (merged.length === 0) {
      if (!options.json) {
        io.stderr(
          `twincontour audit trail: no audit event names order ${orderId} in ${contours.join(', ')} (CLI_AUDIT_TRAIL_EMPTY)\n`,
        );
      }
      return EXIT_INVALID;
    }
    return EXIT_OK;
  },
};

/** `twincontour audit …` */
export const auditCommands: readonly Command[] = [verify, trail];
