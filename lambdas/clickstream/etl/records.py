"""Schema-on-read: one raw NDJSON line -> one COPY row of fact_events, or a rejection.

Pure functions, no I/O. The raw layout is docs/raw-events.md: the contract fields
as the client sent them (identifiers hashed) plus server-side fields, which are
taken out before re-validating against the one event schema.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

import orjson

from clickstream.contract import validate_event

SUPPORTED_RAW_VERSION = 1
SERVER_FIELDS = (
    "raw_version", "received_at", "request_id", "auth", "clock_skew", "ua", "is_bot", "utm",
    "client_ts",
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
_EMPTY: dict[str, Any] = {}
_UA_KEYS = ("browser", "browser_version", "os", "os_version", "device_family", "device_type")
_UTM_KEYS = ("source", "medium", "campaign", "term", "content")
_UTC_SUFFIXES = ("Z", "+00:00", "-00:00")


class RejectedRecord(ValueError):
    """A raw line that cannot become a fact_events row; the message is the stored reason."""


class ProductFacts(NamedTuple):
    """What dim_product keeps of one event that names a product (the COPY text of price)."""

    product_id: str
    category: str | None
    price: str | None
    currency: str | None


class ParsedEvent(NamedTuple):
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


@lru_cache(maxsize=256)
def _escaped_key(source_key: str) -> str:
    # The end of every row of one object: the tab before source_key, the key, the newline.
    return "\t" + _text(source_key) + "\n"


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


def parse_line(line: bytes, source_key: str) -> ParsedEvent:
    """Validate one raw line and flatten it into a COPY text row; raise RejectedRecord.

    Runs once per event, so it avoids helper calls and intermediate dicts: the server
    fields are popped straight off the parsed record, and the columns are gathered into
    one list that is joined once (see _copy_line)."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise RejectedRecord(f"invalid JSON: {error}") from error
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
    # The client's own time when the ingest replaced an implausible ts (docs/raw-events.md).
    pop("client_ts", None)
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
    received_at = _parse_time(received_text, "received_at")
    problems = validate_event(record)
    if problems:
        raise RejectedRecord("schema: " + "; ".join(str(problem) for problem in problems))
    get = record.get
    ts: str = record["ts"]
    event_time = _parse_time(ts, "ts")
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
        url_host(referrer),
        device.get("type"),
        None if screen_width is None else str(screen_width),
        None if screen_height is None else str(screen_height),
        device.get("language"),
        geo.get("country"),
        geo.get("city"),
        product_id,
        category,
        currency,
        price_text,
        None if qty is None else str(qty),
        ecom.get("order_id"),
        ecom.get("list_id"),
        None if position is None else str(position),
        None if items is None else _json(items),
        props.get("search_query"),
        None if result_count is None else str(result_count),
        None if engaged_ms is None else str(engaged_ms),
        _json(props) if props else None,
        *map(utm.get, _UTM_KEYS),
        *map(ua.get, _UA_KEYS),
        "t" if is_bot else "f",
        clock_skew,
        auth,
        request_id,
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


def event_id_of(line: bytes) -> str | None:
    """Best-effort event_id of a rejected line, so a reviewer can find its siblings."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    value = record.get("event_id") if isinstance(record, dict) else None
    return value[:64] if isinstance(value, str) else None
