-- The audit log (DESIGN.md "Audit log", issue 6; 802-П п. 14: every signature made or checked is
-- traceable to who, when and which key). Applied with scope 'audit' by every service that writes one.
--
-- Who may change what. In development (and in tests) the service's login role OWNS its database
-- (packages/cli/src/dev/environment.ts ensureDevDatabases), so it runs this file and owns these
-- tables. An owner can always re-grant itself privileges, so the revokes below are a speed bump, not
-- a wall: what refuses UPDATE, DELETE and TRUNCATE here is the trigger, which fires for every
-- non-superuser role, owner included (though an owner could still drop it). PRODUCTION must run the
-- migrations as a separate owner role and give the service role only INSERT and SELECT on
-- audit_events / audit_checkpoints (and INSERT, SELECT, UPDATE, DELETE on audit_inbox: the chainer
-- locks rows FOR UPDATE); then the service role cannot drop the trigger either. A superuser can always
-- bypass triggers (session_replication_role = replica): that is what the hash chain and the signed
-- checkpoints detect.

-- Staging table: record() inserts here inside the caller's business transaction, so an event commits
-- or rolls back with the state it describes. The single chainer moves rows from here to audit_events
-- (QUEUES.md "Hash-chained audit table": a trigger-based chain would serialize every business
-- transaction on the chain head; batching through this table keeps the log off the critical path).
create table audit_inbox (
  id bigserial primary key,
  event jsonb not null,
  recorded_at timestamptz not null default now()
);

create table audit_events (
  -- Position in the chain: 1, 2, 3 … without gaps (a gap is a removed row).
  seq bigint primary key check (seq > 0),
  id uuid not null unique,
  at timestamptz not null,
  contour text not null,
  service text not null,
  type text not null,
  actor text not null,
  result text not null check (result in ('pass', 'fail', 'info')),
  reason text,
  order_id text,
  message_id text,
  ed_no text,
  ed_date text,
  ed_author text,
  digest text,
  cert_serial text,
  cert_issuer text,
  cert_thumbprint text,
  details jsonb,
  prev_hash text not null check (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text not null check (hash ~ '^[0-9a-f]{64}$'),
  -- When the chainer linked it (not hashed: it says when the event joined the chain, which the
  -- missing-checkpoint check measures against).
  chained_at timestamptz not null default now()
);

-- Filters of the security-officer API (AuditQuery) and of `twincontour audit trail`. Pagination is by
-- seq (the primary key), so each filter index ends in seq.
create index audit_events_at on audit_events (at, seq);
create index audit_events_type on audit_events (type, seq);
create index audit_events_order on audit_events (order_id, seq) where order_id is not null;
create index audit_events_message on audit_events (message_id, seq) where message_id is not null;
create index audit_events_cert_thumbprint on audit_events (cert_thumbprint, seq) where cert_thumbprint is not null;
create index audit_events_cert_serial on audit_events (cert_serial, seq) where cert_serial is not null;
create index audit_events_result on audit_events (result, seq);

-- Signed chain heads. `signature` is a detached CMS by the contour key over the canonical text
-- (packages/audit/src/checkpoint.ts); `hash` = sha256(text || signature) is what the next links to.
create table audit_checkpoints (
  no bigint primary key check (no > 0),
  seq bigint not null check (seq > 0),
  head_hash text not null check (head_hash ~ '^[0-9a-f]{64}$'),
  prev_checkpoint_hash text not null check (prev_checkpoint_hash ~ '^[0-9a-f]{64}$'),
  at timestamptz not null,
  contour text not null,
  -- The writer's checkpoint interval, signed in the text, so a verifier knows how often to expect one.
  interval_ms bigint not null check (interval_ms > 0),
  signature bytea not null,
  hash text not null check (hash ~ '^[0-9a-f]{64}$')
);

-- Append-only: refuse UPDATE and DELETE row by row and TRUNCATE per statement, for every role the
-- trigger applies to (all but a superuser who disables triggers).
create function audit_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'the audit log is append-only: % on % refused', tg_op, tg_table_name
    using errcode = 'insufficient_privilege';
end;
$$;

create trigger audit_events_append_only before update or delete on audit_events
  for each row execute function audit_refuse_change();
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function audit_refuse_change();
create trigger audit_checkpoints_append_only before update or delete on audit_checkpoints
  for each row execute function audit_refuse_change();
create trigger audit_checkpoints_no_truncate before truncate on audit_checkpoints
  for each statement execute function audit_refuse_change();

-- See the top of this file: effective against a service role that is not the owner; for an owner,
-- the trigger above is what holds.
revoke update, delete, truncate on audit_events, audit_checkpoints from current_user;

-- details is small JSON that repeats keys; lz4 compresses it faster than pglz. Only where the server
-- was built with lz4 (PostgreSQL 14+ with --with-lz4), so the migration runs everywhere.
do $$
begin
  if exists (
    select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any (enumvals)
  ) then
    execute 'alter table audit_events alter column details set compression lz4';
  end if;
end;
$$;
