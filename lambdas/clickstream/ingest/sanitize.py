"""Make what a client sent loadable: parse bodies orjson refuses, and clean values the
warehouse cannot hold.

PostgreSQL refuses NUL in text, lone UTF-16 surrogates are not text at all, and an
integer column refuses `1280.0` although JSON Schema calls it an integer. Each of these
is repaired here, before validation, so what the ingest accepts the ETL can load
(docs/event-contract.md, "What the server repairs").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from clickstream.contract import event_schema

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1


class UnparsableBody(ValueError):
    """Not JSON even for the lenient parser; the message says where."""


def _parse_int(text: str) -> int | float:
    value = int(text)  # ValueError past Python's 4300-digit limit: refused as malformed
    if _INT64_MIN <= value <= _UINT64_MAX:
        return value
    # What orjson does with integers beyond 64 bits, so both paths store the same thing.
    return _parse_float(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def lenient_loads(body: bytes) -> Any:
    """The fallback for bodies orjson refuses: lone surrogate escapes (a title cut inside an
    emoji) and invalid UTF-8 bytes become U+FFFD instead of losing the whole batch.
    Everything else orjson refuses (syntax, NaN, numbers out of range, nesting) is still
    refused."""
    text = body.decode("utf-8", "replace")
    try:
        payload = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_refuse_constant,
        )
    except (ValueError, RecursionError) as error:
        raise UnparsableBody(str(error)[:300]) from error
    return clean_strings(payload)


def clean_text(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "")
    if _SURROGATE.search(value):
        value = _SURROGATE.sub(REPLACEMENT, value)
    return value


def clean_strings(payload: Any) -> Any:
    """`payload` with NUL removed and lone surrogates replaced in every string and key.
    Iterative, so a deeply nested body cannot exhaust the stack."""
    if isinstance(payload, str):
        return clean_text(payload)
    if not isinstance(payload, dict | list):
        return payload
    root: list[Any] = [payload]
    stack: list[Any] = [root]
    while stack:
        container = stack.pop()
        if isinstance(container, list):
            for index, item in enumerate(container):
                if isinstance(item, str):
                    container[index] = clean_text(item)
                elif isinstance(item, dict | list):
                    stack.append(item)
        else:
            for key in list(container):
                item = container.pop(key)
                if isinstance(item, str):
                    item = clean_text(item)
                elif isinstance(item, dict | list):
                    stack.append(item)
                container[clean_text(key) if isinstance(key, str) else key] = item
    return root[0]


IntegerPath = tuple[str, ...]  # "*" stands for every element of an array


def _integer_paths(schema: dict[str, Any], prefix: IntegerPath) -> Iterator[IntegerPath]:
    types = schema.get("type")
    if types == "integer" or (isinstance(types, list) and "integer" in types):
        yield prefix
    for name, child in (schema.get("properties") or {}).items():
        yield from _integer_paths(child, (*prefix, name))
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _integer_paths(items, (*prefix, "*"))


@cache
def integer_paths() -> tuple[IntegerPath, ...]:
    """Every place the contract declares an integer, read from event.schema.json."""
    return tuple(_integer_paths(event_schema(), ()))


def _set_integers(value: Any, path: IntegerPath) -> Any:
    if not path:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(value, list):
            for index, item in enumerate(value):
                value[index] = _set_integers(item, rest)
    elif isinstance(value, dict) and head in value:
        value[head] = _set_integers(value[head], rest)
    return value


def integral_floats_to_integers(event: dict[str, Any]) -> dict[str, Any]:
    """`1280.0` becomes `1280` wherever the schema says integer (the validator accepts
    both, an integer column only the latter). Changes `event` in place."""
    for path in integer_paths():
        _set_integers(event, path)
    return event
