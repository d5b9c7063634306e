"""The dashboards in a real browser through the local stack (`clickstream up`).

Simulated shoppers go through the real API, S3 and the scheduled ETL into the warehouse;
Debian's chromium (headless, playwright-core from sdk/) then opens the Shiny app that
the stack started and walks every module (shiny/tests/browser/dashboard-check.mjs):
each renders with data, plotly.js 2.x draws every chart, no JavaScript page error, no R
error in the app's log, a device filter changes the numbers and lands in the URL, a
bookmarked URL restores it, and the CSV download holds the table's rows.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK_SCRIPT = REPO_ROOT / "shiny" / "tests" / "browser" / "dashboard-check.mjs"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TABS = ("traffic", "funnels", "products", "acquisition", "reliability")
LOAD_WAIT_S = 120

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _human_sessions(database_url: str) -> int:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("select coalesce(sum(sessions), 0) from agg_traffic_daily")
        return int(cur.fetchone()[0])


@pytest.fixture(scope="module")
def report(local_stack: dict[str, str]) -> dict[str, Any]:
    assert "DASHBOARD_URL" in local_stack, "the local stack did not start the dashboard"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make setup` installs chromium"
    assert (REPO_ROOT / "sdk" / "node_modules" / "playwright-core").is_dir(), "run make sdk-deps"
    env_file = Path(local_stack["STACK_STATE_DIR"]) / "stack.env"
    simulate = subprocess.run(
        [sys.executable, "-m", "clickstream.cli", "simulate", "--env-file", str(env_file),
         "--sessions", "80", "--seed", "11"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert simulate.returncode == 0, simulate.stdout + simulate.stderr
    deadline = time.monotonic() + LOAD_WAIT_S
    while _human_sessions(local_stack["DATABASE_URL"]) == 0:
        assert time.monotonic() < deadline, "the ETL did not load the simulated visits"
        time.sleep(1)
    time.sleep(3)  # one more ETL cycle, so the sessions of the last objects are in too
    node = shutil.which("node")
    assert node, "node is required (Node.js 20): see README set-up"
    result = subprocess.run(
        [node, str(CHECK_SCRIPT)],
        env={**os.environ, "DASHBOARD_URL": local_stack["DASHBOARD_URL"], "CHROMIUM_PATH": CHROMIUM},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    data["app_log"] = Path(local_stack["DASHBOARD_LOG"]).read_text(errors="replace")
    return data


def test_plotly_2_is_loaded_and_no_page_errors(report: dict[str, Any]) -> None:
    assert report["plotlyVersion"].startswith("2."), report["plotlyVersion"]
    assert report["pageErrors"] == []
    assert [r for r in report["failedResponses"] if not r.endswith("/favicon.ico")] == []


def test_every_module_renders_with_data_and_drawn_charts(report: dict[str, Any]) -> None:
    for tab in TABS:
        seen = report["tabs"][tab]
        assert seen["errors"] == [], (tab, seen["errors"])
        assert seen["charts"] >= 1 and seen["chartsDrawn"] >= 1, (tab, seen)
        assert seen["kpis"] and seen["tables"] >= 1 and seen["downloads"], (tab, seen)
        assert all(title for title in seen["chartTitles"] if title is not None), (tab, seen)
    traffic = {k["title"]: k["value"] for k in report["tabs"]["traffic"]["kpis"]}
    assert traffic["Sessions"] not in ("0", "\u2014")
    # every chart that has data has drawn; only panels without data show their grey note
    for tab in ("traffic", "funnels", "products", "acquisition"):
        seen = report["tabs"][tab]
        assert seen["chartsDrawn"] == seen["charts"], (tab, seen)


def test_no_r_error_in_the_app_log(report: dict[str, Any]) -> None:
    assert "Error" not in report["app_log"], report["app_log"][-3000:]


def test_a_filter_change_changes_the_numbers_and_the_url(report: dict[str, Any]) -> None:
    change = report["filterChange"]
    assert len(change["device"]["options"]) >= 2, change
    assert change["before"] != change["after"], change
    assert f"device={change['device']['chosen']}" in change["query"]
    bookmark = report["bookmark"]
    assert bookmark["device"] == [change["device"]["chosen"]]
    assert bookmark["sessions"] == change["after"]


def test_the_csv_download_matches_the_table(report: dict[str, Any]) -> None:
    csv_report = report["csv"]
    rows = list(csv.reader(io.StringIO(csv_report["text"])))
    header, body = rows[0], rows[1:]
    table = csv_report["table"]
    assert header == table["headers"]
    assert len(body) == table["total"] > 0
    # the page shown is the CSV's first rows (same order); the count columns are equal
    # as text, the rates are formatted on screen (16.7%) and raw in the file (0.1667)
    for shown, written in zip(table["rows"], body, strict=False):
        assert shown[:5] == written[:5]


def _pg_ctl(data_dir: Path, *args: str) -> None:
    from clickstream.local.postgres import _as_service_user, pg_bin_dir

    command = _as_service_user([str(pg_bin_dir() / "pg_ctl"), "-D", str(data_dir), *args])
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_dead_database_shows_a_banner_and_the_app_recovers_by_itself(
    local_stack: dict[str, str], report: dict[str, Any]
) -> None:
    import shlex

    data_dir = Path(local_stack["PG_DATA_DIR"])
    # The options the stack started PostgreSQL with (port, listen address, socket dir).
    opts = shlex.split((data_dir / "postmaster.opts").read_text())
    options = [o for i, o in enumerate(opts[1:], 1) if o != "-D" and opts[i - 1] != "-D"]
    node = shutil.which("node")
    assert node
    _pg_ctl(data_dir, "-m", "fast", "-w", "stop")
    started_again = False
    browser = subprocess.Popen(
        [node, str(REPO_ROOT / "shiny" / "tests" / "browser" / "dashboard-outage.mjs")],
        env={**os.environ, "DASHBOARD_URL": local_stack["DASHBOARD_URL"], "CHROMIUM_PATH": CHROMIUM},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert browser.stdout is not None
        first = browser.stdout.readline().strip()
        _pg_ctl(
            data_dir, "-l", str(data_dir.parent / "log"), "-o", shlex.join(options), "-w", "start"
        )
        started_again = True
        rest, errors = browser.communicate(timeout=300)
    finally:
        if not started_again:
            _pg_ctl(
                data_dir,
                "-l",
                str(data_dir.parent / "log"),
                "-o",
                shlex.join(options),
                "-w",
                "start",
            )
        if browser.poll() is None:
            browser.kill()
    assert first == "BANNER_SHOWN", first + rest + errors
    outage = json.loads(rest.strip().splitlines()[-1])
    assert "warehouse database is unreachable" in outage["bannerText"]
    assert outage["rErrors"] == []
    assert any("unavailable" in text for text in outage["validation"]), outage
    assert outage["recovered"] is True
    assert outage["pageErrors"] == []
