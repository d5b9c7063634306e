"""The R Shiny app's functions and modules (testthat + shiny::testServer) against a real
warehouse loaded with known events by the real ETL.

Python generates the shoppers, loads them through the ETL, and computes the figures the
dashboards must show straight from the generated events (the definitions of
docs/warehouse.md, `Expected` of test_dashboard_aggregates); R reads the warehouse as
the read-only reader role through the app's own code and must show the same numbers.
Also handed to R: an empty warehouse (the "no data yet" states), a dead address (the
unavailable state) and a command that restarts the database (reconnection).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import psycopg2
import pytest
from psycopg2 import sql

from clickstream.etl.roles import READER_ROLE
from clickstream.local.postgres import _as_service_user, pg_bin_dir
from clickstream.local.settings import LOOPBACK, free_port
from clickstream.simulation.raw import SyntheticShop, write_objects
from tests.integration.conftest import (
    REPO_ROOT_FOR_TESTS,
    Warehouse,
    create_database_from_template,
    run_against,
)
from tests.integration.test_dashboard_aggregates import Expected

SHINY_DIR = Path(REPO_ROOT_FOR_TESTS) / "shiny"
START = datetime(2026, 11, 20, 6, tzinfo=UTC)
DAYS = [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]
NOW = START + timedelta(days=4)
FILTER_DEVICE = "mobile"

pytestmark = pytest.mark.slow


def _drop(cluster: Any, name: str) -> None:
    conn = psycopg2.connect(cluster.superuser_url())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
    finally:
        conn.close()


def expected_figures(expected: Expected, records: list[dict[str, Any]]) -> dict[str, Any]:
    """What each module must show for DAYS, computed from the generated events alone."""

    def traffic(devices: tuple[str, ...] = ()) -> dict[str, Any]:
        sessions = expected.human_sessions(DAYS, devices)
        page_views = sum(len(s["views"]) for s in sessions)
        return {
            "sessions": len(sessions),
            "visitors": len({s["anonymous_id"] for s in sessions}),
            "page_views": page_views,
            "bounce_rate": sum(s["bounce"] for s in sessions) / len(sessions),
            "pages_per_session": page_views / len(sessions),
        }

    humans = expected.human_sessions(DAYS)
    funnel = {
        "sessions": len(humans),
        "product_viewed": sum(s["product_view"] for s in humans),
        "added_to_cart": sum(s["cart"] for s in humans),
        "checked_out": sum(s["checkout"] for s in humans),
        "purchased": sum(s["purchase"] for s in humans),
        "abandoned_carts": sum(s["cart"] and not s["purchase"] for s in humans),
        "revenue": float(sum(s["revenue"] for s in humans)),
    }
    by_device = Counter(s["device"] for s in humans)
    products = expected.product_rows(DAYS)
    totals: Counter[str] = Counter()
    for row in products.values():
        totals.update(row)
    referrers = Counter(s["referrer_host"] for s in humans)
    searches = [e for e in expected.human_events(DAYS) if e["event_type"] == "search"]
    page_counts: Counter[str] = Counter()
    for s in humans:
        page_counts.update(s["views"])
    top_page, top_views = sorted(page_counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    next_pages = Counter(
        {to: n for (frm, to), n in expected.transitions(DAYS).items() if frm == top_page}
    )
    return {
        "date_from": DAYS[0].isoformat(),
        "date_to": DAYS[-1].isoformat(),
        "filter_device": FILTER_DEVICE,
        "traffic": traffic(),
        "traffic_device": traffic((FILTER_DEVICE,)),
        "bot_sessions": sum(
            1 for s in expected.sessions.values() if s["is_bot"] and s["date"] in DAYS
        ),
        "top_page": {"path": top_page, "page_views": top_views},
        "next_pages": dict(next_pages),
        "funnel": funnel,
        "funnel_by_device": dict(by_device),
        "products": {
            "impressions": totals["impressions"],
            "list_clicks": totals["list_clicks"],
            "views": totals["views"],
            "add_to_carts": totals["add_to_carts"],
            "units_sold": totals["units_sold"],
            "revenue": float(totals["revenue"]),
            "count": len(products),
        },
        "referrer_sessions": dict(referrers),
        "events_loaded": len({r["event_id"] for r in records}),
        "searches": {
            "total": len(searches),
            "zero_results": sum(1 for e in searches if e["props"]["result_count"] == 0),
        },
    }


def record_alarms(db: Warehouse) -> None:
    """What a run's snapshot stores when CloudWatch has one alarm firing and one OK
    (test_reliability_snapshot reads them from moto), and a business alert firing."""
    conn = psycopg2.connect(db.owner_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "insert into etl_alarm_states (run_id, alarm_name, state, reason,"
                " state_updated_at, taken_at)"
                " select run_id, a, s, r, %s, %s from etl_runs,"
                " (values ('clickstream-test-api-5xx', 'OK', 'fine'),"
                "  ('clickstream-test-data-freshness', 'ALARM', 'no run for 3 h')) as v(a, s, r)",
                (NOW - timedelta(hours=1), NOW),
            )
            assert cur.rowcount >= 2
            cur.execute(
                "insert into business_alert_state (rule, firing, since, last_value, last_message)"
                " values ('no_purchases', true, %s, 0, 'No purchase for 6 h')",
                (NOW - timedelta(hours=2),),
            )
    finally:
        conn.close()


@pytest.fixture(scope="module")
def warehouses(pg_cluster: Any, moto_endpoint: str) -> Any:
    loaded = "test_" + uuid.uuid4().hex[:12]
    empty = "test_" + uuid.uuid4().hex[:12]
    create_database_from_template(pg_cluster, loaded)
    create_database_from_template(pg_cluster, empty)
    db = Warehouse(pg_cluster, loaded)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = "clickstream-local-raw-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    records = list(
        SyntheticShop(seed=93, bot_share=0.1).events(3000, START, timedelta(days=2, hours=12))
    )
    write_objects(s3, bucket, records, events_per_object=300)
    summary = run_against(db, s3, bucket, NOW)
    assert summary.status == "succeeded"
    record_alarms(db)
    yield db, Warehouse(pg_cluster, empty), expected_figures(Expected(records), records)
    _drop(pg_cluster, loaded)
    _drop(pg_cluster, empty)


def test_r_app_functions_and_modules_show_the_expected_numbers(
    warehouses: Any, pg_cluster: Any, tmp_path: Path
) -> None:
    rscript = shutil.which("Rscript")
    assert rscript, "Rscript is missing: `make setup` installs shiny/apt-packages.txt"
    db, empty, figures = warehouses
    expected_path = tmp_path / "expected.json"
    expected_path.write_text(json.dumps(figures), encoding="utf-8")
    summary_path = tmp_path / "testthat.json"
    restart = _as_service_user(
        [
            str(pg_bin_dir() / "pg_ctl"), "-D", str(pg_cluster.data_dir),
            "-l", str(pg_cluster.base_dir / "log"), "-m", "fast", "-w", "restart",
        ]
    )  # fmt: skip
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",  # runuser is in sbin
        "HOME": str(tmp_path),
        "DASHBOARD_DATABASE_URL": db.url(READER_ROLE),
        "DASHBOARD_TEST_EMPTY_URL": empty.url(READER_ROLE),
        # Nothing listens there: the "database unavailable" state.
        "DASHBOARD_TEST_DEAD_URL": f"postgresql://nobody:x@{LOOPBACK}:{free_port()}/none",
        "DASHBOARD_TEST_RESTART_CMD": " ".join(shlex.quote(part) for part in restart),
        "DASHBOARD_EXPECTED": str(expected_path),
        "TESTTHAT_SUMMARY": str(summary_path),
    }
    result = subprocess.run(
        [rscript, "--vanilla", "tests/run_tests.R"],
        cwd=SHINY_DIR, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = result.stdout[-6000:] + result.stderr[-4000:]
    assert summary_path.exists(), output
    summary = json.loads(summary_path.read_text())
    assert summary["failed"] == 0 and summary["errors"] == 0, output
    assert summary["skipped"] == 0, output
    # every test file ran: the fct_ and the five mod_ files
    assert summary["files"] >= 7 and summary["expectations"] >= 60, summary
    assert result.returncode == 0, output
