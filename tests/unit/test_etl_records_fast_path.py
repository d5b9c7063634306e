"""The tuned per-object parser the ETL runs (records.line_parser, behind parse_line)
against the straightforward reference (tests/unit/records_reference.py): for every
generated line, the same COPY row and the same facts for the load, or the same
rejection reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clickstream.etl.records import DEFAULT_WINDOW, RejectedRecord, TimeWindow, line_parser
from clickstream.simulation.raw import SyntheticShop, partition_key
from tests.integration.test_etl_hostile_lines import hostile_line, hostile_texts
from tests.schema_events import OFFSETS, _rfc3339, cornered_events
from tests.unit.records_reference import reference_parse_line

HOUR = datetime(2026, 11, 3, 5, tzinfo=UTC)
KEYS = [partition_key(HOUR, "fast-path"), "not/a/partition.ndjson.gz", "tab\tand\\backslash"]
WINDOWS = [DEFAULT_WINDOW, TimeWindow(timedelta(minutes=5), timedelta(hours=2))]
SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SERVER_VALUES: dict[str, list[Any]] = {
    "raw_version": [1, 1, 1, 2, "1", None],
    "received_at": [
        "2026-11-03T05:30:00.000Z",
        "2026-11-03T05:59:59.999999Z",
        "2026-11-03T07:30:00+02:00",
        "2026-11-03T05:30:00+05:75",
        "2026-11-03T05:30:00",
        "2026-11-03T05:30Z",
        "2026-11-03 05:30:00Z",
        "2026-02-30T05:30:00Z",
        "Z",
        "",
        5,
        None,
        "2026-11-20T05:30:00.000Z",
    ],
    "request_id": ["r-1", None, 7, "tab\there"],
    "auth": ["site_key", "cognito", "other", None],
    "clock_skew": [None, "future", "past", "sideways"],
    "ua": [None, {"browser": "Firefox", "os": "Linux"}, {"browser": 3}, [], "x"],
    "is_bot": [False, True, 0, None],
    "utm": [None, {"source": "news", "campaign": "c" * 300}, {"medium": 4}, "x"],
    "client_ts": [None, "2026-11-03T05:00:00Z", 9],
}


def outcome(parse: Any, line: bytes) -> tuple[Any, ...]:
    """What a parser made of a line, in comparable form (times with their offsets)."""
    try:
        parsed = parse(line)
    except RejectedRecord as rejection:
        return ("rejected", str(rejection))
    except Exception as error:  # the loader rejects these too; they must agree as well
        return ("error", type(error).__name__, str(error))
    return (
        "row",
        parsed.event_id,
        parsed.event_date,
        parsed.copy_line,
        parsed.session_id,
        None if parsed.event_at is None else parsed.event_at.isoformat(),
        None if parsed.received_at is None else parsed.received_at.isoformat(),
        parsed.product,
        type(parsed.product).__name__,
    )


def encode(record: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(record)
    except TypeError:  # lone surrogates: the standard encoder escapes them as \ud83d
        return json.dumps(record).encode()


@st.composite
def schema_lines(draw: st.DrawFn) -> bytes:
    """A raw line around an event built from event.schema.json (with its corners), its
    server fields drawn from valid and invalid values."""
    received = HOUR + timedelta(minutes=30)
    record = draw(cornered_events(received))
    if draw(st.integers(0, 9)) != 3:
        # A real calendar time (the pattern alone mostly draws impossible dates), near
        # the receive time or beyond the window, with any offset PostgreSQL accepts.
        seconds = draw(
            st.sampled_from([0, 59, -3600, -86_400, -86_401, 2_592_000, 2_592_001, 40 * 86_400])
        )
        record["ts"] = _rfc3339(
            received - timedelta(seconds=seconds), draw(st.sampled_from(OFFSETS))
        )
    # Mostly server fields as ingest writes them (so most lines reach the columns),
    # else up to three drawn from valid and invalid values.
    record.update({name: values[0] for name, values in SERVER_VALUES.items()})
    for name in draw(st.lists(st.sampled_from(sorted(SERVER_VALUES)), max_size=3)):
        value = draw(st.sampled_from(SERVER_VALUES[name]))
        if value is None and draw(st.booleans()):
            del record[name]
        else:
            record[name] = value
    if draw(st.integers(0, 9)) == 0:
        record[draw(st.sampled_from(["page_title", "referrer", "ts", "extra"]))] = draw(
            hostile_texts
        )
    return encode(record)


def _agree(line: bytes, key: str, window: TimeWindow) -> str:
    expected = outcome(lambda raw: reference_parse_line(raw, key, window), line)
    assert outcome(line_parser(key, window), line) == expected, line[:400]
    return expected[0]


@SETTINGS
@given(
    line=hostile_line(HOUR).map(lambda drawn: drawn[1]),
    key=st.sampled_from(KEYS),
    window=st.sampled_from(WINDOWS),
)
def test_hostile_lines_give_the_reference_row_or_rejection(
    line: bytes, key: str, window: TimeWindow
) -> None:
    _agree(line, key, window)


@SETTINGS
@given(line=schema_lines(), key=st.sampled_from(KEYS), window=st.sampled_from(WINDOWS))
def test_schema_events_give_the_reference_row_or_rejection(
    line: bytes, key: str, window: TimeWindow
) -> None:
    _agree(line, key, window)


def test_synthetic_traffic_gives_the_reference_rows() -> None:
    # Given a realistic hour of traffic (the benchmark's shoppers)
    lines = [orjson.dumps(r) for r in SyntheticShop(seed=5).events(2000, HOUR, timedelta(hours=1))]
    parse = line_parser(KEYS[0])
    # Then every line gives the reference's row, and at least one row is loaded
    outcomes = [outcome(parse, line) for line in lines]
    assert outcomes == [outcome(lambda raw: reference_parse_line(raw, KEYS[0]), x) for x in lines]
    assert sum(1 for o in outcomes if o[0] == "row") > 1900
