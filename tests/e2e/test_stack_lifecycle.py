"""`clickstream up --demo` (what `make demo` runs) starts every component, writes stack.env,
fills the warehouse from simulated shoppers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest

from clickstream.local.stack import read_env_file

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

REQUIRED_KEYS = {
    "API_URL", "API_KEY", "AWS_ENDPOINT_URL", "RAW_BUCKET", "DLQ_URL", "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID", "DEMO_USERNAME", "DEMO_PASSWORD", "SITE_ORIGIN",
}  # fmt: skip


def port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname or "", parts.port or 80)) == 0


def warehouse_events(database_url: str) -> int:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from fact_events")
        return int(cursor.fetchone()[0])


def test_demo_fills_the_warehouse_and_sigterm_stops_every_component(tmp_path: Path) -> None:
    state = tmp_path / "state"
    log_path = tmp_path / "stack.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "clickstream.cli", "up", "--state-dir", str(state),
         "--aws-port", "0", "--api-port", "0", "--site-port", "0", "--pg-port", "0",
         "--dashboard-port", "0", "--etl-interval", "2", "--demo"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    env_file = state / "stack.env"
    deadline = time.monotonic() + 120
    while not env_file.exists():
        assert process.poll() is None, log_path.read_text()[-3000:]
        assert time.monotonic() < deadline, "the stack did not start in time"
        time.sleep(0.2)
    env = read_env_file(env_file)
    assert REQUIRED_KEYS <= set(env)
    assert env["API_URL"].startswith("http://127.0.0.1:")
    urls = [
        env[key]
        for key in ("API_URL", "AWS_ENDPOINT_URL", "SITE_URL", "DATABASE_URL")
        if key in env
    ]
    assert all(port_open(url) for url in urls)
    # Simulated shoppers -> API -> S3 -> scheduled ETL -> PostgreSQL, with nobody's help.
    while warehouse_events(env["DATABASE_URL"]) == 0:
        assert time.monotonic() < deadline, "no simulated event reached the warehouse"
        time.sleep(1)
    # The demo loaded the store's catalogue and is backfilling past days (oldest first).
    from clickstream.simulate import CATALOG

    assert int(env["DEMO_CATALOG_PRODUCTS"]) == len(CATALOG)
    with psycopg2.connect(env["DATABASE_URL"]) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from dim_product where in_catalog and name is not null")
        assert cursor.fetchone()[0] == len(CATALOG)
    while True:
        with psycopg2.connect(env["DATABASE_URL"]) as connection, connection.cursor() as cursor:
            cursor.execute(
                "select count(distinct session_date) from fact_sessions"
                " where session_date < current_date"
            )
            past_days = cursor.fetchone()[0]
        if past_days >= 2:
            break
        assert time.monotonic() < deadline, "no demo history reached the warehouse"
        time.sleep(1)

    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(
            f"the stack did not stop within 60 s:\n{(state / 'logs' / 'stack.log').read_text()[-3000:]}"
        )
    finally:
        log.close()

    assert process.returncode == 0, (state / "logs" / "stack.log").read_text()[-3000:]
    assert "stopping the local stack" in log_path.read_text()
    assert not env_file.exists()
    assert not any(port_open(url) for url in urls)
