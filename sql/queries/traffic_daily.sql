-- Sessions, visitors, page views, bounces and bot sessions per day of the range.
select
    date_day,
    sum(sessions) as sessions,
    round(hll_cardinality(hll_union_agg(visitors_hll))) as visitors,
    sum(page_views) as page_views,
    sum(bounces) as bounces,
    sum(bot_sessions) as bot_sessions
from agg_traffic_daily
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
group by date_day
order by date_day
