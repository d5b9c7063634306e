"""`clickstream alerts` against AWS (no local stack): alarm states from CloudWatch by the
stack's name prefix, and a plain word on where the notification history is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from clickstream import alerts
from clickstream.cli import main


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("cloudwatch")
        for name in (
            "clickstream-prod-api-5xx",
            "clickstream-prod-data-freshness",
            "other-app-cpu",
        ):
            client.put_metric_alarm(
                AlarmName=name, Namespace="X", MetricName="M", Statistic="Sum", Period=60,
                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
            )  # fmt: skip
        client.set_alarm_state(
            AlarmName="clickstream-prod-data-freshness", StateValue="ALARM", StateReason="stale"
        )
        yield client


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["alerts", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_alerts_on_aws_lists_the_stacks_alarms_and_says_where_history_is(
    cloudwatch: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    # Given an AWS account (no local stack state) and the ETL's ALARM_NAME_PREFIX
    monkeypatch.setenv("ALARM_NAME_PREFIX", "clickstream-prod-")
    # When the operator asks for the alerts as JSON
    code, out, _ = run(capsys, "--state-dir", str(tmp_path / "none"), "--json")
    # Then only the stack's alarms are listed, with their CloudWatch state
    assert code == 0
    result = json.loads(out)
    assert {a["name"]: a["state"] for a in result["alarms"]} == {
        "clickstream-prod-api-5xx": "OK",
        "clickstream-prod-data-freshness": "ALARM",
    }
    # And it says plainly that the notification history is not here (moto keeps no alarm
    # history, as an account whose history cannot be read)
    assert result["notifications"] == []
    assert result["notifications_source"].startswith(
        "the notification history is kept only by the local stack"
    )
    assert "describe_alarm_history" in result["notifications_source"]
    # And the readable form says the same, the firing alarm first
    code, out, _ = run(capsys, "--state-dir", str(tmp_path / "none"), "--prefix", "other-")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "1 alarms named other-*, 0 in ALARM"
    assert "kept only by the local stack" in out


def test_alerts_on_aws_reads_cloudwatch_alarm_history_when_there_is_one(cloudwatch: Any) -> None:
    # Given CloudWatch's answer to DescribeAlarmHistory (the real API's shape, checked by
    # botocore against the service model), newest first, with another app's alarm
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

    def item(name: str, old: str, new: str, minute: int) -> dict[str, Any]:
        data = {"oldState": {"stateValue": old}, "newState": {"stateValue": new, "stateReason": f"to {new}"}}  # fmt: skip
        return {
            "AlarmName": name, "AlarmType": "MetricAlarm", "HistoryItemType": "StateUpdate",
            "Timestamp": at.replace(minute=minute), "HistoryData": json.dumps(data),
            "HistorySummary": f"Alarm updated from {old} to {new}",
        }  # fmt: skip

    client = boto3.client("cloudwatch")
    stub = Stubber(client)
    stub.add_response(
        "describe_alarm_history",
        {
            "AlarmHistoryItems": [
                item("clickstream-prod-data-freshness", "ALARM", "OK", 30),
                item("other-app-cpu", "OK", "ALARM", 20),
                item("clickstream-prod-data-freshness", "OK", "ALARM", 10),
            ]
        },
    )
    # When the alerts are read without a local stack
    with stub:
        notes = alerts.history_notifications(client, "clickstream-prod-", 10, now=at)
    # Then the stack's state changes come oldest first, in the local notifications' shape
    assert [(n["AlarmName"], n["NewStateValue"], n["OldStateValue"]) for n in notes] == [
        ("clickstream-prod-data-freshness", "ALARM", "OK"),
        ("clickstream-prod-data-freshness", "OK", "ALARM"),
    ]
    assert notes[0]["subject"] == "Alarm updated from OK to ALARM"
    assert notes[0]["StateChangeTime"].startswith("2026-12-01T10:10")
    stub.assert_no_pending_responses()


def test_alerts_without_cloudwatch_exits_2_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    # Given an endpoint nothing listens on
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, _, err = run(capsys, "--state-dir", str(tmp_path))
    assert code == 2 and "cannot read alarms from CloudWatch" in err
