"""Hypothesis strategies derived from event.schema.json itself, ugly corners included.

hypothesis-jsonschema is not used: it does not read draft 2020-12's if/then/else the way
this contract uses it, and it avoids exactly the corners wanted here (limits, integral
floats, NUL, lone surrogates). So this module walks the schema: `type`, `enum`,
`pattern`, `minLength`/`maxLength`, `minimum`/`maximum`, `properties`, `required`,
`additionalProperties`, `propertyNames`, `maxProperties`, `items`, `maxItems`, `anyOf`,
and the top-level `allOf` of `if {event_type const} then {required}` rules. A new field
in the schema is generated without touching this file.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from clickstream.contract import event_schema

# Text with the characters that broke the pipeline: NUL, lone surrogates (what a browser
# sends for a title cut inside an emoji), other controls, astral characters, RTL marks.
UGLY_CHARACTERS = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(["\x00", "\ud83d", "\ude00", "\t", "\n", "\\", '"', "\u202e", "\ufeff"]),
    st.characters(categories=["Cs"]),
    st.sampled_from(["😀", "\U0001d518", "é", "中"]),
)
# Every offset the schema allows, the edges of PostgreSQL's range and years that overflow.
OFFSETS = ["Z", "+00:00", "-00:00", "+15:59", "-15:59", "+05:45", "-09:30", "+14:00"]


def _text(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", 64))
    pattern = schema.get("pattern")
    single_class = re.fullmatch(r"\^(\[[^\]]+\])\+\$", pattern or "")
    if single_class:
        # "^[...]+$" with length limits: draw the characters, not whole strings to filter.
        chars = st.from_regex(single_class.group(1), fullmatch=True)
        return st.one_of(
            st.text(chars, min_size=max(low, 1), max_size=min(high, max(low, 1) + 16)),
            st.text(chars, min_size=high, max_size=high),
        )
    if pattern:
        regex = st.from_regex(pattern, fullmatch=True)
        if "maxLength" in schema or low:
            regex = regex.filter(lambda text: low <= len(text) <= high)
        return regex
    return st.one_of(
        st.text(UGLY_CHARACTERS, min_size=low, max_size=min(high, 40)),
        # The limits themselves.
        st.sampled_from(sorted({low, high})).flatmap(
            lambda size: st.text(UGLY_CHARACTERS, min_size=size, max_size=size)
        ),
        st.just("" if low == 0 else "x" * low),
    )


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low = schema.get("minimum")
    high = schema.get("maximum")
    ints = st.integers(
        min_value=None if low is None else int(low), max_value=None if high is None else int(high)
    )
    edges = [value for value in (low, high) if value is not None]
    # Integral floats (1280.0): valid integers to JSON Schema, refused by an integer column.
    integral_floats = ints.filter(lambda n: abs(n) < 2**53).map(float)
    choices = [ints, integral_floats]
    if edges:
        choices.append(st.sampled_from(edges))
        choices.append(st.sampled_from(edges).map(float))
    if not integer:
        choices.append(
            st.floats(
                min_value=None if low is None else float(low),
                max_value=None if high is None else float(high),
                allow_nan=False,
                allow_infinity=False,
            )
        )
    return st.one_of(choices)


def _object(schema: dict[str, Any], required: frozenset[str] = frozenset()) -> Any:
    properties: dict[str, Any] = schema.get("properties") or {}
    needed = set(schema.get("required") or []) | set(required)
    fixed = {name: from_schema(properties[name]) for name in sorted(needed) if name in properties}
    optional = {
        name: from_schema(sub) for name, sub in sorted(properties.items()) if name not in needed
    }
    base = st.fixed_dictionaries(fixed, optional=optional)
    extra = schema.get("additionalProperties")
    if not isinstance(extra, dict):
        return base
    names = _text(schema.get("propertyNames") or {"maxLength": 64})
    cap = int(schema.get("maxProperties", 20))

    @st.composite
    def with_extra(draw: st.DrawFn) -> dict[str, Any]:
        value = draw(base)
        room = max(0, cap - len(value))
        more = draw(st.dictionaries(names, from_schema(extra), max_size=min(room, 6)))
        for key, item in more.items():
            value.setdefault(key, item)
        return value

    return with_extra()


_BUILT: dict[tuple[str, frozenset[str]], Any] = {}


def _cached(schema: dict[str, Any], required: frozenset[str], build: Any) -> Any:
    """Strategies are built once per (sub)schema: building them per draw (from_regex
    compiles, lazy strategies validate) made every generated event cost milliseconds."""
    key = (json.dumps(schema, sort_keys=True), required)
    if key not in _BUILT:
        _BUILT[key] = build()
    return _BUILT[key]


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that the given (sub)schema accepts, with a bias to its edges."""
    return _cached(schema, frozenset(), lambda: _from_schema(schema))


def _from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([from_schema(option) for option in schema["anyOf"]])
    types = schema.get("type")
    if isinstance(types, list):
        return st.one_of([from_schema({**schema, "type": one}) for one in types])
    if types == "null":
        return st.none()
    if types == "boolean":
        return st.booleans()
    if types == "string":
        return _text(schema)
    if types == "integer":
        return _number(schema, integer=True)
    if types == "number":
        return _number(schema, integer=False)
    if types == "array":
        return st.lists(
            from_schema(schema.get("items") or {}), max_size=min(schema.get("maxItems", 5), 5)
        )
    if types == "object":
        return _object(schema)
    return st.none()


def _rules_for(
    event_type: str, schema: dict[str, Any]
) -> tuple[set[str], set[str], dict[str, Any]]:
    """What the allOf if/then/else rules demand of `event_type`: required fields, forbidden
    fields, and the nested properties their `then` adds (e.g. ecom's required keys)."""
    required: set[str] = set()
    forbidden: set[str] = set()
    nested: dict[str, Any] = {}
    for rule in schema.get("allOf", []):
        condition = rule["if"]["properties"]["event_type"]["const"]
        branch = rule.get("then") if condition == event_type else rule.get("else")
        if not branch:
            continue
        required |= set(branch.get("required", []))
        for name, sub in (branch.get("properties") or {}).items():
            nested[name] = sub
        if "not" in branch:
            forbidden |= set(branch["not"].get("required", []))
    return required, forbidden, nested


@st.composite
def schema_events(draw: st.DrawFn, received_at: datetime | None = None) -> dict[str, Any]:
    """One event the schema accepts (before the server's repairs), built from the file."""
    schema = event_schema()
    properties = schema["properties"]
    event_type = draw(st.sampled_from(properties["event_type"]["enum"]))
    required, forbidden, nested = _rules_for(event_type, schema)
    event: dict[str, Any] = {"event_type": event_type}
    for name in sorted(properties):
        if name == "event_type" or name in forbidden:
            continue
        sub = properties[name]
        if name in nested and sub.get("type") == "object":
            needed = frozenset(nested[name].get("required", []))
            value_strategy = _cached(sub, needed, lambda: _object(sub, needed))
        else:
            value_strategy = from_schema(sub)
        if name in required or name in schema["required"]:
            event[name] = draw(value_strategy)
        elif draw(st.booleans()):
            event[name] = draw(value_strategy)
    if received_at is not None and draw(st.integers(0, 3)) > 0:
        # Mostly times near the receive time, so most events land inside the window.
        offset = draw(st.sampled_from(OFFSETS))
        moment = received_at - timedelta(seconds=draw(st.integers(-3600, 5 * 86_400)))
        event["ts"] = _rfc3339(moment, offset)
    return event


def _rfc3339(moment: datetime, offset: str) -> str:
    if offset == "Z" or offset.endswith("00:00"):
        local = moment.astimezone(UTC)
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        local = moment.astimezone(UTC) + sign * timedelta(hours=hours, minutes=minutes)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + offset


# The corners a client can reach that the schema's shape alone does not produce often.
CORNER_TIMESTAMPS = [
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T00:00:00-15:59",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999999999+15:59",
    "2026-01-01T10:00:00+05:75",  # refused: PostgreSQL cannot represent the offset
    "2026-01-01T10:00:00+16:00",
    "2026-02-30T10:00:00Z",
    "2026-01-01T10:00:60Z",
    "2026-01-01T24:00:00Z",
]


CORNER_URLS = [
    "https://[::1/unclosed-ipv6?q=1",
    "https://[fe80::1%25eth0]/p",
    "https://john.doe@example.com@shop.example/p",
    "https://user:pa%40ss@shop.example/?utm_source=john%40example%2Ecom",
    "https://shop.example/search?q=415+555+1234&phone=415%2D555%2D1234",
    "https://shop.example/%ZZ%/?a=%&b=%%40#%",
    "https://shop.example/u/jane%2540doe.org?x=%F0%9F",
]


@st.composite
def cornered_events(draw: st.DrawFn, received_at: datetime | None = None) -> dict[str, Any]:
    """A schema event, sometimes with one corner case planted in it."""
    event = draw(schema_events(received_at))
    corner = draw(st.integers(0, 5))
    if corner == 1:
        event["ts"] = draw(st.sampled_from(CORNER_TIMESTAMPS))
    elif corner == 2 and "device" in event:
        event["device"]["screen_width"] = 1280.0
    elif corner == 3:
        event.setdefault("props", {})["note"] = "NUL\x00inside and a lone \ud83d surrogate"
    elif corner == 4:
        event["page_title"] = "cut inside an emoji \ud83d"
    elif corner == 5:
        event["page_url"] = draw(st.sampled_from(CORNER_URLS))
    return event


def encode_body(events: list[Any], **envelope: Any) -> bytes:
    """The batch as a browser would send it: JSON with \\uXXXX escapes, so lone
    surrogates travel as escapes exactly like `JSON.stringify` writes them."""
    return json.dumps({"events": events, **envelope}, ensure_ascii=True).encode("ascii")
