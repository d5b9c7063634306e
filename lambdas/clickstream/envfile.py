"""The files the local stack leaves in its state directory (`.local/` by default).

`stack.env` holds the merged environment of a running `clickstream up`; `alerts.jsonl`
the alarm notifications it delivered. The operator commands of every area read them,
so they live here, below both the Lambda code and the local emulator: nothing in
`etl/` or `ingest/` imports `local/`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STACK_ENV_FILE = "stack.env"
NOTIFICATIONS_FILE = "alerts.jsonl"


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


def read_notifications(state_dir: Path, limit: int = 20) -> list[dict[str, Any]]:
    """The last `limit` alarm notifications the local stack delivered, oldest first."""
    path = state_dir / NOTIFICATIONS_FILE
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[-limit:] if line.strip()]
