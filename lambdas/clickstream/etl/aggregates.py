"""Dashboard aggregates: delete and recompute only the rows of the queued dates.

Bots are excluded from every aggregate (agg_traffic_daily.bot_sessions counts them
apart). Dates are UTC days: event_date for event-grain tables, session_date (the
session's start) for session-grain tables.
"""

from __future__ import annotations

from typing import Any

TAKE_DIRTY_DATES_SQL = """
create temp table finish_dates on commit drop as
with taken as (delete from etl_dirty_dates returning date_day)
select date_day from taken;
"""

REFRESH_SQL = """
delete from agg_traffic_daily where date_day in (select date_day from finish_dates);
insert into agg_traffic_daily
select
    s.session_date,
    count(*) filter (where not s.is_bot),
    count(distinct s.anonymous_id collate "C") filter (where not s.is_bot),
    count(distinct s.user_id collate "C") filter (where not s.is_bot),
    coalesce(sum(s.page_views) filter (where not s.is_bot), 0),
    coalesce(sum(s.event_count) filter (where not s.is_bot), 0),
    count(*) filter (where s.is_bounce and not s.is_bot),
    coalesce(sum(s.duration_ms) filter (where not s.is_bot), 0),
    coalesce(sum(s.engaged_ms) filter (where not s.is_bot), 0),
    count(*) filter (where s.has_purchase and not s.is_bot),
    coalesce(sum(s.order_count) filter (where not s.is_bot), 0),
    coalesce(sum(s.revenue) filter (where not s.is_bot), 0),
    count(*) filter (where s.is_bot)
from fact_sessions as s
where s.session_date in (select date_day from finish_dates)
group by s.session_date;

delete from agg_traffic_hourly where date_day in (select date_day from finish_dates);
insert into agg_traffic_hourly
select
    h.hour_at,
    min(h.event_date),
    count(*),
    count(*) filter (where h.is_page_view),
    count(distinct h.session_id),
    count(distinct h.anonymous_id)
from (
    -- Only the columns the counts need reach the sort (not the jsonb of the flag).
    select
        date_trunc('hour', e.event_at) as hour_at,
        e.event_date,
        e.event_type = 'view' and e.product_id is null and e.impression_items is null
            as is_page_view,
        e.session_id,
        e.anonymous_id collate "C" as anonymous_id
    from fact_events as e
    where e.event_date in (select date_day from finish_dates) and not e.is_bot
) as h
group by h.hour_at;

-- A day's WAU/MAU depend on the 29 days before it, so a queued day changes itself and
-- the 29 days after it; days past the newest row so far are new. One row per day
-- between the first and the last session date, whatever order the data arrived in, and
-- never a walk over the years between two far-apart queued dates.
create temp table finish_active_dates on commit drop as
with bounds as (
    select min(session_date) as first_day, max(session_date) as last_day from fact_sessions
),
wanted as (
    select (f.date_day + n)::date as date_day
    from finish_dates as f cross join generate_series(0, 29) as n
    union
    select d::date
    from bounds cross join generate_series(
        greatest(
            bounds.first_day,
            (select max(date_day) + 1 from agg_active_users_daily),
            bounds.last_day - 3660
        ),
        bounds.last_day,
        interval '1 day'
    ) as d
)
select distinct w.date_day
from wanted as w cross join bounds
where w.date_day between bounds.first_day and bounds.last_day;
delete from agg_active_users_daily
where date_day in (select date_day from finish_active_dates);
insert into agg_active_users_daily
select
    a.date_day,
    (select count(distinct s.anonymous_id collate "C") from fact_sessions as s
        where s.session_date = a.date_day and not s.is_bot),
    (select count(distinct s.anonymous_id collate "C") from fact_sessions as s
        where s.session_date between a.date_day - 6 and a.date_day and not s.is_bot),
    (select count(distinct s.anonymous_id collate "C") from fact_sessions as s
        where s.session_date between a.date_day - 29 and a.date_day and not s.is_bot)
from finish_active_dates as a;

delete from agg_funnel_daily where date_day in (select date_day from finish_dates);
insert into agg_funnel_daily
select
    s.session_date,
    coalesce(s.device_type, 'unknown'),
    count(*),
    count(*) filter (where s.has_view),
    count(*) filter (where s.has_add_to_cart),
    count(*) filter (where s.has_checkout),
    count(*) filter (where s.has_purchase),
    coalesce(sum(s.revenue), 0)
from fact_sessions as s
where s.session_date in (select date_day from finish_dates) and not s.is_bot
group by s.session_date, coalesce(s.device_type, 'unknown');

delete from agg_product_daily where date_day in (select date_day from finish_dates);
insert into agg_product_daily
with combined as (
    -- One scan of the dates' events: the event's own product, then each impression item.
    select
        e.event_date, p.product_id, p.category, p.impressions,
        (p.impressions = 0 and e.event_type = 'click')::int as list_clicks,
        (p.impressions = 0 and e.event_type = 'view')::int as views,
        (p.impressions = 0 and e.event_type = 'add_to_cart')::int as add_to_carts,
        (p.impressions = 0 and e.event_type = 'checkout')::int as checkouts,
        (p.impressions = 0 and e.event_type = 'purchase')::int as purchases,
        case when p.impressions = 0 and e.event_type = 'purchase' then e.qty else 0 end
            as units_sold,
        case when p.impressions = 0 and e.event_type = 'purchase' then e.price * e.qty else 0 end
            as revenue
    from fact_events as e
    cross join lateral (
        select e.product_id, e.category, 0 as impressions
        where e.product_id is not null
        union all
        select item ->> 'product_id', item ->> 'category', 1
        from jsonb_array_elements(e.impression_items) as item
    ) as p
    where e.event_date in (select date_day from finish_dates)
        and not e.is_bot and (e.product_id is not null or e.impression_items is not null)
)
select
    event_date, product_id, max(category), sum(impressions), sum(list_clicks), sum(views),
    sum(add_to_carts), sum(checkouts), sum(purchases), sum(units_sold), sum(revenue)
from combined
group by event_date, product_id;

delete from agg_acquisition_daily where date_day in (select date_day from finish_dates);
insert into agg_acquisition_daily
select
    s.session_date,
    coalesce(s.utm_source, s.referrer_host, '(direct)'),
    coalesce(s.utm_medium, case when s.referrer_host is null then '(none)' else 'referral' end),
    coalesce(s.utm_campaign, '(none)'),
    coalesce(s.device_type, 'unknown'),
    coalesce(s.country, '(unknown)'),
    count(*),
    count(*) filter (where s.is_bounce),
    count(*) filter (where s.has_purchase),
    coalesce(sum(s.revenue), 0)
from fact_sessions as s
where s.session_date in (select date_day from finish_dates) and not s.is_bot
group by 1, 2, 3, 4, 5, 6;
"""


def refresh_dirty_dates(cur: Any) -> int:
    """Inside the caller's transaction: take the queued dates and recompute their rows."""
    cur.execute(TAKE_DIRTY_DATES_SQL)
    cur.execute("select count(*) from finish_dates")
    dates = int(cur.fetchone()[0])
    if dates:
        cur.execute(REFRESH_SQL)
    return dates
