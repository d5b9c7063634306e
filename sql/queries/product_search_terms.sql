-- Site search terms by volume, with the searches that found nothing.
select
    search_term,
    sum(searches) as searches,
    sum(zero_result_searches) as zero_result_searches,
    sum(sessions) as sessions
from agg_search_daily
where date_day between %(date_from)s and %(date_to)s
    and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s::text[]))
    and (cardinality(%(countries)s::text[]) = 0 or country = any(%(countries)s::text[]))
group by search_term
order by searches desc, search_term
limit 500
