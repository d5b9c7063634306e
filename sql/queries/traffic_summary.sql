-- Traffic KPIs over the date range and filters: one row.
select
    coalesce(sum(sessions), 0) as sessions,
    coalesce(round(hll_cardinality(hll_union_agg(visitors_hll))), 0) as visitors,
    coalesce(sum(page_views), 0) as page_views,
    coalesce(sum(bounces), 0) as bounces,
    coalesce(sum(total_engaged_ms), 0) as total_engaged_ms,
    coalesce(sum(signed_in_sessions), 0) as signed_in_sessions,
    coalesce(sum(bot_sessions), 0) as bot_sessions,
    coalesce(sum(bot_events), 0) as bot_events
from agg_traffic_daily
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
