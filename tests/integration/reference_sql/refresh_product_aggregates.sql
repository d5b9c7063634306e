-- Delete and recompute the event-keyed aggregates (hourly traffic, products, category
-- funnel, search) of the dates in finish_dates, from one scan of the dates' events.
create temp table finish_impressions on commit drop as
select
    e.event_date,
    item ->> 'product_id' as product_id,
    coalesce(e.device_type, nullif(e.ua_device_type, 'bot'), '(unknown)') as device_type,
    coalesce(e.country, '(unknown)') as country,
    coalesce(d.category, item ->> 'category', '(none)') as category,
    count(*) as impressions
from fact_events as e
cross join lateral jsonb_array_elements(e.impression_items) as item
left join dim_product as d on d.product_id = item ->> 'product_id'
where
    e.event_date in (select fd.date_day from finish_dates as fd)
    and not e.is_bot and e.event_type = 'view' and e.impression_items is not null
group by 1, 2, 3, 4, 5;

create temp table finish_product_sessions on commit drop as
select
    e.event_date,
    p.product_id,
    coalesce(e.device_type, nullif(e.ua_device_type, 'bot'), '(unknown)') as device_type,
    coalesce(e.country, '(unknown)') as country,
    coalesce(d.category, p.category, '(none)') as category,
    e.session_id,
    count(*) filter (where p.own and e.event_type = 'click') as list_clicks,
    count(*) filter (where p.own and e.event_type = 'view') as views,
    count(*) filter (where p.own and e.event_type = 'add_to_cart') as add_to_carts,
    count(*) filter (where e.event_type = 'checkout') as checkouts,
    count(*) filter (where p.own and e.event_type = 'purchase') as purchases,
    coalesce(sum(e.qty) filter (where p.own and e.event_type = 'purchase'), 0) as units_sold,
    coalesce(sum(e.price * e.qty) filter (where p.own and e.event_type = 'purchase'), 0)
        as revenue
from fact_events as e
cross join
    lateral (
        select
            e.product_id,
            e.category,
            true as own
        where e.product_id is not null
        union all
        select
            item ->> 'product_id',
            item ->> 'category',
            false
        from jsonb_array_elements(e.impression_items) as item
        where e.event_type = 'checkout'
    ) as p
left join dim_product as d on p.product_id = d.product_id
where
    e.event_date in (select fd.date_day from finish_dates as fd)
    and not e.is_bot
    and (e.product_id is not null or (e.event_type = 'checkout' and e.impression_items is not null))
group by 1, 2, 3, 4, 5, 6;

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
    group by event_date, product_id, session_id
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
    group by event_date, device_type, country, category, session_id
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
    t.event_date,
    t.device_type,
    t.country,
    t.search_term,
    count(*),
    count(*) filter (where t.result_count = 0),
    count(distinct t.session_id)
from (
    select
        e.event_date,
        coalesce(e.device_type, nullif(e.ua_device_type, 'bot'), '(unknown)') as device_type,
        coalesce(e.country, '(unknown)') as country,
        left(regexp_replace(lower(btrim(e.search_query)), '\s+', ' ', 'g'), 200)
            as search_term,
        e.result_count,
        e.session_id
    from fact_events as e
    where
        e.event_date in (select fd.date_day from finish_dates as fd)
        and not e.is_bot and e.event_type = 'search' and e.search_query is not null
) as t
where t.search_term <> ''
group by 1, 2, 3, 4;
