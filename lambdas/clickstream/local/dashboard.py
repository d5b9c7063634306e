"""The R Shiny dashboards on 127.0.0.1, for the local stack: `Rscript` runs shiny/ with
the read-only reader role's URL, as Shiny Server runs it on the warehouse host.

The app is a child process with its own log (.local/logs/dashboard.log); the component
waits until it answers HTTP before the stack counts as up, and stops it (SIGTERM, then
SIGKILL) with the stack.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

from clickstream.local.settings import LOOPBACK, StackSettings
from clickstream.observability import get_logger

logger = get_logger("local-dashboard")

REPO_ROOT = Path(__file__).resolve().parents[3]
SHINY_DIR = Path(os.environ.get("CLICKSTREAM_SHINY_DIR", REPO_ROOT / "shiny"))
START_TIMEOUT_S = 180.0
# The first page compiles nothing (the app compiles its theme before listening), but R
# is slow on a loaded machine: a generous per-request timeout, not a busy retry loop.
REQUEST_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def dashboard_command(app_dir: Path, port: int) -> list[str]:
    """Rscript running the app on loopback; the R code itself reads its settings from
    the environment (DASHBOARD_DATABASE_URL)."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        raise RuntimeError("Rscript not found: `make setup` installs R (shiny/apt-packages.txt)")
    expression = (
        f"shiny::runApp({str(app_dir)!r}, host = {LOOPBACK!r}, port = {port}L, "
        "launch.browser = FALSE)"
    )
    return die_with_parent([rscript, "--vanilla", "-e", expression])


def die_with_parent(command: list[str]) -> list[str]:
    """Run `command` so that the kernel sends it SIGTERM when the stack process dies,
    even by SIGKILL: a killed stack must not leave an R process serving a dead
    warehouse (util-linux's setpriv; PostgreSQL is found and stopped by the next `up`)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return command
    return [setpriv, "--pdeathsig", "TERM", "--", *command]


def answers(url: str, timeout: float = REQUEST_TIMEOUT_S) -> bool:
    """True when the app serves its page (HTTP 200)."""
    host_port = url.split("://", 1)[1].rstrip("/")
    host, port = host_port.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


class DashboardComponent:
    """Stack component: the Shiny app on settings.dashboard_port, reading as clickstream_reader."""

    name = "dashboard"

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, settings: StackSettings, env: dict[str, str]) -> dict[str, str]:
        database_url = env.get("DASHBOARD_DATABASE_URL")
        if not database_url:
            raise RuntimeError(
                "the dashboard needs DASHBOARD_DATABASE_URL from the postgres component"
            )
        url = f"http://{LOOPBACK}:{settings.dashboard_port}"
        log_path = settings.state_dir / "logs" / "dashboard.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        child_env = {
            **os.environ,
            "DASHBOARD_DATABASE_URL": database_url,
            "DASHBOARD_CACHE_SECONDS": env.get("DASHBOARD_CACHE_SECONDS", "10"),
        }
        self.process = subprocess.Popen(  # noqa: S603 - fixed command, no shell
            dashboard_command(SHINY_DIR, settings.dashboard_port),
            cwd=SHINY_DIR,
            env=child_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the dashboard did not start on {url}:\n{tail}")
            time.sleep(0.3)
        logger.info("dashboard started", url=url, pid=self.process.pid)
        return {"DASHBOARD_URL": url, "DASHBOARD_LOG": str(log_path.resolve())}

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
