"""`clickstream up --demo` (what `make demo` runs) starts every component, writes stack.env,
fills the warehouse from simulated shoppers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest

from clickstream.envfile import read_env_file

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
    from clickstream.simulation.catalog import CATALOG

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


# --- issue 8, "Also": PostgreSQL never outlives the stack ------------------------------
# pg_ctl detaches the server from the stack's process: whatever path the stack takes to
# its end, the server is only gone if the stack stopped it.


def stack_command(state: Path) -> list[str]:
    return [
        sys.executable, "-m", "clickstream.cli", "up", "--state-dir", str(state),
        "--aws-port", "0", "--api-port", "0", "--site-port", "0", "--pg-port", "0",
        "--dashboard-port", "0", "--etl-interval", "60",
    ]  # fmt: skip


def wait_for_stack(
    process: subprocess.Popen[bytes], state: Path, not_data_dir: str | None = None
) -> dict[str, str]:
    """stack.env of this process: a file left by a killed stack (naming not_data_dir)
    does not count."""
    env_file = state / "stack.env"
    deadline = time.monotonic() + 120
    while True:
        if env_file.exists():
            env = read_env_file(env_file)
            if env.get("PG_DATA_DIR") and env["PG_DATA_DIR"] != not_data_dir:
                return env
        component_log = state / "logs" / "stack.log"
        details = component_log.read_text()[-3000:] if component_log.exists() else ""
        assert process.poll() is None, f"the stack exited ({process.returncode}):\n{details}"
        assert time.monotonic() < deadline, f"the stack did not start in time:\n{details}"
        time.sleep(0.2)


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


def gone_within(pid: int, seconds: float) -> bool:
    from clickstream.local.postgres import process_alive

    deadline = time.monotonic() + seconds
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def kill_leftover_cluster(pid: int | None, data_dir: Path | None) -> None:
    """Test cleanup when an assertion failed: the server this test's stack started."""
    from clickstream.local.postgres import process_alive

    if pid is not None and process_alive(pid):
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown
        gone_within(pid, 30)
    if data_dir is not None:
        shutil.rmtree(data_dir.parent, ignore_errors=True)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()


def test_ctrl_c_with_a_closed_stdout_pipe_still_stops_postgres(tmp_path: Path) -> None:
    """`make demo | tee demo.log`, Ctrl-C: tee dies first, every later write to stdout
    fails with EPIPE, and the stack must still stop its PostgreSQL."""
    state = tmp_path / "state"
    stderr = (tmp_path / "stderr.log").open("wb")
    process = subprocess.Popen(stack_command(state), stdout=subprocess.PIPE, stderr=stderr)
    pid: int | None = None
    data_dir: Path | None = None
    try:
        env = wait_for_stack(process, state)
        data_dir = Path(env["PG_DATA_DIR"])
        pid = postmaster_pid(data_dir)
        assert port_open(env["DATABASE_URL"])
        assert process.stdout is not None
        process.stdout.close()  # the reader (tee) is gone
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        assert gone_within(pid, 10), "PostgreSQL outlived the stack"
        assert not data_dir.exists()
        assert not port_open(env["DATABASE_URL"])
        assert not (state / "postgres.cluster").exists()
        assert not (state / "stack.env").exists()
        assert process.returncode == 0, (state / "logs" / "stack.log").read_text()[-3000:]
    finally:
        stop_process(process)
        stderr.close()
        kill_leftover_cluster(pid, data_dir)


def test_next_up_stops_the_cluster_a_killed_stack_left_running(tmp_path: Path) -> None:
    state = tmp_path / "state"
    logs = [(tmp_path / f"stack{i}.log").open("wb") for i in (1, 2)]
    first = subprocess.Popen(stack_command(state), stdout=logs[0], stderr=subprocess.STDOUT)
    second: subprocess.Popen[bytes] | None = None
    old_pid = new_pid = None
    old_dir = new_dir = None
    try:
        old_env = wait_for_stack(first, state)
        old_dir = Path(old_env["PG_DATA_DIR"])
        old_pid = postmaster_pid(old_dir)
        first.send_signal(signal.SIGKILL)  # no handler, no cleanup
        first.wait()
        # The situation to repair: the killed stack's server still runs.
        assert not gone_within(old_pid, 1)
        assert port_open(old_env["DATABASE_URL"])

        second = subprocess.Popen(stack_command(state), stdout=logs[1], stderr=subprocess.STDOUT)
        new_env = wait_for_stack(second, state, not_data_dir=str(old_dir))
        new_dir = Path(new_env["PG_DATA_DIR"])
        new_pid = postmaster_pid(new_dir)
        assert gone_within(old_pid, 10), "the stale cluster still runs"
        assert not old_dir.exists()
        assert not port_open(old_env["DATABASE_URL"])
        # ... and the new stack came up with a working warehouse.
        assert new_pid != old_pid
        assert warehouse_events(new_env["DATABASE_URL"]) >= 0

        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
        assert second.returncode == 0
        assert gone_within(new_pid, 10)
        assert not (state / "postgres.cluster").exists()
    finally:
        stop_process(first)
        if second is not None:
            stop_process(second)
        for log in logs:
            log.close()
        kill_leftover_cluster(old_pid, old_dir)
        kill_leftover_cluster(new_pid, new_dir)
