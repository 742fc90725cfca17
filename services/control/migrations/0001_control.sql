-- Control contour (802-П прил. 1.4): primary documents, control decisions, EDs waiting for their primary
-- document, and security alerts waiting for delivery. PostgreSQL is the source of truth (shared/QUEUES.md).

-- Primary documents, as the back office posted them (or as control pulled them). One per key: the payer
-- account and bank, the document number and date identify a payment order in the back office.
create table source_documents (
  id uuid primary key,
  payer_account text not null,
  payer_bic text not null,
  acc_doc_no text not null,
  acc_doc_date text not null,
  -- The validated PaymentOrder JSON.
  document jsonb not null,
  -- SHA-256 of the canonical JSON: a repeat with the same document is recognized, another one refused.
  document_sha256 text not null,
  origin text not null check (origin in ('push', 'pull')),
  received_at timestamptz not null default now(),
  constraint source_documents_key unique (payer_account, payer_bic, acc_doc_no, acc_doc_date)
);

-- One decision per order. status: controlled (both checks passed, signed, handed to transport) or rejected.
create table control_decisions (
  order_id text primary key,
  message_id text not null unique,
  ed_no text,
  ed_date text,
  ed_author text,
  -- True when the decision used the ED identity (the ЗК verified and the ED parsed, and it was not itself a
  -- duplicate): such an identity is never decided again (CTL_DUPLICATE_ED).
  claims_identity boolean not null,
  status text not null check (status in ('controlled', 'rejected')),
  code text,
  reason text,
  diff jsonb,
  -- SHA-256 over payer account, payee account, sum, document number and date (CTL_DUPLICATE_PAYMENT).
  fingerprint text,
  source_document_id uuid references source_documents (id),
  -- SHA-256 of the ED as received and of the envelope handed to transport (the archive keeps the bytes).
  ed_sha256 text,
  envelope_sha256 text,
  received_at timestamptz not null,
  decided_at timestamptz not null default now(),
  constraint control_decisions_claim check (not claims_identity or ed_no is not null),
  constraint control_decisions_passed check (status <> 'controlled' or (claims_identity and fingerprint is not null))
);

-- The ED identity is unique among the decisions that claim it.
create unique index control_decisions_ed_identity on control_decisions (ed_author, ed_date, ed_no) where claims_identity;

-- Duplicate payments: controlled EDs by fingerprint within the window.
create index control_decisions_fingerprint on control_decisions (fingerprint, decided_at) where status = 'controlled';

-- EDs whose primary document has not arrived yet. The f2c job completes once the row is written; a sweeper
-- looks at each row again every recheck interval (at once when a matching primary document is posted) and
-- decides it, at the latest with CTL_SOURCE_MISSING at deadline_at.
create table pending_eds (
  message_id text primary key,
  order_id text not null unique,
  payload jsonb not null,
  payer_account text not null,
  payer_bic text not null,
  acc_doc_no text not null,
  acc_doc_date text not null,
  received_at timestamptz not null default now(),
  deadline_at timestamptz not null,
  next_check_at timestamptz not null,
  checks integer not null default 0
);

create index pending_eds_due on pending_eds (next_check_at);
create index pending_eds_key on pending_eds (payer_account, payer_bic, acc_doc_no, acc_doc_date);

-- Security alerts (one per refusal), written in the decision's transaction and POSTed to the webhook until
-- it answers 2xx: never dropped, retried with exponential back-off.
create table security_alerts (
  id uuid primary key,
  order_id text,
  body jsonb not null,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  delivered_at timestamptz
);

create index security_alerts_due on security_alerts (next_attempt_at) where delivered_at is null;
