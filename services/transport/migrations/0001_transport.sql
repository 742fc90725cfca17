-- Transport (802-П пп. 10, 11, 14.3): messages handed over by control with their delivery state, the
-- archive of exactly the bytes sent and received, and the Bank of Russia's answers. PostgreSQL is the
-- source of truth (shared/QUEUES.md): a message's row is written before it is delivered.

-- One row per order control handed over. state: delivering (recorded, being delivered — a retry sends the
-- same wire bytes again), sent (the channel took it), rejected (refused by transport, nothing delivered).
create table messages (
  order_id text primary key,
  message_id text not null unique,
  ed_no text not null,
  ed_date text not null,
  ed_author text not null,
  state text not null check (state in ('delivering', 'sent', 'rejected')),
  channel text not null,
  -- Refusal by transport.
  code text,
  reason text,
  -- Deterministic per ED identity: the arm-kbr file name, the https X-Ed-Ref.
  file_name text,
  envelope_sha256 text,
  -- The exact bytes the channel gets (the КА envelope; for https the EnvelopedData around it), prepared
  -- once before the first attempt, so every attempt sends the same bytes.
  wire bytea,
  wire_sha256 text,
  reference text,
  attempts integer not null default 0,
  -- A worker delivering holds the row until lease_until; another worker retries later (TRN_DELIVERY_BUSY).
  lease_until timestamptz,
  -- The latest stage an answer from the Bank of Russia brought (accepted-by-cbr, rejected-by-cbr, executed).
  cbr_stage text,
  cbr_code text,
  cbr_reason text,
  received_at timestamptz not null default now(),
  sent_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint messages_sent check (state <> 'sent' or (wire is not null and sent_at is not null))
);

-- The ED identity is delivered at most once (a refused message does not claim it).
create unique index messages_ed_identity on messages (ed_author, ed_date, ed_no) where state <> 'rejected';

-- The Bank of Russia's answers, once each (an answer's own identity is unique per author and date).
create table answers (
  id uuid primary key,
  order_id text not null references messages (order_id),
  kind text not null check (kind in ('ED201', 'ED206')),
  ed_no text not null,
  ed_date text not null,
  ed_author text not null,
  ctrl_code text,
  annotation text,
  stage text not null,
  code text,
  archive_id bigint not null,
  source_ref text not null,
  received_at timestamptz not null default now(),
  constraint answers_identity unique (ed_author, ed_date, ed_no)
);

create index answers_order on answers (order_id, received_at);

-- Archive (802-П п. 11; issue 6 extends it into the 5-year archive): exactly the bytes sent and received,
-- with their digest and time. Append-only: a trigger refuses UPDATE and DELETE.
create table archive (
  id bigserial primary key,
  direction text not null check (direction in ('out', 'in')),
  -- out: envelope (the КА file as delivered), enveloped-data (the encrypted form sent over https);
  -- in: what the channel gave (enveloped-data over https, the envelope from the АРМ folder).
  kind text not null,
  order_id text,
  ed_no text,
  ed_date text,
  ed_author text,
  channel text not null,
  source_ref text,
  bytes bytea not null,
  sha256 text not null,
  -- For a refused answer: the TRN_* code (and the SIG_*/ENC_* reason); null when it was accepted.
  code text,
  reason text,
  at timestamptz not null default now()
);

create index archive_order on archive (order_id, at);
create index archive_ed on archive (ed_author, ed_date, ed_no);

create function archive_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'archive is append-only (802-П п. 11)';
end;
$$;

create trigger archive_no_update before update or delete on archive
  for each row execute function archive_append_only();

-- The https channel's answer cursor (`after=`), kept so a restart does not ask for everything again.
create table answer_cursor (
  channel text primary key,
  cursor text not null,
  updated_at timestamptz not null default now()
);
