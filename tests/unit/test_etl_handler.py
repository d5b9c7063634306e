"""Event parsing, hour parsing, settings and migration files of the ETL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clickstream.etl import migrations
from clickstream.etl.config import ConfigError, EtlSettings
from clickstream.etl.handler import request_from_event
from clickstream.etl.hours import parse_hour
from clickstream.etl.loader import RunSummary
from clickstream.local.scheduler import scheduled_event
from clickstream.observability import SPARSE_METRICS, add_count_when_nonzero, get_metrics


def test_the_scheduler_input_is_a_scheduled_run():
    request = request_from_event(scheduled_event())
    assert (request.mode, request.trigger) == ("run", "schedule")


def test_an_eventbridge_envelope_with_a_backfill_detail():
    request = request_from_event(
        {
            "detail-type": "Scheduled Event",
            "detail": '{"mode": "backfill", "from": "2026-11-28T01", "to": "2026-11-28T03:30"}',
        }
    )
    assert request.mode == "backfill"
    assert request.first_hour == datetime(2026, 11, 28, 1, tzinfo=UTC)
    assert request.last_hour == datetime(2026, 11, 28, 3, tzinfo=UTC)


def test_unknown_modes_and_backwards_ranges_are_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        request_from_event({"mode": "everything"})
    with pytest.raises(ValueError, match="must not be after"):
        request_from_event({"mode": "backfill", "from": "2026-11-28T05", "to": "2026-11-28T01"})


@pytest.mark.parametrize(
    ("text", "hour"),
    [
        ("2026-11-28T13", datetime(2026, 11, 28, 13, tzinfo=UTC)),
        ("2026-11-28", datetime(2026, 11, 28, 0, tzinfo=UTC)),
        ("2026-11-28T13:45:10Z", datetime(2026, 11, 28, 13, tzinfo=UTC)),
        ("2026-11-28T15:10+02:00", datetime(2026, 11, 28, 13, tzinfo=UTC)),
    ],
)
def test_parse_hour(text, hour):
    assert parse_hour(text) == hour


def test_parse_hour_refuses_nonsense():
    with pytest.raises(ValueError, match="is not an hour"):
        parse_hour("yesterday")


def test_settings_need_a_bucket_and_a_database():
    with pytest.raises(ConfigError, match="RAW_BUCKET"):
        EtlSettings.from_env({})
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        EtlSettings.from_env({"RAW_BUCKET": "b"})
    with pytest.raises(ConfigError, match="ETL_GRACE_HOURS='two' is not an integer"):
        EtlSettings.from_env({"RAW_BUCKET": "b", "DATABASE_URL": "x", "ETL_GRACE_HOURS": "two"})
    settings = EtlSettings.from_env(
        {"RAW_BUCKET": "b", "DATABASE_URL_PARAM": "/p", "ETL_TIME_BUDGET_SECONDS": "60"}
    )
    assert (settings.grace_hours, settings.time_budget_seconds) == (2, 60.0)


def test_the_repository_migrations_parse_in_order():
    loaded = migrations.load_migrations()
    versions = [m.version for m in loaded]
    assert versions == sorted(versions) and len(versions) >= 2
    assert all(m.up_sql and m.down_sql for m in loaded)


def test_malformed_migration_files_are_refused(tmp_path: Path):
    bad_name = tmp_path / "001_x.sql"
    bad_name.write_text("-- migrate:up\n-- migrate:down\n")
    with pytest.raises(migrations.MigrationError, match="14-digit"):
        migrations.load_migrations(tmp_path)
    bad_name.unlink()
    (tmp_path / "20260101000000_no_down.sql").write_text("-- migrate:up\nselect 1;\n")
    with pytest.raises(migrations.MigrationError, match="exactly one"):
        migrations.load_migrations(tmp_path)


def test_settings_for_quarantine_event_time_window_and_compaction():
    base = {"RAW_BUCKET": "b", "DATABASE_URL": "x"}
    defaults = EtlSettings.from_env(base)
    assert defaults.max_object_attempts == 3
    assert defaults.window.max_ahead.total_seconds() == 86400
    assert defaults.window.max_behind.total_seconds() == 2592000
    assert (defaults.compact_max_hours, defaults.compact_target_mb) == (48, 64)
    assert defaults.compact_lookback_days == 7
    custom = EtlSettings.from_env(
        {
            **base,
            "ETL_MAX_OBJECT_ATTEMPTS": "5",
            "EVENT_TIME_MAX_AHEAD_SECONDS": "60",
            "EVENT_TIME_MAX_BEHIND_SECONDS": "3600",
            "COMPACT_MAX_HOURS": "2",
            "COMPACT_TARGET_MB": "8",
            "COMPACT_LOOKBACK_DAYS": "3",
        }
    )
    assert custom.max_object_attempts == 5
    assert (custom.window.max_ahead.total_seconds(), custom.window.max_behind.total_seconds()) == (
        60,
        3600,
    )
    assert (custom.compact_max_hours, custom.compact_target_mb, custom.compact_lookback_days) == (
        2,
        8,
        3,
    )
    with pytest.raises(ConfigError, match="ETL_MAX_OBJECT_ATTEMPTS=0 must be at least 1"):
        EtlSettings.from_env({**base, "ETL_MAX_OBJECT_ATTEMPTS": "0"})


@pytest.mark.parametrize(
    ("code", "status", "transient"),
    [
        ("SlowDown", 503, True),
        ("AccessDenied", 403, True),
        ("KMS.DisabledException", 400, True),
        ("InternalError", 500, True),
        ("NoSuchKey", 404, False),
        ("InvalidObjectState", 403, False),
    ],
)
def test_which_s3_errors_fail_the_run_instead_of_counting_against_the_object(
    code, status, transient
):
    from types import SimpleNamespace

    from botocore.exceptions import ClientError

    from clickstream.etl import object_load

    error = ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetObject",
    )
    assert object_load.is_transient(error, SimpleNamespace(closed=0)) is transient
    assert object_load.is_transient(RuntimeError("bug"), SimpleNamespace(closed=0)) is False


def flushed_emf(summary: Any, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    from clickstream.etl import run_metrics

    run_metrics.metrics.clear_metrics()
    capsys.readouterr()
    run_metrics.emit_metrics(summary)
    run_metrics.metrics.flush_metrics()
    [emf] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    return dict(emf)


def test_a_clean_run_sends_progress_and_freshness_but_no_failure_counter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = RunSummary(
        run_id="r1", trigger="schedule", mode="run", status="succeeded",
        rows_inserted=40, objects_loaded=2, lag_seconds=90.0,
    )  # fmt: skip
    emf = flushed_emf(summary, capsys)
    declared = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert declared == {
        "EtlRowsInserted", "EtlObjectsLoaded", "EtlBacklogObjects", "EtlDurationSeconds",
        "EtlLagSeconds", "DataFreshnessMinutes",
    }  # fmt: skip
    assert (emf["EtlRowsInserted"], emf["EtlBacklogObjects"], emf["DataFreshnessMinutes"]) == (
        [40.0],
        [0.0],
        [0.0],
    )  # zeros of always-on metrics are sent
    assert not set(SPARSE_METRICS) & set(emf)


def test_a_failed_run_sends_its_failure_counters_and_no_freshness(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = RunSummary(
        run_id="r2", trigger="schedule", mode="run", status="failed",
        rows_rejected=3, objects_quarantined=1, objects_failed=2,
    )  # fmt: skip
    emf = flushed_emf(summary, capsys)
    assert (emf["EtlFailed"], emf["EtlRowsRejected"], emf["QuarantinedObjects"]) == (
        [1.0],
        [3.0],
        [1.0],
    )
    assert emf["EtlObjectsFailed"] == [2.0]
    assert "EtlRowsDuplicate" not in emf  # zero
    assert "DataFreshnessMinutes" not in emf  # only after a good run


def test_the_sparse_helper_refuses_a_name_outside_the_registry() -> None:
    metrics = get_metrics("test")
    with pytest.raises(ValueError, match="SPARSE_METRICS"):
        add_count_when_nonzero(metrics, "EventsAccepted", 1)
    add_count_when_nonzero(metrics, "EtlFailed", 0)
    assert metrics.metric_set == {}
    add_count_when_nonzero(metrics, "EtlFailed", 1)
    assert set(metrics.metric_set) == {"EtlFailed"}
    metrics.clear_metrics()
