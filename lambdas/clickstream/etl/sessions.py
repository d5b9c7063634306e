"""Session rebuild: every session a load touched is recomputed from ALL of its events.

So fact_sessions is always what a full rebuild would give, late events included.
Definitions (docs/warehouse.md): a page view is a `view` event without
ecom.product_id or ecom.items (those are product views and list impressions, sent
beside the page's own view); an interaction is
a click, search, add_to_cart, checkout or purchase (engagement events are passive);
a bounce is exactly one page view and no interaction; revenue is the sum of
price x qty over purchase events; duration is the larger of the event time span
and the SDK's summed engaged time, so a one-page session is not 0 seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clickstream.etl import aggregates
from clickstream.etl.warehouse import FINISH_LOCK, LOCK_NAMESPACE

INTERACTIONS = ("click", "search", "add_to_cart", "checkout", "purchase")
_INTERACTION_LIST = ", ".join(f"'{name}'" for name in INTERACTIONS)

TAKE_DIRTY_SESSIONS_SQL = """
create temp table finish_sessions on commit drop as
with taken as (delete from etl_dirty_sessions returning session_id)
select session_id from taken;
create unique index on finish_sessions (session_id);
analyze finish_sessions;
"""

# The sessions' old dates need a refresh too: a late event can move a session's start.
OLD_SESSION_DATES_SQL = """
insert into etl_dirty_dates (date_day)
select distinct s.session_date
from fact_sessions as s
inner join finish_sessions as f on f.session_id = s.session_id
on conflict do nothing
"""

REBUILD_SESSIONS_SQL = """
insert into fact_sessions (
    session_id, session_date, anonymous_id, user_id, started_at, ended_at, duration_ms,
    engaged_ms, event_count, page_views, interaction_count, is_bounce, landing_page,
    exit_page, referrer, referrer_host, utm_source, utm_medium, utm_campaign, device_type,
    country, has_view, has_add_to_cart, has_checkout, has_purchase, order_count, revenue,
    is_bot, rebuilt_at
)
with session_events as (
    select
        e.event_id, e.event_type, e.event_at, e.session_id, e.anonymous_id, e.user_id,
        e.page_path, e.referrer, e.referrer_host, e.utm_source, e.utm_medium, e.utm_campaign,
        e.country, e.order_id, e.price, e.qty, e.engaged_ms, e.is_bot,
        e.event_type in (:interactions) as is_interaction,
        e.event_type = 'view' and e.product_id is null and e.impression_items is null
            as is_page_view,
        coalesce(e.device_type, nullif(e.ua_device_type, 'bot')) as any_device_type
    from fact_events as e
    inner join finish_sessions as f on f.session_id = e.session_id
),
per_session as (
    select
        session_id,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        coalesce(sum(engaged_ms), 0) as engaged_ms,
        count(*) as event_count,
        count(*) filter (where is_page_view) as page_views,
        count(*) filter (where is_interaction) as interaction_count,
        (array_agg(anonymous_id order by event_at, event_id))[1] as anonymous_id,
        (array_agg(user_id order by event_at desc, event_id desc)
            filter (where user_id is not null))[1] as user_id,
        (array_agg(page_path order by event_at, event_id)
            filter (where is_page_view))[1] as landing_page,
        (array_agg(page_path order by event_at desc, event_id desc)
            filter (where is_page_view))[1] as exit_page,
        (array_agg(referrer order by event_at, event_id))[1] as referrer,
        (array_agg(referrer_host order by event_at, event_id))[1] as referrer_host,
        (array_agg(utm_source order by event_at, event_id))[1] as utm_source,
        (array_agg(utm_medium order by event_at, event_id))[1] as utm_medium,
        (array_agg(utm_campaign order by event_at, event_id))[1] as utm_campaign,
        (array_agg(any_device_type order by event_at, event_id)
            filter (where any_device_type is not null))[1] as device_type,
        (array_agg(country order by event_at, event_id)
            filter (where country is not null))[1] as country,
        bool_or(event_type = 'view') as has_view,
        bool_or(event_type = 'add_to_cart') as has_add_to_cart,
        bool_or(event_type = 'checkout') as has_checkout,
        bool_or(event_type = 'purchase') as has_purchase,
        count(distinct order_id) filter (where event_type = 'purchase') as order_count,
        coalesce(sum(price * qty) filter (where event_type = 'purchase'), 0) as revenue,
        bool_or(is_bot) as is_bot
    from session_events
    group by session_id
)
select
    session_id,
    started_at::date,
    anonymous_id,
    user_id,
    started_at,
    ended_at,
    greatest(
        (extract(epoch from ended_at - started_at) * 1000)::bigint, engaged_ms
    ),
    engaged_ms,
    event_count,
    page_views,
    interaction_count,
    page_views = 1 and interaction_count = 0,
    landing_page,
    exit_page,
    referrer,
    referrer_host,
    utm_source,
    utm_medium,
    utm_campaign,
    device_type,
    country,
    has_view,
    has_add_to_cart,
    has_checkout,
    has_purchase,
    order_count,
    revenue,
    is_bot,
    now()
from per_session
on conflict (session_id) do update set
    session_date = excluded.session_date,
    anonymous_id = excluded.anonymous_id,
    user_id = excluded.user_id,
    started_at = excluded.started_at,
    ended_at = excluded.ended_at,
    duration_ms = excluded.duration_ms,
    engaged_ms = excluded.engaged_ms,
    event_count = excluded.event_count,
    page_views = excluded.page_views,
    interaction_count = excluded.interaction_count,
    is_bounce = excluded.is_bounce,
    landing_page = excluded.landing_page,
    exit_page = excluded.exit_page,
    referrer = excluded.referrer,
    referrer_host = excluded.referrer_host,
    utm_source = excluded.utm_source,
    utm_medium = excluded.utm_medium,
    utm_campaign = excluded.utm_campaign,
    device_type = excluded.device_type,
    country = excluded.country,
    has_view = excluded.has_view,
    has_add_to_cart = excluded.has_add_to_cart,
    has_checkout = excluded.has_checkout,
    has_purchase = excluded.has_purchase,
    order_count = excluded.order_count,
    revenue = excluded.revenue,
    is_bot = excluded.is_bot,
    rebuilt_at = excluded.rebuilt_at
""".replace(":interactions", _INTERACTION_LIST)

NEW_SESSION_DATES_SQL = """
insert into etl_dirty_dates (date_day)
select distinct s.session_date
from fact_sessions as s
inner join finish_sessions as f on f.session_id = s.session_id
on conflict do nothing
"""


@dataclass(frozen=True)
class FinishResult:
    sessions_rebuilt: int
    dates_refreshed: int


def finish(conn: Any) -> FinishResult:
    """Rebuild the queued sessions, then refresh the aggregates of the queued dates.

    One transaction under an advisory lock: the queues are emptied only if the
    rebuild commits, so a crash leaves them for the next run.
    """
    try:
        with conn.cursor() as cur:
            cur.execute("set local time zone 'UTC'")
            # These statements group a whole batch of events (session rebuild, count
            # distinct per day): with the 4 MB default every sort spills to disk. JIT
            # compiles for longer than the queries run (fact_events' statistics lag a
            # large load, so the planner overestimates), so it is off for this step.
            cur.execute("set local work_mem = '64MB'")
            cur.execute("set local jit = off")
            cur.execute("select pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, FINISH_LOCK))
            cur.execute(TAKE_DIRTY_SESSIONS_SQL)
            cur.execute(OLD_SESSION_DATES_SQL)
            cur.execute(REBUILD_SESSIONS_SQL)
            sessions_rebuilt = cur.rowcount
            cur.execute(NEW_SESSION_DATES_SQL)
            dates_refreshed = aggregates.refresh_dirty_dates(cur)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return FinishResult(sessions_rebuilt=max(sessions_rebuilt, 0), dates_refreshed=dates_refreshed)


def mark_range_dirty(conn: Any, first_day: Any, last_day: Any) -> None:
    """Queue every session and date of an event-date range (used by backfill)."""
    with conn.cursor() as cur:
        cur.execute(
            "insert into etl_dirty_sessions (session_id) select distinct session_id"
            " from fact_events where event_date between %s and %s on conflict do nothing",
            (first_day, last_day),
        )
        cur.execute(
            "insert into etl_dirty_dates (date_day) select d::date"
            " from generate_series(%s::date, %s::date, interval '1 day') as d"
            " on conflict do nothing",
            (first_day, last_day),
        )
    conn.commit()
