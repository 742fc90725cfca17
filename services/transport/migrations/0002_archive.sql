-- The five-year archive (802-П п. 11: keep incoming and outgoing signed messages, and the means to verify
-- them, at least five years; issue 6). 0001's append-only `archive` becomes:
--   * range-partitioned by `at`, one partition per month (UTC) and a default partition, so that an insert
--     never fails and five years of messages (tens of terabytes at a large bank, shared/QUEUES.md) stay
--     manageable: old months are detached or dropped whole once every record in them is past retention;
--   * with `retain_until` (at least five years after `at`), before which a trigger refuses DELETE
--     (UPDATE is refused always);
--   * with `signing_time`, the trusted time (when transport sent or received the message) that
--     re-verification judges the certificates at, not the time the signer claims in its CMS;
--   * with the means to verify it: the certificate chain and the CRLs the gateway had, stored once each
--     in `archive_blobs` (by SHA-256) and referenced by hash, so millions of messages do not copy the
--     same few certificates.
-- Existing rows keep their ids (answers.archive_id points at them).

-- Certificates and CRLs, each stored once, for as long as any archived message may need them.
create table archive_blobs (
  sha256 text primary key,
  kind text not null check (kind in ('certificate', 'crl')),
  der bytea not null,
  -- Certificates: subject and issuer (RFC 4514). CRLs: the issuer and the validity, so that
  -- re-verification finds a CRL issued after a message's signing time (it proves the signer was not
  -- revoked when the message was sent).
  subject text,
  issuer text,
  this_update timestamptz,
  next_update timestamptz,
  added_at timestamptz not null default now(),
  constraint archive_blobs_digest check (sha256 = encode(sha256(der), 'hex')),
  constraint archive_blobs_crl check (kind <> 'crl' or (issuer is not null and this_update is not null))
);

create index archive_blobs_crl_issuer on archive_blobs (issuer, this_update) where kind = 'crl';

create function archive_blobs_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'archive_blobs is append-only (802-П п. 11): archived messages are verified with these';
end;
$$;

create trigger archive_blobs_guard before update or delete on archive_blobs
  for each row execute function archive_blobs_append_only();
create trigger archive_blobs_no_truncate before truncate on archive_blobs
  for each statement execute function archive_blobs_append_only();

-- The 0001 table steps aside; its sequence stays and keeps counting for the new table.
alter table archive rename to archive_v1;
alter index archive_pkey rename to archive_v1_pkey;
alter index archive_order rename to archive_v1_order;
alter index archive_ed rename to archive_v1_ed;
alter sequence archive_id_seq owned by none;

create table archive (
  id bigint not null default nextval('archive_id_seq'),
  direction text not null constraint archive_direction check (direction in ('out', 'in')),
  -- out: envelope (the КА file as delivered), enveloped-data (the encrypted form sent over https);
  -- in: what the channel gave (enveloped-data over https, the envelope from the АРМ folder), and for
  -- https also the opened envelope.
  kind text not null,
  order_id text,
  ed_no text,
  ed_date text,
  ed_author text,
  channel text not null,
  source_ref text,
  bytes bytea not null,
  sha256 text not null,
  code text,
  reason text,
  -- When the record was written: the partition key.
  at timestamptz not null default now(),
  -- The trusted time of the message (transport sent or received it); re-verification judges the
  -- certificates at this time with the stored chain and CRLs.
  signing_time timestamptz not null,
  retain_until timestamptz not null,
  -- SHA-256 of archive_blobs rows: the signers' certificates and their CAs, and the CRLs in use.
  chain text[] not null default '{}',
  crls text[] not null default '{}',
  constraint archive_pkey primary key (id, at),
  -- 802-П п. 11: at least five years. Compared in UTC so that the session's time zone cannot move it.
  constraint archive_retention check ((retain_until at time zone 'UTC') >= (at at time zone 'UTC') + interval '5 years')
) partition by range (at);

alter sequence archive_id_seq owned by archive.id;

-- Messages are a few KB to MBs of base64 XML; lz4 compresses them faster than pglz (shared/QUEUES.md).
-- Only where the server was built with lz4, so the migration runs everywhere.
do $$
begin
  if exists (
    select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any (enumvals)
  ) then
    execute 'alter table archive alter column bytes set compression lz4';
  end if;
end;
$$;

-- Where no month partition exists (the service was down over a month change, a clock far off, rows
-- copied from elsewhere): the insert still succeeds.
create table archive_default partition of archive default;

create index archive_order on archive (order_id, at);
create index archive_ed on archive (ed_author, ed_date, ed_no);
create index archive_time on archive (at, id);

-- UPDATE: never. DELETE: only once the record's retention date has passed (802-П п. 11).
create or replace function archive_append_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and old.retain_until <= now() then
    return old;
  end if;
  if tg_op = 'DELETE' then
    raise exception 'archive is append-only (802-П п. 11): record % is retained until %', old.id, old.retain_until;
  end if;
  raise exception 'archive is append-only (802-П п. 11): a record is never changed';
end;
$$;

create function archive_no_truncate() returns trigger language plpgsql as $$
begin
  raise exception 'archive is append-only (802-П п. 11): no TRUNCATE; delete records past retain_until';
end;
$$;

-- Every chain and CRL hash a record names must be stored: a record never points at nothing.
create function archive_check_evidence() returns trigger language plpgsql as $$
declare
  missing text;
begin
  select h into missing from unnest(new.chain) as h
   where not exists (select 1 from archive_blobs b where b.sha256 = h and b.kind = 'certificate') limit 1;
  if missing is not null then
    raise exception 'archive: certificate % is not in archive_blobs', missing;
  end if;
  select h into missing from unnest(new.crls) as h
   where not exists (select 1 from archive_blobs b where b.sha256 = h and b.kind = 'crl') limit 1;
  if missing is not null then
    raise exception 'archive: CRL % is not in archive_blobs', missing;
  end if;
  return new;
end;
$$;

-- Row triggers on the partitioned table apply to every partition, present and future.
create trigger archive_guard before update or delete on archive
  for each row execute function archive_append_only();
create trigger archive_evidence before insert on archive
  for each row execute function archive_check_evidence();
-- TRUNCATE triggers are per table: the parent's here, each partition's where it is created.
create trigger archive_no_truncate before truncate on archive
  for each statement execute function archive_no_truncate();
create trigger archive_no_truncate before truncate on archive_default
  for each statement execute function archive_no_truncate();

-- The partition of the month (UTC) holding `month`; its name, or null when it exists already or when
-- the default partition holds rows of that month (creating it would fail; the month then stays in the
-- default partition, which is retained and read the same way).
create function archive_create_partition(month timestamptz) returns text language plpgsql as $$
declare
  lo timestamptz := date_trunc('month', month at time zone 'UTC') at time zone 'UTC';
  hi timestamptz := (date_trunc('month', month at time zone 'UTC') + interval '1 month') at time zone 'UTC';
  name text := 'archive_' || to_char(month at time zone 'UTC', 'YYYY_MM');
begin
  -- Two transport processes starting at once: one creates, the other finds it.
  perform pg_advisory_xact_lock(hashtextextended('transport:archive:partitions', 0));
  if to_regclass(name) is not null then
    return null;
  end if;
  if exists (select 1 from archive_default where at >= lo and at < hi) then
    raise warning 'archive: the default partition holds rows of %; % is not created', to_char(lo, 'YYYY-MM'), name;
    return null;
  end if;
  execute format('create table %I partition of archive for values from (%L) to (%L)', name, lo, hi);
  execute format(
    'create trigger archive_no_truncate before truncate on %I for each statement execute function archive_no_truncate()',
    name);
  return name;
end;
$$;

-- Called by transport at start and daily: the partitions of the current and the next month.
create function archive_ensure_partitions(now timestamptz default now()) returns setof text language sql as $$
  select p from (
    select archive_create_partition(now) as p
    union all
    select archive_create_partition(now + interval '1 month')
  ) created where p is not null;
$$;

-- The months 0001's rows lie in, then the current and next month; then the rows, ids kept.
select archive_create_partition(m)
  from (select distinct date_trunc('month', at at time zone 'UTC') at time zone 'UTC' as m from archive_v1) months;
select archive_ensure_partitions(now());

insert into archive (id, direction, kind, order_id, ed_no, ed_date, ed_author, channel, source_ref, bytes, sha256,
                     code, reason, at, signing_time, retain_until)
select id, direction, kind, order_id, ed_no, ed_date, ed_author, channel, source_ref, bytes, sha256,
       code, reason, at, at, ((at at time zone 'UTC') + interval '5 years') at time zone 'UTC'
  from archive_v1;

drop table archive_v1;
