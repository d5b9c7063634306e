-- Pages over the range: views, sessions, entrances (landing), exits, bounces, engaged time
-- (the per-page rollup when no device or country filter is set).
with a as (
    select page_path, page_views, sessions, entrances, exits, bounces, total_engaged_ms
    from agg_page_total_daily
    where date_day between %(date_from)s and %(date_to)s
        and cardinality(%(devices)s::text[]) = 0 and cardinality(%(countries)s::text[]) = 0
    union all
    select page_path, page_views, sessions, entrances, exits, bounces, total_engaged_ms
    from agg_page_daily
    where date_day between %(date_from)s and %(date_to)s
        and (cardinality(%(devices)s::text[]) > 0 or cardinality(%(countries)s::text[]) > 0)
        and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
        and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
)
select
    page_path,
    sum(page_views) as page_views,
    sum(sessions) as sessions,
    sum(entrances) as entrances,
    sum(exits) as exits,
    sum(bounces) as bounces,
    sum(total_engaged_ms) as total_engaged_ms
from a
group by page_path
order by page_views desc, page_path
limit 500
