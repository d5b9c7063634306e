-- Product measures split by 'category', 'device' or 'country'.
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
from agg_product_daily
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s) = 0 or device_type = any(%(devices)s))
    and (cardinality(%(countries)s) = 0 or country = any(%(countries)s))
    and (cardinality(%(categories)s) = 0 or category = any(%(categories)s))
group by 1
order by revenue desc, segment
