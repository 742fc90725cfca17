-- Idempotency-Key of POST /v1/payment-orders, per calling identity. The row is inserted first in the
-- order's transaction: a concurrent request with the same key waits on the primary key until the
-- first commits (then answers the first's order) or rolls back (then proceeds itself).
create table idempotency_keys (
  client_id text not null,
  key text not null check (key ~ '^[A-Za-z0-9._:-]{1,128}$'),
  -- SHA-256 of the canonical request body: a repeat must carry the same order.
  request_sha256 text not null check (request_sha256 ~ '^[0-9a-f]{64}$'),
  order_id text not null references orders (id) deferrable initially deferred,
  created_at timestamptz not null default now(),
  primary key (client_id, key)
);
