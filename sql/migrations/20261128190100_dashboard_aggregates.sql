-- Dashboard aggregates: small tables keyed by date, refreshed by the ETL only for the
-- dates a batch touched, so every dashboard query is an index lookup. Bots are excluded
-- (only counted in agg_traffic_daily.bot_sessions); all dates are UTC.

-- migrate:up

create table agg_traffic_daily (
    date_day date primary key,
    sessions integer not null,
    visitors integer not null,
    signed_in_users integer not null,
    page_views integer not null,
    events integer not null,
    bounces integer not null,
    total_duration_ms bigint not null,
    total_engaged_ms bigint not null,
    purchasing_sessions integer not null,
    orders integer not null,
    revenue numeric not null,
    bot_sessions integer not null
);
comment on table agg_traffic_daily is 'One row per day: human sessions, visitors, page views, bounces and revenue by session start date.';

create table agg_traffic_hourly (
    hour_at timestamptz primary key,
    date_day date not null,
    events integer not null,
    page_views integer not null,
    sessions integer not null,
    visitors integer not null
);
comment on table agg_traffic_hourly is 'One row per hour of event time: human events, page views, active sessions and visitors.';
create index agg_traffic_hourly_date_idx on agg_traffic_hourly (date_day);

create table agg_active_users_daily (
    date_day date primary key,
    dau integer not null,
    wau integer not null,
    mau integer not null
);
comment on table agg_active_users_daily is 'One row per day: distinct human visitors that day, in the 7 and the 30 days ending that day.';

create table agg_funnel_daily (
    date_day date not null,
    device_type text not null,
    sessions integer not null,
    viewed integer not null,
    added_to_cart integer not null,
    checked_out integer not null,
    purchased integer not null,
    revenue numeric not null,
    primary key (date_day, device_type)
);
comment on table agg_funnel_daily is 'One row per day and device type: sessions reaching view, add_to_cart, checkout and purchase.';

create table agg_product_daily (
    date_day date not null,
    product_id text not null,
    category text,
    impressions integer not null,
    list_clicks integer not null,
    views integer not null,
    add_to_carts integer not null,
    checkouts integer not null,
    purchases integer not null,
    units_sold integer not null,
    revenue numeric not null,
    primary key (date_day, product_id)
);
comment on table agg_product_daily is 'One row per day and product: impressions, clicks, views, carts, purchases, units and revenue.';

create table agg_acquisition_daily (
    date_day date not null,
    source text not null,
    medium text not null,
    campaign text not null,
    device_type text not null,
    country text not null,
    sessions integer not null,
    bounces integer not null,
    purchasing_sessions integer not null,
    revenue numeric not null,
    primary key (date_day, source, medium, campaign, device_type, country)
);
comment on table agg_acquisition_daily is 'One row per day, traffic source/medium/campaign, device type and country.';

create view etl_freshness as
with last_success as (
    select max(ended_at) as ended_at
    from etl_runs
    where status in ('succeeded', 'partial')
),
newest as (
    select max(newest_event_at) as newest_event_at
    from etl_runs
    where status in ('succeeded', 'partial')
),
latest as (
    select status, objects_pending, started_at
    from etl_runs
    where status <> 'skipped'
    order by started_at desc
    limit 1
)
select
    last_success.ended_at as last_success_at,
    extract(epoch from now() - last_success.ended_at) / 60.0 as freshness_minutes,
    newest.newest_event_at,
    extract(epoch from now() - newest.newest_event_at) as lag_seconds,
    latest.status as latest_status,
    latest.objects_pending as latest_backlog,
    (select count(*) from etl_manifest where status = 'quarantined') as quarantined_objects,
    (select count(*) from etl_rejected_rows) as rejected_rows
from last_success cross join newest left join latest on true;
comment on view etl_freshness is 'One row: minutes since the last successful load, event lag, backlog and error counts.';

grant select on all tables in schema public to clickstream_reader;
revoke select on etl_dirty_sessions, etl_dirty_dates from clickstream_reader;
grant select, insert, update, delete on all tables in schema public to clickstream_etl;
revoke insert, update, delete on schema_migrations from clickstream_etl;

-- migrate:down

revoke all on all tables in schema public from clickstream_reader;
revoke all on all tables in schema public from clickstream_etl;
drop view etl_freshness;
drop table agg_acquisition_daily;
drop table agg_product_daily;
drop table agg_funnel_daily;
drop table agg_active_users_daily;
drop table agg_traffic_hourly;
drop table agg_traffic_daily;
