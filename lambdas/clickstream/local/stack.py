"""`clickstream up`: start the local stack component by component, on loopback.

Each component starts in order, sees the environment the earlier ones
produced (moto's endpoint, the bucket name, ...) and adds its own keys. The
merged environment is written to `.local/stack.env` once everything is up, so
a caller can wait for that file, and is exported into this process so that the
in-process Lambda handlers read their configuration exactly as on AWS.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from clickstream.observability import get_logger

logger = get_logger("local-stack")

LOOPBACK = "127.0.0.1"

# Start order matters: each entry may read the keys the earlier ones produced.
COMPONENTS: tuple[str, ...] = (
    "clickstream.local.aws:AwsComponent",
    "clickstream.local.firehose:FirehoseComponent",
    "clickstream.local.alarms:AlarmsComponent",
    "clickstream.local.postgres:PostgresComponent",
    "clickstream.local.api_gateway:ApiComponent",
    "clickstream.local.site:SiteComponent",
    "clickstream.local.scheduler:SchedulerComponent",
    "clickstream.local.dashboard:DashboardComponent",
)
DEMO_COMPONENTS: tuple[str, ...] = ("clickstream.local.shoppers:ShoppersComponent",)


@dataclass
class StackSettings:
    """Where the stack keeps its state and which loopback ports it uses (0 = pick a free one)."""

    state_dir: Path = Path(".local")
    aws_port: int = 4566
    api_port: int = 8787
    site_port: int = 8788
    pg_port: int = 55432
    dashboard_port: int = 8790
    etl_interval_seconds: float = 60.0
    demo: bool = False
    region: str = "us-east-1"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def env_file(self) -> Path:
        return self.state_dir / "stack.env"

    def resolve_ports(self) -> None:
        """Replace every 0 port by a free one, before any component starts, so that each
        component can compute the others' URLs (the API's CORS origin is the site's URL)."""
        for name in ("aws_port", "api_port", "site_port", "pg_port", "dashboard_port"):
            if not getattr(self, name):
                setattr(self, name, free_port())

    @property
    def site_origin(self) -> str:
        return f"http://{LOOPBACK}:{self.site_port}"


class Component(Protocol):
    name: str

    def start(self, settings: StackSettings, env: dict[str, str]) -> dict[str, str]:
        """Start, and return the keys this component adds to stack.env."""
        ...

    def stop(self) -> None: ...


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def load_component(spec: str) -> Component:
    module_name, class_name = spec.split(":")
    component: Component = getattr(importlib.import_module(module_name), class_name)()
    return component


def write_env_file(path: Path, env: dict[str, str]) -> None:
    """Shell `KEY=value` lines, written atomically so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    lines = [f"{key}={value}" for key, value in env.items()]
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


def read_env_file(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    return env


class LocalStack:
    def __init__(self, settings: StackSettings, component_specs: Iterable[str]) -> None:
        self.settings = settings
        self.component_specs = list(component_specs)
        self.started: list[Component] = []
        self.env: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        self.settings.resolve_ports()
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        self.settings.env_file.unlink(missing_ok=True)
        self.env = {
            "STACK_STATE_DIR": str(self.settings.state_dir.resolve()),
            **self.settings.extra,
        }
        try:
            for spec in self.component_specs:
                component = load_component(spec)
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

    specs = list(COMPONENTS) + (list(DEMO_COMPONENTS) if settings.demo else [])
    stack = LocalStack(settings, specs)
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
