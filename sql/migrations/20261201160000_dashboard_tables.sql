-- The tables the dashboard modules read (issue 9). Every aggregate is keyed by its date
-- first, then by the dimensions of the global filters (device type, country, and product
-- category where a row belongs to one), so a panel query is an index range scan of a few
-- thousand rows at most, never a scan of fact_events. Counts are bigint, money numeric.
-- Sentinels instead of NULL in key columns: device_type '(unknown)', country '(unknown)',
-- category '(none)', referrer_host '(direct)', utm_* '(none)'.
-- Unique visitors over any range come from HyperLogLog sketches (the hll extension,
-- created by the superuser bootstrap, clickstream.etl.roles.grant_schema_usage).
-- The aggregates replaced here are derived data: their dates are queued in
-- etl_dirty_dates and every session in etl_dirty_sessions, so the next ETL run
-- recomputes everything under the new definitions.

-- migrate:up

do $$
begin
    if not exists (select 1 from pg_extension where extname = 'hll') then
        raise exception 'the hll extension is missing in database %: a superuser must run'
            ' "create extension hll" (clickstream.etl.roles.bootstrap_database does;'
            ' Debian package postgresql-15-hll)', current_database();
    end if;
end
$$;

-- Queue what the new aggregates must be computed for, before the old tables go.
insert into etl_dirty_dates (date_day)
select date_day from agg_traffic_hourly
union
select date_day from agg_traffic_daily
on conflict do nothing;
insert into etl_dirty_sessions (session_id)
select session_id from fact_sessions
on conflict do nothing;

drop table agg_active_users_daily;
drop table agg_traffic_daily;
drop table agg_traffic_hourly;
drop table agg_funnel_daily;
drop table agg_product_daily;
drop table agg_acquisition_daily;

-- A session that viewed a product page (a `view` with ecom.product_id): the funnel's first step.
alter table fact_sessions add column has_product_view boolean not null default false;

-- The catalogue (clickstream catalog load): names, and products that were never seen.
alter table dim_product
    add column name text,
    add column in_catalog boolean not null default false,
    add column catalog_price numeric,
    add column catalog_updated_at timestamptz,
    alter column first_seen_at drop not null,
    alter column last_seen_at drop not null;
comment on table dim_product is 'One row per product_id seen in any event or loaded from the catalogue: name, category, price, first/last seen (null when never seen).';
create index dim_product_category_idx on dim_product (category);

create table agg_traffic_daily (
    date_day date not null,
    device_type text not null,
    country text not null,
    sessions bigint not null,
    visitors bigint not null,
    visitors_hll hll not null,
    signed_in_sessions bigint not null,
    signed_in_hll hll not null,
    page_views bigint not null,
    events bigint not null,
    bounces bigint not null,
    total_duration_ms bigint not null,
    total_engaged_ms bigint not null,
    purchasing_sessions bigint not null,
    orders bigint not null,
    revenue numeric not null,
    bot_sessions bigint not null,
    bot_events bigint not null,
    primary key (date_day, device_type, country)
);
comment on table agg_traffic_daily is 'One row per session start date, device type and country: human sessions, visitors (exact within the row; visitors_hll unions across rows), page views, bounces, engaged time, orders, revenue; bot sessions/events counted apart.';

create table agg_traffic_hourly (
    hour_at timestamptz not null,
    device_type text not null,
    country text not null,
    date_day date not null,
    hour_of_day smallint not null,
    events bigint not null,
    page_views bigint not null,
    sessions bigint not null,
    visitors bigint not null,
    primary key (hour_at, device_type, country)
);
comment on table agg_traffic_hourly is 'One row per UTC hour of event time, device type and country: human events, page views, sessions and visitors active in that hour.';
create index agg_traffic_hourly_date_idx on agg_traffic_hourly (date_day);

create table agg_page_daily (
    date_day date not null,
    device_type text not null,
    country text not null,
    page_path text not null,
    page_views bigint not null,
    sessions bigint not null,
    entrances bigint not null,
    exits bigint not null,
    bounces bigint not null,
    total_engaged_ms bigint not null,
    primary key (date_day, device_type, country, page_path)
);
comment on table agg_page_daily is 'One row per session start date, session device type and country, and page path: page views, sessions viewing it, entrances (landing), exits, bounces, engaged time.';

create table agg_page_transition_daily (
    date_day date not null,
    device_type text not null,
    country text not null,
    from_path text not null,
    to_path text not null,
    transitions bigint not null,
    primary key (date_day, device_type, country, from_path, to_path)
);
comment on table agg_page_transition_daily is 'One row per session start date, device type, country and pair of consecutive page views (reloads of the same path skipped; to_path ''(exit)'' after the last page view).';

create table agg_funnel_daily (
    date_day date not null,
    device_type text not null,
    country text not null,
    source text not null,
    sessions bigint not null,
    product_viewed bigint not null,
    added_to_cart bigint not null,
    checked_out bigint not null,
    purchased bigint not null,
    abandoned_carts bigint not null,
    orders bigint not null,
    revenue numeric not null,
    primary key (date_day, device_type, country, source)
);
comment on table agg_funnel_daily is 'One row per session start date, device type, country and source (utm_source, else referrer host, else ''(direct)''): sessions reaching product view, add to cart, checkout, purchase; carts abandoned (added, not purchased).';

create table agg_category_funnel_daily (
    date_day date not null,
    device_type text not null,
    country text not null,
    category text not null,
    view_sessions bigint not null,
    cart_sessions bigint not null,
    checkout_sessions bigint not null,
    purchase_sessions bigint not null,
    units_sold bigint not null,
    revenue numeric not null,
    primary key (date_day, device_type, country, category)
);
comment on table agg_category_funnel_daily is 'One row per event date, device type, country and product category: distinct sessions that viewed, added to cart, checked out and purchased a product of the category.';

create table agg_product_daily (
    date_day date not null,
    product_id text not null,
    device_type text not null,
    country text not null,
    category text not null,
    impressions bigint not null,
    list_clicks bigint not null,
    views bigint not null,
    add_to_carts bigint not null,
    checkouts bigint not null,
    purchases bigint not null,
    units_sold bigint not null,
    revenue numeric not null,
    view_sessions bigint not null,
    cart_sessions bigint not null,
    checkout_sessions bigint not null,
    purchase_sessions bigint not null,
    primary key (date_day, product_id, device_type, country)
);
comment on table agg_product_daily is 'One row per event date, product, device type and country: list impressions, product clicks, views, carts, checkouts (cart lines of checkout events), purchases, units, revenue, and the distinct sessions of each funnel step.';
create index agg_product_daily_category_idx on agg_product_daily (category, date_day);

create table agg_search_daily (
    date_day date not null,
    device_type text not null,
    country text not null,
    search_term text not null,
    searches bigint not null,
    zero_result_searches bigint not null,
    sessions bigint not null,
    primary key (date_day, device_type, country, search_term)
);
comment on table agg_search_daily is 'One row per event date, device type, country and search term (lower-cased, trimmed, spaces collapsed, first 200 characters): searches, searches with result_count = 0, sessions.';

create table agg_acquisition_daily (
    date_day date not null,
    referrer_host text not null,
    utm_source text not null,
    utm_medium text not null,
    utm_campaign text not null,
    device_type text not null,
    country text not null,
    sessions bigint not null,
    visitors_hll hll not null,
    bounces bigint not null,
    page_views bigint not null,
    total_engaged_ms bigint not null,
    purchasing_sessions bigint not null,
    orders bigint not null,
    revenue numeric not null,
    primary key (date_day, referrer_host, utm_source, utm_medium, utm_campaign, device_type, country)
);
comment on table agg_acquisition_daily is 'One row per session start date, referrer host, UTM source/medium/campaign (apart from each other), device type and country: sessions, visitors, bounces, conversions, revenue.';

-- Reliability: what the ETL saw of the ingest side each run, so the dashboard host
-- needs no AWS credentials.
create table etl_reliability_snapshots (
    run_id uuid primary key references etl_runs (run_id) on delete cascade,
    taken_at timestamptz not null default now(),
    window_start timestamptz not null,
    window_end timestamptz not null,
    dlq_depth bigint,
    dlq_in_flight bigint,
    dlq_depth_by_reason jsonb,
    dlq_note text,
    parking_depth bigint,
    ingest_invocations bigint,
    ingest_errors bigint,
    ingest_throttles bigint,
    events_accepted bigint,
    events_rejected bigint,
    rejected_by_reason jsonb,
    cloudwatch_error text,
    sqs_error text,
    freshness_objective_minutes integer not null default 120
);
comment on table etl_reliability_snapshots is 'One row per ETL run: DLQ depth (SQS attributes; by reason from the ingest metrics when published), ingest Lambda invocations/errors/throttles and events accepted/rejected over the window (CloudWatch), with the error text when AWS could not be reached (NULL figures then).';
create index etl_reliability_snapshots_taken_idx on etl_reliability_snapshots (taken_at desc);

create table agg_ingest_hourly (
    hour_at timestamptz not null,
    metric text not null,
    reason text not null default '',
    value bigint not null,
    fetched_at timestamptz not null default now(),
    primary key (hour_at, metric, reason)
);
comment on table agg_ingest_hourly is 'One row per hour, ingest metric (Invocations, Errors, Throttles, EventsAccepted, EventsRejected, EventsDuplicate, DlqSends) and reason ('''' when the metric has none), as CloudWatch reported it at the last ETL run that fetched the hour.';

create view dash_reliability_runs as
select
    r.run_id, r.trigger, r.started_at, r.ended_at, r.status,
    extract(epoch from coalesce(r.ended_at, now()) - r.started_at) as duration_seconds,
    r.objects_loaded, r.objects_quarantined, r.objects_pending, r.rows_inserted,
    r.rows_duplicate, r.rows_rejected, r.sessions_rebuilt, r.newest_event_at, r.lag_seconds,
    r.error,
    s.taken_at, s.dlq_depth, s.dlq_in_flight, s.dlq_depth_by_reason, s.dlq_note,
    s.parking_depth, s.ingest_invocations, s.ingest_errors, s.ingest_throttles,
    case when s.ingest_invocations > 0
        then s.ingest_errors::numeric / s.ingest_invocations end as ingest_error_rate,
    s.events_accepted, s.events_rejected, s.rejected_by_reason, s.cloudwatch_error, s.sqs_error,
    s.freshness_objective_minutes
from etl_runs as r
left join etl_reliability_snapshots as s on s.run_id = r.run_id;
comment on view dash_reliability_runs is 'One row per ETL run with its reliability snapshot (NULL snapshot columns for runs that took none, e.g. skipped).';

grant select on
    agg_traffic_daily, agg_traffic_hourly, agg_page_daily, agg_page_transition_daily,
    agg_funnel_daily, agg_category_funnel_daily, agg_product_daily, agg_search_daily,
    agg_acquisition_daily, etl_reliability_snapshots, agg_ingest_hourly, dash_reliability_runs
    to clickstream_reader;
grant select, insert, update, delete on
    agg_traffic_daily, agg_traffic_hourly, agg_page_daily, agg_page_transition_daily,
    agg_funnel_daily, agg_category_funnel_daily, agg_product_daily, agg_search_daily,
    agg_acquisition_daily, etl_reliability_snapshots, agg_ingest_hourly
    to clickstream_etl;
grant select on dash_reliability_runs to clickstream_etl;

-- migrate:down

drop view dash_reliability_runs;
drop table agg_ingest_hourly;
drop table etl_reliability_snapshots;
insert into etl_dirty_dates (date_day)
select date_day from agg_traffic_hourly
union
select date_day from agg_traffic_daily
on conflict do nothing;
drop table agg_acquisition_daily;
drop table agg_search_daily;
drop table agg_product_daily;
drop table agg_category_funnel_daily;
drop table agg_funnel_daily;
drop table agg_page_transition_daily;
drop table agg_page_daily;
drop table agg_traffic_hourly;
drop table agg_traffic_daily;
drop index dim_product_category_idx;
delete from dim_product where first_seen_at is null;
alter table dim_product
    drop column name,
    drop column in_catalog,
    drop column catalog_price,
    drop column catalog_updated_at,
    alter column first_seen_at set not null,
    alter column last_seen_at set not null;
comment on table dim_product is 'One row per product_id seen in any event, with its latest category and price.';
alter table fact_sessions drop column has_product_view;

-- The previous aggregate tables, empty; the queued dates refill them.
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
create table agg_traffic_hourly (
    hour_at timestamptz primary key,
    date_day date not null,
    events integer not null,
    page_views integer not null,
    sessions integer not null,
    visitors integer not null
);
create index agg_traffic_hourly_date_idx on agg_traffic_hourly (date_day);
create table agg_active_users_daily (
    date_day date primary key,
    dau integer not null,
    wau integer not null,
    mau integer not null
);
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
grant select on agg_traffic_daily, agg_traffic_hourly, agg_active_users_daily, agg_funnel_daily,
    agg_product_daily, agg_acquisition_daily to clickstream_reader;
grant select, insert, update, delete on agg_traffic_daily, agg_traffic_hourly,
    agg_active_users_daily, agg_funnel_daily, agg_product_daily, agg_acquisition_daily
    to clickstream_etl;
