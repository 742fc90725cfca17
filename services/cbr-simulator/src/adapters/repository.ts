import type { Pool, Queryable } from '@twincontour/platform';
import { withTransaction } from '@twincontour/platform';
import type { EdIdentity } from '@twincontour/ufebs';
import type { Checks } from '../domain/assess.js';

/**
 * PostgreSQL access of the simulator (migrations/0001_simulator.sql). Functions taking a `Queryable` run
 * inside the caller's transaction; the others open their own.
 */

/** One advisory lock key (any constant) serializing whatever gives answers their `seq`. */
const ANSWER_LOCK = 0x53494d31; // 'SIM1'

/** Takes the answer lock until the transaction ends: `seq` values then commit in increasing order. */
export async function lockAnswers(client: Queryable): Promise<void> {
  await client.query('select pg_advisory_xact_lock($1)', [ANSWER_LOCK]);
}

/** A received envelope as the ops API shows it. */
export interface ReceivedView {
  id: string;
  seq: number;
  channel: 'https' | 'folder';
  ref: string | null;
  ed: (EdIdentity & { kind: string | null }) | null;
  sha256: string | null;
  wireSha256: string;
  path: string;
  checks: Checks;
  ctrlCode: string | null;
  state: string;
  receivedAt: string;
  executedAt: string | null;
}

interface ReceivedRow {
  id: string;
  seq: string;
  channel: 'https' | 'folder';
  ref: string | null;
  ed_no: string | null;
  ed_date: string | null;
  ed_author: string | null;
  ed_kind: string | null;
  envelope_sha256: string | null;
  wire_sha256: string;
  path: string;
  checks: Checks;
  ctrl_code: string | null;
  state: string;
  received_at: Date;
  executed_at: Date | null;
}

const RECEIVED_COLUMNS = `id, seq, channel, ref, ed_no, ed_date, ed_author, ed_kind, envelope_sha256, wire_sha256, path,
  checks, ctrl_code, state, received_at, executed_at`;

function toView(row: ReceivedRow): ReceivedView {
  return {
    id: row.id,
    seq: Number(row.seq),
    channel: row.channel,
    ref: row.ref,
    ed:
      row.ed_no !== null && row.ed_date !== null && row.ed_author !== null
        ? { edNo: row.ed_no, edDate: row.ed_date, edAuthor: row.ed_author, kind: row.ed_kind }
        : null,
    sha256: row.envelope_sha256,
    wireSha256: row.wire_sha256,
    path: row.path,
    checks: row.checks,
    ctrlCode: row.ctrl_code,
    state: row.state,
    receivedAt: row.received_at.toISOString(),
    executedAt: row.executed_at ? row.executed_at.toISOString() : null,
  };
}

/** An earlier delivery with the same channel reference and the same envelope (a retry), if any. */
export async function findRetry(
  client: Queryable,
  participant: string,
  ref: string,
  envelopeSha256: string,
): Promise<ReceivedView | undefined> {
  const { rows } = await client.query<ReceivedRow>(
    `select ${RECEIVED_COLUMNS} from received
      where participant = $1 and ref = $2 and envelope_sha256 = $3 order by seq limit 1`,
    [participant, ref, envelopeSha256],
  );
  return rows[0] ? toView(rows[0]) : undefined;
}

/** True when this participant already had an ED with this identity accepted (0303). */
export async function identityAccepted(client: Queryable, participant: string, identity: EdIdentity): Promise<boolean> {
  const { rowCount } = await client.query(
    `select 1 from received where participant = $1 and ed_author = $2 and ed_date = $3 and ed_no = $4
        and state in ('accepted', 'executed', 'annulled')`,
    [participant, identity.edAuthor, identity.edDate, identity.edNo],
  );
  return (rowCount ?? 0) > 0;
}

/** What is recorded of one received envelope. */
export interface ReceivedInsert {
  id: string;
  participant: string;
  channel: 'https' | 'folder';
  ref: string | undefined;
  identity: EdIdentity | undefined;
  kind: string | undefined;
  envelope: Uint8Array | undefined;
  envelopeSha256: string | undefined;
  wire: Uint8Array | undefined;
  wireSha256: string;
  path: string;
  checks: Checks;
  ctrlCode: string | undefined;
  state: 'accepted' | 'rejected' | 'unreadable';
}

/** Inserts a received envelope; returns its view. */
export async function insertReceived(client: Queryable, row: ReceivedInsert): Promise<ReceivedView> {
  const { rows } = await client.query<ReceivedRow>(
    `insert into received (id, participant, channel, ref, ed_no, ed_date, ed_author, ed_kind, envelope, envelope_sha256,
        wire, wire_sha256, path, checks, ctrl_code, state)
      values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
      returning ${RECEIVED_COLUMNS}`,
    [
      row.id,
      row.participant,
      row.channel,
      row.ref ?? null,
      row.identity?.edNo ?? null,
      row.identity?.edDate ?? null,
      row.identity?.edAuthor ?? null,
      row.kind ?? null,
      row.envelope ? Buffer.from(row.envelope) : null,
      row.envelopeSha256 ?? null,
      row.wire ? Buffer.from(row.wire) : null,
      row.wireSha256,
      row.path,
      JSON.stringify(row.checks),
      row.ctrlCode ?? null,
      row.state,
    ],
  );
  return toView(rows[0] as ReceivedRow);
}

/** The next EDNo of an author on a date (NOTES.md: EDNo + EDDate + EDAuthor is unique), in PostgreSQL. */
export async function nextEdNo(client: Queryable, edAuthor: string, edDate: string): Promise<string> {
  const { rows } = await client.query<{ last_no: string }>(
    `insert into ed_counters (ed_author, ed_date, last_no) values ($1, $2, 1)
       on conflict (ed_author, ed_date) do update set last_no = ed_counters.last_no + 1
     returning last_no`,
    [edAuthor, edDate],
  );
  return String(rows[0]?.last_no);
}

/** One queued answer. */
export interface AnswerInsert {
  id: string;
  participant: string;
  receivedId: string;
  kind: 'ED201' | 'ED206';
  identity: EdIdentity;
  ctrlCode: string | undefined;
  envelope: Uint8Array;
  envelopeSha256: string;
  dueAt: Date;
  /** True: visible at once (takes the next `seq`; the caller holds the answer lock). */
  publish: boolean;
}

/** Queues an answer (in the caller's transaction, under {@link lockAnswers} when `publish`). */
export async function insertAnswer(client: Queryable, row: AnswerInsert): Promise<void> {
  await client.query(
    `insert into answers (id, participant, received_id, kind, ed_no, ed_date, ed_author, ctrl_code, envelope,
        envelope_sha256, due_at, seq, published_at)
      values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
        case when $12::boolean then nextval('answer_seq') end, case when $12::boolean then now() end)`,
    [
      row.id,
      row.participant,
      row.receivedId,
      row.kind,
      row.identity.edNo,
      row.identity.edDate,
      row.identity.edAuthor,
      row.ctrlCode ?? null,
      Buffer.from(row.envelope),
      row.envelopeSha256,
      row.dueAt,
      row.publish,
    ],
  );
}

/**
 * Publishes the answers that are due (the ED206 after its delay), oldest first, each taking the next `seq`
 * under the answer lock; their received ED becomes `executed`. An ED annulled meanwhile (802-П п. 19) keeps
 * its ED206 unpublished. Returns how many were published.
 */
export async function publishDue(pool: Pool, now: Date): Promise<number> {
  return withTransaction(pool, async (client) => {
    await lockAnswers(client);
    const { rows } = await client.query<{ id: string; received_id: string }>(
      `select a.id, a.received_id from answers a join received r on r.id = a.received_id
        where a.seq is null and a.due_at <= $1 and r.state = 'accepted'
        order by a.due_at, a.created_at, a.ed_no::bigint limit 100`,
      [now],
    );
    for (const row of rows) {
      await client.query(`update answers set seq = nextval('answer_seq'), published_at = now() where id = $1`, [
        row.id,
      ]);
    }
    const receivedIds = [...new Set(rows.map((r) => r.received_id))];
    if (receivedIds.length > 0) {
      await client.query(`update received set state = 'executed', executed_at = now() where id = any($1::uuid[])`, [
        receivedIds,
      ]);
    }
    return rows.length;
  });
}

/** A published answer. */
export interface PublishedAnswer {
  id: string;
  seq: number;
  kind: 'ED201' | 'ED206';
  identity: EdIdentity;
  ctrlCode: string | null;
  envelope: Uint8Array;
}

interface AnswerRow {
  id: string;
  seq: string;
  kind: 'ED201' | 'ED206';
  ed_no: string;
  ed_date: string;
  ed_author: string;
  ctrl_code: string | null;
  envelope: Buffer;
}

function toAnswer(row: AnswerRow): PublishedAnswer {
  return {
    id: row.id,
    seq: Number(row.seq),
    kind: row.kind,
    identity: { edNo: row.ed_no, edDate: row.ed_date, edAuthor: row.ed_author },
    ctrlCode: row.ctrl_code,
    envelope: new Uint8Array(row.envelope),
  };
}

/** A participant's published answers after the cursor, in `seq` order. */
export async function answersAfter(
  pool: Pool,
  participant: string,
  after: number,
  limit: number,
): Promise<PublishedAnswer[]> {
  const { rows } = await pool.query<AnswerRow>(
    `select id, seq, kind, ed_no, ed_date, ed_author, ctrl_code, envelope from answers
      where participant = $1 and seq > $2 order by seq limit $3`,
    [participant, after, limit],
  );
  return rows.map(toAnswer);
}

/** folder mode: published answers not yet written into the incoming folder. */
export async function unwrittenAnswers(pool: Pool, participant: string, limit = 100): Promise<PublishedAnswer[]> {
  const { rows } = await pool.query<AnswerRow>(
    `select id, seq, kind, ed_no, ed_date, ed_author, ctrl_code, envelope from answers
      where participant = $1 and seq is not null and written_at is null order by seq limit $2`,
    [participant, limit],
  );
  return rows.map(toAnswer);
}

/** folder mode: records where an answer was written. */
export async function markWritten(pool: Pool, id: string, path: string): Promise<void> {
  await pool.query('update answers set written_path = $2, written_at = now() where id = $1', [id, path]);
}

/** The received envelopes after a cursor (`seq`), oldest first. */
export async function listReceived(pool: Pool, after: number, limit: number): Promise<ReceivedView[]> {
  const { rows } = await pool.query<ReceivedRow>(
    `select ${RECEIVED_COLUMNS} from received where seq > $1 order by seq limit $2`,
    [after, limit],
  );
  return rows.map(toView);
}

/** Counts of received envelopes: all, by state and by CtrlCode. */
export interface ReceivedCount {
  total: number;
  /** Accepted (0000), whether executed yet or not, annulled excluded. */
  accepted: number;
  rejected: number;
  unreadable: number;
  executed: number;
  annulled: number;
  byCtrlCode: Record<string, number>;
}

/** {@link ReceivedCount} over the whole table. */
export async function countReceived(pool: Pool): Promise<ReceivedCount> {
  const { rows } = await pool.query<{ state: string; ctrl_code: string | null; n: string }>(
    'select state, ctrl_code, count(*) as n from received group by state, ctrl_code',
  );
  const count: ReceivedCount = {
    total: 0,
    accepted: 0,
    rejected: 0,
    unreadable: 0,
    executed: 0,
    annulled: 0,
    byCtrlCode: {},
  };
  for (const row of rows) {
    const n = Number(row.n);
    count.total += n;
    if (row.state === 'accepted' || row.state === 'executed') count.accepted += n;
    if (row.state === 'executed') count.executed += n;
    if (row.state === 'rejected') count.rejected += n;
    if (row.state === 'unreadable') count.unreadable += n;
    if (row.state === 'annulled') count.annulled += n;
    if (row.ctrl_code !== null) count.byCtrlCode[row.ctrl_code] = (count.byCtrlCode[row.ctrl_code] ?? 0) + n;
  }
  return count;
}
