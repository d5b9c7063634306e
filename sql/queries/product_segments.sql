-- Product measures split by 'category', 'device' or 'country', from the category table
-- (date, device, country, category: a few thousand rows a month).
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
from agg_category_funnel_daily
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
    and (cardinality(%(categories)s::text[]) = 0 or category = any(%(categories)s::text[]))
group by 1
order by revenue desc, segment
