"""The event contract: one JSON Schema file, loaded and compiled once per process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

SCHEMA_FILE = "event.schema.json"


@cache
def event_schema() -> dict[str, Any]:
    """The parsed JSON Schema of one event."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def event_validator() -> Any:
    """The compiled validator (its `is_valid` is the cheap check of a valid event)."""
    return jsonschema_rs.validator_for(event_schema())


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """One reason an event breaks the contract, with the JSON path to the offending value."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '$'}: {self.message}"


def validate_event(event: Any) -> list[SchemaProblem]:
    """All contract violations of `event`; an empty list means it is valid."""
    validator = event_validator()
    if validator.is_valid(event):
        return []
    problems = []
    for error in validator.iter_errors(event):
        path = "$" + "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path
        )
        problems.append(SchemaProblem(path=path, message=error.message[:300]))
    return problems[:10]
