-- Pages over the range: views, sessions, entrances (landing), exits, bounces, engaged time.
select
    page_path,
    sum(page_views) as page_views,
    sum(sessions) as sessions,
    sum(entrances) as entrances,
    sum(exits) as exits,
    sum(bounces) as bounces,
    sum(total_engaged_ms) as total_engaged_ms
from agg_page_daily
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s) = 0 or device_type = any(%(devices)s))
    and (cardinality(%(countries)s) = 0 or country = any(%(countries)s))
group by page_path
order by page_views desc, page_path
limit 500
