-- 802-П п. 19–19.5 at the simulated Bank of Russia: requests (обращения) to suspend the exchange with a
-- participant and to cancel the suspension, and the state of that exchange. While suspended, nothing from
-- the participant is accepted and every ED accepted but not yet executed is annulled (no ED206 follows).

create table exchange_suspension (
  participant text primary key,
  state text not null check (state in ('running', 'suspended')),
  -- The request that brought the current state.
  request_id uuid,
  since timestamptz not null default now()
);

-- Every request received over the main channel, with the answer given: a repeat of the same request id
-- (the participant re-sending after a lost answer, п. 19.1) is answered with the same signed answer.
create table incident_requests (
  id uuid primary key,
  participant text not null,
  kind text not null check (kind in ('suspend', 'resume')),
  document bytea not null,
  document_sha256 text not null,
  signature bytea not null,
  signer_thumbprint text,
  signer_serial text,
  decision text not null check (decision in ('accepted', 'refused')),
  code text,
  annulled integer not null default 0,
  answer bytea not null,
  answer_signature bytea not null,
  received_at timestamptz not null default now()
);

create index incident_requests_participant on incident_requests (participant, received_at);
