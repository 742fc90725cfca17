-- EDNo allocation: one counter row per EDAuthor and EDDate, advanced with
-- INSERT … ON CONFLICT DO UPDATE … RETURNING inside the order's transaction. The row lock serializes
-- concurrent allocations and a rolled-back order gives its number back; Redis is never involved.
create table ed_counters (
  ed_author text not null check (ed_author ~ '^[0-9]{10}$'),
  ed_date date not null,
  last_no integer not null check (last_no between 1 and 999999999),
  primary key (ed_author, ed_date)
);
