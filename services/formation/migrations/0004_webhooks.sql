-- Stage webhooks for the back office (4600-У п. 2.2.3: the sender is told each stage a document passes).
-- A subscription belongs to the identity that made it; its signing secret is stored encrypted
-- (AES-256-GCM under TWINCONTOUR_WEBHOOK_KEY, the subscription id as associated data), never in clear.
create table webhook_subscriptions (
  id text primary key check (id ~ '^[A-Za-z0-9._-]{1,100}$'),
  owner_id text not null,
  url text not null check (length(url) between 8 and 2048),
  -- The stages delivered (ORDER_STAGES names); every stage when the caller gave none.
  stages text[] not null check (cardinality(stages) > 0),
  description text,
  -- 12-byte nonce || ciphertext || 16-byte tag.
  secret_enc bytea not null,
  created_at timestamptz not null default now()
);

create index webhook_subscriptions_owner on webhook_subscriptions (owner_id, created_at);

-- The webhook outbox: one row per (subscription, order, stage), written in the same transaction as the
-- stage row, so no stage is ever announced that was not recorded, nor recorded without its deliveries.
-- The body is stored as the exact bytes sent (the signature covers them; a retry sends the same body).
-- Deleting a subscription deletes its rows (the DELETE route counts and logs the pending ones).
create table webhook_deliveries (
  id text primary key,
  -- Recording order: per (subscription, order) a row waits until every lower seq is delivered.
  -- The order row lock (POST transaction, applyStatus) serializes one order's stage transactions, so
  -- seq follows the order in which that order's stages were recorded.
  seq bigint generated always as identity unique,
  subscription_id text not null references webhook_subscriptions (id) on delete cascade,
  order_id text not null references orders (id),
  stage text not null,
  body text not null,
  state text not null default 'pending' check (state in ('pending', 'delivered')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- A dispatcher holds a row while it posts it: until leased_until, under lease_token.
  leased_until timestamptz,
  lease_token text,
  last_status integer,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  unique (subscription_id, order_id, stage)
);

create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state = 'pending';
create index webhook_deliveries_chain on webhook_deliveries (subscription_id, order_id, seq) where state = 'pending';
