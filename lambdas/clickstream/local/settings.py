"""What every local-stack component is given: the stack's settings and the Component shape.

Components import this module, and `stack.py` imports the components, so the
dependencies point one way.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from clickstream.envfile import STACK_ENV_FILE

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


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

    @property
    def env_file(self) -> Path:
        return self.state_dir / STACK_ENV_FILE

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
