-- Funnel by product category: distinct sessions that viewed, carted, checked out and
-- bought a product of the category.
select
    category as segment,
    sum(view_sessions) as product_viewed,
    sum(cart_sessions) as added_to_cart,
    sum(checkout_sessions) as checked_out,
    sum(purchase_sessions) as purchased,
    sum(units_sold) as units_sold,
    sum(revenue) as revenue
from agg_category_funnel_daily
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
    and (cardinality(%(categories)s::text[]) = 0 or category = any(%(categories)s::text[]))
group by category
order by product_viewed desc, category
