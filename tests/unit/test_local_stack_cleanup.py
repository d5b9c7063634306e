"""The local stack's shutdown never depends on its console, and the record of its
PostgreSQL cluster only ever leads to stopping a cluster a dead stack left behind.
(The real thing, with real clusters and signals: tests/e2e/test_stack_lifecycle.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from clickstream.local import postgres
from clickstream.local.stack import Console


def write_record(state: Path, base_dir: Path, pid: int) -> Path:
    state.mkdir(parents=True, exist_ok=True)
    record = state / postgres.CLUSTER_RECORD
    record.write_text(json.dumps({"base_dir": str(base_dir), "port": 1, "pid": pid}))
    return record


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_console_survives_a_closed_pipe() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (tee) is gone: writes fail with EPIPE
    console = Console(os.fdopen(write_end, "w", buffering=1))
    console.say("stopping the local stack")  # must not raise
    assert console.broken
    console.say("local stack stopped")  # silenced, still no error
    console.stream.write("x\n")
    console.stream.flush()  # the fd now points at /dev/null: the final flush is quiet
    console.stream.close()


def test_no_record_means_nothing_to_stop(tmp_path: Path) -> None:
    assert postgres.stop_stale_cluster(tmp_path) is None


def test_a_dead_stacks_record_is_cleared(tmp_path: Path) -> None:
    base_dir = Path(tempfile.mkdtemp(prefix=postgres.CLUSTER_DIR_PREFIX))
    try:
        record = write_record(tmp_path / "state", base_dir, dead_pid())
        assert postgres.stop_stale_cluster(tmp_path / "state") == base_dir
        assert not base_dir.exists(), "the dead stack's cluster directory must go"
        assert not record.exists()
    finally:
        if base_dir.exists():
            base_dir.rmdir()


def test_a_live_stacks_cluster_is_left_alone(tmp_path: Path) -> None:
    base_dir = Path(tempfile.mkdtemp(prefix=postgres.CLUSTER_DIR_PREFIX))
    # A process whose command line says clickstream, as `clickstream up` does.
    live = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "clickstream", "up"]
    )
    try:
        record = write_record(tmp_path / "state", base_dir, live.pid)
        with pytest.raises(postgres.StackAlreadyRunning, match=str(live.pid)):
            postgres.stop_stale_cluster(tmp_path / "state")
        assert base_dir.exists() and record.exists()
    finally:
        live.kill()
        live.wait()
        base_dir.rmdir()


def test_a_recycled_pid_does_not_protect_a_stale_cluster(tmp_path: Path) -> None:
    base_dir = Path(tempfile.mkdtemp(prefix=postgres.CLUSTER_DIR_PREFIX))
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        write_record(tmp_path / "state", base_dir, other.pid)
        assert postgres.stop_stale_cluster(tmp_path / "state") == base_dir
        assert not base_dir.exists()
    finally:
        other.kill()
        other.wait()
        if base_dir.exists():
            base_dir.rmdir()


@pytest.mark.parametrize("name", ["not-a-cluster", "clickstream-pg-elsewhere"])
def test_a_record_never_leads_outside_the_stacks_own_directories(tmp_path: Path, name: str) -> None:
    # Under tmp_path (not directly in the temp dir), or without the prefix: refused.
    victim = tmp_path / name
    victim.mkdir()
    (victim / "keep").write_text("data")
    record = write_record(tmp_path / "state", victim, dead_pid())
    with pytest.raises(RuntimeError, match="not a local-stack cluster"):
        postgres.stop_stale_cluster(tmp_path / "state")
    assert (victim / "keep").read_text() == "data"
    assert record.exists()


def test_an_unreadable_record_is_reported(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / postgres.CLUSTER_RECORD).write_text("{not json")
    with pytest.raises(RuntimeError, match="unreadable"):
        postgres.stop_stale_cluster(state)
