import type { CertificateValidator } from '@twincontour/crypto';
import type { Pool } from '@twincontour/platform';
import { checkpointHash, checkpointText, verifyCheckpointSignature } from './checkpoint.js';
import { eventHash, ZERO_HASH } from './hash.js';
import {
  CHECKPOINT_COLUMNS,
  type CheckpointRow,
  EVENT_COLUMNS,
  type EventRow,
  rowToCheckpoint,
  rowToEvent,
} from './store.js';
import type { AuditCheckpoint, AuditEvent, AuditProblem, AuditVerification } from './types.js';

/** Default checkpoint interval (ms) of a log, and what a verifier assumes when no checkpoint states one. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;
/** Default slack (ms) on top of twice the interval before uncovered events count as a missing checkpoint. */
export const DEFAULT_CHECKPOINT_GRACE_MS = 30_000;

/** Options of {@link verifyAuditDatabase}. */
export interface VerifyChainOptions {
  /** The contour whose log this is: checkpoints must be signed by a certificate of it. */
  contour: string;
  /** Trust store: checks each checkpoint signer's certificate as of the checkpoint time. */
  validator: CertificateValidator;
  /** The interval assumed when no checkpoint states its own (before the first one). Default 60000. */
  checkpointIntervalMs?: number | undefined;
  /** Slack on top of 2 × interval (clock skew, a slow restart). Default 30000. */
  checkpointGraceMs?: number | undefined;
  /** "Now" for the missing-checkpoint check. Default: the clock. */
  now?: Date | undefined;
}

/** Checks events one by one, in chain order: positions without gaps, links, and recomputed hashes. */
export class ChainChecker {
  events = 0;
  readonly problems: AuditProblem[] = [];
  private expected = 1n;
  private prevHash = ZERO_HASH;

  /** Checks the next event (in seq order). */
  push(event: AuditEvent): void {
    this.events++;
    const seq = BigInt(event.seq);
    const at = { seq: event.seq, eventId: event.id };
    if (seq !== this.expected) {
      // After a gap the link to the row before cannot hold: the gap is the finding, not the link.
      this.problems.push({
        code: 'AUDIT_SEQ_GAP',
        ...at,
        message:
          seq > this.expected
            ? `events ${this.expected}${seq - 1n > this.expected ? `..${seq - 1n}` : ''} are missing before seq ${event.seq}`
            : `seq ${event.seq} comes after seq ${this.expected - 1n} (out of order or repeated)`,
      });
    } else if (event.prevHash !== this.prevHash) {
      this.problems.push({
        code: 'AUDIT_PREV_MISMATCH',
        ...at,
        message: `event ${event.id} at seq ${event.seq} does not link to the hash of the event before it`,
      });
    }
    if (eventHash(event.prevHash, event) !== event.hash) {
      this.problems.push({
        code: 'AUDIT_HASH_MISMATCH',
        ...at,
        message: `event ${event.id} at seq ${event.seq} no longer gives its stored hash: its content was changed`,
      });
    }
    if (seq >= this.expected) this.expected = seq + 1n;
    this.prevHash = event.hash;
  }
}

/** The event at a checkpoint's position, as the chain holds it. */
export interface CoveredEvent {
  hash: string;
}

/** Checks checkpoints one by one, in number order: numbering, links, head hashes and signatures. */
export class CheckpointChecker {
  checkpoints = 0;
  readonly problems: AuditProblem[] = [];
  /** The last checkpoint seen (whatever its verdict). */
  last: AuditCheckpoint | undefined;
  private expectedNo = 1n;
  private prevHash = ZERO_HASH;
  private prevSeq = 0n;

  constructor(
    private readonly contour: string,
    private readonly validator: CertificateValidator,
  ) {}

  /** Checks the next checkpoint (in number order) against the event the chain holds at its seq. */
  async push(checkpoint: AuditCheckpoint, covered: CoveredEvent | undefined): Promise<void> {
    this.checkpoints++;
    this.last = checkpoint;
    const at = { seq: checkpoint.seq, checkpointNo: checkpoint.no };
    const add = (code: AuditProblem['code'], message: string) => this.problems.push({ code, ...at, message });
    const no = BigInt(checkpoint.no);
    const seq = BigInt(checkpoint.seq);
    let numbered = true;
    if (no !== this.expectedNo) {
      numbered = false;
      add(
        'AUDIT_CHECKPOINT_GAP',
        no > this.expectedNo
          ? `checkpoints ${this.expectedNo}${no - 1n > this.expectedNo ? `..${no - 1n}` : ''} are missing before checkpoint ${checkpoint.no}`
          : `checkpoint ${checkpoint.no} comes after checkpoint ${this.expectedNo - 1n} (out of order or repeated)`,
      );
    }
    if (numbered && checkpoint.prevCheckpointHash !== this.prevHash) {
      add('AUDIT_CHECKPOINT_MISMATCH', `checkpoint ${checkpoint.no} does not link to the checkpoint before it`);
    }
    if (checkpoint.contour !== this.contour) {
      add('AUDIT_CHECKPOINT_MISMATCH', `checkpoint ${checkpoint.no} names contour ${checkpoint.contour}`);
    }
    if (seq <= this.prevSeq) {
      add('AUDIT_CHECKPOINT_MISMATCH', `checkpoint ${checkpoint.no} covers seq ${seq}, not beyond its predecessor`);
    }
    if (!covered) {
      add(
        'AUDIT_CHECKPOINT_MISMATCH',
        `checkpoint ${checkpoint.no} covers seq ${checkpoint.seq}, which the chain no longer holds`,
      );
    } else if (covered.hash !== checkpoint.headHash) {
      add(
        'AUDIT_CHECKPOINT_MISMATCH',
        `checkpoint ${checkpoint.no} signed head ${checkpoint.headHash.slice(0, 16)}… at seq ${checkpoint.seq}; the chain now has ${covered.hash.slice(0, 16)}…`,
      );
    }
    const signature = Buffer.from(checkpoint.signatureBase64, 'base64');
    const text = checkpointText({ ...checkpoint, intervalMs: checkpoint.intervalMs ?? 0 });
    const hash = checkpointHash(text, signature);
    if (hash !== checkpoint.hash) {
      add(
        'AUDIT_CHECKPOINT_MISMATCH',
        `checkpoint ${checkpoint.no}'s stored hash is not the hash of its text and signature`,
      );
    }
    const verdict = await verifyCheckpointSignature(checkpoint, this.contour, this.validator);
    if (!verdict.ok) {
      add('AUDIT_CHECKPOINT_BAD_SIGNATURE', `checkpoint ${checkpoint.no}: ${verdict.code}: ${verdict.message}`);
    }
    if (no >= this.expectedNo) this.expectedNo = no + 1n;
    // The next one links to the hash recomputed here, not to the stored column a superuser could edit.
    this.prevHash = hash;
    if (seq > this.prevSeq) this.prevSeq = seq;
  }
}

/** The first event past the last checkpoint: when it joined the chain decides whether a checkpoint is overdue. */
export interface UncoveredEvent {
  seq: string;
  id: string;
  /** When it was chained (or, lacking that, its time). */
  since: Date;
}

/**
 * AUDIT_CHECKPOINT_MISSING when an event has waited past the last checkpoint (or, with none, at all)
 * for longer than twice the interval plus the grace: the writer checkpoints every interval while the
 * head moves, so by then a checkpoint must exist unless it was deleted or the writer stopped signing.
 */
export function missingCheckpoint(
  uncovered: UncoveredEvent | undefined,
  last: AuditCheckpoint | undefined,
  options: { intervalMs: number; graceMs: number; now: Date },
): AuditProblem | undefined {
  if (!uncovered) return undefined;
  const intervalMs = last?.intervalMs && last.intervalMs > 0 ? last.intervalMs : options.intervalMs;
  const limit = 2 * intervalMs + options.graceMs;
  const waited = options.now.getTime() - uncovered.since.getTime();
  if (waited <= limit) return undefined;
  return {
    code: 'AUDIT_CHECKPOINT_MISSING',
    seq: uncovered.seq,
    eventId: uncovered.id,
    ...(last ? { checkpointNo: last.no } : {}),
    message: `no checkpoint covers seq ${uncovered.seq} (chained ${Math.round(waited / 1000)} s ago; one is due within ${Math.round(limit / 1000)} s)${last ? `; the last is checkpoint ${last.no} at seq ${last.seq}` : '; there is none'}`,
  };
}

/** The first broken link in chain order: the problem at the lowest seq, else the first one found. */
export function firstBroken(problems: readonly AuditProblem[]): AuditProblem | undefined {
  let best: AuditProblem | undefined;
  for (const problem of problems) {
    if (problem.seq === undefined) continue;
    if (!best || BigInt(problem.seq) < BigInt(best.seq as string)) best = problem;
  }
  return best ?? problems[0];
}

/** Assembles the verdict. */
export function verification(
  contour: string,
  events: number,
  checkpoints: number,
  problems: AuditProblem[],
): AuditVerification {
  const first = firstBroken(problems);
  return {
    ok: problems.length === 0,
    contour,
    events,
    checkpoints,
    ...(first ? { firstBroken: first } : {}),
    problems,
  };
}

const EVENT_PAGE = 5000;
const CHECKPOINT_PAGE = 1000;

/**
 * Verifies one contour's audit log in its database: every event in chain order (no seq gap, each
 * prev_hash the hash before it, each hash recomputed from the stored fields), then every checkpoint
 * (numbers contiguous, each linking to the one before, its head hash the chain's hash at its seq, its
 * CMS signature valid over its text by a certificate of the contour as of its time), then whether a
 * checkpoint is overdue. Reads in pages inside one REPEATABLE READ READ ONLY transaction, so the chain
 * and the checkpoints are one snapshot, and writes nothing.
 */
export async function verifyAuditDatabase(pool: Pool, options: VerifyChainOptions): Promise<AuditVerification> {
  const chain = new ChainChecker();
  const checkpoints = new CheckpointChecker(options.contour, options.validator);
  const client = await pool.connect();
  let uncovered: UncoveredEvent | undefined;
  try {
    await client.query('begin isolation level repeatable read read only');
    try {
      let after = '0';
      for (;;) {
        const page = await client.query<EventRow>(
          `select ${EVENT_COLUMNS} from audit_events where seq > $1 order by seq limit $2`,
          [after, EVENT_PAGE],
        );
        for (const row of page.rows) chain.push(rowToEvent(row));
        const last = page.rows.at(-1);
        if (!last || page.rows.length < EVENT_PAGE) break;
        after = last.seq;
      }
      let afterNo = '0';
      for (;;) {
        const page = await client.query<CheckpointRow & { event_hash: string | null }>(
          `select ${CHECKPOINT_COLUMNS.split(', ')
            .map((c) => `c.${c}`)
            .join(', ')}, e.hash as event_hash
             from audit_checkpoints c left join audit_events e on e.seq = c.seq
            where c.no > $1 order by c.no limit $2`,
          [afterNo, CHECKPOINT_PAGE],
        );
        for (const row of page.rows) {
          await checkpoints.push(rowToCheckpoint(row), row.event_hash === null ? undefined : { hash: row.event_hash });
        }
        const last = page.rows.at(-1);
        if (!last || page.rows.length < CHECKPOINT_PAGE) break;
        afterNo = last.no;
      }
      const next = await client.query<{ seq: string; id: string; chained_at: Date }>(
        'select seq, id, chained_at from audit_events where seq > $1 order by seq limit 1',
        [checkpoints.last?.seq ?? '0'],
      );
      const row = next.rows[0];
      if (row) uncovered = { seq: row.seq, id: row.id, since: row.chained_at };
    } finally {
      await client.query('rollback');
    }
  } finally {
    client.release();
  }
  const problems = [...chain.problems, ...checkpoints.problems];
  const missing = missingCheckpoint(uncovered, checkpoints.last, {
    intervalMs: options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
    graceMs: options.checkpointGraceMs ?? DEFAULT_CHECKPOINT_GRACE_MS,
    now: options.now ?? new Date(),
  });
  if (missing) problems.push(missing);
  return verification(options.contour, chain.events, checkpoints.checkpoints, problems);
}
