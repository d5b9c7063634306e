-- Merge one object's rows from the etl_stage temp table into fact_events: the primary
-- key alone decides what is a duplicate (on conflict do nothing). Queues the inserted
-- rows' sessions and dates and upserts their products, exactly as the direct COPY path
-- does in Python (object_load.queue_touched): keep the two in step.
-- The column list is COPY_COLUMNS of clickstream/etl/records.py
-- (tests/unit/test_etl_sql_files.py checks that).
with ins as (
    insert into fact_events (
        event_id, event_type, event_at, event_date, received_at, session_id,
        anonymous_id, user_id, page_url, page_path, page_title, referrer,
        referrer_host, device_type, screen_width, screen_height, language, country,
        city, product_id, category, currency, price, qty, order_id, list_id,
        list_position, impression_items, search_query, result_count, engaged_ms,
        props, utm_source, utm_medium, utm_campaign, utm_term, utm_content, browser,
        browser_version, os, os_version, device_family, ua_device_type, is_bot,
        clock_skew, auth, request_id, client_ts, source_key
    )
    select distinct on (event_id)
        event_id,
        event_type,
        event_at,
        event_date,
        received_at,
        session_id,
        anonymous_id,
        user_id,
        page_url,
        page_path,
        page_title,
        referrer,
        referrer_host,
        device_type,
        screen_width,
        screen_height,
        language,
        country,
        city,
        product_id,
        category,
        currency,
        price,
        qty,
        order_id,
        list_id,
        list_position,
        impression_items,
        search_query,
        result_count,
        engaged_ms,
        props,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        browser,
        browser_version,
        os,
        os_version,
        device_family,
        ua_device_type,
        is_bot,
        clock_skew,
        auth,
        request_id,
        client_ts,
        source_key
    from etl_stage
    order by event_id, source_key
    on conflict (event_id) do nothing
    returning
        source_key, session_id, event_date, event_at, received_at,
        product_id, category, price, currency
),

dirty_sessions as (
    insert into etl_dirty_sessions (session_id)
    select distinct session_id from ins
    on conflict do nothing
),

dirty_dates as (
    insert into etl_dirty_dates (date_day)
    select distinct event_date from ins
    on conflict do nothing
),

product_span as (
    select
        product_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at
    from ins
    where product_id is not null
    group by product_id
),

product_latest as (
    select distinct on (product_id)
        product_id,
        category,
        price,
        currency
    from ins
    where product_id is not null
    order by product_id, (price is null), event_at desc
),

products as (
    insert into dim_product (
        product_id, category, last_price, currency, first_seen_at, last_seen_at
    )
    select
        s.product_id,
        l.category,
        l.price,
        l.currency,
        s.first_seen_at,
        s.last_seen_at
    from product_span as s
    inner join product_latest as l on s.product_id = l.product_id
    -- The same "latest category and price" rule as upsert_touched_products.sql.
    on conflict (product_id) do update set
        category = case
            when excluded.last_seen_at >= dim_product.last_seen_at
                then coalesce(excluded.category, dim_product.category)
            else dim_product.category
        end,
        last_price = case
            when excluded.last_seen_at >= dim_product.last_seen_at
                then coalesce(excluded.last_price, dim_product.last_price)
            else dim_product.last_price
        end,
        currency = coalesce(excluded.currency, dim_product.currency),
        first_seen_at = least(dim_product.first_seen_at, excluded.first_seen_at),
        last_seen_at = greatest(dim_product.last_seen_at, excluded.last_seen_at)
)

select
    source_key,
    count(*) as rows_inserted,
    max(received_at) as newest_received_at
from ins
group by source_key
