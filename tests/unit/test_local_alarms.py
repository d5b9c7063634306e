"""The shared alarm definitions resolve everywhere, every alarm Terraform creates is one of
them, EMF records and the local AWS services' requests become metric data."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clickstream.local import alarms as local_alarms
from clickstream.local.alarms import (
    ALARM_PREFIX,
    COMPARISONS,
    DEFINITIONS_PATH,
    GROUPS,
    AlarmEvaluator,
    ServiceMetrics,
    alarm_parameters,
    emf_metric_data,
    load_definitions,
    local_names,
    resolve,
)
from tests.unit.test_infra_agreement import expression, locals_of, resources

MONITORING = DEFINITIONS_PATH.parent
ALARMS_TF = MONITORING / "alarms.tf"
# Every argument of an alarm that says what it watches and when it fires.
DEFINING_ARGUMENTS = (
    "namespace", "metric_name", "dimensions", "statistic", "period", "evaluation_periods",
    "threshold", "comparison_operator", "treat_missing_data",
)  # fmt: skip


def referenced_variables() -> set[str]:
    return {
        value.removeprefix("var.")
        for spec in load_definitions().values()
        for value in spec["dimensions"].values()
        if value.startswith("var.")
    }


def test_every_variable_a_definition_names_resolves_in_terraform_and_locally() -> None:
    block = ALARMS_TF.read_text().split("dimension_values = {")[1].split("}")[0]
    in_terraform = set(re.findall(r"(\w+)\s*=\s*var\.\1\b", block))
    assert referenced_variables() <= in_terraform
    names = local_names({"DLQ_URL": "http://x/000/q-dlq"})
    for spec in load_definitions().values():
        resolved = resolve(spec, names, "Clickstream")
        assert not any(v.startswith("var.") for v in resolved["dimensions"].values())
    assert resolve(load_definitions()["ingest-dlq-depth"], names, "X")["dimensions"] == {
        "QueueName": "q-dlq"
    }
    assert resolve(load_definitions()["etl-failed"], names, "Clickstream")["namespace"] == (
        "Clickstream"
    )


def test_every_definition_is_complete_and_evaluable() -> None:
    definitions = load_definitions()
    assert {
        "etl-failed", "ingest-dlq-depth", "ingest-parking-depth", "api-5xx", "api-latency-p95",
        "etl-duration", "data-freshness", "warehouse-status-check",
    } <= set(definitions)  # fmt: skip
    parameters = alarm_parameters({})
    for spec in definitions.values():
        assert spec["comparison_operator"] in COMPARISONS
        assert spec["treat_missing_data"] in {"notBreaching", "breaching"}
        # exactly one of statistic and extended_statistic (a percentile), as CloudWatch wants
        assert ("statistic" in spec) != ("extended_statistic" in spec), spec["alarm_name"]
        if "statistic" in spec:
            assert spec["statistic"] in {"Sum", "Maximum", "Minimum"}
        else:
            assert re.fullmatch(r"p\d{1,2}(\.\d+)?", spec["extended_statistic"])
        assert spec["period"] >= 60
        for field in ("threshold", "evaluation_periods"):
            value = spec[field]
            assert isinstance(value, int) or value in parameters, (spec["alarm_name"], field)
        if "aws_only" in spec:
            assert len(spec["aws_only"]) > 40, "an AWS-only alarm says why"


def test_named_thresholds_resolve_in_terraform_and_locally_from_the_same_defaults() -> None:
    """Every "var.NAME"/"local.NAME" a definition names is in alarms.tf's
    local.alarm_parameters, and locally takes variables.tf's default."""
    named = {
        spec[field]
        for spec in load_definitions().values()
        for field in ("threshold", "evaluation_periods")
        if isinstance(spec[field], str)
    }
    in_terraform = {
        key.strip('"') for key in locals_of(MONITORING)["alarm_parameters"]
    }  # fmt: skip
    assert named == {
        "var.api_5xx_threshold", "var.api_latency_p95_ms", "var.freshness_threshold_minutes",
        "local.etl_duration_threshold_ms", "local.freshness_evaluation_periods",
    }  # fmt: skip
    assert named <= in_terraform
    for variable in (n.removeprefix("var.") for n in named if n.startswith("var.")):
        assert f"var.{variable}" in expression(
            locals_of(MONITORING)["alarm_parameters"][f'"var.{variable}"']
        )
    # the values the Terraform test (tests/monitoring.tftest.hcl) expects with the defaults
    assert alarm_parameters({}) == {
        "var.api_5xx_threshold": 1,
        "var.api_latency_p95_ms": 1000,
        "var.freshness_threshold_minutes": 120,
        "local.etl_duration_threshold_ms": 480000,
        "local.freshness_evaluation_periods": 2,
    }
    # the local freshness objective, the one `clickstream status` holds the data to
    local = alarm_parameters({"FRESHNESS_OBJECTIVE_MINUTES": "360"})
    assert local["var.freshness_threshold_minutes"] == 360
    assert local["local.freshness_evaluation_periods"] == 6
    freshness = resolve(load_definitions()["data-freshness"], local_names({}), "Clickstream", local)
    assert freshness["threshold"] == 360 and freshness["evaluation_periods"] == 6
    assert "360 minutes" in freshness["description"] and "{" not in freshness["description"]
    with pytest.raises(KeyError, match="no local value for threshold"):
        resolve(
            {**load_definitions()["api-5xx"], "threshold": "var.nope"}, local_names({}), "X", local
        )


def test_every_terraform_alarm_is_a_definition_of_alarm_definitions_json() -> None:
    """No hand-written alarm: every aws_cloudwatch_metric_alarm of the module iterates over
    one group of alarm_definitions.json and takes every defining argument from it, and
    every group has its resource."""
    document = json.loads(DEFINITIONS_PATH.read_text())
    groups = {key for key in document if not key.startswith("_")}
    assert groups == set(GROUPS)
    resolved = expression(locals_of(MONITORING)["resolved_alarms"])
    assert "local.definitions[g]" in resolved
    assert set(re.findall(r'"(\w+)"', resolved.split("]")[0])) == groups
    alarms = resources(MONITORING, "aws_cloudwatch_metric_alarm")
    assert set(alarms) == {"occurrence", "dlq_depth", "health"}
    covered = set()
    for name, spec in alarms.items():
        assert "count" not in spec, name
        source = re.match(r"\{for k, v in local\.(\w+) :", expression(spec["for_each"]))
        assert source, f"{name} does not iterate over a map of definitions"
        group = re.fullmatch(
            r"local\.resolved_alarms\.(\w+)", expression(locals_of(MONITORING)[source.group(1)])
        )
        assert group and group.group(1) in groups, name
        covered.add(group.group(1))
        for argument in DEFINING_ARGUMENTS:
            assert expression(spec[argument]) == f"each.value.{argument}", (name, argument)
        assert expression(spec.get("extended_statistic", "each.value.extended_statistic")) == (
            "each.value.extended_statistic"
        )
    assert covered == groups
    # no alarm resource anywhere else in the module
    for tf in MONITORING.glob("*.tf"):
        if tf != ALARMS_TF:
            assert 'resource "aws_cloudwatch_metric_alarm"' not in tf.read_text(), tf.name
    # a former resource address is moved, not destroyed and recreated
    text = ALARMS_TF.read_text()
    for key in document["health"]:
        assert f'to   = aws_cloudwatch_metric_alarm.health["{key}"]' in text


def test_a_powertools_emf_record_becomes_metric_data_per_dimension_set() -> None:
    record = {
        "_aws": {
            "Timestamp": 1764600000000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Clickstream",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": "EtlFailed", "Unit": "Count"}],
                }
            ],
        },
        "service": "etl",
        "EtlFailed": [1.0],
    }
    [(namespace, data)] = emf_metric_data(record)
    assert namespace == "Clickstream"
    assert data[0]["MetricName"] == "EtlFailed" and data[0]["Value"] == 1.0
    assert data[0]["Dimensions"] == [{"Name": "service", "Value": "etl"}]
    assert emf_metric_data({"level": "INFO", "message": "not emf"}) == []


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sns = boto3.client("sns")
        yield {
            "cloudwatch": boto3.client("cloudwatch"),
            "sns": sns,
            "topic": sns.create_topic(Name="alerts")["TopicArn"],
            "state_dir": tmp_path,
        }


def evaluator(aws: dict[str, Any], *names: str, **kwargs: Any) -> AlarmEvaluator:
    definitions = {n: s for n, s in load_definitions().items() if n in names}
    return AlarmEvaluator(
        aws["cloudwatch"], aws["sns"], aws["topic"], local_names({}), aws["state_dir"],
        definitions=definitions, parameters=alarm_parameters({}), **kwargs,
    )  # fmt: skip


def test_an_aws_only_alarm_is_created_with_its_reason_and_never_evaluated(aws) -> None:
    # Given the host status check, whose metric only EC2 publishes
    alarms = evaluator(aws, "warehouse-status-check", "api-latency-p95")
    # When the local stack creates and evaluates the alarms, long after their periods
    alarms.create()
    changes = alarms.evaluate(datetime.now(UTC) + timedelta(hours=2))
    # Then they stay INSUFFICIENT_DATA with the definition's reason, and nothing notifies
    assert changes == []
    found = aws["cloudwatch"].describe_alarms(AlarmNamePrefix=ALARM_PREFIX)["MetricAlarms"]
    states = {a["AlarmName"]: (a["StateValue"], a["StateReason"]) for a in found}
    state, reason = states[ALARM_PREFIX + "warehouse-status-check"]
    assert state == "INSUFFICIENT_DATA" and reason.startswith("AWS only")
    assert "EC2" in reason
    latency = states[ALARM_PREFIX + "api-latency-p95"]
    assert latency[0] == "INSUFFICIENT_DATA" and "percentile" in latency[1]
    assert [a["ExtendedStatistic"] for a in found if "latency" in a["AlarmName"]] == ["p95"]


def test_local_api_requests_become_api_gateway_metrics_and_a_5xx_fires_api_5xx(aws) -> None:
    # Given the local services' metrics and the api-5xx definition
    service = ServiceMetrics(aws["cloudwatch"])
    alarms = evaluator(aws, "api-5xx", "ingest-errors", service=service, period_seconds=60)
    alarms.create()
    # When the gateway answers one 202 and one 500 and the Lambda raised once
    service.api_request(202, 12.5)
    service.api_request(500, 40.0)
    service.lambda_invocation("clickstream-local-ingest", 30.0, error=True)
    changes = alarms.evaluate()
    # Then CloudWatch holds what API Gateway and Lambda publish, by ApiId and Stage
    cloudwatch = aws["cloudwatch"]
    window = {"StartTime": datetime.now(UTC) - timedelta(minutes=5), "EndTime": datetime.now(UTC) + timedelta(minutes=1), "Period": 300}  # fmt: skip
    api = [{"Name": "ApiId", "Value": "local"}, {"Name": "Stage", "Value": "$default"}]

    def stat(namespace: str, metric: str, statistic: str, dimensions: list[Any]) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace=namespace, MetricName=metric, Dimensions=dimensions,
            Statistics=[statistic], **window,
        )["Datapoints"]  # fmt: skip
        return float(sum(p[statistic] for p in points))

    assert stat("AWS/ApiGateway", "Count", "Sum", api) == 2
    assert stat("AWS/ApiGateway", "5xx", "Sum", api) == 1
    assert stat("AWS/ApiGateway", "4xx", "Sum", api) == 0
    assert stat("AWS/ApiGateway", "Latency", "Maximum", api) == 40.0
    function = [{"Name": "FunctionName", "Value": "clickstream-local-ingest"}]
    assert stat("AWS/Lambda", "Errors", "Sum", function) == 1
    # And api-5xx and ingest-errors went to ALARM, each notifying the topic once
    assert sorted((c["AlarmName"], c["NewStateValue"]) for c in changes) == [
        (ALARM_PREFIX + "api-5xx", "ALARM"),
        (ALARM_PREFIX + "ingest-errors", "ALARM"),
    ]
    assert all("message_id" in c for c in changes)


def test_timed_invocation_records_errors_only_while_the_alarms_component_runs(
    aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = ServiceMetrics(aws["cloudwatch"])

    def broken() -> None:
        raise RuntimeError("boom")

    # Without the alarms component nothing is recorded and the error still propagates
    with pytest.raises(RuntimeError):
        local_alarms.timed_invocation("f", broken)
    assert service.flush() == 0
    monkeypatch.setattr(local_alarms, "_service_metrics", service)
    with pytest.raises(RuntimeError):
        local_alarms.timed_invocation("f", broken)
    assert local_alarms.timed_invocation("f", lambda x: x + 1, 1) == 2
    # Invocations, Errors, Duration of one function: three aggregated data
    assert service.flush() == 3


def test_the_local_gateway_answers_500_when_the_handler_raises() -> None:
    from clickstream.local.api_gateway import LocalApiGateway

    def raising(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("integration failure")

    server = LocalApiGateway(raising, frozenset(), port=0)
    server.start()
    try:
        request = urllib.request.Request(server.url + "/v1/events", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=10)
        assert error.value.code == 500
        assert json.loads(error.value.read()) == {"message": "Internal Server Error"}
    finally:
        server.stop()


def test_an_hourly_period_is_never_shorter_than_the_local_etl_cadence(aws) -> None:
    # Given a local ETL that runs every 300 s, one minute periods, and a load 200 s ago
    alarms = evaluator(aws, "data-freshness", "ingest-dlq-depth", schedule_seconds=300)
    alarms.create()
    now = datetime.now(UTC)
    alarms.started_at = now - timedelta(hours=1)
    aws["cloudwatch"].put_metric_data(
        Namespace="Clickstream",
        MetricData=[
            {
                "MetricName": "DataFreshnessMinutes",
                "Dimensions": [{"Name": "service", "Value": "etl"}],
                "Timestamp": now - timedelta(seconds=200),
                "Value": 0.0,
            }
        ],
    )
    # Then freshness (hourly on AWS) waits two ETL periods, not two minutes: still OK
    assert alarms.evaluate(now) == []
    # And once two ETL periods pass without a load it pages
    later = alarms.evaluate(now + timedelta(seconds=500))
    assert [(c["AlarmName"], c["NewStateValue"]) for c in later] == [
        (ALARM_PREFIX + "data-freshness", "ALARM")
    ]


def test_every_alarm_without_a_local_metric_source_is_marked_aws_only() -> None:
    """The local stack publishes its own EMF metrics, AWS/SQS depths, AWS/ApiGateway for
    the API adapter and AWS/Lambda for the ingest and the ETL; anything else cannot fire
    locally and must say so instead of sitting in OK."""
    local_sources = {
        ("custom", None),
        ("AWS/SQS", None),
        ("AWS/ApiGateway", None),
        ("AWS/Lambda", "var.ingest_function_name"),
        ("AWS/Lambda", "var.etl_function_name"),
    }
    for name, spec in load_definitions().items():
        function = spec["dimensions"].get("FunctionName")
        sourced = (spec["namespace"], function) in local_sources or (
            spec["namespace"],
            None,
        ) in local_sources
        evaluable = (
            sourced and "extended_statistic" not in spec and spec["metric_name"] != "Throttles"
        )
        assert ("aws_only" in spec) == (not evaluable), name
