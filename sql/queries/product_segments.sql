-- Product measures split by 'category', 'device' or 'country' (the per-product rollup
-- serves the category split when no device or country filter is set).
with a as (
    select category as device_type, category as country, category, impressions,
        list_clicks, views, add_to_carts, purchases, units_sold, revenue
    from agg_product_total_daily
    where date_day between %(date_from)s and %(date_to)s
        and %(split)s not in ('device', 'country')
        and cardinality(%(devices)s::text[]) = 0 and cardinality(%(countries)s::text[]) = 0
    union all
    select device_type, country, category, impressions, list_clicks, views, add_to_carts,
        purchases, units_sold, revenue
    from agg_product_daily
    where date_day between %(date_from)s and %(date_to)s
        and (%(split)s in ('device', 'country')
            or cardinality(%(devices)s::text[]) > 0 or cardinality(%(countries)s::text[]) > 0)
        and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
        and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
)
select
    case %(split)s
        when 'device' then device_type
        when 'country' then country
        else category
    end as segment,
    sum(impressions) as impressions,
    sum(list_clicks) as list_clicks,
    sum(views) as views,
    sum(add_to_carts) as add_to_carts,
    sum(purchases) as purchases,
    sum(units_sold) as units_sold,
    sum(revenue) as revenue
from a
where (cardinality(%(categories)s::text[]) = 0 or category = any(%(categories)s::text[]))
group by 1
order by revenue desc, segment
