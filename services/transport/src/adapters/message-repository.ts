import { randomUUID } from 'node:crypto';
import type { EdRefPayload, Queryable } from '@twincontour/platform';

/** A message's delivery state. */
export type MessageState = 'delivering' | 'sent' | 'rejected' | 'annulled';

/** A message row as the processor needs it. */
export interface MessageRow {
  orderId: string;
  messageId: string;
  ed: EdRefPayload;
  state: MessageState;
  channel: string;
  fileName: string | null;
  envelopeSha256: string | null;
  wire: Uint8Array | null;
  cbrStage: string | null;
}

interface RawMessage {
  order_id: string;
  message_id: string;
  ed_no: string;
  ed_date: string;
  ed_author: string;
  state: MessageState;
  channel: string;
  file_name: string | null;
  envelope_sha256: string | null;
  wire: Buffer | null;
  cbr_stage: string | null;
}

const COLUMNS =
  'order_id, message_id, ed_no, ed_date, ed_author, state, channel, file_name, envelope_sha256, wire, cbr_stage';

function toRow(r: RawMessage): MessageRow {
  return {
    orderId: r.order_id,
    messageId: r.message_id,
    ed: { edNo: r.ed_no, edDate: r.ed_date, edAuthor: r.ed_author },
    state: r.state,
    channel: r.channel,
    fileName: r.file_name,
    envelopeSha256: r.envelope_sha256,
    wire: r.wire ? new Uint8Array(r.wire) : null,
    cbrStage: r.cbr_stage,
  };
}

/** The message of an order, if transport holds one. */
export async function findMessage(db: Queryable, orderId: string): Promise<MessageRow | undefined> {
  const result = await db.query<RawMessage>(`select ${COLUMNS} from messages where order_id = $1`, [orderId]);
  return result.rows[0] ? toRow(result.rows[0]) : undefined;
}

/** The delivered (or delivering) message carrying an ED identity: what an answer's EDRefID points at. */
export async function findMessageByEd(db: Queryable, ed: EdRefPayload): Promise<MessageRow | undefined> {
  const result = await db.query<RawMessage>(
    `select ${COLUMNS} from messages where ed_author = $1 and ed_date = $2 and ed_no = $3 and state <> 'rejected'`,
    [ed.edAuthor, ed.edDate, ed.edNo],
  );
  return result.rows[0] ? toRow(result.rows[0]) : undefined;
}

/** Serializes decisions about one ED identity until the transaction ends (the duplicate check). */
export async function lockEdIdentity(db: Queryable, ed: EdRefPayload): Promise<void> {
  await db.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `transport:ed:${ed.edAuthor}:${ed.edDate}:${ed.edNo}`,
  ]);
}

/** Records a message before its first delivery attempt, with the exact wire bytes; false if the order has one. */
export async function insertDelivering(
  db: Queryable,
  row: {
    orderId: string;
    messageId: string;
    ed: EdRefPayload;
    channel: string;
    fileName: string;
    envelopeSha256: string;
    /** The КА envelope as control made it: what the delivery sweeper archives when it re-drives the message. */
    envelope: Uint8Array;
    wire: Uint8Array;
    wireSha256: string;
    receivedAt: Date;
  },
): Promise<boolean> {
  const result = await db.query(
    `insert into messages (order_id, message_id, ed_no, ed_date, ed_author, state, channel, file_name,
       envelope_sha256, wire, wire_sha256, received_at, envelope)
     values ($1, $2, $3, $4, $5, 'delivering', $6, $7, $8, $9, $10, $11, $12)
     on conflict do nothing`,
    [
      row.orderId,
      row.messageId,
      row.ed.edNo,
      row.ed.edDate,
      row.ed.edAuthor,
      row.channel,
      row.fileName,
      row.envelopeSha256,
      Buffer.from(row.wire),
      row.wireSha256,
      row.receivedAt,
      Buffer.from(row.envelope),
    ],
  );
  return result.rowCount === 1;
}

/** Records a refused message (nothing delivered); false if the order already has a row. */
export async function insertRejected(
  db: Queryable,
  row: {
    orderId: string;
    messageId: string;
    ed: EdRefPayload;
    channel: string;
    code: string;
    reason: string;
    envelopeSha256?: string | undefined;
    receivedAt: Date;
  },
): Promise<boolean> {
  const result = await db.query(
    `insert into messages (order_id, message_id, ed_no, ed_date, ed_author, state, channel, code, reason,
       envelope_sha256, received_at)
     values ($1, $2, $3, $4, $5, 'rejected', $6, $7, $8, $9, $10)
     on conflict do nothing`,
    [
      row.orderId,
      row.messageId,
      row.ed.edNo,
      row.ed.edDate,
      row.ed.edAuthor,
      row.channel,
      row.code,
      row.reason,
      row.envelopeSha256 ?? null,
      row.receivedAt,
    ],
  );
  return result.rowCount === 1;
}

/**
 * Takes the delivery of a message for `leaseMs`: only one worker delivers an ED at a time (a stalled
 * BullMQ job can run twice). Undefined when the message is not delivering or another worker holds it.
 * Only `delivering` is taken: an `annulled` message (802-П п. 19) is never delivered, not even on resume.
 */
export async function claimDelivery(db: Queryable, orderId: string, leaseMs: number): Promise<MessageRow | undefined> {
  const result = await db.query<RawMessage>(
    `update messages set lease_until = now() + make_interval(secs => $2::float8 / 1000), attempts = attempts + 1,
       updated_at = now()
     where order_id = $1 and state = 'delivering' and (lease_until is null or lease_until < now())
     returning ${COLUMNS}`,
    [orderId, leaseMs],
  );
  return result.rows[0] ? toRow(result.rows[0]) : undefined;
}

/** Gives the delivery back after a failed attempt (the retry may take it at once). */
export async function releaseDelivery(db: Queryable, orderId: string): Promise<void> {
  await db.query(`update messages set lease_until = null, updated_at = now() where order_id = $1`, [orderId]);
}

/** Marks a delivering message sent; false when it was not delivering any more. */
export async function markSent(db: Queryable, orderId: string, reference: string, sentAt: Date): Promise<boolean> {
  const result = await db.query(
    `update messages set state = 'sent', reference = $2, sent_at = $3, lease_until = null, updated_at = now()
      where order_id = $1 and state = 'delivering'`,
    [orderId, reference, sentAt],
  );
  return result.rowCount === 1;
}

/**
 * One archive entry (802-П п. 11): exactly the bytes, with digest and time. Written by
 * adapters/archive-repository.ts (`TransportArchive.append`), which adds the chain, the CRLs and the retention.
 */
export interface ArchiveEntry {
  direction: 'out' | 'in';
  kind: string;
  orderId?: string | undefined;
  ed?: EdRefPayload | undefined;
  channel: string;
  sourceRef?: string | undefined;
  bytes: Uint8Array;
  sha256: string;
  code?: string | undefined;
  reason?: string | undefined;
  at: Date;
}

/** True when an answer with this identity was already taken. */
export async function answerSeen(db: Queryable, identity: EdRefPayload): Promise<boolean> {
  const result = await db.query('select 1 from answers where ed_author = $1 and ed_date = $2 and ed_no = $3', [
    identity.edAuthor,
    identity.edDate,
    identity.edNo,
  ]);
  return (result.rowCount ?? 0) > 0;
}

/** Records an answer and the stage it brought to its message. */
export async function insertAnswer(
  db: Queryable,
  row: {
    orderId: string;
    kind: 'ED201' | 'ED206';
    identity: EdRefPayload;
    ctrlCode?: string | undefined;
    annotation?: string | undefined;
    stage: string;
    code?: string | undefined;
    archiveId: string;
    sourceRef: string;
    receivedAt: Date;
  },
): Promise<void> {
  await db.query(
    `insert into answers (id, order_id, kind, ed_no, ed_date, ed_author, ctrl_code, annotation, stage, code, archive_id,
       source_ref, received_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      randomUUID(),
      row.orderId,
      row.kind,
      row.identity.edNo,
      row.identity.edDate,
      row.identity.edAuthor,
      row.ctrlCode ?? null,
      row.annotation ?? null,
      row.stage,
      row.code ?? null,
      row.archiveId,
      row.sourceRef,
      row.receivedAt,
    ],
  );
  // A terminal stage stays: a late ED201 after the ED206 does not move the order back.
  await db.query(
    `update messages set cbr_stage = $2, cbr_code = $3, cbr_reason = $4, updated_at = now()
      where order_id = $1 and (cbr_stage is null or cbr_stage not in ('executed', 'rejected-by-cbr'))`,
    [row.orderId, row.stage, row.code ?? null, row.code ? (row.annotation ?? null) : null],
  );
}

/** A message as GET /v1/messages/:orderId shows it. */
export interface MessageView {
  orderId: string;
  messageId: string;
  ed: EdRefPayload;
  state: MessageState;
  channel: string;
  fileName?: string;
  reference?: string;
  code?: string;
  reason?: string;
  envelopeSha256?: string;
  wireSha256?: string;
  attempts: number;
  cbrStage?: string;
  cbrCode?: string;
  cbrReason?: string;
  receivedAt: string;
  sentAt?: string;
  updatedAt: string;
  answers: {
    kind: string;
    ed: EdRefPayload;
    stage: string;
    ctrlCode?: string;
    annotation?: string;
    code?: string;
    receivedAt: string;
  }[];
  archive: { direction: string; kind: string; sha256: string; size: number; code?: string; at: string }[];
}

function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | null): void {
  if (value !== null && value !== undefined) target[key] = value;
}

/** The message of an order with its answers and archive entries, or undefined. */
export async function findMessageView(db: Queryable, orderId: string): Promise<MessageView | undefined> {
  const result = await db.query<{
    order_id: string;
    message_id: string;
    ed_no: string;
    ed_date: string;
    ed_author: string;
    state: MessageState;
    channel: string;
    file_name: string | null;
    reference: string | null;
    code: string | null;
    reason: string | null;
    envelope_sha256: string | null;
    wire_sha256: string | null;
    attempts: number;
    cbr_stage: string | null;
    cbr_code: string | null;
    cbr_reason: string | null;
    received_at: Date;
    sent_at: Date | null;
    updated_at: Date;
  }>(
    `select order_id, message_id, ed_no, ed_date, ed_author, state, channel, file_name, reference, code, reason,
       envelope_sha256, wire_sha256, attempts, cbr_stage, cbr_code, cbr_reason, received_at, sent_at, updated_at
       from messages where order_id = $1`,
    [orderId],
  );
  const r = result.rows[0];
  if (!r) return undefined;
  const view: MessageView = {
    orderId: r.order_id,
    messageId: r.message_id,
    ed: { edNo: r.ed_no, edDate: r.ed_date, edAuthor: r.ed_author },
    state: r.state,
    channel: r.channel,
    attempts: r.attempts,
    receivedAt: r.received_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    answers: [],
    archive: [],
  };
  put(view, 'fileName', r.file_name);
  put(view, 'reference', r.reference);
  put(view, 'code', r.code);
  put(view, 'reason', r.reason);
  put(view, 'envelopeSha256', r.envelope_sha256);
  put(view, 'wireSha256', r.wire_sha256);
  put(view, 'cbrStage', r.cbr_stage);
  put(view, 'cbrCode', r.cbr_code);
  put(view, 'cbrReason', r.cbr_reason);
  put(view, 'sentAt', r.sent_at?.toISOString() ?? null);
  const answers = await db.query<{
    kind: string;
    ed_no: string;
    ed_date: string;
    ed_author: string;
    stage: string;
    ctrl_code: string | null;
    annotation: string | null;
    code: string | null;
    received_at: Date;
  }>(
    `select kind, ed_no, ed_date, ed_author, stage, ctrl_code, annotation, code, received_at
       from answers where order_id = $1 order by received_at, ed_no`,
    [orderId],
  );
  for (const a of answers.rows) {
    const entry: MessageView['answers'][number] = {
      kind: a.kind,
      ed: { edNo: a.ed_no, edDate: a.ed_date, edAuthor: a.ed_author },
      stage: a.stage,
      receivedAt: a.received_at.toISOString(),
    };
    put(entry, 'ctrlCode', a.ctrl_code);
    put(entry, 'annotation', a.annotation);
    put(entry, 'code', a.code);
    view.answers.push(entry);
  }
  const archived = await db.query<{
    direction: string;
    kind: string;
    sha256: string;
    size: number;
    code: string | null;
    at: Date;
  }>(
    `select direction, kind, sha256, octet_length(bytes) as size, code, at from archive where order_id = $1
      order by at, id`,
    [orderId],
  );
  for (const a of archived.rows) {
    const entry: MessageView['archive'][number] = {
      direction: a.direction,
      kind: a.kind,
      sha256: a.sha256,
      size: Number(a.size),
      at: a.at.toISOString(),
    };
    put(entry, 'code', a.code);
    view.archive.push(entry);
  }
  return view;
}

/** The https channel's answer cursor, kept in PostgreSQL. */
export function createCursorStore(db: Queryable, channel: string) {
  return {
    async load(): Promise<string | undefined> {
      const result = await db.query<{ cursor: string }>('select cursor from answer_cursor where channel = $1', [
        channel,
      ]);
      return result.rows[0]?.cursor;
    },
    async save(cursor: string): Promise<void> {
      await db.query(
        `insert into answer_cursor (channel, cursor) values ($1, $2)
         on conflict (channel) do update set cursor = excluded.cursor, updated_at = now()`,
        [channel, cursor],
      );
    },
  };
}

/** Number of messages by delivery state (metrics). */
export async function countMessagesByState(db: Queryable): Promise<{ state: string; count: number }[]> {
  const result = await db.query<{ state: string; count: string }>(
    'select state, count(*) as count from messages group by state order by state',
  );
  return result.rows.map((r) => ({ state: r.state, count: Number(r.count) }));
}

/**
 * Messages the delivery sweeper must re-drive: still `delivering`, with no live lease (the worker holding it
 * died, or every attempt of the job failed and gave it back), and untouched for `graceMs` — longer than a
 * job's back-off between attempts, so that a job still retrying keeps its message. Oldest first.
 */
export async function findStalledDeliveries(
  db: Queryable,
  options: { graceMs: number; limit: number },
): Promise<string[]> {
  const result = await db.query<{ order_id: string }>(
    `select order_id from messages
      where state = 'delivering' and (lease_until is null or lease_until < now())
        and updated_at < now() - make_interval(secs => $1::float8 / 1000)
      order by updated_at limit $2`,
    [options.graceMs, options.limit],
  );
  return result.rows.map((r) => r.order_id);
}

/** The КА envelope stored with a message (null for one recorded before migration 0004). */
export async function findEnvelope(db: Queryable, orderId: string): Promise<Uint8Array | undefined> {
  const result = await db.query<{ envelope: Buffer | null }>('select envelope from messages where order_id = $1', [
    orderId,
  ]);
  const envelope = result.rows[0]?.envelope;
  return envelope ? new Uint8Array(envelope) : undefined;
}
