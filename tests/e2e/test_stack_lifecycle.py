"""`clickstream up` starts every component, writes stack.env, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

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


def test_sigterm_stops_every_component_and_removes_stack_env(tmp_path: Path) -> None:
    state = tmp_path / "state"
    log_path = tmp_path / "stack.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "clickstream.cli", "up", "--state-dir", str(state),
         "--aws-port", "0", "--api-port", "0", "--site-port", "0", "--pg-port", "0",
         "--dashboard-port", "0", "--etl-interval", "3600"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    env_file = state / "stack.env"
    deadline = time.monotonic() + 120
    while not env_file.exists():
        assert process.poll() is None, (
            process.stdout.read().decode()[-3000:] if process.stdout else ""
        )
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
