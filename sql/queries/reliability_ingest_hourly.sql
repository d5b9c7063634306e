-- Ingest metrics per hour of the range (CloudWatch, as the ETL fetched them).
select hour_at, metric, reason, value
from agg_ingest_hourly
where hour_at >= %(date_from)s and hour_at < %(date_to)s + 1
order by hour_at, metric, reason
