-- Delete and recompute the session-keyed traffic, funnel and acquisition aggregates of
-- the dates in finish_dates (a temp table the finish step fills from etl_dirty_dates).
-- Sentinels ('(unknown)', '(direct)', '(none)') and the HLL parameters (12, 5, -1, 1)
-- are those of clickstream/etl/aggregates.py (tests/unit/test_etl_sql_files.py).
delete from agg_traffic_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_traffic_daily
select
    s.session_date,
    coalesce(s.device_type, '(unknown)'),
    coalesce(s.country, '(unknown)'),
    count(*) filter (where not s.is_bot),
    -- Distinct ids compared bytewise (the C collation) sort faster; sqlfluff reads the
    -- collation name as a column reference (RF03).
    count(distinct s.anonymous_id collate "C") filter (where not s.is_bot),  -- noqa: RF03
    coalesce(
        hll_add_agg(hll_hash_text(s.anonymous_id), 12, 5, -1, 1) filter (where not s.is_bot),
        hll_empty(12, 5, -1, 1)
    ),
    count(*) filter (where not s.is_bot and s.user_id is not null),
    coalesce(
        hll_add_agg(hll_hash_text(s.user_id), 12, 5, -1, 1)
        filter (where not s.is_bot and s.user_id is not null),
        hll_empty(12, 5, -1, 1)
    ),
    coalesce(sum(s.page_views) filter (where not s.is_bot), 0),
    coalesce(sum(s.event_count) filter (where not s.is_bot), 0),
    count(*) filter (where s.is_bounce and not s.is_bot),
    coalesce(sum(s.duration_ms) filter (where not s.is_bot), 0),
    coalesce(sum(s.engaged_ms) filter (where not s.is_bot), 0),
    count(*) filter (where s.has_purchase and not s.is_bot),
    coalesce(sum(s.order_count) filter (where not s.is_bot), 0),
    coalesce(sum(s.revenue) filter (where not s.is_bot), 0),
    count(*) filter (where s.is_bot),
    coalesce(sum(s.event_count) filter (where s.is_bot), 0)
from fact_sessions as s
where s.session_date in (select fd.date_day from finish_dates as fd)
group by 1, 2, 3;

delete from agg_traffic_hourly
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_traffic_hourly
select
    h.hour_at,
    h.device_type,
    h.country,
    min(h.event_date),
    extract(hour from h.hour_at)::smallint,
    sum(h.events),
    sum(h.page_views),
    count(distinct h.session_id),
    count(distinct h.anonymous_id)
from (
    -- One row per hour, device, country, session and visitor, so that the distinct
    -- counts above sort a row per session and hour instead of every event. The session
    -- leads the key: its order is of no use above, so the planner hashes instead of
    -- sorting every event (with the jsonb of the page view flag).
    select
        date_trunc('hour', e.event_at) as hour_at,
        coalesce(e.device_type, nullif(e.ua_device_type, 'bot'), '(unknown)') as device_type,
        coalesce(e.country, '(unknown)') as country,
        e.session_id,
        e.anonymous_id collate "C" as anonymous_id,  -- noqa: RF03
        min(e.event_date) as event_date,
        count(*) as events,
        count(*) filter (
            where e.event_type = 'view' and e.product_id is null and e.impression_items is null
        ) as page_views
    from fact_events as e
    where e.event_date in (select fd.date_day from finish_dates as fd) and not e.is_bot
    group by 4, 1, 2, 3, 5
) as h
group by 1, 2, 3;

delete from agg_funnel_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_funnel_daily
select
    s.session_date,
    coalesce(s.device_type, '(unknown)'),
    coalesce(s.country, '(unknown)'),
    coalesce(s.utm_source, s.referrer_host, '(direct)'),
    count(*),
    count(*) filter (where s.has_product_view),
    count(*) filter (where s.has_add_to_cart),
    count(*) filter (where s.has_checkout),
    count(*) filter (where s.has_purchase),
    count(*) filter (where s.has_add_to_cart and not s.has_purchase),
    coalesce(sum(s.order_count), 0),
    coalesce(sum(s.revenue), 0)
from fact_sessions as s
where s.session_date in (select fd.date_day from finish_dates as fd) and not s.is_bot
group by 1, 2, 3, 4;

delete from agg_acquisition_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_acquisition_daily
select
    s.session_date,
    coalesce(s.referrer_host, '(direct)'),
    coalesce(s.utm_source, '(none)'),
    coalesce(s.utm_medium, '(none)'),
    coalesce(s.utm_campaign, '(none)'),
    coalesce(s.device_type, '(unknown)'),
    coalesce(s.country, '(unknown)'),
    count(*),
    coalesce(hll_add_agg(hll_hash_text(s.anonymous_id), 12, 5, -1, 1), hll_empty(12, 5, -1, 1)),
    count(*) filter (where s.is_bounce),
    coalesce(sum(s.page_views), 0),
    coalesce(sum(s.engaged_ms), 0),
    count(*) filter (where s.has_purchase),
    coalesce(sum(s.order_count), 0),
    coalesce(sum(s.revenue), 0)
from fact_sessions as s
where s.session_date in (select fd.date_day from finish_dates as fd) and not s.is_bot
group by 1, 2, 3, 4, 5, 6, 7;
