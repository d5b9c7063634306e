"""`clickstream up`: start the local stack component by component, on loopback.

Each component starts in order, sees the environment the earlier ones
produced (moto's endpoint, the bucket name, ...) and adds its own keys. The
merged environment is written to `.local/stack.env` once everything is up, so
a caller can wait for that file, and is exported into this process so that the
in-process Lambda handlers read their configuration exactly as on AWS.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from clickstream.envfile import write_env_file
from clickstream.local.alarms import AlarmsComponent
from clickstream.local.api_gateway import ApiComponent
from clickstream.local.aws import AwsComponent
from clickstream.local.dashboard import DashboardComponent
from clickstream.local.firehose import FirehoseComponent
from clickstream.local.postgres import PostgresComponent
from clickstream.local.scheduler import SchedulerComponent
from clickstream.local.settings import Component, StackSettings
from clickstream.local.shoppers import ShoppersComponent
from clickstream.local.site import SiteComponent
from clickstream.observability import get_logger

logger = get_logger("local-stack")

# Start order matters: each entry may read the keys the earlier ones produced. An entry
# is anything that builds a fresh component (a Component class).
ComponentFactory = Callable[[], Component]
COMPONENTS: tuple[ComponentFactory, ...] = (
    AwsComponent,
    FirehoseComponent,
    AlarmsComponent,
    PostgresComponent,
    ApiComponent,
    SiteComponent,
    SchedulerComponent,
    DashboardComponent,
)
DEMO_COMPONENTS: tuple[ComponentFactory, ...] = (ShoppersComponent,)


class LocalStack:
    def __init__(self, settings: StackSettings, components: Iterable[ComponentFactory]) -> None:
        self.settings = settings
        self.components = list(components)
        self.started: list[Component] = []
        self.env: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        self.settings.resolve_ports()
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        self.settings.env_file.unlink(missing_ok=True)
        self.env = {"STACK_STATE_DIR": str(self.settings.state_dir.resolve())}
        try:
            for make_component in self.components:
                component = make_component()
                added = component.start(self.settings, dict(self.env))
                self.started.append(component)
                self.env.update(added)
                os.environ.update(added)
                logger.info("component started", component=component.name, keys=sorted(added))
        except BaseException:
            self.stop()
            raise
        write_env_file(self.settings.env_file, self.env)
        return self.env

    def stop(self) -> None:
        self.settings.env_file.unlink(missing_ok=True)
        while self.started:
            component = self.started.pop()
            try:
                component.stop()
            except Exception:
                logger.exception("component failed to stop", component=component.name)


class StopRequested(Exception):
    """SIGTERM or SIGINT arrived while the stack was still starting."""


def route_output_to_log(log_path: Path) -> TextIO:
    """Send this process's stdout/stderr (and its children's) to `log_path`; return a
    stream to the original console. Request logs, EMF metrics and PostgreSQL's output
    would otherwise bury the few lines a person needs."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    console = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    with log_path.open("ab") as log:
        os.dup2(log.fileno(), sys.stdout.fileno())
        os.dup2(log.fileno(), sys.stderr.fileno())
    return console


class Console:
    """The few lines a person needs, on a stream that may go away: `make demo | tee log`
    then Ctrl-C kills tee first, and a write to its closed pipe fails with EPIPE. Such a
    failure must never stop the stack from stopping, so after the first one the console
    is pointed at /dev/null (which also keeps the interpreter's final flush quiet)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False

    def say(self, line: str) -> None:
        if self.broken:
            return
        try:
            print(line, file=self.stream, flush=True)
        except (OSError, ValueError):
            self.broken = True
            self._silence()

    def _silence(self) -> None:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self.stream.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError):
            pass


def run_until_signalled(settings: StackSettings, verbose: bool = False) -> None:
    log_path = settings.state_dir / "logs" / "stack.log"
    console = Console(sys.stdout if verbose else route_output_to_log(log_path))
    say = console.say

    components = list(COMPONENTS) + (list(DEMO_COMPONENTS) if settings.demo else [])
    stack = LocalStack(settings, components)
    state = {"started": False, "stop_requested": False}

    # The handler only flips a flag once the stack is up: calling Event.set() from a
    # signal handler can deadlock when the signal lands while the main thread holds
    # the Event's lock inside wait(), which lost SIGTERMs. While starting, it raises
    # so that a slow start can still be interrupted.
    def request_stop(signum: int, _frame: object) -> None:
        state["stop_requested"] = True
        if not state["started"]:
            raise StopRequested(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        env = stack.start()
        state["started"] = True
    except StopRequested:
        try:
            say("stopped while starting")
        finally:
            stack.stop()
        return
    try:
        say(f"local stack is up; environment in {settings.env_file}")
        for key in ("SITE_URL", "DASHBOARD_URL", "API_URL", "DATABASE_URL", "AWS_ENDPOINT_URL"):
            if key in env:
                say(f"  {key}={env[key]}")
        if settings.demo:
            say(f"  simulated shoppers: {env.get('DEMO_SESSIONS_PER_SECOND', '?')} visits/s")
        if not verbose:
            say(f"  logs: {log_path}")
        say("Ctrl-C stops everything.")
        while not state["stop_requested"]:
            time.sleep(0.2)
    finally:
        # stop() runs whatever happens to the console (Console.say never raises, and
        # the nested finally covers anything else).
        try:
            say("stopping the local stack")
        finally:
            stack.stop()
        say("local stack stopped")
