"""The compactor Lambda's own metrics: sparse counters, sent only when non-zero."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clickstream.etl import compact_handler
from clickstream.etl.compact import CompactionRun, CompactionSummary


def flushed(run: CompactionRun, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    compact_handler.metrics.clear_metrics()
    capsys.readouterr()
    compact_handler.emit_metrics(run)
    compact_handler.metrics.flush_metrics(raise_on_empty_metrics=False)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    return lines[0] if lines else {}


def test_a_run_that_merged_and_failed_counts_both(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a run that merged 5 objects in one hour, failed another, and left 2 undeleted
    hour = CompactionSummary(hour="2026-11-28T13:00:00+00:00", objects_merged=5)
    hour.delete_errors = [{"key": "a", "code": "x", "message": "m"}] * 2
    run = CompactionRun(hours=[hour], errors=[{"hour": "2026-11-28T14", "error": "boom"}])

    # When its metrics are flushed
    emf = flushed(run, capsys)

    # Then both counters carry their values under the compact service
    assert emf["CompactObjectsMerged"] == [5.0] or emf["CompactObjectsMerged"] == 5.0
    assert emf["CompactFailures"] == [3.0] or emf["CompactFailures"] == 3.0
    assert emf["service"] == "compact"


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_run_with_nothing_to_do_sends_no_datapoint(capsys: pytest.CaptureFixture[str]) -> None:
    assert flushed(CompactionRun(), capsys) == {}
