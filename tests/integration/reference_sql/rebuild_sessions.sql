-- Rebuild every session queued in finish_sessions (a temp table the finish step fills
-- from etl_dirty_sessions) from ALL of its events, late ones included, and upsert it
-- into fact_sessions. Definitions: docs/warehouse.md. The interaction list is
-- sessions.INTERACTIONS (tests/unit/test_etl_sql_files.py checks that).
insert into fact_sessions (
    session_id, session_date, anonymous_id, user_id, started_at, ended_at, duration_ms,
    engaged_ms, event_count, page_views, interaction_count, is_bounce, landing_page,
    exit_page, referrer, referrer_host, utm_source, utm_medium, utm_campaign, device_type,
    country, has_view, has_add_to_cart, has_checkout, has_purchase, order_count, revenue,
    is_bot, rebuilt_at, has_product_view
)
with session_events as (
    select
        e.event_id,
        e.event_type,
        e.event_at,
        e.session_id,
        e.anonymous_id,
        e.user_id,
        e.page_path,
        e.referrer,
        e.referrer_host,
        e.utm_source,
        e.utm_medium,
        e.utm_campaign,
        e.country,
        e.order_id,
        e.price,
        e.qty,
        e.engaged_ms,
        e.is_bot,
        e.product_id,
        e.event_type in ('click', 'search', 'add_to_cart', 'checkout', 'purchase')
            as is_interaction,
        e.event_type = 'view' and e.product_id is null and e.impression_items is null
            as is_page_view,
        coalesce(e.device_type, nullif(e.ua_device_type, 'bot')) as any_device_type,
        row_number() over (partition by e.session_id order by e.event_at, e.event_id) as seq
    from fact_events as e
    inner join finish_sessions as f on e.session_id = f.session_id
),

-- The position (seq, in event time) of the event each "first"/"last" column comes from.
-- PostgreSQL 15 sorts every group again for each ordered aggregate (array_agg(... order
-- by ...)), which cost more than everything else here; this needs the one sort above.
marked as (
    select
        *,
        min(seq) filter (where is_page_view) over whole as landing_seq,
        max(seq) filter (where is_page_view) over whole as exit_seq,
        max(seq) filter (where user_id is not null) over whole as user_seq,
        min(seq) filter (where any_device_type is not null) over whole as device_seq,
        min(seq) filter (where country is not null) over whole as country_seq
    from session_events
    window whole as (partition by session_id)
),

per_session as (
    -- min(x) filter (where seq = n) is the value of the one event at position n.
    select
        session_id,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        coalesce(sum(engaged_ms), 0) as engaged_ms,
        count(*) as event_count,
        count(*) filter (where is_page_view) as page_views,
        count(*) filter (where is_interaction) as interaction_count,
        min(anonymous_id) filter (where seq = 1) as anonymous_id,
        min(user_id) filter (where seq = user_seq) as user_id,
        min(page_path) filter (where seq = landing_seq) as landing_page,
        min(page_path) filter (where seq = exit_seq) as exit_page,
        min(referrer) filter (where seq = 1) as referrer,
        min(referrer_host) filter (where seq = 1) as referrer_host,
        min(utm_source) filter (where seq = 1) as utm_source,
        min(utm_medium) filter (where seq = 1) as utm_medium,
        min(utm_campaign) filter (where seq = 1) as utm_campaign,
        min(any_device_type) filter (where seq = device_seq) as device_type,
        min(country) filter (where seq = country_seq) as country,
        bool_or(event_type = 'view') as has_view,
        bool_or(event_type = 'add_to_cart') as has_add_to_cart,
        bool_or(event_type = 'checkout') as has_checkout,
        bool_or(event_type = 'purchase') as has_purchase,
        count(distinct order_id) filter (where event_type = 'purchase') as order_count,
        coalesce(sum(price * qty) filter (where event_type = 'purchase'), 0) as revenue,
        bool_or(is_bot) as is_bot,
        bool_or(event_type = 'view' and product_id is not null) as has_product_view
    from marked
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
    now(),
    has_product_view
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
    rebuilt_at = excluded.rebuilt_at,
    has_product_view = excluded.has_product_view
