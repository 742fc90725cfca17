-- Idempotent consumers (shared/QUEUES.md: delivery is at-least-once). A consumer records each message id
-- in the same transaction as its effect; a redelivered job finds the row and has no second effect.
create table processed_messages (
  consumer text not null,
  message_id text not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, message_id)
);
