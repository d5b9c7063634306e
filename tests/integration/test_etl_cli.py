"""The operator commands, run as a user types them (subprocesses, real PostgreSQL and moto)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from clickstream.simulation.raw import SyntheticShop, write_objects
from tests.integration.conftest import REPO_ROOT_FOR_TESTS


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clickstream.cli", *args],
        cwd=REPO_ROOT_FOR_TESTS,
        env={**os.environ, **env, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def json_out(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout[result.stdout.index("{") :])


@pytest.mark.slow
def test_migrate_run_backfill_compact_and_status_from_the_command_line(
    warehouse_db, raw_bucket, moto_endpoint, tmp_path
):
    s3, bucket = raw_bucket
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    records = list(SyntheticShop(seed=61).events(500, hour, timedelta(minutes=30)))
    keys = write_objects(s3, bucket, records, events_per_object=50)
    env = {
        "RAW_BUCKET": bucket,
        "DATABASE_URL": warehouse_db.owner_url,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    state = ["--state-dir", str(tmp_path)]

    assert json_out(cli("migrate", *state, env=env)) == {"applied": []}
    run = json_out(cli("etl", "run", *state, env=env))
    assert run["status"] == "succeeded" and run["rows_inserted"] == len(records)
    backfill = json_out(
        cli("etl", "backfill", "--from", hour.strftime("%Y-%m-%dT%H"),
            "--to", hour.strftime("%Y-%m-%dT%H"), *state, env=env)
    )  # fmt: skip
    assert backfill["status"] == "succeeded" and backfill["rows_inserted"] == 0
    compacted = json_out(cli("compact", "--hour", hour.strftime("%Y-%m-%dT%H"), *state, env=env))
    assert compacted["objects_merged"] == len(keys)
    status = json_out(cli("status", "--json", *state, env=env))
    assert status["pending_objects"] == [] and status["failing_objects"] == []
    assert status["freshness"]["latest_status"] == "succeeded"
    assert [r["status"] for r in status["recent_runs"]][:2] == ["succeeded", "succeeded"]


@pytest.mark.slow
def test_bad_arguments_and_missing_settings_get_clear_errors(tmp_path, moto_endpoint):
    state = ["--state-dir", str(tmp_path)]
    clean_env = {"RAW_BUCKET": "", "DATABASE_URL": "", "DATABASE_URL_PARAM": ""}
    missing = cli("etl", "run", *state, env=clean_env)
    assert missing.returncode == 2 and "RAW_BUCKET is not set" in missing.stdout
    backwards = cli(
        "etl", "backfill", "--from", "2026-11-28T10", "--to", "2026-11-28T08", *state,
        env={"RAW_BUCKET": "b", "DATABASE_URL": "postgresql://x@127.0.0.1:9/x"},
    )  # fmt: skip
    assert backwards.returncode == 2 and "--from must not be after --to" in backwards.stdout
    not_an_hour = cli(
        "compact", "--hour", "yesterday", *state,
        env={"RAW_BUCKET": "b", "DATABASE_URL": "postgresql://x@127.0.0.1:9/x"},
    )  # fmt: skip
    assert not_an_hour.returncode == 2 and "is not an hour" in not_an_hour.stdout
    dead_db = cli(
        "etl", "run", *state,
        env={"RAW_BUCKET": "b", "DATABASE_URL": "postgresql://x:y@127.0.0.1:9/x"},
    )  # fmt: skip
    assert (
        dead_db.returncode == 1 and "cannot connect to PostgreSQL at 127.0.0.1:9" in dead_db.stdout
    )


@pytest.mark.slow
def test_status_reads_as_a_summary_prints_numbers_as_json_and_exits_by_the_objective(
    warehouse_db, raw_bucket, moto_endpoint, tmp_path
):
    # Given one loaded hour of events
    s3, bucket = raw_bucket
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_objects(s3, bucket, list(SyntheticShop(seed=62).events(120, hour, timedelta(minutes=20))))
    env = {
        "RAW_BUCKET": bucket,
        "DATABASE_URL": warehouse_db.owner_url,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    state = ["--state-dir", str(tmp_path)]
    assert cli("etl", "run", *state, env=env).returncode == 0

    # When the on-call engineer types `clickstream status`
    text = cli("status", *state, env=env)
    # Then a summary, not JSON, and exit 0 since the objective holds
    assert text.returncode == 0, text.stdout + text.stderr
    assert not text.stdout.lstrip().startswith("{")
    assert "freshness   OK: last successful load 0 min ago (objective 120 min)" in text.stdout
    assert "backlog     0 raw objects not loaded, 0 failing" in text.stdout
    assert "alarms      none in ALARM" in text.stdout  # moto's CloudWatch has none
    assert "succeeded" in text.stdout.split("recent runs")[1]

    # And --json gives numbers as numbers
    report = json_out(cli("status", "--json", *state, env=env))
    minutes, lag = report["freshness"]["freshness_minutes"], report["freshness"]["lag_seconds"]
    assert isinstance(minutes, int | float) and 0 <= minutes < 5
    assert isinstance(lag, int) and lag > 0
    assert report["objective"] == {"freshness_objective_minutes": 120, "met": True}
    assert report["alarms"]["known"] is True and report["alarms"]["in_alarm"] == []
    assert isinstance(report["recent_runs"][0]["rows_inserted"], int)

    # When the last successful load is three hours old: objective missed, exit 1
    conn = psycopg2.connect(warehouse_db.owner_url)
    with conn, conn.cursor() as cur:
        cur.execute("update etl_runs set ended_at = now() - interval '3 hours'")
    conn.close()
    missed = cli("status", *state, env=env)
    assert missed.returncode == 1, missed.stdout + missed.stderr
    assert "freshness   MISSED: last successful load 3.0 h ago" in missed.stdout
    assert json.loads(cli("status", "--json", *state, env=env).stdout)["objective"]["met"] is False

    # When the database is down: cannot tell, exit 2 with the reason
    down = cli("status", *state, env={**env, "DATABASE_URL": "postgresql://x@127.0.0.1:9/x"})
    assert down.returncode == 2
    assert "freshness   UNKNOWN: cannot connect to PostgreSQL at 127.0.0.1:9" in down.stdout


@pytest.mark.slow
def test_status_exits_1_when_no_load_ever_succeeded(
    warehouse_db, raw_bucket, moto_endpoint, tmp_path
):
    env = {
        "RAW_BUCKET": raw_bucket[1],
        "DATABASE_URL": warehouse_db.owner_url,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    result = cli("status", "--state-dir", str(tmp_path), env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "freshness   MISSED: last successful load never" in result.stdout


@pytest.mark.slow
def test_backfill_reports_its_progress_on_stderr_and_its_summary_on_stdout(
    warehouse_db, raw_bucket, moto_endpoint, tmp_path
):
    s3, bucket = raw_bucket
    first = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    records = list(SyntheticShop(seed=62).events(300, first, timedelta(minutes=90)))
    keys = write_objects(s3, bucket, records, events_per_object=50)
    # Small groups, so the run loads the objects in several batches.
    env = {
        "RAW_BUCKET": bucket,
        "DATABASE_URL": warehouse_db.owner_url,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "ETL_GROUP_MAX_ROWS": "100",
    }
    last = first + timedelta(hours=2)

    result = cli(
        "etl", "backfill", "--from", first.strftime("%Y-%m-%dT%H"),
        "--to", last.strftime("%Y-%m-%dT%H"), "--state-dir", str(tmp_path), env=env,
    )  # fmt: skip

    summary = json_out(result)
    assert summary["status"] == "succeeded" and summary["rows_inserted"] == len(records)
    lines = [line for line in result.stderr.splitlines() if line.startswith("backfill: ")]
    span = f"{first:%Y-%m-%dT%H} .. {last:%Y-%m-%dT%H}"
    assert lines[0] == f"backfill: 3 hours ({span}), {len(keys)} objects to load", lines
    batches = [re.fullmatch(r"backfill: \[(\d+)/(\d+)\] objects: (\d+) loaded, (\d+) rows"
                            r" inserted, 0 quarantined, 0 failed so far", line)
               for line in lines[1:-1]]  # fmt: skip
    assert all(batches), lines
    done = [int(m.group(1)) for m in batches if m]
    assert len(done) > 1 and done == sorted(done) and done[-1] == len(keys), lines
    assert {int(m.group(2)) for m in batches if m} == {len(keys)}
    last_batch = batches[-1]
    assert last_batch and int(last_batch.group(4)) == len(records)
    assert lines[-1] == "backfill: rebuilding sessions and aggregates", lines
    # stdout stays the JSON summary alone, for scripts
    assert "backfill:" not in result.stdout
