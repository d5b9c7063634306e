-- Per-product funnel: distinct sessions at each step for each product (the rollup
-- without device/country when neither is filtered).
with a as (
    select product_id, category, view_sessions, cart_sessions, checkout_sessions,
        purchase_sessions, revenue
    from agg_product_total_daily
    where date_day between %(date_from)s and %(date_to)s
        and cardinality(%(devices)s::text[]) = 0 and cardinality(%(countries)s::text[]) = 0
    union all
    select product_id, category, view_sessions, cart_sessions, checkout_sessions,
        purchase_sessions, revenue
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
    sum(a.view_sessions) as product_viewed,
    sum(a.cart_sessions) as added_to_cart,
    sum(a.checkout_sessions) as checked_out,
    sum(a.purchase_sessions) as purchased,
    sum(a.revenue) as revenue
from a
left join dim_product as p on p.product_id = a.product_id
where (cardinality(%(categories)s::text[]) = 0 or a.category = any(%(categories)s::text[]))
group by a.product_id
order by product_viewed desc, a.product_id
limit 500
