-- Distinct visitors on the last day of the range (DAU), in the 7 (WAU) and 30 days (MAU)
-- ending that day, from the HyperLogLog sketches.
select
    coalesce(round(hll_cardinality(hll_union_agg(visitors_hll) filter (where date_day = %(date_to)s))), 0) as dau,
    coalesce(round(hll_cardinality(hll_union_agg(visitors_hll) filter (where date_day > %(date_to)s - 7))), 0) as wau,
    coalesce(round(hll_cardinality(hll_union_agg(visitors_hll))), 0) as mau
from agg_traffic_daily
where date_day > %(date_to)s - 30 and date_day <= %(date_to)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
