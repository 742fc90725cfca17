-- The Bank of Russia simulator: what it received (every envelope, with its checks), the answers it queued per
-- participant, and the numbering of its own EDs. A simulator for the demo and the end-to-end tests only.

-- Every envelope taken from the channel, readable or not (an https POST or a file from the pickup folder).
create table received (
  id uuid primary key,
  -- Order of arrival (the ops API's cursor).
  seq bigserial unique,
  participant text not null,
  channel text not null check (channel in ('https', 'folder')),
  -- The channel's reference: the X-Ed-Ref header (https) or the file name (folder). A repeat with the same
  -- reference and the same envelope is the same delivery retried, not a second ED.
  ref text,
  -- The ED identity read from the enclosed ED (null when the envelope or the ED could not be read).
  ed_no text,
  ed_date text,
  ed_author text,
  ed_kind text,
  -- The sen:SigEnvelope as received (decrypted for https), its SHA-256, and where the store folder keeps it.
  envelope bytea,
  envelope_sha256 text,
  -- The EnvelopedData exactly as POSTed (https only).
  wire bytea,
  wire_sha256 text not null,
  path text not null,
  -- ka, zk, xsd, duplicate: each { ok, code?, message? }.
  checks jsonb not null,
  ctrl_code text,
  -- accepted: ED201 0000, ED206 still due; executed: ED206 published; rejected: ED201 with another code;
  -- unreadable: not decryptable, nothing answered; annulled: an accepted ED withdrawn before execution
  -- (802-П п. 19: unexecuted messages are annulled when exchange is suspended; for the incident work).
  state text not null check (state in ('accepted', 'executed', 'rejected', 'unreadable', 'annulled')),
  received_at timestamptz not null default now(),
  executed_at timestamptz,
  annulled_at timestamptz,
  constraint received_identity check ((ed_no is null) = (ed_date is null) and (ed_no is null) = (ed_author is null)),
  constraint received_accepted check (state not in ('accepted', 'executed', 'annulled') or ed_no is not null)
);

-- 0303: an ED identity is accepted at most once per participant.
create unique index received_accepted_identity on received (participant, ed_author, ed_date, ed_no)
  where state in ('accepted', 'executed', 'annulled');
create index received_ref on received (participant, ref, envelope_sha256);

-- Answers queued per participant. `seq` is given when the answer becomes visible (at once for an ED201, after
-- the delay for an ED206), under one advisory lock, so `seq` commits in increasing order and a reader's cursor
-- (`after`) never skips an answer committed later with a smaller number.
create table answers (
  id uuid primary key,
  participant text not null,
  received_id uuid not null references received (id),
  kind text not null check (kind in ('ED201', 'ED206')),
  ed_no text not null,
  ed_date text not null,
  ed_author text not null,
  ctrl_code text,
  -- The sen:SigEnvelope (КА by cbr) around the answer ED (ЗК by cbr).
  envelope bytea not null,
  envelope_sha256 text not null,
  due_at timestamptz not null,
  seq bigint unique,
  published_at timestamptz,
  -- folder mode: the file written into the incoming folder.
  written_path text,
  written_at timestamptz,
  created_at timestamptz not null default now(),
  constraint answers_identity unique (ed_author, ed_date, ed_no)
);

create index answers_due on answers (due_at) where seq is null;
create index answers_unwritten on answers (seq) where seq is not null and written_at is null;
create sequence answer_seq;

-- EDNo of the simulator's own EDs: unique per (EDAuthor, EDDate) (NOTES.md: the ED identity).
create table ed_counters (
  ed_author text not null,
  ed_date text not null,
  last_no bigint not null,
  primary key (ed_author, ed_date)
);
