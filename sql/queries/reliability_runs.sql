-- ETL runs started in the range (newest first) with their reliability snapshot.
select
    run_id::text as run_id, trigger, started_at, status, duration_seconds,
    objects_loaded, objects_quarantined, objects_pending, rows_inserted, rows_duplicate,
    rows_rejected, lag_seconds, dlq_depth, parking_depth, ingest_invocations, ingest_errors,
    ingest_throttles, ingest_error_rate, events_accepted, events_rejected,
    freshness_objective_minutes, error
from dash_reliability_runs
where started_at >= %(date_from)s and started_at < %(date_to)s + 1
order by started_at desc
limit 500
