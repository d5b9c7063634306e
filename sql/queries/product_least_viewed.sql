-- Products that get the least attention: every catalogue (or seen) product with its
-- views over the range, zero-view products included, fewest views first.
with a as (
    select product_id, views, impressions
    from agg_product_total_daily
    where date_day between %(date_from)s and %(date_to)s
        and cardinality(%(devices)s::text[]) = 0 and cardinality(%(countries)s::text[]) = 0
    union all
    select product_id, views, impressions
    from agg_product_daily
    where date_day between %(date_from)s and %(date_to)s
        and (cardinality(%(devices)s::text[]) > 0 or cardinality(%(countries)s::text[]) > 0)
        and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
        and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
),
views as (
    select product_id, sum(views) as views, sum(impressions) as impressions
    from a
    group by product_id
)
select
    p.product_id,
    coalesce(p.name, p.product_id) as product_name,
    coalesce(p.category, '(none)') as category,
    coalesce(v.views, 0) as views,
    coalesce(v.impressions, 0) as impressions,
    p.in_catalog
from dim_product as p
left join views as v on v.product_id = p.product_id
where (cardinality(%(categories)s::text[]) = 0 or p.category = any(%(categories)s::text[]))
order by views, impressions, p.product_id
limit 100
