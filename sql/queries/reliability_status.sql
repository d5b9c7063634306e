-- The figures `clickstream status` prints, plus the newest snapshot's ingest side.
select
    f.last_success_at,
    f.freshness_minutes,
    f.newest_event_at,
    f.lag_seconds,
    f.latest_status,
    f.latest_backlog,
    f.quarantined_objects,
    f.rejected_rows,
    s.dlq_depth,
    s.parking_depth,
    s.ingest_invocations,
    s.ingest_errors,
    s.ingest_throttles,
    s.ingest_error_rate,
    s.taken_at,
    coalesce(s.freshness_objective_minutes, 120) as freshness_objective_minutes
from etl_freshness as f
left join lateral (
    select * from dash_reliability_runs
    where taken_at is not null
    order by started_at desc
    limit 1
) as s on true
