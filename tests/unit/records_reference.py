"""The straightforward schema-on-read of one raw line: parse_line as it was before
records.line_parser was tuned for speed (one general path, helper calls, no per-object
precomputation). tests/unit/test_etl_records_fast_path.py checks that the tuned parser
gives the same COPY row, or the same rejection, for generated hostile lines."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from clickstream.contract import validate_event
from clickstream.etl.records import (
    _EMPTY,
    _UA_KEYS,
    _UTC_SUFFIXES,
    _UTM_KEYS,
    AUTH_VALUES,
    CLOCK_SKEW_VALUES,
    DEFAULT_WINDOW,
    MAX_KEY_CHARS,
    NULL,
    SUPPORTED_RAW_VERSION,
    ParsedEvent,
    ProductFacts,
    RejectedRecord,
    TimeWindow,
    _escaped_key,
    _int_text,
    _json,
    _loads,
    _no_nul,
    _parse_time,
    _received_bounds,
    _text,
    _utc,
    url_host,
    url_path,
)


def _key_text(value: Any) -> Any:
    # An aggregate key part: cut so the aggregate's btree entry stays under its limit.
    if isinstance(value, str) and len(value) > MAX_KEY_CHARS:
        return value[:MAX_KEY_CHARS]
    return value


def _copy_line(fields: list[Any], plain: bool, source_key: str) -> str:
    """One COPY text row from the column values (numbers already converted to text).

    `plain` says the raw line held no backslash: JSON must escape backslashes and every
    control character inside strings, so then no string holds anything COPY would need
    escaped and a None only has to become the NULL marker. Anything else (an escaped
    character, or a server field that is not a string, e.g. a number in `ua`) takes the
    per-value conversion with escaping."""
    if plain:
        try:
            return "\t".join([NULL if v is None else v for v in fields]) + _escaped_key(source_key)
        except TypeError:
            pass  # a value that is neither text nor None
    return "\t".join([_text(value) for value in fields]) + _escaped_key(source_key)


def reference_parse_line(
    line: bytes, source_key: str, window: TimeWindow = DEFAULT_WINDOW
) -> ParsedEvent:
    """Validate one raw line and flatten it into a COPY text row; raise RejectedRecord.

    Besides the schema, everything PostgreSQL would refuse is checked here (offsets,
    integral floats in integer columns, NUL in text and jsonb, lone surrogates, times
    outside PostgreSQL's or Python's range), so a bad line is rejected alone instead of
    failing its object's COPY. A client time outside `window` around the receive time
    is replaced by the receive time (the client's kept in client_ts, clock_skew set).

    Runs once per event, so it avoids helper calls and intermediate dicts: the server
    fields are popped straight off the parsed record, and the columns are gathered into
    one list that is joined once (see _copy_line)."""
    record = _loads(line)
    if record.__class__ is not dict:
        raise RejectedRecord("a raw line must be a JSON object")
    pop = record.pop
    raw_version = pop("raw_version", None)
    received_text = pop("received_at", None)
    request_id = pop("request_id", None)
    auth = pop("auth", None)
    clock_skew = pop("clock_skew", None)
    ua = pop("ua", None)
    is_bot = pop("is_bot", None)
    utm = pop("utm", None)
    client_ts = pop("client_ts", None)
    if raw_version != SUPPORTED_RAW_VERSION:
        raise RejectedRecord(f"raw_version {raw_version!r} is not supported")
    if clock_skew not in CLOCK_SKEW_VALUES:
        raise RejectedRecord(f"clock_skew: unexpected value {clock_skew!r}")
    if auth not in AUTH_VALUES:
        raise RejectedRecord(f"auth: unexpected value {auth!r}")
    if is_bot.__class__ is not bool:
        raise RejectedRecord("is_bot: missing or not a boolean")
    if ua is None:
        ua = _EMPTY
    elif ua.__class__ is not dict:
        raise RejectedRecord("ua: not an object")
    if utm is None:
        utm = _EMPTY
    elif utm.__class__ is not dict:
        raise RejectedRecord("utm: not an object")
    if client_ts is not None and client_ts.__class__ is not str:
        raise RejectedRecord("client_ts: not a string")
    received_at = _parse_time(received_text, "received_at")
    # (A time written with "Z" is parsed as UTC already: no conversion per line.)
    received_utc = received_at if received_text[-1] == "Z" else _utc(received_at)
    bounds = _received_bounds(source_key, window)
    if received_utc is None or (bounds is not None and not (bounds[0] <= received_utc < bounds[1])):
        raise RejectedRecord(
            f"received_at: {received_text} is not a receive time of the object's partition"
            f" hour {bounds[0] + window.max_behind if bounds else '(none)'}"
        )
    problems = validate_event(record)
    if problems:
        raise RejectedRecord("schema: " + "; ".join(str(problem) for problem in problems))
    get = record.get
    ts: str = record["ts"]
    event_time = _parse_time(ts, "ts")
    event_utc = event_time if ts[-1] == "Z" else _utc(event_time)
    skew = None if event_utc is None else event_utc - received_utc
    if skew is None:
        # Beyond Python's years 1-9999 in UTC: year 1 with a positive offset, or 9999
        # with a negative one.
        clock_skew = "past" if event_time.year == 1 else "future"
        client_ts = client_ts or ts
        ts, event_time = received_text, received_at
    elif skew > window.max_ahead:
        clock_skew, client_ts = "future", client_ts or ts
        ts, event_time = received_text, received_at
    elif skew < -window.max_behind:
        clock_skew, client_ts = "past", client_ts or ts
        ts, event_time = received_text, received_at
    # The schema pins ts to RFC 3339, so a UTC time's date is its first ten characters.
    if ts.endswith(_UTC_SUFFIXES):
        event_date = event_time.date()
        event_day = ts[:10]
    else:
        event_date = event_time.astimezone(UTC).date()
        event_day = event_date.isoformat()
    device = get("device") or _EMPTY
    geo = get("geo") or _EMPTY
    ecom = get("ecom") or _EMPTY
    props = get("props") or _EMPTY
    items = ecom.get("items")
    page_url: str = record["page_url"]
    referrer = get("referrer") or None
    referrer_host = _key_text(url_host(referrer))
    event_id: str = record["event_id"].lower()
    session_id: str = record["session_id"].lower()
    product_id = ecom.get("product_id")
    category = ecom.get("category")
    price = ecom.get("price")
    price_text = None if price is None else str(price)
    currency = ecom.get("currency")
    qty = ecom.get("qty")
    position = ecom.get("position")
    result_count = props.get("result_count")
    engaged_ms = get("engaged_ms")
    screen_width = device.get("screen_width")
    screen_height = device.get("screen_height")
    utm_values = list(map(utm.get, _UTM_KEYS))
    for index, value in enumerate(utm_values):
        if value.__class__ is str and len(value) > MAX_KEY_CHARS:
            utm_values[index] = value[:MAX_KEY_CHARS]
    # Numbers and booleans are converted here, where the schema fixed their types; the
    # rest are strings or None (see _copy_line).
    fields = [
        event_id,
        record["event_type"],
        ts,
        event_day,
        received_text,
        session_id,
        record["anonymous_id"],
        get("user_id"),
        page_url,
        url_path(page_url),
        get("page_title"),
        referrer,
        referrer_host,
        device.get("type"),
        None if screen_width is None else _int_text(screen_width),
        None if screen_height is None else _int_text(screen_height),
        device.get("language"),
        geo.get("country"),
        geo.get("city"),
        product_id,
        category,
        currency,
        price_text,
        None if qty is None else _int_text(qty),
        ecom.get("order_id"),
        ecom.get("list_id"),
        None if position is None else _int_text(position),
        None if items is None else _json(items),
        props.get("search_query"),
        None if result_count is None else _int_text(result_count),
        None if engaged_ms is None else _int_text(engaged_ms),
        _json(props) if props else None,
        *utm_values,
        *map(ua.get, _UA_KEYS),
        "t" if is_bot else "f",
        clock_skew,
        auth,
        request_id,
        client_ts,
    ]
    product = (
        None
        if product_id is None
        else ProductFacts(
            _no_nul(product_id),
            _no_nul(category),
            price_text,
            _no_nul(currency),
        )
    )
    return ParsedEvent(
        event_id,
        event_date,
        _copy_line(fields, b"\\" not in line, source_key),
        session_id,
        event_time,
        received_at,
        product,
    )
