-- Delete and recompute the event-keyed aggregates (products, category funnel, search)
-- of the dates in finish_dates, from ONE scan of the dates' events: the few columns of
-- the human events any of them reads (product events, list impressions, checkouts'
-- cart lines, searches) go to a narrow temp table, and every table is grouped from it.
create temp table finish_event_rows on commit drop as
select
    e.event_date,
    e.event_type,
    coalesce(e.device_type, nullif(e.ua_device_type, 'bot'), '(unknown)') as device_type,
    coalesce(e.country, '(unknown)') as country,
    e.session_id,
    e.product_id,
    e.category,
    e.price,
    e.qty,
    case when e.event_type in ('view', 'checkout') then e.impression_items end
        as impression_items,
    case
        when e.event_type = 'search'
            then left(regexp_replace(lower(btrim(e.search_query)), '\s+', ' ', 'g'), 200)
    end as search_term,
    e.result_count
from fact_events as e
where
    e.event_date in (select fd.date_day from finish_dates as fd)
    and not e.is_bot
    and (
        e.product_id is not null
        or (e.event_type in ('view', 'checkout') and e.impression_items is not null)
        or (e.event_type = 'search' and e.search_query is not null)
    );
analyze finish_event_rows (event_type, product_id);

-- Identical item lists are expanded once: the events are first counted per list.
create temp table finish_impressions on commit drop as
select
    r.event_date,
    item ->> 'product_id' as product_id,
    r.device_type,
    r.country,
    coalesce(d.category, item ->> 'category', '(none)') as category,
    sum(r.events)::bigint as impressions
from (
    select
        event_date,
        device_type,
        country,
        impression_items,
        count(*) as events
    from finish_event_rows
    where event_type = 'view' and impression_items is not null
    group by 1, 2, 3, 4
) as r
cross join lateral jsonb_array_elements(r.impression_items) as item
left join dim_product as d on d.product_id = item ->> 'product_id'
group by 1, 2, 3, 4, 5;

-- One row per product, session and the event's device and country: the event's own
-- product, and each cart line of a checkout. session_id leads the key: should the
-- planner sort instead of hashing, most comparisons end at the first column.
create temp table finish_product_sessions on commit drop as
select
    p.event_date,
    p.product_id,
    p.device_type,
    p.country,
    coalesce(d.category, p.category, '(none)') as category,
    p.session_id,
    count(*) filter (where p.own and p.event_type = 'click') as list_clicks,
    count(*) filter (where p.own and p.event_type = 'view') as views,
    count(*) filter (where p.own and p.event_type = 'add_to_cart') as add_to_carts,
    count(*) filter (where p.event_type = 'checkout') as checkouts,
    count(*) filter (where p.own and p.event_type = 'purchase') as purchases,
    coalesce(sum(p.qty) filter (where p.own and p.event_type = 'purchase'), 0) as units_sold,
    coalesce(sum(p.price * p.qty) filter (where p.own and p.event_type = 'purchase'), 0)
        as revenue
from (
    select
        r.event_date,
        r.event_type,
        r.device_type,
        r.country,
        r.session_id,
        r.product_id,
        r.category,
        r.price,
        r.qty,
        true as own
    from finish_event_rows as r
    where r.product_id is not null
    union all
    select
        r.event_date,
        r.event_type,
        r.device_type,
        r.country,
        r.session_id,
        item ->> 'product_id',
        item ->> 'category',
        r.price,
        r.qty,
        false
    from finish_event_rows as r
    cross join lateral jsonb_array_elements(r.impression_items) as item
    where r.event_type = 'checkout' and r.impression_items is not null
) as p
left join dim_product as d on p.product_id = d.product_id
group by 6, 1, 2, 3, 4, 5;


delete from agg_product_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_product_daily
select
    event_date,
    product_id,
    device_type,
    country,
    max(category),
    sum(impressions),
    sum(list_clicks),
    sum(views),
    sum(add_to_carts),
    sum(checkouts),
    sum(purchases),
    sum(units_sold),
    sum(revenue),
    sum(view_sessions),
    sum(cart_sessions),
    sum(checkout_sessions),
    sum(purchase_sessions)
from (
    select
        event_date,
        product_id,
        device_type,
        country,
        category,
        0 as impressions,
        list_clicks,
        views,
        add_to_carts,
        checkouts,
        purchases,
        units_sold,
        revenue,
        (views > 0)::int as view_sessions,
        (add_to_carts > 0)::int as cart_sessions,
        (checkouts > 0)::int as checkout_sessions,
        (purchases > 0)::int as purchase_sessions
    from finish_product_sessions
    union all
    select
        event_date,
        product_id,
        device_type,
        country,
        category,
        impressions,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0
    from finish_impressions
) as t
group by 1, 2, 3, 4;

-- The rollups need distinct sessions over devices and countries (and, for a category,
-- over its products): group per session first again.
delete from agg_product_total_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_product_total_daily
select
    event_date,
    product_id,
    max(category),
    sum(impressions),
    sum(list_clicks),
    sum(views),
    sum(add_to_carts),
    sum(checkouts),
    sum(purchases),
    sum(units_sold),
    sum(revenue),
    sum(view_sessions),
    sum(cart_sessions),
    sum(checkout_sessions),
    sum(purchase_sessions)
from (
    select
        event_date,
        product_id,
        max(category) as category,
        0 as impressions,
        sum(list_clicks) as list_clicks,
        sum(views) as views,
        sum(add_to_carts) as add_to_carts,
        sum(checkouts) as checkouts,
        sum(purchases) as purchases,
        sum(units_sold) as units_sold,
        sum(revenue) as revenue,
        (sum(views) > 0)::int as view_sessions,
        (sum(add_to_carts) > 0)::int as cart_sessions,
        (sum(checkouts) > 0)::int as checkout_sessions,
        (sum(purchases) > 0)::int as purchase_sessions
    from finish_product_sessions
    group by session_id, event_date, product_id
    union all
    select
        event_date,
        product_id,
        category,
        impressions,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0
    from finish_impressions
) as t
group by 1, 2;

delete from agg_category_funnel_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_category_funnel_daily (
    date_day, device_type, country, category, view_sessions, cart_sessions,
    checkout_sessions, purchase_sessions, units_sold, revenue, impressions, list_clicks,
    views, add_to_carts, checkouts, purchases
)
select
    event_date,
    device_type,
    country,
    category,
    sum(view_sessions),
    sum(cart_sessions),
    sum(checkout_sessions),
    sum(purchase_sessions),
    sum(units_sold),
    sum(revenue),
    sum(impressions),
    sum(list_clicks),
    sum(views),
    sum(add_to_carts),
    sum(checkouts),
    sum(purchases)
from (
    select
        event_date,
        device_type,
        country,
        category,
        0 as impressions,
        sum(list_clicks) as list_clicks,
        sum(views) as views,
        sum(add_to_carts) as add_to_carts,
        sum(checkouts) as checkouts,
        sum(purchases) as purchases,
        sum(units_sold) as units_sold,
        sum(revenue) as revenue,
        (sum(views) > 0)::int as view_sessions,
        (sum(add_to_carts) > 0)::int as cart_sessions,
        (sum(checkouts) > 0)::int as checkout_sessions,
        (sum(purchases) > 0)::int as purchase_sessions
    from finish_product_sessions
    group by session_id, event_date, device_type, country, category
    union all
    select
        event_date,
        device_type,
        country,
        category,
        impressions,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0
    from finish_impressions
) as t
group by 1, 2, 3, 4;

delete from agg_search_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_search_daily
select
    r.event_date,
    r.device_type,
    r.country,
    r.search_term,
    count(*),
    count(*) filter (where r.result_count = 0),
    count(distinct r.session_id)
from finish_event_rows as r
where r.event_type = 'search' and r.search_term <> ''
group by 1, 2, 3, 4;
