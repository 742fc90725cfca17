-- 802-П п. 19: the state of the exchange with the Bank of Russia as transport last reported it (t2c → control
-- → c2f). While it is not `running` (an incident suspended it), POST /v1/payment-orders answers 503
-- EXCHANGE_SUSPENDED. No row: running. `seq` is transport's: messages can arrive out of order, the highest wins.
create table exchange_state (
  id boolean primary key default true check (id),
  state text not null check (state in ('running', 'suspending', 'suspended', 'resuming')),
  incident_id text,
  seq bigint not null check (seq > 0),
  since timestamptz not null,
  updated_at timestamptz not null default now()
);
