"""Schema-on-read: one raw NDJSON line -> one COPY row of fact_events, or a rejection.

Pure functions, no I/O. The raw layout is docs/raw-events.md: the contract fields
as the client sent them (identifiers hashed) plus server-side fields, which are
taken out before re-validating against the one event schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

from clickstream.contract import validate_event

SUPPORTED_RAW_VERSION = 1
SERVER_FIELDS = (
    "raw_version", "received_at", "request_id", "auth", "clock_skew", "ua", "is_bot", "utm",
)  # fmt: skip
CLOCK_SKEW_VALUES = (None, "future", "past")
AUTH_VALUES = ("site_key", "cognito")

# Column order of the COPY rows; the loader's COPY statement is built from this tuple.
COPY_COLUMNS: tuple[str, ...] = (
    "event_id", "event_type", "event_at", "event_date", "received_at", "session_id",
    "anonymous_id", "user_id", "page_url", "page_path", "page_title", "referrer",
    "referrer_host", "device_type", "screen_width", "screen_height", "language", "country",
    "city", "product_id", "category", "currency", "price", "qty", "order_id", "list_id",
    "list_position", "impression_items", "search_query", "result_count", "engaged_ms", "props",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "browser",
    "browser_version", "os", "os_version", "device_family", "ua_device_type", "is_bot",
    "clock_skew", "auth", "request_id", "source_key",
)  # fmt: skip

NULL = "\\N"


class RejectedRecord(ValueError):
    """A raw line that cannot become a fact_events row; the message is the stored reason."""


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """What dim_product keeps of one event that names a product (the COPY text of price)."""

    product_id: str
    category: str | None
    price: str | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    event_id: str
    event_date: date
    copy_line: str
    # What a load that COPYs straight into fact_events must queue itself: the session,
    # event and server times, and the product facts (None when no product is named).
    session_id: str = ""
    event_at: datetime | None = None
    received_at: datetime | None = None
    product: ProductFacts | None = None


def _escape(value: str) -> str:
    # COPY text format: backslash, tab, newline and carriage return must be escaped.
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t")
        value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value


def _text(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, str):
        # NUL cannot be stored in a PostgreSQL text value.
        return _escape(value.replace("\x00", "")) if "\x00" in value else _escape(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _no_nul(value: Any) -> Any:
    # The same text COPY stores (NUL removed), for values sent as query parameters.
    return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value


def _json(value: Any) -> str:
    # jsonb cannot hold \u0000; the text is COPY-escaped later like every other string.
    return orjson.dumps(value).decode().replace("\\u0000", "")


_SEPARATORS = len(COPY_COLUMNS) - 1


def _copy_line(fields: tuple[Any, ...]) -> str:
    """One COPY text row. Fast path: convert without per-field escaping, then check the
    joined line: a row needs escaping exactly when it holds a newline, carriage return,
    NUL, an extra tab, or more backslashes than its NULL markers bring (almost no event
    does, and scanning the joined line is cheaper than looking at each field)."""
    line = "\t".join(
        [
            NULL
            if v is None
            else v
            if v.__class__ is str
            else ("t" if v else "f")
            if v.__class__ is bool
            else str(v)
            for v in fields
        ]
    )
    if (
        line.count("\\") != fields.count(None)
        or line.count("\t") != _SEPARATORS
        or "\n" in line
        or "\r" in line
        or "\x00" in line
    ):
        return "\t".join([_text(value) for value in fields]) + "\n"
    return line + "\n"


def url_path(url: str) -> str:
    """'/p/123' from 'https://shop.example/p/123?x=1#top' (no urllib: this runs per event)."""
    scheme_end = url.find("://")
    start = url.find("/", scheme_end + 3) if scheme_end >= 0 else -1
    if start < 0:
        return "/"
    end = len(url)
    for mark in ("?", "#"):
        at = url.find(mark, start)
        if 0 <= at < end:
            end = at
    return url[start:end] or "/"


def url_host(url: str | None) -> str | None:
    if not url:
        return None
    scheme_end = url.find("://")
    if scheme_end < 0:
        return None
    rest = url[scheme_end + 3 :]
    for mark in ("/", "?", "#"):
        at = rest.find(mark)
        if at >= 0:
            rest = rest[:at]
    return rest.lower() or None


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise RejectedRecord(f"{field}: missing or not a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise RejectedRecord(f"{field}: not a real RFC 3339 time ({error})") from error
    if parsed.tzinfo is None:
        raise RejectedRecord(f"{field}: no UTC offset")
    return parsed


def _server_fields(record: dict[str, Any]) -> dict[str, Any]:
    server = {name: record.pop(name, None) for name in SERVER_FIELDS}
    if server["raw_version"] != SUPPORTED_RAW_VERSION:
        raise RejectedRecord(f"raw_version {server['raw_version']!r} is not supported")
    if server["clock_skew"] not in CLOCK_SKEW_VALUES:
        raise RejectedRecord(f"clock_skew: unexpected value {server['clock_skew']!r}")
    if server["auth"] not in AUTH_VALUES:
        raise RejectedRecord(f"auth: unexpected value {server['auth']!r}")
    if not isinstance(server["is_bot"], bool):
        raise RejectedRecord("is_bot: missing or not a boolean")
    for block in ("ua", "utm"):
        if server[block] is not None and not isinstance(server[block], dict):
            raise RejectedRecord(f"{block}: not an object")
    return server


def parse_line(line: bytes, source_key: str) -> ParsedEvent:
    """Validate one raw line and flatten it into a COPY text row; raise RejectedRecord."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise RejectedRecord(f"invalid JSON: {error}") from error
    if not isinstance(record, dict):
        raise RejectedRecord("a raw line must be a JSON object")
    server = _server_fields(record)
    received_at = _parse_time(server["received_at"], "received_at")
    problems = validate_event(record)
    if problems:
        raise RejectedRecord("schema: " + "; ".join(str(problem) for problem in problems))
    event_time = _parse_time(record["ts"], "ts")
    event_date = event_time.astimezone(UTC).date()

    device = record.get("device") or {}
    geo = record.get("geo") or {}
    ecom = record.get("ecom") or {}
    props = record.get("props")
    ua = server["ua"] or {}
    utm = server["utm"] or {}
    items = ecom.get("items")
    page_url = record["page_url"]
    referrer = record.get("referrer") or None
    event_id = record["event_id"].lower()
    session_id = record["session_id"].lower()
    product_id = ecom.get("product_id")
    price = ecom.get("price")
    product = (
        None
        if product_id is None
        else ProductFacts(
            _no_nul(product_id),
            _no_nul(ecom.get("category")),
            None if price is None else str(price),
            _no_nul(ecom.get("currency")),
        )
    )
    fields = (
        event_id,
        record["event_type"],
        record["ts"],
        event_date.isoformat(),
        server["received_at"],
        session_id,
        record["anonymous_id"],
        record.get("user_id"),
        page_url,
        url_path(page_url),
        record.get("page_title"),
        referrer,
        url_host(referrer),
        device.get("type"),
        device.get("screen_width"),
        device.get("screen_height"),
        device.get("language"),
        geo.get("country"),
        geo.get("city"),
        product_id,
        ecom.get("category"),
        ecom.get("currency"),
        price,
        ecom.get("qty"),
        ecom.get("order_id"),
        ecom.get("list_id"),
        ecom.get("position"),
        None if items is None else _json(items),
        props.get("search_query") if props else None,
        props.get("result_count") if props else None,
        record.get("engaged_ms"),
        None if not props else _json(props),
        utm.get("source"),
        utm.get("medium"),
        utm.get("campaign"),
        utm.get("term"),
        utm.get("content"),
        ua.get("browser"),
        ua.get("browser_version"),
        ua.get("os"),
        ua.get("os_version"),
        ua.get("device_family"),
        ua.get("device_type"),
        server["is_bot"],
        server["clock_skew"],
        server["auth"],
        server["request_id"],
        source_key,
    )
    return ParsedEvent(
        event_id, event_date, _copy_line(fields), session_id, event_time, received_at, product
    )


def event_id_of(line: bytes) -> str | None:
    """Best-effort event_id of a rejected line, so a reviewer can find its siblings."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    value = record.get("event_id") if isinstance(record, dict) else None
    return value[:64] if isinstance(value, str) else None
