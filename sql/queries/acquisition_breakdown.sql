-- Sessions, conversions and revenue by one acquisition dimension: 'referrer', 'source',
-- 'medium', 'campaign', 'device' or 'country' (referrer host and UTM apart).
select
    case %(dimension)s
        when 'referrer' then referrer_host
        when 'source' then utm_source
        when 'medium' then utm_medium
        when 'campaign' then utm_campaign
        when 'device' then device_type
        when 'country' then country
    end as segment,
    sum(sessions) as sessions,
    round(hll_cardinality(hll_union_agg(visitors_hll))) as visitors,
    sum(bounces) as bounces,
    sum(purchasing_sessions) as purchasing_sessions,
    sum(orders) as orders,
    sum(revenue) as revenue
from agg_acquisition_daily
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
group by 1
order by sessions desc, segment
