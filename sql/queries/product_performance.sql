-- Products over the range: impressions, clicks, views, carts, purchases, units, revenue.
-- Without a device or country filter it reads the per-product rollup (one row per
-- product and day) instead of the device x country split.
with a as (
    select product_id, category, impressions, list_clicks, views, add_to_carts, purchases,
        units_sold, revenue
    from agg_product_total_daily
    where date_day between %(date_from)s and %(date_to)s
        and cardinality(%(devices)s::text[]) = 0 and cardinality(%(countries)s::text[]) = 0
    union all
    select product_id, category, impressions, list_clicks, views, add_to_carts, purchases,
        units_sold, revenue
    from agg_product_daily
    where date_day between %(date_from)s and %(date_to)s
        and (cardinality(%(devices)s::text[]) > 0 or cardinality(%(countries)s::text[]) > 0)
        and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
        and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
)
select
    a.product_id,
    coalesce(max(p.name), a.product_id) as product_name,
    max(a.category) as category,
    sum(a.impressions) as impressions,
    sum(a.list_clicks) as list_clicks,
    sum(a.views) as views,
    sum(a.add_to_carts) as add_to_carts,
    sum(a.purchases) as purchases,
    sum(a.units_sold) as units_sold,
    sum(a.revenue) as revenue
from a
left join dim_product as p on p.product_id = a.product_id
where (cardinality(%(categories)s::text[]) = 0 or a.category = any(%(categories)s::text[]))
group by a.product_id
order by revenue desc, a.product_id
