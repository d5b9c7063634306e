"""Dashboard aggregates: delete and recompute only the rows of the queued dates.

Bots are excluded from every aggregate (agg_traffic_daily.bot_sessions/bot_events count
them apart). Dates are UTC days. Session tables (traffic daily, pages, transitions,
funnel, acquisition) are keyed by the session's start date and carry the session's
device and country; event tables (hourly, product, category funnel, search) are keyed by
the event date and carry the event's own device and country. Key columns never hold
NULL: see the sentinels below and docs/warehouse.md "Dashboard tables".
"""

from __future__ import annotations

from typing import Any

UNKNOWN = "(unknown)"
NO_CATEGORY = "(none)"
DIRECT = "(direct)"
NO_UTM = "(none)"
EXIT = "(exit)"
SEARCH_TERM_MAX_CHARS = 200
# HyperLogLog parameters of every sketch (log2m, regwidth, expthresh, sparseon): about
# 1.6 % standard error, at most 2.5 kB a sketch, exact (explicit) up to ~320 ids. All
# sketches must share them to be unioned.
HLL_PARAMS = "12, 5, -1, 1"

_SESSION_DEVICE = f"coalesce(s.device_type, '{UNKNOWN}')"
_SESSION_COUNTRY = f"coalesce(s.country, '{UNKNOWN}')"
# The same device rule as the session rebuild: the SDK's device.type, else the UA's.
_EVENT_DEVICE = f"coalesce(e.device_type, nullif(e.ua_device_type, 'bot'), '{UNKNOWN}')"
_EVENT_COUNTRY = f"coalesce(e.country, '{UNKNOWN}')"
_PAGE_VIEW = "e.event_type = 'view' and e.product_id is null and e.impression_items is null"

TAKE_DIRTY_DATES_SQL = """
create temp table finish_dates on commit drop as
with taken as (delete from etl_dirty_dates returning date_day)
select date_day from taken;
"""

TRAFFIC_SQL = """
delete from agg_traffic_daily where date_day in (select date_day from finish_dates);
insert into agg_traffic_daily
select
    s.session_date,
    :s_device,
    :s_country,
    count(*) filter (where not s.is_bot),
    count(distinct s.anonymous_id collate "C") filter (where not s.is_bot),
    coalesce(
        hll_add_agg(hll_hash_text(s.anonymous_id), :hll) filter (where not s.is_bot),
        hll_empty(:hll)
    ),
    count(*) filter (where not s.is_bot and s.user_id is not null),
    coalesce(
        hll_add_agg(hll_hash_text(s.user_id), :hll)
            filter (where not s.is_bot and s.user_id is not null),
        hll_empty(:hll)
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
where s.session_date in (select date_day from finish_dates)
group by 1, 2, 3;

delete from agg_traffic_hourly where date_day in (select date_day from finish_dates);
insert into agg_traffic_hourly
select
    h.hour_at,
    h.device_type,
    h.country,
    min(h.event_date),
    extract(hour from h.hour_at)::smallint,
    count(*),
    count(*) filter (where h.is_page_view),
    count(distinct h.session_id),
    count(distinct h.anonymous_id)
from (
    -- Only the columns the counts need reach the sort (not the jsonb of the flag).
    select
        date_trunc('hour', e.event_at) as hour_at,
        :e_device as device_type,
        :e_country as country,
        e.event_date,
        :page_view as is_page_view,
        e.session_id,
        e.anonymous_id collate "C" as anonymous_id
    from fact_events as e
    where e.event_date in (select date_day from finish_dates) and not e.is_bot
) as h
group by 1, 2, 3;

delete from agg_funnel_daily where date_day in (select date_day from finish_dates);
insert into agg_funnel_daily
select
    s.session_date,
    :s_device,
    :s_country,
    coalesce(s.utm_source, s.referrer_host, ':direct'),
    count(*),
    count(*) filter (where s.has_product_view),
    count(*) filter (where s.has_add_to_cart),
    count(*) filter (where s.has_checkout),
    count(*) filter (where s.has_purchase),
    count(*) filter (where s.has_add_to_cart and not s.has_purchase),
    coalesce(sum(s.order_count), 0),
    coalesce(sum(s.revenue), 0)
from fact_sessions as s
where s.session_date in (select date_day from finish_dates) and not s.is_bot
group by 1, 2, 3, 4;

delete from agg_acquisition_daily where date_day in (select date_day from finish_dates);
insert into agg_acquisition_daily
select
    s.session_date,
    coalesce(s.referrer_host, ':direct'),
    coalesce(s.utm_source, ':no_utm'),
    coalesce(s.utm_medium, ':no_utm'),
    coalesce(s.utm_campaign, ':no_utm'),
    :s_device,
    :s_country,
    count(*),
    coalesce(hll_add_agg(hll_hash_text(s.anonymous_id), :hll), hll_empty(:hll)),
    count(*) filter (where s.is_bounce),
    coalesce(sum(s.page_views), 0),
    coalesce(sum(s.engaged_ms), 0),
    count(*) filter (where s.has_purchase),
    coalesce(sum(s.order_count), 0),
    coalesce(sum(s.revenue), 0)
from fact_sessions as s
where s.session_date in (select date_day from finish_dates) and not s.is_bot
group by 1, 2, 3, 4, 5, 6, 7;
"""

# Pages and transitions belong to the session's start date, so they are computed from
# all page views and engagement events of the sessions that started on a queued date.
# A session's events fall on its start date or the day after (it rolls after 30 minutes
# of inactivity), which lets the event-date BRIN index narrow the scan.
PAGES_SQL = """
create temp table finish_page_events on commit drop as
select
    s.session_date,
    :s_device as device_type,
    :s_country as country,
    s.session_id,
    e.event_id,
    e.event_at,
    e.page_path,
    e.event_type = 'view' as is_page_view,
    e.engaged_ms
from fact_sessions as s
inner join fact_events as e on e.session_id = s.session_id
where s.session_date in (select date_day from finish_dates)
    and not s.is_bot
    and e.event_date in (
        select date_day from finish_dates union select date_day + 1 from finish_dates
    )
    and ((:page_view) or e.event_type = 'engagement');

delete from agg_page_daily where date_day in (select date_day from finish_dates);
insert into agg_page_daily
select
    p.session_date, p.device_type, p.country, p.page_path,
    sum(p.page_views), sum(p.sessions), sum(p.entrances), sum(p.exits), sum(p.bounces),
    sum(p.engaged_ms)
from (
    select
        session_date, device_type, country, page_path,
        count(*) filter (where is_page_view) as page_views,
        count(distinct session_id) filter (where is_page_view) as sessions,
        0 as entrances, 0 as exits, 0 as bounces,
        coalesce(sum(engaged_ms) filter (where not is_page_view), 0) as engaged_ms
    from finish_page_events
    group by 1, 2, 3, 4
    union all
    select
        s.session_date, :s_device, :s_country, s.landing_page,
        0, 0, count(*), 0, count(*) filter (where s.is_bounce), 0
    from fact_sessions as s
    where s.session_date in (select date_day from finish_dates)
        and not s.is_bot and s.landing_page is not null
    group by 1, 2, 3, 4
    union all
    select s.session_date, :s_device, :s_country, s.exit_page, 0, 0, 0, count(*), 0, 0
    from fact_sessions as s
    where s.session_date in (select date_day from finish_dates)
        and not s.is_bot and s.exit_page is not null
    group by 1, 2, 3, 4
) as p
group by 1, 2, 3, 4;

delete from agg_page_total_daily where date_day in (select date_day from finish_dates);
insert into agg_page_total_daily
select
    a.date_day, a.page_path, a.page_views,
    -- sessions viewing the page: exact over devices and countries, from the events
    coalesce(v.sessions, 0),
    a.entrances, a.exits, a.bounces, a.total_engaged_ms
from (
    select
        date_day, page_path, sum(page_views) as page_views, sum(entrances) as entrances,
        sum(exits) as exits, sum(bounces) as bounces, sum(total_engaged_ms) as total_engaged_ms
    from agg_page_daily
    where date_day in (select date_day from finish_dates)
    group by 1, 2
) as a
left join (
    select session_date, page_path, count(distinct session_id) as sessions
    from finish_page_events
    where is_page_view
    group by 1, 2
) as v on v.session_date = a.date_day and v.page_path = a.page_path;

delete from agg_page_transition_daily where date_day in (select date_day from finish_dates);
insert into agg_page_transition_daily
select session_date, device_type, country, page_path, coalesce(next_path, ':exit'), count(*)
from (
    select
        session_date, device_type, country, page_path,
        lead(page_path) over (partition by session_id order by event_at, event_id) as next_path
    from finish_page_events
    where is_page_view
) as t
where next_path is distinct from page_path
group by 1, 2, 3, 4, 5;
"""

# One scan of the dates' events for everything about products: the event's own product
# (view, click, add_to_cart, checkout, purchase), each list impression of a `view`, and
# each cart line of a `checkout`. The category is the product's dimension category (the
# catalogue's, else the latest seen), else the event's, so a product keeps one category.
PRODUCTS_SQL = """
create temp table finish_product_events on commit drop as
select
    e.event_date,
    p.product_id,
    :e_device as device_type,
    :e_country as country,
    coalesce(d.category, p.category, ':no_category') as category,
    e.session_id,
    e.event_type,
    p.kind,
    e.qty,
    e.price
from fact_events as e
cross join lateral (
    select e.product_id, e.category, 'own' as kind
    where e.product_id is not null
    union all
    select item ->> 'product_id', item ->> 'category',
        case when e.event_type = 'checkout' then 'line' else 'impression' end
    from jsonb_array_elements(e.impression_items) as item
    where e.event_type in ('view', 'checkout')
) as p
left join dim_product as d on d.product_id = p.product_id
where e.event_date in (select date_day from finish_dates)
    and not e.is_bot and (e.product_id is not null or e.impression_items is not null);

delete from agg_product_daily where date_day in (select date_day from finish_dates);
insert into agg_product_daily
select
    event_date, product_id, device_type, country, max(category),
    count(*) filter (where kind = 'impression'),
    count(*) filter (where kind = 'own' and event_type = 'click'),
    count(*) filter (where kind = 'own' and event_type = 'view'),
    count(*) filter (where kind = 'own' and event_type = 'add_to_cart'),
    count(*) filter (where event_type = 'checkout'),
    count(*) filter (where kind = 'own' and event_type = 'purchase'),
    coalesce(sum(qty) filter (where kind = 'own' and event_type = 'purchase'), 0),
    coalesce(sum(price * qty) filter (where kind = 'own' and event_type = 'purchase'), 0),
    count(distinct session_id) filter (where kind = 'own' and event_type = 'view'),
    count(distinct session_id) filter (where kind = 'own' and event_type = 'add_to_cart'),
    count(distinct session_id) filter (where event_type = 'checkout'),
    count(distinct session_id) filter (where kind = 'own' and event_type = 'purchase')
from finish_product_events
group by 1, 2, 3, 4;

delete from agg_product_total_daily where date_day in (select date_day from finish_dates);
insert into agg_product_total_daily
select
    event_date, product_id, max(category),
    count(*) filter (where kind = 'impression'),
    count(*) filter (where kind = 'own' and event_type = 'click'),
    count(*) filter (where kind = 'own' and event_type = 'view'),
    count(*) filter (where kind = 'own' and event_type = 'add_to_cart'),
    count(*) filter (where event_type = 'checkout'),
    count(*) filter (where kind = 'own' and event_type = 'purchase'),
    coalesce(sum(qty) filter (where kind = 'own' and event_type = 'purchase'), 0),
    coalesce(sum(price * qty) filter (where kind = 'own' and event_type = 'purchase'), 0),
    count(distinct session_id) filter (where kind = 'own' and event_type = 'view'),
    count(distinct session_id) filter (where kind = 'own' and event_type = 'add_to_cart'),
    count(distinct session_id) filter (where event_type = 'checkout'),
    count(distinct session_id) filter (where kind = 'own' and event_type = 'purchase')
from finish_product_events
group by 1, 2;

delete from agg_category_funnel_daily where date_day in (select date_day from finish_dates);
insert into agg_category_funnel_daily (
    date_day, device_type, country, category, view_sessions, cart_sessions,
    checkout_sessions, purchase_sessions, units_sold, revenue, impressions, list_clicks,
    views, add_to_carts, checkouts, purchases
)
select
    event_date, device_type, country, category,
    count(distinct session_id) filter (where kind = 'own' and event_type = 'view'),
    count(distinct session_id) filter (where kind = 'own' and event_type = 'add_to_cart'),
    count(distinct session_id) filter (where event_type = 'checkout'),
    count(distinct session_id) filter (where kind = 'own' and event_type = 'purchase'),
    coalesce(sum(qty) filter (where kind = 'own' and event_type = 'purchase'), 0),
    coalesce(sum(price * qty) filter (where kind = 'own' and event_type = 'purchase'), 0),
    count(*) filter (where kind = 'impression'),
    count(*) filter (where kind = 'own' and event_type = 'click'),
    count(*) filter (where kind = 'own' and event_type = 'view'),
    count(*) filter (where kind = 'own' and event_type = 'add_to_cart'),
    count(*) filter (where event_type = 'checkout'),
    count(*) filter (where kind = 'own' and event_type = 'purchase')
from finish_product_events
group by 1, 2, 3, 4;

delete from agg_search_daily where date_day in (select date_day from finish_dates);
insert into agg_search_daily
select
    t.event_date, t.device_type, t.country, t.search_term,
    count(*), count(*) filter (where t.result_count = 0), count(distinct t.session_id)
from (
    select
        e.event_date,
        :e_device as device_type,
        :e_country as country,
        left(regexp_replace(lower(btrim(e.search_query)), '\\s+', ' ', 'g'), :term_chars)
            as search_term,
        e.result_count,
        e.session_id
    from fact_events as e
    where e.event_date in (select date_day from finish_dates)
        and not e.is_bot and e.event_type = 'search' and e.search_query is not null
) as t
where t.search_term <> ''
group by 1, 2, 3, 4;
"""


def _expand(statement: str) -> str:
    replacements = {
        ":s_device": _SESSION_DEVICE,
        ":s_country": _SESSION_COUNTRY,
        ":e_device": _EVENT_DEVICE,
        ":e_country": _EVENT_COUNTRY,
        ":page_view": _PAGE_VIEW,
        ":hll": HLL_PARAMS,
        ":direct": DIRECT,
        ":no_utm": NO_UTM,
        ":no_category": NO_CATEGORY,
        ":exit": EXIT,
        ":term_chars": str(SEARCH_TERM_MAX_CHARS),
    }
    for name, value in replacements.items():
        statement = statement.replace(name, value)
    return statement


REFRESH_SQL = _expand(TRAFFIC_SQL + PAGES_SQL + PRODUCTS_SQL)


def refresh_dirty_dates(cur: Any) -> int:
    """Inside the caller's transaction: take the queued dates and recompute their rows."""
    cur.execute(TAKE_DIRTY_DATES_SQL)
    cur.execute("select count(*) from finish_dates")
    dates = int(cur.fetchone()[0])
    if dates:
        cur.execute(REFRESH_SQL)
    return dates
