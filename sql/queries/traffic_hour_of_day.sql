-- Events, page views and active sessions by UTC hour of day, summed over the range.
select
    hour_of_day,
    sum(events) as events,
    sum(page_views) as page_views,
    sum(sessions) as sessions
from agg_traffic_hourly
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
group by hour_of_day
order by hour_of_day
