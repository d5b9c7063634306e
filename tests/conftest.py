"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_START_TIMEOUT_S = 120


@pytest.fixture(autouse=True)
def no_metrics_left_by_another_test() -> None:
    """Powertools' Metrics instances share one metric set per process, and an ETL run
    in-process adds metrics it never flushes (only the Lambda handler does): every test
    starts from an empty set, as every Lambda process runs its own handler only."""
    from clickstream.observability import get_metrics

    get_metrics("tests").clear_metrics()


def stack_client(stack: dict[str, str], service: str) -> Any:
    """A boto3 client for one service of the local stack's moto server."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=stack["AWS_ENDPOINT_URL"],
        region_name=stack["AWS_DEFAULT_REGION"],
        aws_access_key_id=stack["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=stack["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The real local stack (`clickstream up`) in a subprocess, on free loopback ports.

    Yields the parsed `.local/stack.env` of that stack. ETL runs every 2 s and the
    Firehose stand-in delivers every 0.5 s, so tests do not wait minutes for the
    warehouse.
    """
    from clickstream.envfile import read_env_file

    state_dir = tmp_path_factory.mktemp("stack")
    log_path = state_dir / "stack.log"
    command = [
        sys.executable, "-m", "clickstream.cli", "up",
        "--state-dir", str(state_dir),
        "--aws-port", "0", "--api-port", "0", "--site-port", "0",
        "--pg-port", "0", "--dashboard-port", "0", "--etl-interval", "2",
    ]  # fmt: skip
    # The Firehose stand-in's buffer interval: half a second, so tests see objects soon.
    env = {"FIREHOSE_BUFFER_INTERVAL_SECONDS": "0.5", **os.environ}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env
        )
    env_file = state_dir / "stack.env"
    deadline = time.monotonic() + STACK_START_TIMEOUT_S
    while not env_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            component_log = state_dir / "logs" / "stack.log"
            details = component_log.read_text()[-4000:] if component_log.exists() else ""
            pytest.fail(f"local stack did not start:\n{log_path.read_text()}\n{details}")
        time.sleep(0.2)
    try:
        yield read_env_file(env_file)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Every property test is reproducible: the same examples on every run and machine, none
# replayed from a local database (issue 8, class 10: a test that can fail by chance is a
# defect). A test may still lower max_examples for itself.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("clickstream", derandomize=True, database=None)
_hypothesis_settings.load_profile("clickstream")
