-- Transactional outbox (DESIGN.md, Storage; shared/QUEUES.md). A producer inserts a row in the same
-- transaction as the state it hands over; the relay copies unacknowledged rows into BullMQ with the row id
-- as job id, and copies them again while they stay unacknowledged, so a Redis that lost its memory is
-- refilled from here. PostgreSQL, not Redis, is the source of truth.
create table outbox (
  -- Deterministic id, `<boundary>-<message id>`; also the BullMQ job id, so no ':' and never all digits.
  id text primary key
    constraint outbox_id_is_job_id check (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$' and id !~ '^[0-9]+$'),
  queue text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  -- Last time the relay claimed the row (null: never handed over yet).
  enqueued_at timestamptz,
  -- Set when the consumer's effect is confirmed; the relay stops touching the row.
  acked_at timestamptz,
  -- How many times the relay claimed the row: the first hand-over and every later look at it.
  attempts integer not null default 0,
  -- Last BullMQ state the relay saw ('waiting', 'failed', 'completed', …), for operators.
  last_state text
);

-- The relay only ever scans unacknowledged rows.
create index outbox_pending on outbox (queue, created_at) where acked_at is null;

-- Payloads of ~2 KB are compressed; lz4 inserts ~1.6x faster than the default pglz (shared/QUEUES.md).
alter table outbox alter column payload set compression lz4;
