"""Schema-on-read of one raw line: flattening, COPY escaping and rejections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clickstream.etl.records import (
    COPY_COLUMNS,
    MAX_KEY_CHARS,
    RejectedRecord,
    TimeWindow,
    _json,
    parse_line,
    url_host,
    url_path,
)
from clickstream.simulation.raw import SyntheticShop

START = datetime(2026, 11, 28, 23, 59, tzinfo=UTC)


@pytest.fixture
def raw_events() -> list[dict]:
    return list(SyntheticShop(seed=1).events(300, START, timedelta(minutes=1)))


def columns(line: str) -> dict[str, str]:
    values = line.rstrip("\n").split("\t")
    assert len(values) == len(COPY_COLUMNS)
    return dict(zip(COPY_COLUMNS, values, strict=True))


def test_a_purchase_is_flattened_into_its_columns(raw_events):
    purchase = next(r for r in raw_events if r["event_type"] == "purchase")
    parsed = parse_line(orjson.dumps(purchase), "some/key")
    row = columns(parsed.copy_line)
    assert row["event_id"] == purchase["event_id"]
    assert row["price"] == str(purchase["ecom"]["price"])
    assert row["qty"] == str(purchase["ecom"]["qty"])
    assert row["order_id"] == purchase["ecom"]["order_id"]
    assert row["is_bot"] == "f" and row["source_key"] == "some/key"
    assert row["engaged_ms"] == "\\N"


def test_event_date_is_the_utc_date_of_the_client_time(raw_events):
    record = dict(raw_events[0], ts="2026-11-29T01:30:00+07:00")
    assert parse_line(orjson.dumps(record), "k").event_date == date(2026, 11, 28)


@pytest.mark.parametrize(
    ("ts", "day"),
    [
        ("2026-11-28T23:59:59.999Z", date(2026, 11, 28)),
        ("2026-11-28T23:59:59+00:00", date(2026, 11, 28)),
        ("2026-11-28T23:59:59-00:00", date(2026, 11, 28)),
        ("2026-11-28T20:00:00-05:00", date(2026, 11, 29)),
        ("2026-11-29T06:59:59.123456789+07:00", date(2026, 11, 28)),
    ],
)
def test_event_date_of_utc_and_offset_times(raw_events, ts, day):
    record = dict(raw_events[0], ts=ts)
    parsed = parse_line(orjson.dumps(record), "k")
    assert parsed.event_date == day
    assert columns(parsed.copy_line)["event_date"] == day.isoformat()
    assert columns(parsed.copy_line)["event_at"] == ts


def test_server_fields_that_are_not_strings_still_become_text(raw_events):
    # Given ua and request_id values the ingest never writes, but schema-on-read accepts
    ua = {**raw_events[0]["ua"], "browser_version": 120, "os_version": 10.5}
    record = dict(raw_events[0], ua=ua, request_id=7)
    # When it is flattened
    row = columns(parse_line(orjson.dumps(record), "k").copy_line)
    # Then the numbers are written as their text
    assert row["browser_version"] == "120" and row["os_version"] == "10.5"
    assert row["request_id"] == "7"


def test_escaped_json_characters_are_decoded_before_copy(raw_events):
    record = dict(raw_events[0], page_title='caf\u00e9 "best" \u2028')
    line = orjson.dumps(record)
    assert b"\\u00e9" not in line  # orjson writes UTF-8; escape it by hand below
    line = line.replace("café".encode(), b"caf\\u00e9")
    row = columns(parse_line(line, "k").copy_line)
    assert row["page_title"] == 'café "best" \u2028'


def test_a_source_key_with_special_characters_is_escaped(raw_events):
    row = columns(parse_line(orjson.dumps(raw_events[0]), "odd\tkey\\x").copy_line)
    assert row["source_key"] == "odd\\tkey\\\\x"


def test_tabs_newlines_and_backslashes_are_escaped_for_copy(raw_events):
    record = dict(raw_events[0], page_title="a\tb\nc\\d")
    row = columns(parse_line(orjson.dumps(record), "k").copy_line)
    assert row["page_title"] == "a\\tb\\nc\\\\d"


def test_a_string_that_looks_like_the_null_marker_stays_a_string(raw_events):
    # Given a title that is literally backslash-N (COPY's NULL marker)
    record = dict(raw_events[0], page_title="\\N", referrer=None)
    # When it is flattened
    row = columns(parse_line(orjson.dumps(record), "k").copy_line)
    # Then it is escaped as text, and a real null is still the marker
    assert row["page_title"] == "\\\\N"
    assert row["referrer"] == "\\N"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event_type": "teleport"}, "schema: $.event_type"),
        ({"raw_version": 2}, "raw_version 2 is not supported"),
        ({"is_bot": "yes"}, "is_bot"),
        ({"received_at": "yesterday"}, "received_at: not a real"),
        ({"ts": "2026-02-30T10:00:00Z"}, "ts: not a real"),
        ({"unexpected": 1}, "schema: "),
        ({"auth": "password"}, "auth: unexpected value"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(raw_events, change, reason):
    record = {**raw_events[0], **change}
    with pytest.raises(RejectedRecord) as rejected:
        parse_line(orjson.dumps(record), "k")
    assert reason in str(rejected.value)


def test_lines_that_are_not_json_objects_are_rejected():
    with pytest.raises(RejectedRecord, match="invalid JSON"):
        parse_line(b"{oops", "k")
    with pytest.raises(RejectedRecord, match="must be a JSON object"):
        parse_line(b"[1, 2]", "k")


def test_every_generated_event_passes_schema_on_read(raw_events):
    assert all(parse_line(orjson.dumps(r), "k").event_id == r["event_id"] for r in raw_events)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://shop.example/p/1?x=2#top", "/p/1"),
        ("https://shop.example", "/"),
        ("https://shop.example/search?q=a/b", "/search"),
        ("http://shop.example/#frag", "/"),
    ],
)
def test_url_path(url, path):
    assert url_path(url) == path


def test_url_host():
    assert url_host("https://WWW.Google.com/search?q=1") == "www.google.com"
    assert url_host("") is None and url_host(None) is None and url_host("nonsense") is None


# ---- what PostgreSQL would refuse is caught here (issue 8, class 1) -------------------

RECEIVED = "2026-11-28T23:59:30.000Z"


def received_event(raw_events, **change):
    return {**raw_events[0], "received_at": RECEIVED, "ts": "2026-11-28T23:59:00.000Z", **change}


def test_every_two_digit_offset_is_accepted_exactly_when_postgresql_accepts_it(raw_events):
    # PostgreSQL takes offsets up to 15:59 with minutes below 60; Python reads "+05:75"
    for hours in range(100):
        for minutes in range(0, 100, 7):
            for sign in "+-":
                offset = f"{sign}{hours:02d}:{minutes:02d}"
                record = received_event(raw_events, ts="2026-11-28T23:00:00" + offset)
                fine = hours <= 15 and minutes < 60
                if fine:
                    row = columns(parse_line(orjson.dumps(record), "k").copy_line)
                    assert row["event_at"] in (record["ts"], RECEIVED)
                else:
                    # The contract's pattern refuses it first (schema-on-read); the
                    # offset check stands behind it for lines of older raw versions.
                    with pytest.raises(RejectedRecord, match=r"offset|\$\.ts"):
                        parse_line(orjson.dumps(record), "k")
    record = received_event(raw_events, received_at="2026-11-28T23:59:30+05:75")
    with pytest.raises(RejectedRecord, match="received_at: UTC offset"):
        parse_line(orjson.dumps(record), "k")


@pytest.mark.parametrize(
    ("ts", "skew"),
    [
        ("0001-01-01T00:00:00+05:00", "past"),  # before year 1 in UTC
        ("0001-01-01T00:00:00Z", "past"),
        ("9999-12-31T23:59:59-05:00", "future"),  # after 9999 in UTC
        ("9999-12-31T23:59:59.999999999Z", "future"),
        ("2026-10-01T00:00:00Z", "past"),  # more than 30 days behind
        ("2026-11-30T00:00:00Z", "future"),  # more than a day ahead
    ],
)
def test_an_implausible_client_time_becomes_the_receive_time(raw_events, ts, skew):
    record = received_event(raw_events, ts=ts)
    parsed = parse_line(orjson.dumps(record), "k")
    row = columns(parsed.copy_line)
    assert (row["event_at"], row["event_date"]) == (RECEIVED, "2026-11-28")
    assert (row["clock_skew"], row["client_ts"]) == (skew, ts)
    assert parsed.event_date == date(2026, 11, 28)


def test_the_window_is_configurable_and_a_plausible_time_is_kept(raw_events):
    record = received_event(raw_events, ts="2026-11-27T23:59:00.000Z")
    row = columns(parse_line(orjson.dumps(record), "k").copy_line)
    assert row["event_at"] == record["ts"] and row["client_ts"] == "\\N"
    narrow = TimeWindow(max_ahead=timedelta(0), max_behind=timedelta(hours=1))
    row = columns(parse_line(orjson.dumps(record), "k", narrow).copy_line)
    assert (row["event_at"], row["clock_skew"]) == (RECEIVED, "past")


def test_a_receive_time_far_from_the_objects_partition_hour_is_rejected(raw_events):
    key = "year=2026/month=11/day=28/hour=23/events-x.ndjson.gz"
    assert parse_line(orjson.dumps(received_event(raw_events)), key)
    far = received_event(raw_events, received_at="2027-01-01T00:00:00Z", ts="2027-01-01T00:00:00Z")
    with pytest.raises(RejectedRecord, match="partition hour"):
        parse_line(orjson.dumps(far), key)


@given(value=st.integers(0, 10000))
@settings(max_examples=50, derandomize=True, database=None)
def test_integral_floats_become_integer_text(value):
    record = {
        **SyntheticShop(seed=2).events(1, START, timedelta(minutes=1)).__next__(),
        "device": {"type": "desktop", "screen_width": float(value), "screen_height": 2.0},
    }
    row = columns(parse_line(orjson.dumps(record), "k").copy_line)
    assert (row["screen_width"], row["screen_height"]) == (str(value), "2")


def test_nul_is_removed_from_text_and_jsonb_even_behind_a_backslash():
    # jsonb refuses \u0000; cutting that text out of "\\u0000" (an escaped backslash
    # before "u0000") would leave a dangling backslash and invalid JSON
    text = _json({"a": "\\u0000x", "b": "a\x00b", "c": ["\x00"]})
    assert orjson.loads(text) == {"a": "\\u0000x", "b": "ab", "c": [""]}
    assert "\\u0000" not in text.replace("\\\\", "")


def test_lone_surrogates_become_replacement_characters(raw_events):
    line = orjson.dumps(received_event(raw_events, page_title="cut SURROGATE here"))
    line = line.replace(b"SURROGATE", b"\\ud83d")
    row = columns(parse_line(line, "k").copy_line)
    assert row["page_title"] == "cut \ufffd here"


def test_aggregate_key_values_are_cut_to_fit_a_btree_entry(raw_events):
    utm = {"source": "\U0001f600" * 3000, "medium": "m", "campaign": None}
    record = received_event(raw_events, utm=utm, referrer="https://" + "\u00e9" * 2000)
    row = columns(parse_line(orjson.dumps(record), "k").copy_line)
    assert row["utm_source"] == "\U0001f600" * MAX_KEY_CHARS and row["utm_medium"] == "m"
    assert len(row["referrer_host"]) == MAX_KEY_CHARS


def test_an_unforeseen_value_in_a_line_never_raises_anything_but_a_rejection(raw_events):
    line = b'{"event_id": "\\ud83d", "n": ' + b"9" * 40 + b"}"
    with pytest.raises(RejectedRecord):
        parse_line(line, "k")
