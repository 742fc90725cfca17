-- Payment orders accepted by the formation contour (802-П прил. 1.3) and the stages each one passed
-- (4600-У п. 2.2.3: the sender is told each stage). An order row exists only for an order whose
-- requisites passed and whose ED was formed and signed: a refused order leaves nothing here.
create table orders (
  id text primary key check (id ~ '^[A-Za-z0-9._-]{1,100}$'),
  -- Insertion order, for stable cursor pagination (timestamps tie and lose precision in JSON).
  seq bigint generated always as identity unique,
  -- The latest stage (highest in the ORDER_STAGES order of boundary.ts); refusals outrank progress.
  status text not null,
  -- The order as accepted (the validated PaymentOrder JSON).
  payment_order jsonb not null,
  -- ED identity: EDNo + EDDate + EDAuthor, unique per author and date (UFEBS NOTES.md).
  ed_no integer not null check (ed_no between 1 and 999999999),
  ed_date date not null,
  ed_author text not null check (ed_author ~ '^[0-9]{10}$'),
  -- The ED101 file exactly as formation signed it (Windows-1251 XML with formation's ЗК).
  ed_bytes bytea not null,
  ed_sha256 text not null,
  -- Who posted it (identity id of the back office).
  created_by text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  constraint orders_ed_identity unique (ed_author, ed_date, ed_no)
);

create index orders_status on orders (status, seq);
create index orders_created_at on orders (created_at);

-- One row per stage reached. A stage happens once per order (boundary.ts: one status message per
-- stage), so (order_id, stage) is unique and a redelivered status cannot add a second row.
create table order_stages (
  order_id text not null references orders (id),
  stage text not null,
  at timestamptz not null,
  code text,
  reason text,
  diff jsonb,
  -- The boundary message that reported it (null for formation's own stages).
  message_id text,
  recorded_at timestamptz not null default now(),
  seq bigint generated always as identity,
  primary key (order_id, stage)
);
