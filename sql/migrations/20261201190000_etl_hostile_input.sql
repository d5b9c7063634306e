-- Issue 8 (hostile input), ETL side: the client's time beside a corrected event time,
-- failed-load attempts per raw object (quarantine after a few), and session and
-- aggregate counts sized for the worst the contract allows.

-- migrate:up

-- The client's `ts` when it was outside the plausible window around the receive time
-- (then event_at is the receive time and clock_skew says 'future' or 'past'). Text: the
-- client's value may be one no timestamptz can hold (year 1 with an offset).
alter table fact_events add column client_ts text;
comment on column fact_events.client_ts is 'The client''s ts when it was implausible (clock_skew set); event_at is then the receive time.';

create table etl_object_attempts (
    object_key text primary key,
    partition_hour timestamptz not null,
    attempts integer not null,
    last_error text not null,
    run_id uuid,
    updated_at timestamptz not null default now()
);
comment on table etl_object_attempts is 'One row per raw object whose load failed and that is not loaded or quarantined yet: attempts so far and the last error. Quarantined at ETL_MAX_OBJECT_ATTEMPTS.';

-- When the compactor saw a compacted source deleted from S3; NULL = still to delete
-- (DeleteObjects refused it, or the compactor died before deleting it).
alter table etl_manifest add column deleted_at timestamptz;
comment on column etl_manifest.deleted_at is 'For a compacted source: when the compactor deleted it from S3 (NULL: not yet, retried by the next compaction of its hour).';

-- A session's counts have no upper bound in the contract (a client can send any number of
-- events under one session_id): bigint like every aggregate count.
alter table fact_sessions
    alter column event_count type bigint,
    alter column page_views type bigint,
    alter column interaction_count type bigint,
    alter column order_count type bigint;

-- Every integer column left on an aggregate table becomes bigint (the dashboard migration
-- may already have created them so; this only widens what is still integer).
do $$
declare
    col record;
begin
    for col in
        select table_name, column_name
        from information_schema.columns
        where table_schema = current_schema()
            and table_name like 'agg\_%'
            and data_type = 'integer'
        order by table_name, ordinal_position
    loop
        execute format(
            'alter table %I alter column %I type bigint', col.table_name, col.column_name
        );
    end loop;
end
$$;

grant select, insert, update, delete on etl_object_attempts to clickstream_etl;
grant select on etl_object_attempts to clickstream_reader;

-- migrate:down

-- Aggregate columns widened by the up section stay bigint (the documented type of every
-- aggregate count; narrowing could fail on data).
alter table fact_sessions
    alter column event_count type integer,
    alter column page_views type integer,
    alter column interaction_count type integer,
    alter column order_count type integer;
drop table etl_object_attempts;
alter table etl_manifest drop column deleted_at;
alter table fact_events drop column client_ts;
