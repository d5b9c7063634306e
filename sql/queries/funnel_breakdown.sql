-- Session funnel (product view -> add to cart -> checkout -> purchase) split by one
-- dimension: 'all', 'device', 'country' or 'source'.
select
    case %(split)s
        when 'device' then device_type
        when 'country' then country
        when 'source' then source
        else 'All sessions'
    end as segment,
    sum(sessions) as sessions,
    sum(product_viewed) as product_viewed,
    sum(added_to_cart) as added_to_cart,
    sum(checked_out) as checked_out,
    sum(purchased) as purchased,
    sum(abandoned_carts) as abandoned_carts,
    sum(orders) as orders,
    sum(revenue) as revenue
from agg_funnel_daily
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
group by 1
order by sessions desc, segment
