-- Incident suspension (802-П п. 19–19.5): the registry of authorised persons, the state of the exchange
-- with the Bank of Russia, the incidents and the signed requests (обращения) sent for them. All of it lives
-- here, so a restart of transport keeps the exchange stopped until the Bank of Russia answers a cancellation.

-- A message not yet delivered when the exchange was suspended is annulled: it is never delivered, not even
-- after the exchange resumes (the back office sends a new order). Its ED identity stays taken.
alter table messages drop constraint messages_state_check;
alter table messages add constraint messages_state_check
  check (state in ('delivering', 'sent', 'rejected', 'annulled'));
alter table messages add column annulled_at timestamptz;
alter table messages add column incident_id uuid;
alter table messages add constraint messages_annulled
  check (state <> 'annulled' or (annulled_at is not null and sent_at is null));

-- п. 19.3: the officials appointed to send and sign requests, with what the Bank of Russia is told of them
-- (full name, position, phone, fax if any, e-mail) and the certificate they sign with. A person is never
-- deleted (requests refer to them): removal makes them inactive.
create table authorised_persons (
  id text primary key check (id ~ '^[A-Za-z0-9._-]{1,64}$'),
  full_name text not null check (length(full_name) between 1 and 300),
  position text not null check (length(position) between 1 and 300),
  phone text not null check (length(phone) between 1 and 64),
  fax text check (fax is null or length(fax) between 1 and 64),
  email text not null check (length(email) between 3 and 254),
  certificate bytea not null,
  -- SHA-256 of the DER (lowercase hex), serial (lowercase hex), issuer (RFC 4514), subject, validity.
  cert_thumbprint text not null,
  cert_serial text not null,
  cert_issuer text not null,
  cert_subject text not null,
  cert_not_after timestamptz not null,
  active boolean not null default true,
  created_by text not null,
  updated_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One certificate identifies one active person.
create unique index authorised_persons_certificate on authorised_persons (cert_thumbprint) where active;

-- The one row of the exchange state. `seq` grows with every change: it numbers the exchange-state messages
-- sent on t2c, so formation keeps the newest whatever order they arrive in.
create table exchange_state (
  id boolean primary key default true check (id),
  state text not null check (state in ('running', 'suspending', 'suspended', 'resuming')),
  incident_id uuid,
  since timestamptz not null default now(),
  seq bigint not null default 1,
  updated_at timestamptz not null default now(),
  constraint exchange_state_incident check (state = 'running' or incident_id is not null)
);
insert into exchange_state (id, state) values (true, 'running');

-- One incident: from the suspension (the moment no message leaves transport any more) to the Bank of
-- Russia's answer to the cancellation request.
create table incidents (
  id uuid primary key,
  reason text not null check (length(reason) between 1 and 1000),
  person_id text not null references authorised_persons (id),
  -- The operator (identity id) who asked.
  requested_by text not null,
  -- suspending: stopped here, the Bank of Russia has not confirmed; suspended: confirmed; resuming: the
  -- cancellation request is on its way; resumed: the Bank of Russia answered it, exchange runs again.
  state text not null check (state in ('suspending', 'suspended', 'resuming', 'resumed')),
  -- The moment the suspension took effect: every delivery in flight had finished, none could start after.
  suspended_at timestamptz not null,
  annulled integer not null default 0,
  cbr_suspended_at timestamptz,
  resume_requested_by text,
  resume_person_id text references authorised_persons (id),
  resume_requested_at timestamptz,
  resumed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index incidents_recent on incidents (created_at desc);

-- The signed requests (обращения, п. 19.1): the structured document exactly as signed, the detached CMS of
-- the authorised person, and what became of it. status: pending (not yet through the main channel),
-- needs-resend (the main channel failed: a reserve copy was made, п. 19.4, and the request must be sent
-- again through the main channel once it works, п. 19.1), answered (the Bank of Russia accepted it),
-- refused (the Bank of Russia answered that it does not take it, п. 19.5).
create table incident_requests (
  -- The document's requestId.
  id uuid primary key,
  incident_id uuid not null references incidents (id),
  kind text not null check (kind in ('suspend', 'resume')),
  person_id text not null references authorised_persons (id),
  document bytea not null,
  document_sha256 text not null,
  signature bytea not null,
  signature_sha256 text not null,
  -- Signed here with a configured key, or by the person elsewhere and posted signed.
  signed_on text not null check (signed_on in ('server', 'client')),
  signer_serial text not null,
  signer_issuer text not null,
  signer_thumbprint text not null,
  status text not null check (status in ('pending', 'needs-resend', 'answered', 'refused')),
  attempts integer not null default 0,
  last_error text,
  last_attempt_at timestamptz,
  -- The reserve channel's printable copy (PDF), made when the main channel first failed.
  reserve_pdf bytea,
  reserve_pdf_sha256 text,
  reserve_at timestamptz,
  -- The Bank of Russia's signed answer: its document, its detached CMS (contour cbr) and the decision.
  answer bytea,
  answer_signature bytea,
  answer_decision text check (answer_decision in ('accepted', 'refused')),
  answer_code text,
  answered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint incident_requests_reserve check ((reserve_pdf is null) = (reserve_at is null)),
  constraint incident_requests_answer check (status not in ('answered', 'refused') or answer is not null)
);

create index incident_requests_open on incident_requests (created_at) where status in ('pending', 'needs-resend');
create index incident_requests_incident on incident_requests (incident_id, created_at);
