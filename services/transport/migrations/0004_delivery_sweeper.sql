-- The delivery sweeper (issue 8: nothing lost, nothing twice). A message is recorded `delivering` before its
-- first attempt; if every attempt of its c2t job fails (the channel was down longer than the back-off) or its
-- worker dies holding the lease, nothing would ever deliver it: the sweeper re-drives such messages with the
-- same stored bytes. It needs the КА envelope as control made it (archived as sent, 802-П п. 11), which the
-- https channel's wire bytes (EnvelopedData to the Bank of Russia) do not give back.
alter table messages add column envelope bytea;
alter table messages alter column envelope set compression lz4;

-- The sweeper only ever looks at messages still delivering, oldest touched first.
create index messages_delivering on messages (updated_at) where state = 'delivering';
