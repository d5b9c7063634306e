"""The local stack's dashboard component: configuration errors and a failing app are
reported clearly, and the app runs on loopback only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clickstream.local import dashboard
from clickstream.local.stack import StackSettings, free_port


def test_the_app_listens_on_loopback_on_the_given_port(tmp_path: Path) -> None:
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed here")
    command = dashboard.dashboard_command(tmp_path, 8790)
    assert command[0].endswith("Rscript")
    assert "host = '127.0.0.1'" in command[-1] and "port = 8790L" in command[-1]


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
