"""Schema-on-read: one raw NDJSON line -> one COPY row of fact_events, or a rejection.

Pure functions, no I/O. The raw layout is docs/raw-events.md: the contract fields
as the client sent them (identifiers hashed) plus server-side fields, which are
taken out before re-validating against the one event schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import orjson

from clickstream.contract import event_validator, validate_event
from clickstream.etl.raw_store import partition_hour_of

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
    "clock_skew", "auth", "request_id", "client_ts", "source_key",
)  # fmt: skip

NULL = "\\N"
_EMPTY: dict[str, Any] = {}
_UA_KEYS = ("browser", "browser_version", "os", "os_version", "device_family", "device_type")
_UTM_KEYS = ("source", "medium", "campaign", "term", "content")
_NULL_UTM = (NULL,) * len(_UTM_KEYS)
_NULL_UA = (NULL,) * len(_UA_KEYS)
_SEPARATORS = len(COPY_COLUMNS) - 2  # tabs between the values before source_key
_UTC_SUFFIXES = ("Z", "+00:00", "-00:00")
# A surrogate code point left in a str is a lone one (a pair is read as one character).
_SURROGATE = re.compile("[\ud800-\udfff]")
# The largest UTC offset PostgreSQL accepts in a timestamptz literal is 15:59.
MAX_OFFSET_HOURS = 15
# Values that become parts of an aggregate's primary key (btree entries are limited to
# about 2,700 bytes): UTM values and the referrer host are cut to this many characters.
MAX_KEY_CHARS = 200
# A line's text kept in etl_rejected_rows, and its reason.
MAX_REASON_CHARS = 2000

# Same names and defaults as the ingest Lambda's event-time window (INTERFACES.md).
DEFAULT_MAX_AHEAD_SECONDS = 86_400
DEFAULT_MAX_BEHIND_SECONDS = 2_592_000


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """How far a client's `ts` may be ahead of / behind the receive time; outside it the
    receive time is stored as the event time, the client's time as client_ts, and
    clock_skew says which way it was off. Also bounds received_at around the object's
    partition hour (a receive time far from the hour it was partitioned by is not real)."""

    max_ahead: timedelta = timedelta(seconds=DEFAULT_MAX_AHEAD_SECONDS)
    max_behind: timedelta = timedelta(seconds=DEFAULT_MAX_BEHIND_SECONDS)


DEFAULT_WINDOW = TimeWindow()


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


def _strip_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_strip_nul(k): _strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_nul(v) for v in value]
    return value


def _json(value: Any) -> str:
    # jsonb cannot hold \u0000. The escape appears in the text only when some string
    # holds a NUL, or a backslash followed by "u0000", so only then are the values cleaned
    # (cutting the six characters out of the text would break the second kind).
    text = orjson.dumps(value).decode()
    if "\\u0000" in text:
        text = orjson.dumps(_strip_nul(value)).decode()
    return text


def _int_text(value: Any) -> str:
    # The schema's "integer" accepts 1280.0; an integer column refuses that text.
    if value.__class__ is int:
        return str(value)
    return str(int(value))


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _int_like_orjson(text: str) -> int | float:
    # orjson reads an integer beyond 64 bits as a float (and can only write 64-bit ones).
    value = int(text)
    return value if -(2**63) <= value < 2**64 else float(value)


def _loads(line: bytes) -> Any:
    """orjson, or for a line orjson refuses because of lone surrogates (a string cut in
    the middle of an emoji, written by older ingest code) the standard parser, with each
    lone surrogate replaced by U+FFFD as ingest does now."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as error:
        if "surrogate" not in str(error):
            raise RejectedRecord(f"invalid JSON: {error}") from error
        try:
            record = json.loads(
                line.decode("utf-8", "surrogatepass"),
                parse_constant=_refuse_constant,
                parse_int=_int_like_orjson,
            )
        except (ValueError, UnicodeDecodeError) as second:
            raise RejectedRecord(f"invalid JSON: {error}") from second
        return _replace_surrogates(record)


def clean_text(value: str, limit: int) -> str:
    """Text PostgreSQL stores whatever the line held: no NUL, no lone surrogate."""
    return _SURROGATE.sub("\ufffd", value[:limit].replace("\x00", ""))


@lru_cache(maxsize=256)
def _escaped_key(source_key: str) -> str:
    # The end of every row of one object: the tab before source_key, the key, the newline.
    return "\t" + _text(source_key) + "\n"


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
    """An aware datetime PostgreSQL can store too; raise RejectedRecord otherwise."""
    if not isinstance(value, str):
        raise RejectedRecord(f"{field}: missing or not a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise RejectedRecord(f"{field}: not a real RFC 3339 time ({error})") from error
    offset = parsed.utcoffset()
    if offset is None:
        raise RejectedRecord(f"{field}: no UTC offset")
    if not value.endswith("Z"):
        # Python reads "+05:75" as 6 h 15 min; PostgreSQL refuses minutes >= 60 and
        # offsets beyond 15:59, so check the text itself.
        sign, hours, minutes = value[-6], value[-5:-3], value[-2:]
        if (
            sign not in "+-"
            or value[-3] != ":"
            or not (hours + minutes).isdigit()
            or int(minutes) >= 60
            or int(hours) > MAX_OFFSET_HOURS
        ):
            raise RejectedRecord(
                f"{field}: UTC offset {value[-6:]!r} is not one PostgreSQL accepts"
                f" (hours <= {MAX_OFFSET_HOURS}, minutes < 60)"
            )
    return parsed


def _utc(moment: datetime) -> datetime | None:
    """The UTC time, or None when it falls outside Python's years 1-9999 (e.g. year 1
    with a positive offset)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


@lru_cache(maxsize=256)
def _received_bounds(source_key: str, window: TimeWindow) -> tuple[datetime, datetime] | None:
    """The receive times an object of this key's partition hour can hold (None when the
    key has no partition hour)."""
    hour = partition_hour_of(source_key)
    if hour is None:
        return None
    return hour - window.max_behind, hour + timedelta(hours=1) + window.max_ahead


def parse_line(line: bytes, source_key: str, window: TimeWindow = DEFAULT_WINDOW) -> ParsedEvent:
    """Validate one raw line and flatten it into a COPY text row; raise RejectedRecord.

    Besides the schema, everything PostgreSQL would refuse is checked here (offsets,
    integral floats in integer columns, NUL in text and jsonb, lone surrogates, times
    outside PostgreSQL's or Python's range), so a bad line is rejected alone instead of
    failing its object's COPY. A client time outside `window` around the receive time
    is replaced by the receive time (the client's kept in client_ts, clock_skew set).

    The parser of a whole object is `line_parser(source_key, window)`: this is the
    same, for one line."""
    return line_parser(source_key, window)(line)


# Pages and referrers repeat (a session walks a catalogue): their path and host are
# kept, for at most URL_MEMO_ENTRIES URLs of each kind (then forgotten all at once).
URL_MEMO_ENTRIES = 4096
_PATHS: dict[str, str] = {}
_HOSTS: dict[str, str | None] = {}


def _remember(memo: dict[str, Any], url: str, value: Any) -> Any:
    if len(memo) >= URL_MEMO_ENTRIES:
        memo.clear()
    memo[url] = value
    return value


@lru_cache(maxsize=16)
def _time_and_utc(text: Any, field: str) -> tuple[datetime, datetime | None]:
    """The time and its UTC value (None beyond Python's years in UTC). A time written
    with "Z" is UTC (no offset to check, no conversion); anything else, and any time
    Python cannot read, takes _parse_time (which says why it refuses one)."""
    if text.__class__ is str and text[-1:] == "Z":
        try:
            moment = _fromisoformat(text)
        except ValueError:
            moment = _parse_time(text, field)
        if moment.tzinfo is None:
            moment = _parse_time(text, field)
        return moment, moment
    moment = _parse_time(text, field)
    return moment, _utc(moment)


_fromisoformat = datetime.fromisoformat


def line_parser(
    source_key: str, window: TimeWindow = DEFAULT_WINDOW
) -> Callable[[bytes], ParsedEvent]:
    """parse_line for the lines of one object.

    Runs once per event, so what depends only on the object (the receive times its
    partition hour allows, its escaped key) is computed here once, the per-line work
    calls as few Python functions as it can (the slow paths call the general helpers:
    _loads, _parse_time, _text), and the server fields are popped straight off the
    parsed record; the columns are gathered into one list that is joined once."""
    bounds = _received_bounds(source_key, window)
    low, high = bounds if bounds is not None else (None, None)
    key_tail = _escaped_key(source_key)
    max_ahead = window.max_ahead
    least_skew = -window.max_behind
    is_valid = event_validator().is_valid
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    new_tuple = tuple.__new__
    paths = _PATHS
    hosts = _HOSTS
    N = NULL  # the object itself: compared by identity, never equal to a value read

    def parse(line: bytes) -> ParsedEvent:
        try:
            record = loads(line)
        except decode_error:
            record = _loads(line)  # a lone surrogate's fallback, or the rejection
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
        received_at, received_utc = _time_and_utc(received_text, "received_at")
        if received_utc is None or (
            low is not None and not (low <= received_utc < high)  # type: ignore[operator]
        ):
            raise RejectedRecord(
                f"received_at: {received_text} is not a receive time of the object's partition"
                f" hour {bounds[0] + window.max_behind if bounds else '(none)'}"
            )
        if not is_valid(record):
            problems = validate_event(record)
            if problems:
                raise RejectedRecord("schema: " + "; ".join(str(problem) for problem in problems))
        get = record.get
        # The schema pins ts to RFC 3339 with an offset of at most 15:59.
        ts: str = record["ts"]
        event_time, event_utc = _time_and_utc(ts, "ts")
        if event_utc is None:
            # Beyond Python's years 1-9999 in UTC: year 1 with a positive offset, or 9999
            # with a negative one.
            clock_skew = "past" if event_time.year == 1 else "future"
            client_ts = client_ts or ts
            ts, event_time = received_text, received_at
        else:
            skew = event_utc - received_utc
            if skew > max_ahead:
                clock_skew, client_ts = "future", client_ts or ts
                ts, event_time = received_text, received_at
            elif skew < least_skew:
                clock_skew, client_ts = "past", client_ts or ts
                ts, event_time = received_text, received_at
        # A UTC time's date is its first ten characters.
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
        referrer_host = hosts.get(referrer)  # type: ignore[arg-type]
        if referrer_host is None and referrer is not None:
            referrer_host = _remember(hosts, referrer, url_host(referrer))
        if referrer_host is not None and len(referrer_host) > MAX_KEY_CHARS:
            referrer_host = referrer_host[:MAX_KEY_CHARS]
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
        # UTM values are aggregate key parts: cut to MAX_KEY_CHARS (a shorter string's
        # slice is the string itself).
        utm_values = (
            _NULL_UTM
            if utm is _EMPTY
            else [
                N if value is None else value[:MAX_KEY_CHARS] if value.__class__ is str else value
                for value in map(utm.get, _UTM_KEYS)
            ]
        )
        ua_values = (
            _NULL_UA if ua is _EMPTY else [N if v is None else v for v in map(ua.get, _UA_KEYS)]
        )
        # The column values, with the NULL marker (the object N) for None. Numbers and
        # booleans are converted here, where the schema fixed their types (an integer
        # may be written 1280.0, which an integer column refuses); the rest are strings.
        fields = [
            event_id,
            record["event_type"],
            ts,
            event_day,
            received_text,
            session_id,
            record["anonymous_id"],
            N if (value := get("user_id")) is None else value,
            page_url,
            paths.get(page_url) or _remember(paths, page_url, url_path(page_url)),
            N if (value := get("page_title")) is None else value,
            N if referrer is None else referrer,
            N if referrer_host is None else referrer_host,
            N if (value := device.get("type")) is None else value,
            N if screen_width is None else _int_text(screen_width),
            N if screen_height is None else _int_text(screen_height),
            N if (value := device.get("language")) is None else value,
            N if (value := geo.get("country")) is None else value,
            N if (value := geo.get("city")) is None else value,
            N if product_id is None else product_id,
            N if category is None else category,
            N if currency is None else currency,
            N if price_text is None else price_text,
            N if qty is None else _int_text(qty),
            N if (value := ecom.get("order_id")) is None else value,
            N if (value := ecom.get("list_id")) is None else value,
            N if position is None else _int_text(position),
            N if items is None else _json(items),
            N if (value := props.get("search_query")) is None else value,
            N if result_count is None else _int_text(result_count),
            N if engaged_ms is None else _int_text(engaged_ms),
            _json(props) if props else N,
            *utm_values,
            *ua_values,
            "t" if is_bot else "f",
            N if clock_skew is None else clock_skew,
            auth,
            N if request_id is None else request_id,
            N if client_ts is None else client_ts,
        ]
        # JSON escapes backslashes and every control character inside strings, so a
        # line without a backslash holds no string COPY would need escaped and no NUL:
        # the values are joined as they are. A line with one (often an escaped quote)
        # is joined the same way and kept when the text holds nothing to escape and no
        # tab but the separators. Anything else (a character to escape, or a server
        # field that is not a string, e.g. a number in `ua`) takes the per-value
        # conversion with escaping (N, the marker itself, is not a value to escape).
        plain = b"\\" not in line
        try:
            copy_line: str | None = "\t".join(fields)
        except TypeError:
            copy_line = None  # a value that is neither text nor the marker
        if (
            not plain
            and copy_line is not None
            and (
                "\\" in copy_line
                or "\n" in copy_line
                or "\r" in copy_line
                or "\x00" in copy_line
                or copy_line.count("\t") != _SEPARATORS
            )
        ):
            copy_line = None
        if copy_line is None:
            copy_line = "\t".join([N if value is N else _text(value) for value in fields])
        copy_line += key_tail
        if product_id is None:
            product = None
        elif plain:
            product = new_tuple(ProductFacts, (product_id, category, price_text, currency))
        else:
            product = new_tuple(
                ProductFacts,
                (_no_nul(product_id), _no_nul(category), price_text, _no_nul(currency)),
            )
        return new_tuple(
            ParsedEvent,
            (event_id, event_date, copy_line, session_id, event_time, received_at, product),
        )

    return parse


def event_id_of(line: bytes) -> str | None:
    """Best-effort event_id of a rejected line, so a reviewer can find its siblings."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    value = record.get("event_id") if isinstance(record, dict) else None
    return value[:64] if isinstance(value, str) else None
