-- The values the global filter boxes offer: device types and countries seen in the
-- traffic aggregate, categories of the catalogue and of seen products.
select 'device' as dimension, device_type as value
from (select distinct device_type from agg_traffic_daily) as d
union all
select 'country', country
from (select distinct country from agg_traffic_daily) as c
union all
select 'category', category
from (select distinct category from dim_product where category is not null) as p
order by 1, 2
