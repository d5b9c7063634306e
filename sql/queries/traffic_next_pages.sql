-- Navigation paths: the pages viewed right after %(from_path)s ('(exit)' = the visit ended).
select
    to_path,
    sum(transitions) as transitions
from agg_page_transition_daily
where date_day between %(date_from)s and %(date_to)s
    and from_path = %(from_path)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
group by to_path
order by transitions desc, to_path
limit 20
