-- Per-product funnel: distinct sessions at each step for each product.
select
    a.product_id,
    coalesce(max(p.name), a.product_id) as product_name,
    max(a.category) as category,
    sum(a.view_sessions) as product_viewed,
    sum(a.cart_sessions) as added_to_cart,
    sum(a.checkout_sessions) as checked_out,
    sum(a.purchase_sessions) as purchased,
    sum(a.revenue) as revenue
from agg_product_daily as a
left join dim_product as p on p.product_id = a.product_id
where a.date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s) = 0 or a.device_type = any(%(devices)s))
    and (cardinality(%(countries)s) = 0 or a.country = any(%(countries)s))
    and (cardinality(%(categories)s) = 0 or a.category = any(%(categories)s))
group by a.product_id
order by product_viewed desc, a.product_id
limit 500
