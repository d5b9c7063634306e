"""The local stack's dashboard component: configuration errors and a failing app are
reported clearly, and the app runs on loopback only."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clickstream.local import dashboard
from clickstream.local.settings import StackSettings, free_port


def test_the_app_listens_on_loopback_on_the_given_port(tmp_path: Path) -> None:
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed here")
    command = dashboard.dashboard_command(tmp_path, 8790)
    assert any(part.endswith("Rscript") for part in command)
    assert "host = '127.0.0.1'" in command[-1] and "port = 8790L" in command[-1]


def test_the_app_dies_with_a_killed_stack(tmp_path: Path) -> None:
    # Given a parent that starts a child the way the stack starts the app
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    pid_file = tmp_path / "child.pid"
    parent_code = (
        "import subprocess, sys, time\n"
        "from clickstream.local.dashboard import die_with_parent\n"
        "child = subprocess.Popen(die_with_parent(['sleep', '120']), start_new_session=True)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the parent never started its child"
        time.sleep(0.05)
    child_pid = int(pid_file.read_text())
    # When the parent is killed outright
    parent.kill()
    parent.wait()
    # Then the child is gone too
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child_pid}").exists() and _state(child_pid) != "Z":
        assert time.monotonic() < deadline, "the child outlived its killed parent"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "gone"


def test_without_the_reader_url_the_component_refuses_to_start(tmp_path: Path) -> None:
    settings = StackSettings(state_dir=tmp_path, dashboard_port=free_port())
    with pytest.raises(RuntimeError, match="DASHBOARD_DATABASE_URL"):
        dashboard.DashboardComponent().start(settings, {})


@pytest.mark.slow
def test_an_app_that_dies_at_start_fails_the_stack_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed here")
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.R").write_text('stop("the plotly.js bundle is missing")\n')
    monkeypatch.setattr(dashboard, "SHINY_DIR", app)
    settings = StackSettings(state_dir=tmp_path / "state", dashboard_port=free_port())
    component = dashboard.DashboardComponent()
    with pytest.raises(RuntimeError, match=r"plotly\.js bundle is missing"):
        component.start(settings, {"DASHBOARD_DATABASE_URL": "postgresql://x@127.0.0.1:1/x"})
    assert component.process is None
