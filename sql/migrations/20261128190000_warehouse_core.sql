-- Facts, dimensions and ETL bookkeeping of the clickstream warehouse.
-- Applied by `clickstream migrate`; each section runs in its own transaction.
-- The roles clickstream_etl and clickstream_reader must exist (see docs/warehouse.md).

-- migrate:up

create table dim_date (
    date_day date primary key,
    year smallint not null,
    quarter smallint not null,
    month smallint not null,
    day_of_month smallint not null,
    day_of_week smallint not null,
    iso_week smallint not null,
    is_weekend boolean not null,
    month_start date not null,
    week_start date not null
);
comment on table dim_date is 'One row per calendar day (UTC), 2020 to 2040.';

insert into dim_date
select
    d::date,
    extract(year from d)::smallint,
    extract(quarter from d)::smallint,
    extract(month from d)::smallint,
    extract(day from d)::smallint,
    extract(isodow from d)::smallint,
    extract(week from d)::smallint,
    extract(isodow from d) in (6, 7),
    date_trunc('month', d)::date,
    date_trunc('week', d)::date
from generate_series(date '2020-01-01', date '2040-12-31', interval '1 day') as d;

-- Not partitioned: the primary key must be event_id alone so that a retried event
-- with a different client timestamp can never be stored twice; dashboards read the
-- aggregate tables, so fact_events is only touched by session rebuilds (by session_id)
-- and aggregate refreshes (by event_date). See docs/warehouse.md for the trade-off.
create table fact_events (
    event_id uuid primary key,
    event_type text not null,
    event_at timestamptz not null,
    event_date date not null,
    received_at timestamptz not null,
    loaded_at timestamptz not null default now(),
    session_id uuid not null,
    anonymous_id text not null,
    user_id text,
    page_url text not null,
    page_path text not null,
    page_title text,
    referrer text,
    referrer_host text,
    device_type text,
    screen_width integer,
    screen_height integer,
    language text,
    country text,
    city text,
    product_id text,
    category text,
    currency text,
    price numeric,
    qty integer,
    order_id text,
    list_id text,
    list_position integer,
    impression_items jsonb,
    search_query text,
    result_count integer,
    engaged_ms bigint,
    props jsonb,
    utm_source text,
    utm_medium text,
    utm_campaign text,
    utm_term text,
    utm_content text,
    browser text,
    browser_version text,
    os text,
    os_version text,
    device_family text,
    ua_device_type text,
    is_bot boolean not null default false,
    clock_skew text,
    auth text,
    request_id text,
    source_key text not null
);
comment on table fact_events is 'One row per unique event_id: the validated, flattened raw event.';
-- Every index is paid for by every load (bench/etl.py), so only what the ETL reads:
-- session rebuilds by session_id; aggregate refreshes, backfills and retention by
-- event_date, which follows insertion order closely enough for a BRIN (a late event
-- only widens its block range; ranges not summarized yet are always scanned); the
-- lag by max(received_at), which needs a btree but only ever appends to it.
create index fact_events_session_idx on fact_events (session_id);
create index fact_events_date_brin on fact_events using brin (event_date)
    with (autosummarize = on);
create index fact_events_received_idx on fact_events (received_at);

create table fact_sessions (
    session_id uuid primary key,
    session_date date not null,
    anonymous_id text not null,
    user_id text,
    started_at timestamptz not null,
    ended_at timestamptz not null,
    duration_ms bigint not null,
    engaged_ms bigint not null,
    event_count integer not null,
    page_views integer not null,
    interaction_count integer not null,
    is_bounce boolean not null,
    landing_page text,
    exit_page text,
    referrer text,
    referrer_host text,
    utm_source text,
    utm_medium text,
    utm_campaign text,
    device_type text,
    country text,
    has_view boolean not null,
    has_add_to_cart boolean not null,
    has_checkout boolean not null,
    has_purchase boolean not null,
    order_count integer not null,
    revenue numeric not null,
    is_bot boolean not null,
    rebuilt_at timestamptz not null default now()
);
comment on table fact_sessions is 'One row per SDK session_id, rebuilt from all of its events whenever a batch touches it.';
create index fact_sessions_date_idx on fact_sessions (session_date);
create index fact_sessions_anonymous_idx on fact_sessions (anonymous_id, session_date);

create table dim_product (
    product_id text primary key,
    category text,
    last_price numeric,
    currency text,
    first_seen_at timestamptz not null,
    last_seen_at timestamptz not null
);
comment on table dim_product is 'One row per product_id seen in any event, with its latest category and price.';

create table etl_runs (
    run_id uuid primary key,
    trigger text not null,
    started_at timestamptz not null default now(),
    ended_at timestamptz,
    status text not null default 'running'
        check (status in ('running', 'succeeded', 'partial', 'failed', 'skipped', 'abandoned')),
    objects_loaded integer not null default 0,
    objects_quarantined integer not null default 0,
    objects_pending integer not null default 0,
    rows_inserted bigint not null default 0,
    rows_duplicate bigint not null default 0,
    rows_rejected bigint not null default 0,
    sessions_rebuilt bigint not null default 0,
    newest_event_at timestamptz,
    lag_seconds double precision,
    error text
);
comment on table etl_runs is 'One row per ETL invocation, including failed and skipped ones; the reliability dashboard reads it.';
create index etl_runs_started_idx on etl_runs (started_at desc);

create table etl_manifest (
    object_key text primary key,
    etag text not null,
    size_bytes bigint not null,
    partition_hour timestamptz not null,
    status text not null check (status in ('loaded', 'quarantined', 'compacted', 'compacting')),
    records_total integer not null default 0,
    rows_inserted integer not null default 0,
    rows_duplicate integer not null default 0,
    rows_rejected integer not null default 0,
    run_id uuid,
    compacted_into text,
    source_keys text[],
    reason text,
    loaded_at timestamptz not null default now()
);
comment on table etl_manifest is 'One row per raw S3 object the ETL has finished with: loaded, quarantined, or merged into a compacted object.';
create index etl_manifest_partition_idx on etl_manifest (partition_hour);

create table etl_watermark (
    pipeline text primary key,
    partition_hour timestamptz not null,
    updated_at timestamptz not null default now()
);
comment on table etl_watermark is 'One row per pipeline: the newest raw partition hour whose objects were all handled.';

create table etl_rejected_rows (
    rejected_id bigint generated always as identity primary key,
    object_key text not null,
    line_number integer not null,
    event_id text,
    reason text not null,
    raw_line text not null,
    run_id uuid,
    rejected_at timestamptz not null default now(),
    unique (object_key, line_number)
);
comment on table etl_rejected_rows is 'One row per raw line that failed schema-on-read, with the reason.';

-- Work a load has left for the finishing step; written in the load transaction so a
-- crash between loading and rebuilding can never leave a session or an aggregate stale.
create table etl_dirty_sessions (session_id uuid primary key);
comment on table etl_dirty_sessions is 'One row per session whose events changed since its last rebuild.';
create table etl_dirty_dates (date_day date primary key);
comment on table etl_dirty_dates is 'One row per event date whose aggregate rows need a refresh.';

-- migrate:down

drop table etl_dirty_dates;
drop table etl_dirty_sessions;
drop table etl_rejected_rows;
drop table etl_watermark;
drop table etl_manifest;
drop table etl_runs;
drop table dim_product;
drop table fact_sessions;
drop table fact_events;
drop table dim_date;
