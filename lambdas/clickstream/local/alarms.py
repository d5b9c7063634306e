"""Alarms that fire locally, from the definitions Terraform deploys.

moto stores CloudWatch alarms but never evaluates them, and the handlers' EMF
metrics only reach stdout. Here:
- `EmfForwarder` sits in front of this process's stdout (the local stack runs the
  handlers in-process, and Powertools prints each EMF record there): every EMF line is
  parsed and put into moto's CloudWatch with put_metric_data, and still written out;
- `AlarmEvaluator` reads terraform/modules/monitoring/alarm_definitions.json (the file
  alarms.tf reads with jsondecode), creates the alarms in moto, publishes the queue
  depths as AWS/SQS would, evaluates each definition against moto's metrics, records
  state changes with set_alarm_state and publishes each change to the alerts topic
  (ALERTS_TOPIC_ARN) in the shape CloudWatch uses, and appends it to
  `<state dir>/alerts.jsonl` for `clickstream alerts`.
- `ServiceMetrics` publishes what API Gateway and Lambda publish on AWS, for the requests
  the local API Gateway adapter serves and the invocations it and the scheduler make
  (AWS/ApiGateway Count, 4xx, 5xx, Latency by ApiId and Stage; AWS/Lambda Invocations,
  Errors, Duration by FunctionName), so api-5xx, ingest-errors, etl-errors and
  etl-duration fire locally too.
Locally each period is shortened to LOCAL_ALARM_PERIOD_SECONDS (default 60) so that an
alarm also recovers within a test; everything else is the deployed definition. Thresholds
named in the definitions ("var.NAME", "local.NAME") take the Terraform variable's default
from variables.tf, or the local setting that stands for it (`alarm_parameters`). A
definition marked `aws_only` (its metric has no local source) is created in moto in
INSUFFICIENT_DATA with that reason, and never evaluated.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from clickstream.envfile import NOTIFICATIONS_FILE
from clickstream.observability import METRICS_NAMESPACE, get_logger

logger = get_logger("local-alarms")

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFINITIONS_PATH = REPO_ROOT / "terraform" / "modules" / "monitoring" / "alarm_definitions.json"
ALARM_PREFIX = "clickstream-local-"
DEFAULT_LOCAL_PERIOD_SECONDS = 60.0
HOURLY_SECONDS = 3600  # the production ETL schedule's period
COMPARISONS = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


VARIABLES_PATH = DEFINITIONS_PATH.parent / "variables.tf"
GROUPS = ("occurrence", "queue", "health")
# The local stack's API Gateway adapter: the apiId and stage of its payload-2.0 events.
LOCAL_API_ID = "local"
LOCAL_API_STAGE = "$default"


def load_definitions(path: Path = DEFINITIONS_PATH) -> dict[str, dict[str, Any]]:
    """Every alarm definition by alarm name (all groups of the file together)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    definitions: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        for spec in document[group].values():
            definitions[spec["alarm_name"]] = spec
    return definitions


def terraform_default(name: str, path: Path = VARIABLES_PATH) -> float:
    """The numeric default of the monitoring module's variable `name` (variables.tf)."""
    block = re.search(
        r'variable "' + re.escape(name) + r'" \{(.*?)\n\}', path.read_text(encoding="utf-8"), re.S
    )
    default = re.search(r"^\s*default\s*=\s*([0-9.]+)\s*$", block.group(1), re.M) if block else None
    if default is None:
        raise KeyError(f"variables.tf has no numeric default for {name}")
    return float(default.group(1))


def alarm_parameters(env: Mapping[str, str] | None = None) -> dict[str, float]:
    """What alarms.tf's local.alarm_parameters holds, for the local stack: each variable's
    default, except the freshness objective, which is the local setting
    FRESHNESS_OBJECTIVE_MINUTES that `clickstream status` also holds the data to."""
    env = os.environ if env is None else env
    freshness = env.get("FRESHNESS_OBJECTIVE_MINUTES", "")
    freshness_minutes = (
        float(freshness)
        if freshness.isdigit()
        else terraform_default("freshness_threshold_minutes")
    )
    return {
        "var.api_5xx_threshold": terraform_default("api_5xx_threshold"),
        "var.api_latency_p95_ms": terraform_default("api_latency_p95_ms"),
        "var.freshness_threshold_minutes": freshness_minutes,
        "local.etl_duration_threshold_ms": math.floor(
            terraform_default("etl_timeout_seconds")
            * 1000
            * terraform_default("etl_duration_alarm_ratio")
        ),
        "local.freshness_evaluation_periods": max(1, int(freshness_minutes // 60)),
    }


def resolve(
    spec: Mapping[str, Any],
    names: Mapping[str, str],
    namespace: str,
    parameters: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """A definition with its namespace, `var.NAME` dimension values and named threshold
    and evaluation periods filled in (as alarms.tf fills them in)."""
    parameters = alarm_parameters() if parameters is None else parameters
    numbers = {}
    for field in ("threshold", "evaluation_periods"):
        value = spec[field]
        if isinstance(value, str):
            if value not in parameters:
                raise KeyError(f"{spec['alarm_name']}: no local value for {field} {value}")
            value = parameters[value]
        numbers[field] = value
    description = str(spec["description"]).replace("{threshold}", f"{numbers['threshold']:g}")
    dimensions = {}
    for key, value in spec["dimensions"].items():
        if value.startswith("var."):
            variable = value.removeprefix("var.")
            if variable not in names:
                raise KeyError(f"{spec['alarm_name']}: no local value for {value}")
            value = names[variable]
        dimensions[key] = value
    ns = namespace if spec["namespace"] == "custom" else spec["namespace"]
    return {
        **spec,
        **numbers,
        "description": description,
        "namespace": ns,
        "dimensions": dimensions,
    }


def statistic_of(spec: Mapping[str, Any]) -> str:
    """The statistic or percentile (extended_statistic) a definition evaluates."""
    return str(spec.get("extended_statistic") or spec["statistic"])


# ---- EMF -> CloudWatch ----------------------------------------------------------------


def emf_metric_data(record: Mapping[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(namespace, MetricData) pairs of one EMF record; [] if it is not EMF."""
    aws = record.get("_aws")
    if not isinstance(aws, Mapping):
        return []
    stamp = datetime.fromtimestamp(aws.get("Timestamp", 0) / 1000, UTC)
    result = []
    for directive in aws.get("CloudWatchMetrics", []):
        data = []
        for dimension_set in directive.get("Dimensions", []) or [[]]:
            dimensions = [{"Name": name, "Value": str(record[name])} for name in dimension_set]
            for metric in directive.get("Metrics", []):
                values = record.get(metric["Name"])
                for value in values if isinstance(values, list) else [values]:
                    if isinstance(value, int | float):
                        data.append(
                            {
                                "MetricName": metric["Name"],
                                "Dimensions": dimensions,
                                "Timestamp": stamp,
                                "Value": float(value),
                                "Unit": metric.get("Unit", "None"),
                            }
                        )
        if data:
            result.append((directive["Namespace"], data))
    return result


class EmfForwarder:
    """A stdout stand-in: writes through, and forwards each complete EMF line."""

    def __init__(self, stream: TextIO, cloudwatch: Any) -> None:
        self.stream = stream
        self.cloudwatch = cloudwatch
        self._buffer = ""
        self._lock = threading.Lock()
        self.forwarded = 0

    def write(self, text: str) -> int:
        written = self.stream.write(text)
        with self._lock:
            self._buffer += text
            lines = self._buffer.split("\n")
            self._buffer = lines.pop()
        for line in lines:
            if '"_aws"' in line:
                self._forward(line)
        return written

    def _forward(self, line: str) -> None:
        try:
            record = json.loads(line)
            for namespace, data in emf_metric_data(record):
                for start in range(0, len(data), 1000):
                    self.cloudwatch.put_metric_data(
                        Namespace=namespace, MetricData=data[start : start + 1000]
                    )
                self.forwarded += len(data)
        except Exception as error:  # a metric lost locally must never break a handler
            self.stream.write(f"emf forwarder: {type(error).__name__}: {error}\n")

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


# ---- what the AWS services publish ----------------------------------------------------


class ServiceMetrics:
    """What API Gateway and Lambda publish about the requests and invocations they serve
    (AWS/ApiGateway Count, 4xx, 5xx, Latency; AWS/Lambda Invocations, Errors, Duration),
    for the local stack, which serves them in-process. Recorded as they happen, put into
    moto's CloudWatch aggregated per flush (StatisticValues, as CloudWatch stores them)."""

    def __init__(self, cloudwatch: Any, api_id: str = LOCAL_API_ID, stage: str = LOCAL_API_STAGE):
        self.cloudwatch = cloudwatch
        self.api_dimensions = (("ApiId", api_id), ("Stage", stage))
        self._lock = threading.Lock()
        self._pending: list[tuple[str, tuple[tuple[str, str], ...], str, str, float]] = []

    def _record(
        self, namespace: str, dimensions: tuple[tuple[str, str], ...], values: Mapping[str, float],
        units: Mapping[str, str],
    ) -> None:  # fmt: skip
        with self._lock:
            for name, value in values.items():
                self._pending.append((namespace, dimensions, name, units.get(name, "Count"), value))

    def api_request(self, status: int, latency_ms: float) -> None:
        self._record(
            "AWS/ApiGateway",
            self.api_dimensions,
            {
                "Count": 1.0,
                "4xx": float(400 <= status < 500),
                "5xx": float(status >= 500),
                "Latency": latency_ms,
            },
            {"Latency": "Milliseconds"},
        )

    def lambda_invocation(self, function_name: str, duration_ms: float, error: bool) -> None:
        self._record(
            "AWS/Lambda",
            (("FunctionName", function_name),),
            {"Invocations": 1.0, "Errors": float(error), "Duration": duration_ms},
            {"Duration": "Milliseconds"},
        )

    def flush(self, now: datetime | None = None) -> int:
        """Put what was recorded since the last flush; returns the number of data put."""
        with self._lock:
            pending, self._pending = self._pending, []
        groups: dict[tuple[str, tuple[tuple[str, str], ...], str, str], list[float]] = {}
        for namespace, dimensions, name, unit, value in pending:
            groups.setdefault((namespace, dimensions, name, unit), []).append(value)
        stamp = now or datetime.now(UTC)
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for (namespace, dimensions, name, unit), values in groups.items():
            by_namespace.setdefault(namespace, []).append(
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions],
                    "Timestamp": stamp,
                    "StatisticValues": {
                        "SampleCount": float(len(values)),
                        "Sum": float(sum(values)),
                        "Minimum": float(min(values)),
                        "Maximum": float(max(values)),
                    },
                    "Unit": unit,
                }
            )
        for namespace, data in by_namespace.items():
            for start in range(0, len(data), 1000):
                self.cloudwatch.put_metric_data(
                    Namespace=namespace, MetricData=data[start : start + 1000]
                )
        return len(groups)


_service_metrics: ServiceMetrics | None = None


def service_metrics() -> ServiceMetrics | None:
    """The running local stack's ServiceMetrics (None without the alarms component)."""
    return _service_metrics


def timed_invocation(function_name: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a handler as the Lambda service would, recording Invocations, Errors and
    Duration for it when the local stack's alarms component runs."""
    started = time.perf_counter()
    failed = True
    try:
        result = call(*args, **kwargs)
        failed = False
        return result
    finally:
        sink = _service_metrics
        if sink is not None:
            sink.lambda_invocation(function_name, (time.perf_counter() - started) * 1000, failed)


# ---- evaluation -------------------------------------------------------------------------


class AlarmEvaluator:
    def __init__(
        self,
        cloudwatch: Any,
        sns: Any,
        topic_arn: str,
        names: Mapping[str, str],
        state_dir: Path,
        period_seconds: float = DEFAULT_LOCAL_PERIOD_SECONDS,
        namespace: str = METRICS_NAMESPACE,
        sqs: Any = None,
        queue_urls: tuple[str, ...] = (),
        definitions: dict[str, dict[str, Any]] | None = None,
        parameters: Mapping[str, float] | None = None,
        service: ServiceMetrics | None = None,
        schedule_seconds: float = 0.0,
    ) -> None:
        self.cloudwatch = cloudwatch
        # An hourly period on AWS is one ETL schedule period; locally the ETL runs every
        # schedule_seconds, so such a period is never shorter than that (else a slow local
        # cadence would leave periods empty and flap data-freshness).
        self.schedule_seconds = schedule_seconds
        self.service = service
        self.sns = sns
        self.sqs = sqs
        self.queue_urls = queue_urls
        self.topic_arn = topic_arn
        self.state_dir = state_dir
        self.period_seconds = period_seconds
        self.alarms = {
            name: resolve(spec, names, namespace, parameters)
            for name, spec in (definitions or load_definitions()).items()
        }
        self.states: dict[str, str] = {}
        # Missing periods count from the evaluator's start only: a stack that has just
        # started has not missed its loads yet (breaching-on-missing alarms, freshness).
        self.started_at = datetime.now(UTC)

    def create(self) -> None:
        """The alarms in moto (so describe_alarms and `clickstream status` see them): OK,
        or INSUFFICIENT_DATA with the reason for an alarm that only AWS can evaluate."""
        for name, spec in self.alarms.items():
            statistic = (
                {"ExtendedStatistic": spec["extended_statistic"]}
                if spec.get("extended_statistic")
                else {"Statistic": spec["statistic"]}
            )
            self.cloudwatch.put_metric_alarm(
                AlarmName=ALARM_PREFIX + name,
                AlarmDescription=spec["description"],
                Namespace=spec["namespace"],
                MetricName=spec["metric_name"],
                Dimensions=[{"Name": k, "Value": v} for k, v in spec["dimensions"].items()],
                **statistic,
                Period=int(spec["period"]),
                EvaluationPeriods=int(spec["evaluation_periods"]),
                Threshold=float(spec["threshold"]),
                ComparisonOperator=spec["comparison_operator"],
                TreatMissingData=spec["treat_missing_data"],
                AlarmActions=[self.topic_arn],
                OKActions=[self.topic_arn],
            )
            if spec.get("aws_only"):
                self.cloudwatch.set_alarm_state(
                    AlarmName=ALARM_PREFIX + name,
                    StateValue="INSUFFICIENT_DATA",
                    StateReason=f"AWS only, not evaluated locally: {spec['aws_only']}",
                )
                continue
            self.cloudwatch.set_alarm_state(
                AlarmName=ALARM_PREFIX + name,
                StateValue="OK",
                StateReason="local stack started",
            )
            self.states[name] = "OK"

    def publish_queue_depths(self, now: datetime) -> None:
        """What AWS/SQS publishes every minute, from the queues' attributes."""
        if self.sqs is None:
            return
        for url in self.queue_urls:
            visible = self.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            self.cloudwatch.put_metric_data(
                Namespace="AWS/SQS",
                MetricData=[
                    {
                        "MetricName": "ApproximateNumberOfMessagesVisible",
                        "Dimensions": [{"Name": "QueueName", "Value": url.rsplit("/", 1)[-1]}],
                        "Timestamp": now,
                        "Value": float(visible),
                        "Unit": "Count",
                    }
                ],
            )

    def evaluate(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Evaluate every alarm once; return the state changes (each also published)."""
        now = now or datetime.now(UTC)
        if self.service is not None:
            self.service.flush(now)
        self.publish_queue_depths(now)
        changes = []
        for name, spec in self.alarms.items():
            if spec.get("aws_only"):
                continue
            state, reason = self._state(spec, now)
            if state == self.states.get(name):
                continue
            old = self.states.get(name, "INSUFFICIENT_DATA")
            self.states[name] = state
            self.cloudwatch.set_alarm_state(
                AlarmName=ALARM_PREFIX + name, StateValue=state, StateReason=reason
            )
            changes.append(self._notify(name, spec, old, state, reason, now))
        return changes

    def _state(self, spec: Mapping[str, Any], now: datetime) -> tuple[str, str]:
        period = max(1, int(min(float(spec["period"]), self.period_seconds)))
        if float(spec["period"]) >= HOURLY_SECONDS:
            period = max(period, int(self.schedule_seconds))
        periods = int(spec["evaluation_periods"])
        statistic = statistic_of(spec)
        extended = bool(spec.get("extended_statistic"))
        points = self.cloudwatch.get_metric_statistics(
            Namespace=spec["namespace"],
            MetricName=spec["metric_name"],
            Dimensions=[{"Name": k, "Value": v} for k, v in spec["dimensions"].items()],
            StartTime=now - timedelta(seconds=period * periods),
            # moto truncates EndTime to the second and excludes it: data of this very
            # second (a flush just before the evaluation) still counts, as on AWS.
            EndTime=now + timedelta(seconds=1),
            Period=period,
            **({"ExtendedStatistics": [statistic]} if extended else {"Statistics": [statistic]}),
        )["Datapoints"]
        compare = COMPARISONS[spec["comparison_operator"]]
        threshold = float(spec["threshold"])
        values = [
            float(p["ExtendedStatistics"][statistic] if extended else p[statistic])
            for p in points
            if statistic in (p.get("ExtendedStatistics", {}) if extended else p)
        ]
        breaching = sum(1 for v in values if compare(v, threshold))
        elapsed = int(max(0.0, (now - self.started_at).total_seconds()) // period)
        missing = max(0, min(periods, elapsed) - len(values))
        if spec["treat_missing_data"] == "breaching":
            breaching += missing
        shown = ", ".join(f"{v:g}" for v in values) or "no data"
        verdict = "ALARM" if breaching >= periods else "OK"
        reason = (
            f"Threshold Crossed: {statistic} of {spec['metric_name']} over the last"
            f" {periods} period(s) of {period} s [{shown}] was"
            f" {'' if verdict == 'ALARM' else 'not '}{spec['comparison_operator']} {threshold:g}"
        )
        return verdict, reason

    def _notify(
        self, name: str, spec: Mapping[str, Any], old: str, new: str, reason: str, now: datetime
    ) -> dict[str, Any]:
        message = {
            "AlarmName": ALARM_PREFIX + name,
            "AlarmDescription": spec["description"],
            "NewStateValue": new,
            "OldStateValue": old,
            "NewStateReason": reason,
            "StateChangeTime": now.isoformat(),
            "Trigger": {
                "MetricName": spec["metric_name"],
                "Namespace": spec["namespace"],
                "Statistic": statistic_of(spec).upper(),
                "Threshold": spec["threshold"],
                "ComparisonOperator": spec["comparison_operator"],
                "TreatMissingData": spec["treat_missing_data"],
            },
        }
        subject = f'{new}: "{ALARM_PREFIX}{name}" (local)'
        entry: dict[str, Any] = {"subject": subject, **message}
        try:
            entry["message_id"] = self.sns.publish(
                TopicArn=self.topic_arn, Subject=subject, Message=json.dumps(message)
            )["MessageId"]
        except Exception as error:
            entry["publish_error"] = str(error)
            logger.error("alarm notification not published", alarm=name, error=str(error))
        with (self.state_dir / NOTIFICATIONS_FILE).open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        logger.info("alarm state changed", alarm=name, old=old, new=new)
        return entry


def local_names(env: Mapping[str, str]) -> dict[str, str]:
    """The local stack's resources for each `var.NAME` of the definitions."""
    queue = lambda key, default: (env.get(key) or default).rsplit("/", 1)[-1]  # noqa: E731
    return {
        "ingest_function_name": "clickstream-local-ingest",
        "etl_function_name": "clickstream-local-etl",
        "compact_function_name": "clickstream-local-compact",
        "schedule_group_name": "clickstream-local",
        "ingest_dlq_name": queue("DLQ_URL", "clickstream-local-ingest-dlq"),
        "ingest_parking_queue_name": queue("PARKING_QUEUE_URL", "clickstream-local-ingest-parking"),
        "schedule_dlq_name": "clickstream-local-schedule-dlq",
        "api_id": LOCAL_API_ID,
        "api_stage": LOCAL_API_STAGE,
        "warehouse_instance_id": "local-warehouse",
        "delivery_stream_name": env.get("DELIVERY_STREAM_NAME") or "clickstream-local-raw-buffer",
    }


class AlarmsComponent:
    """The EMF forwarder on stdout and the evaluator on its own schedule."""

    name = "alarms"

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.evaluator: AlarmEvaluator | None = None
        self._original_stdout: TextIO | None = None

    def start(self, settings: Any, env: dict[str, str]) -> dict[str, str]:
        import sys

        import boto3

        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        )
        endpoint = env["AWS_ENDPOINT_URL"]
        cloudwatch = session.client("cloudwatch", endpoint_url=endpoint)
        # As on AWS, the alarms notify the one alert topic the ETL also publishes to.
        topic_arn = env["SNS_TOPIC_ARN"]
        period = float(os.environ.get("LOCAL_ALARM_PERIOD_SECONDS") or DEFAULT_LOCAL_PERIOD_SECONDS)
        self.evaluator = AlarmEvaluator(
            cloudwatch,
            session.client("sns", endpoint_url=endpoint),
            topic_arn,
            local_names(env),
            settings.state_dir,
            period_seconds=period,
            namespace=env.get("METRICS_NAMESPACE") or METRICS_NAMESPACE,
            sqs=session.client("sqs", endpoint_url=endpoint),
            queue_urls=tuple(u for u in (env.get("DLQ_URL"), env.get("PARKING_QUEUE_URL")) if u),
            parameters=alarm_parameters(env),
            service=ServiceMetrics(cloudwatch),
            schedule_seconds=float(settings.etl_interval_seconds),
        )
        self.evaluator.create()
        global _service_metrics
        _service_metrics = self.evaluator.service
        self._original_stdout = sys.stdout
        sys.stdout = EmfForwarder(sys.stdout, cloudwatch)
        interval = max(1.0, min(settings.etl_interval_seconds, period / 2))
        self.thread = threading.Thread(
            target=self._loop, args=(interval,), daemon=True, name="alarm-evaluator"
        )
        self.thread.start()
        return {"ALERTS_TOPIC_ARN": topic_arn, "LOCAL_ALARM_PERIOD_SECONDS": f"{period:g}"}

    def _loop(self, interval: float) -> None:
        assert self.evaluator is not None
        while not self.stopping.wait(interval):
            try:
                self.evaluator.evaluate()
            except Exception:
                logger.exception("alarm evaluation failed")

    def stop(self) -> None:
        import sys

        global _service_metrics
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
            self.thread = None
        _service_metrics = None
        if self._original_stdout is not None:
            sys.stdout = self._original_stdout
            self._original_stdout = None
