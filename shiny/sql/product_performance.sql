-- Products over the range: impressions, clicks, views, carts, purchases, units, revenue.
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
from agg_product_daily as a
left join dim_product as p on p.product_id = a.product_id
where a.date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s) = 0 or a.device_type = any(%(devices)s))
    and (cardinality(%(countries)s) = 0 or a.country = any(%(countries)s))
    and (cardinality(%(categories)s) = 0 or a.category = any(%(categories)s))
group by a.product_id
order by revenue desc, a.product_id
