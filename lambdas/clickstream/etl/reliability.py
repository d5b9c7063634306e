"""The reliability snapshot each ETL run records for the dashboard's Reliability module.

What the ETL can see of the ingest side, stored in the warehouse so that the dashboard
host needs no AWS credentials:
- the dead-letter queue's depth (and the parking queue's), from SQS queue attributes:
  reading attributes consumes nothing. Depth by reason would need the messages to be
  received (each carries its reason), so the snapshot stores the total, says so in
  dlq_note, and stores the ingest's rejections by reason over the window when the
  ingest publishes EventsRejected with a `reason` dimension;
- the ingest Lambda's Invocations, Errors and Throttles (AWS/Lambda) and the ingest's
  own EMF counts (EventsAccepted, EventsRejected, EventsDuplicate, DlqSends), summed
  per hour from CloudWatch (GetMetricData) into agg_ingest_hourly, and over the last
  hour into the snapshot;
- the CloudWatch alarms' states (DescribeAlarms, names starting with ALARM_NAME_PREFIX,
  all alarms when it is unset) into etl_alarm_states.
Failing to reach CloudWatch or SQS never fails the run: the figures stay NULL and the
error text is stored (cloudwatch_error, sqs_error, alarms_error).
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg2.extensions import connection

from clickstream.observability import METRICS_NAMESPACE, get_logger

logger = get_logger("etl-reliability")

DEFAULT_FRESHNESS_OBJECTIVE_MINUTES = 120  # docs/runbook.md: data freshness objective
HOURS_FETCHED = 3  # each run refreshes the current and the two previous hours
PERIOD_SECONDS = 300
LAMBDA_METRICS = ("Invocations", "Errors", "Throttles")
INGEST_METRICS = ("EventsAccepted", "EventsRejected", "EventsDuplicate", "DlqSends")
# Reasons the ingest gives a rejected event (the DLQ message's `reason`); queried as the
# `reason` dimension of EventsRejected, found only if the ingest publishes it that way.
# The reasons lambdas/clickstream/ingest/service.py gives today.
REJECTION_REASONS = (
    "schema_violation",
    "size_violation",
    "enrichment_failure",
    "auth_failure",
    "storage_failure",
)
NOT_CONFIGURED = "not configured: neither DLQ_URL nor INGEST_FUNCTION_NAME is set for the ETL"
DLQ_NOTE_TOTAL_ONLY = (
    "total only: SQS reports a queue's depth, not its messages' reasons, and reading"
    " them would consume them; see rejected_by_reason for the ingest's rejections by"
    " reason over the window when it publishes them"
)


@dataclass(frozen=True)
class ReliabilitySettings:
    dlq_url: str | None = None
    parking_queue_url: str | None = None
    ingest_function_name: str | None = None
    metrics_namespace: str = METRICS_NAMESPACE
    ingest_service: str = "ingest"
    freshness_objective_minutes: int = DEFAULT_FRESHNESS_OBJECTIVE_MINUTES
    alarm_name_prefix: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReliabilitySettings:
        env = os.environ if env is None else env
        objective = env.get("FRESHNESS_OBJECTIVE_MINUTES", "")
        return cls(
            dlq_url=env.get("DLQ_URL") or None,
            parking_queue_url=env.get("PARKING_QUEUE_URL") or None,
            ingest_function_name=env.get("INGEST_FUNCTION_NAME") or None,
            metrics_namespace=env.get("METRICS_NAMESPACE") or METRICS_NAMESPACE,
            freshness_objective_minutes=int(objective)
            if objective.isdigit()
            else DEFAULT_FRESHNESS_OBJECTIVE_MINUTES,
            alarm_name_prefix=env.get("ALARM_NAME_PREFIX", ""),
        )


@dataclass
class Snapshot:
    window_start: datetime
    window_end: datetime
    freshness_objective_minutes: int
    dlq_depth: int | None = None
    dlq_in_flight: int | None = None
    dlq_depth_by_reason: dict[str, int] | None = None
    dlq_note: str | None = None
    parking_depth: int | None = None
    ingest_invocations: int | None = None
    ingest_errors: int | None = None
    ingest_throttles: int | None = None
    events_accepted: int | None = None
    events_rejected: int | None = None
    rejected_by_reason: dict[str, int] | None = None
    cloudwatch_error: str | None = None
    sqs_error: str | None = None
    alarms_error: str | None = None
    # (name, state, reason, state updated at) per alarm DescribeAlarms returned
    alarms: list[tuple[str, str, str | None, datetime | None]] = field(default_factory=list)
    hourly: dict[tuple[datetime, str, str], int] = field(default_factory=dict)


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:500]


def aws_client(service: str) -> Any:
    """A client that gives up fast: an unreachable endpoint must not hold the run."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1})
    return boto3.client(service, config=config)


def _queue_depth(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes.get("ApproximateNumberOfMessages", 0)),
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    )


def read_queues(snapshot: Snapshot, settings: ReliabilitySettings, sqs: Any) -> None:
    if not settings.dlq_url:
        snapshot.sqs_error = "DLQ_URL is not set for the ETL: no queue depth"
        return
    try:
        visible, in_flight = _queue_depth(sqs, settings.dlq_url)
        snapshot.dlq_depth, snapshot.dlq_in_flight = visible, in_flight
        snapshot.dlq_note = DLQ_NOTE_TOTAL_ONLY
        if settings.parking_queue_url:
            parked, parked_in_flight = _queue_depth(sqs, settings.parking_queue_url)
            snapshot.parking_depth = parked + parked_in_flight
    except Exception as error:  # any failure is recorded, never raised
        snapshot.sqs_error = "SQS unreachable or refused: " + _describe(error)


def _queries(settings: ReliabilitySettings) -> list[tuple[dict[str, Any], str, str]]:
    """(MetricDataQuery, metric name as stored, reason) for one GetMetricData call."""
    specs: list[tuple[str, str, list[dict[str, str]], str, str]] = []
    if settings.ingest_function_name:
        function = [{"Name": "FunctionName", "Value": settings.ingest_function_name}]
        specs += [("AWS/Lambda", name, function, name, "") for name in LAMBDA_METRICS]
    service = [{"Name": "service", "Value": settings.ingest_service}]
    namespace = settings.metrics_namespace
    specs += [(namespace, name, service, name, "") for name in INGEST_METRICS]
    specs += [
        (namespace, "EventsRejected", [*service, {"Name": "reason", "Value": reason}],
         "EventsRejected", reason)
        for reason in REJECTION_REASONS
    ]  # fmt: skip
    queries = []
    for index, (ns, name, dimensions, stored, reason) in enumerate(specs):
        query = {
            "Id": f"m{index}",
            "MetricStat": {
                "Metric": {"Namespace": ns, "MetricName": name, "Dimensions": dimensions},
                "Period": PERIOD_SECONDS,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        queries.append((query, stored, reason))
    return queries


def read_metrics(
    snapshot: Snapshot, settings: ReliabilitySettings, cloudwatch: Any, now: datetime
) -> None:
    first_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS_FETCHED - 1)
    queries = _queries(settings)
    by_id = {query["Id"]: (stored, reason) for query, stored, reason in queries}
    last_hour: dict[tuple[str, str], float] = defaultdict(float)
    hourly: dict[tuple[datetime, str, str], float] = defaultdict(float)
    seen: set[tuple[str, str]] = set()
    try:
        token: str | None = None
        while True:
            request: dict[str, Any] = {
                "MetricDataQueries": [query for query, _, _ in queries],
                "StartTime": first_hour,
                "EndTime": now,
            }
            if token:
                request["NextToken"] = token
            response = cloudwatch.get_metric_data(**request)
            for result in response.get("MetricDataResults", []):
                stored, reason = by_id[result["Id"]]
                for stamp, value in zip(result["Timestamps"], result["Values"], strict=True):
                    stamp = stamp.astimezone(UTC)
                    seen.add((stored, reason))
                    hourly[(stamp.replace(minute=0, second=0, microsecond=0), stored, reason)] += (
                        value
                    )
                    if stamp >= snapshot.window_start:
                        last_hour[(stored, reason)] += value
            token = response.get("NextToken")
            if not token:
                break
    except Exception as error:  # any failure is recorded, never raised
        snapshot.cloudwatch_error = "CloudWatch unreachable or refused: " + _describe(error)
        return

    def total(name: str) -> int | None:
        return int(last_hour.get((name, ""), 0)) if settings.ingest_function_name else None

    snapshot.ingest_invocations = total("Invocations")
    snapshot.ingest_errors = total("Errors")
    snapshot.ingest_throttles = total("Throttles")
    snapshot.events_accepted = int(last_hour.get(("EventsAccepted", ""), 0))
    snapshot.events_rejected = int(last_hour.get(("EventsRejected", ""), 0))
    reasons = {
        reason: int(value)
        for (name, reason), value in last_hour.items()
        if name == "EventsRejected" and reason
    }
    if any((name, reason) in seen for name, reason in by_id.values() if reason):
        snapshot.rejected_by_reason = reasons
    if not settings.ingest_function_name:
        snapshot.cloudwatch_error = (
            "INGEST_FUNCTION_NAME is not set for the ETL: no Lambda invocation/error/throttle"
            " counts (the ingest's own metrics were read)"
        )
    # Every fetched hour gets a row per metric, zero when CloudWatch had no datapoint.
    hours = [first_hour + timedelta(hours=h) for h in range(HOURS_FETCHED)]
    for name, reason in {(n, r) for n, r in by_id.values() if not r} | {
        key for key in seen if key[1]
    }:
        if name in LAMBDA_METRICS and not settings.ingest_function_name:
            continue
        for hour in hours:
            snapshot.hourly[(hour, name, reason)] = int(hourly.get((hour, name, reason), 0))


def read_alarms(snapshot: Snapshot, settings: ReliabilitySettings, cloudwatch: Any) -> None:
    """Every metric and composite alarm under the prefix: name, state, reason, since when."""
    try:
        request: dict[str, Any] = {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
        if settings.alarm_name_prefix:
            request["AlarmNamePrefix"] = settings.alarm_name_prefix
        alarms: dict[str, tuple[str, str, str | None, datetime | None]] = {}
        while True:
            response = cloudwatch.describe_alarms(**request)
            for alarm in [*response.get("MetricAlarms", []), *response.get("CompositeAlarms", [])]:
                name = alarm["AlarmName"]
                alarms[name] = (
                    name,
                    alarm.get("StateValue", "INSUFFICIENT_DATA"),
                    alarm.get("StateReason"),
                    alarm.get("StateUpdatedTimestamp"),
                )
            token = response.get("NextToken")
            if not token:
                break
            request["NextToken"] = token
    except Exception as error:  # any failure is recorded, never raised
        snapshot.alarms_error = "CloudWatch alarms unreachable or refused: " + _describe(error)
        return
    snapshot.alarms = [alarms[name] for name in sorted(alarms)]


def take_snapshot(
    settings: ReliabilitySettings,
    now: datetime,
    cloudwatch: Any | None = None,
    sqs: Any | None = None,
) -> Snapshot:
    snapshot = Snapshot(
        window_start=now - timedelta(hours=1),
        window_end=now,
        freshness_objective_minutes=settings.freshness_objective_minutes,
    )
    if not (settings.dlq_url or settings.ingest_function_name):
        # Nothing says where the ingest side is (e.g. a bare test run): no AWS calls.
        snapshot.cloudwatch_error = snapshot.sqs_error = NOT_CONFIGURED
        snapshot.alarms_error = NOT_CONFIGURED
        return snapshot
    try:
        cloudwatch = cloudwatch or aws_client("cloudwatch")
        read_metrics(snapshot, settings, cloudwatch, now)
        read_alarms(snapshot, settings, cloudwatch)
    except Exception as error:  # e.g. no region configured
        snapshot.cloudwatch_error = "CloudWatch client failed: " + _describe(error)
        snapshot.alarms_error = snapshot.cloudwatch_error
    try:
        sqs = sqs or aws_client("sqs")
        read_queues(snapshot, settings, sqs)
    except Exception as error:
        snapshot.sqs_error = "SQS client failed: " + _describe(error)
    return snapshot


INSERT_SNAPSHOT_SQL = """
insert into etl_reliability_snapshots (
    run_id, taken_at, window_start, window_end, dlq_depth, dlq_in_flight, dlq_depth_by_reason,
    dlq_note, parking_depth, ingest_invocations, ingest_errors, ingest_throttles,
    events_accepted, events_rejected, rejected_by_reason, cloudwatch_error, sqs_error,
    freshness_objective_minutes, alarms_error
)
select %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s
where exists (select 1 from etl_runs where run_id = %s)
on conflict (run_id) do nothing
"""
INSERT_ALARMS_SQL = """
insert into etl_alarm_states (run_id, alarm_name, state, reason, state_updated_at, taken_at)
select %s, n, s, r, u, %s
from unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[]) as a(n, s, r, u)
on conflict (run_id, alarm_name) do nothing
"""
UPSERT_HOURLY_SQL = """
insert into agg_ingest_hourly (hour_at, metric, reason, value, fetched_at)
select h, m, r, v, now() from unnest(%s::timestamptz[], %s::text[], %s::text[], %s::bigint[])
    as u(h, m, r, v)
on conflict (hour_at, metric, reason) do update set
    value = excluded.value, fetched_at = excluded.fetched_at
"""


def store_snapshot(conn: connection, run_id: str, snapshot: Snapshot, taken_at: datetime) -> bool:
    """Write the snapshot (and the hourly figures); False when the run has no etl_runs row."""
    import json

    def as_json(value: dict[str, int] | None) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True)

    run = str(uuid.UUID(run_id))
    try:
        with conn.cursor() as cur:
            cur.execute(
                INSERT_SNAPSHOT_SQL,
                (
                    run, taken_at, snapshot.window_start, snapshot.window_end,
                    snapshot.dlq_depth, snapshot.dlq_in_flight,
                    as_json(snapshot.dlq_depth_by_reason), snapshot.dlq_note,
                    snapshot.parking_depth, snapshot.ingest_invocations, snapshot.ingest_errors,
                    snapshot.ingest_throttles, snapshot.events_accepted, snapshot.events_rejected,
                    as_json(snapshot.rejected_by_reason), snapshot.cloudwatch_error,
                    snapshot.sqs_error, snapshot.freshness_objective_minutes,
                    snapshot.alarms_error, run,
                ),
            )  # fmt: skip
            stored = cur.rowcount == 1
            if stored and snapshot.alarms:
                cur.execute(
                    INSERT_ALARMS_SQL,
                    (
                        run, taken_at,
                        [a[0] for a in snapshot.alarms], [a[1] for a in snapshot.alarms],
                        [a[2] for a in snapshot.alarms], [a[3] for a in snapshot.alarms],
                    ),
                )  # fmt: skip
            if snapshot.hourly:
                keys = sorted(snapshot.hourly)
                cur.execute(
                    UPSERT_HOURLY_SQL,
                    (
                        [k[0] for k in keys],
                        [k[1] for k in keys],
                        [k[2] for k in keys],
                        [snapshot.hourly[k] for k in keys],
                    ),
                )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return stored


def record(
    connect: Callable[[], connection],
    run_id: str,
    settings: ReliabilitySettings,
    now: datetime | None = None,
    cloudwatch: Any | None = None,
    sqs: Any | None = None,
) -> Snapshot | None:
    """Take and store the run's snapshot; never raises (a failure is logged)."""
    try:
        moment = now or datetime.now(UTC)
        snapshot = take_snapshot(settings, moment, cloudwatch, sqs)
        conn = connect()
        try:
            store_snapshot(conn, run_id, snapshot, moment)
        finally:
            conn.close()
        if snapshot.cloudwatch_error or snapshot.sqs_error or snapshot.alarms_error:
            # Info, not warning: the gap is stored with the snapshot, and the CLI's stdout
            # (JSON for scripts) only carries warnings and errors.
            logger.info(
                "reliability snapshot incomplete",
                run_id=run_id,
                cloudwatch_error=snapshot.cloudwatch_error,
                sqs_error=snapshot.sqs_error,
                alarms_error=snapshot.alarms_error,
            )
        return snapshot
    except Exception:
        logger.exception("reliability snapshot not recorded", run_id=run_id)
        return None
