-- Upsert the products of the rows COPYed straight into fact_events (one array element
-- per product, built in Python from the parsed rows), with the same "latest category
-- and price" rule as merge_staged_events.sql.
insert into dim_product (
    product_id, category, last_price, currency, first_seen_at, last_seen_at
)
select
    t.product_id,
    t.category,
    t.last_price,
    t.currency,
    t.first_seen_at,
    t.last_seen_at
from
    unnest(
        %(product_ids)s::text[],
        %(categories)s::text[],
        %(prices)s::numeric[],
        %(currencies)s::text[],
        %(first_seen)s::timestamptz[],
        %(last_seen)s::timestamptz[]
    ) as t (product_id, category, last_price, currency, first_seen_at, last_seen_at)
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
