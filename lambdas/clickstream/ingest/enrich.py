"""Server-side enrichment: receive time, clock skew, User-Agent, bots, country, UTM, privacy.

Every function here is pure; the handler passes in what it read from the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any
from urllib.parse import unquote_plus

import ua_parser
from crawlerdetect import CrawlerDetect

from clickstream.contract import event_schema, validate_event
from clickstream.ingest.privacy import (
    PHONE_PLACEHOLDER,
    hash_identifier,
    looks_like_phone_number,
    redact,
    redact_url,
)

RAW_VERSION = 1
# The plausibility window of event times around the receive time (docs/raw-events.md);
# the ingest config reads EVENT_TIME_MAX_AHEAD_SECONDS / EVENT_TIME_MAX_BEHIND_SECONDS.
DEFAULT_MAX_AHEAD = timedelta(days=1)
DEFAULT_MAX_BEHIND = timedelta(days=30)
# Props the contract declares with a type of their own: not free text, not redacted.
DECLARED_PROPS = ("result_count",)
# Fields the server adds to a record (docs/raw-events.md); the rest is the contract.
SERVER_FIELDS = frozenset(
    {"raw_version", "received_at", "request_id", "auth", "clock_skew", "ua", "is_bot", "utm",
     "client_ts"}
)  # fmt: skip
UTM_FIELDS = ("source", "medium", "campaign", "term", "content")
_TABLETS = ("iPad", "Tablet", "Kindle", "Nexus 7", "Nexus 9", "SM-T", "Tab")
_crawler_detect = CrawlerDetect()


class EnrichmentError(ValueError):
    """The event passed the schema but cannot be enriched (e.g. 2025-02-30 as ts)."""


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What the handler knows about the request, shared by every event in it."""

    received_at: datetime
    request_id: str
    auth_method: str  # "site_key" or "cognito"
    verified_user_id: str | None
    user_agent: str
    viewer_country: str | None
    hash_key: bytes
    max_ahead: timedelta = DEFAULT_MAX_AHEAD
    max_behind: timedelta = DEFAULT_MAX_BEHIND
    received_at_text: str = field(init=False)

    def __post_init__(self) -> None:
        # Formatted once per request rather than once per event.
        object.__setattr__(self, "received_at_text", format_timestamp(self.received_at))


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device_family: str | None
    device_type: str
    is_bot: bool

    def as_record(self) -> dict[str, str | None]:
        return {
            "browser": self.browser,
            "browser_version": self.browser_version,
            "os": self.os,
            "os_version": self.os_version,
            "device_family": self.device_family,
            "device_type": self.device_type,
        }


def _version(*parts: str | None) -> str | None:
    present = [part for part in parts if part]
    return ".".join(present) if present else None


@lru_cache(maxsize=4096)
def parse_user_agent(user_agent: str) -> UserAgentInfo:
    """Browser, OS and device class from ua-parser's maintained regexes; bots from CrawlerDetect.

    Cached: a store sees few distinct User-Agent strings, and parsing is the
    most expensive step of enrichment.
    """
    if not user_agent:
        return UserAgentInfo(None, None, None, None, None, "desktop", False)
    parsed = ua_parser.parse(user_agent)
    agent, os_info, device = parsed.user_agent, parsed.os, parsed.device
    is_bot = bool(_crawler_detect.isCrawler(user_agent)) or (
        device is not None and device.family == "Spider"
    )
    family = device.family if device else None
    if is_bot:
        device_type = "bot"
    elif any(marker in user_agent for marker in _TABLETS):
        device_type = "tablet"
    elif "Mobi" in user_agent or (os_info is not None and os_info.family in ("iOS", "Android")):
        device_type = "mobile"
    else:
        device_type = "desktop"
    return UserAgentInfo(
        browser=agent.family if agent else None,
        browser_version=_version(agent.major, agent.minor) if agent else None,
        os=os_info.family if os_info else None,
        os_version=_version(os_info.major, os_info.minor) if os_info else None,
        device_family=family,
        device_type=device_type,
        is_bot=is_bot,
    )


def parse_event_time(ts: str) -> datetime:
    """The client's time with its own offset. Not converted to UTC here: year 1 with a
    positive offset would overflow, and clock_skew does not need it."""
    try:
        parsed = datetime.fromisoformat(ts)
    except ValueError as error:
        raise EnrichmentError(f"ts is not a real date-time: {ts!r}") from error
    if parsed.tzinfo is None:
        raise EnrichmentError("ts has no UTC offset")
    return parsed


def clock_skew(
    event_at: datetime,
    received_at: datetime,
    max_ahead: timedelta = DEFAULT_MAX_AHEAD,
    max_behind: timedelta = DEFAULT_MAX_BEHIND,
) -> str | None:
    """ "future" / "past" when the event time is outside the plausibility window."""
    # Subtracting aware datetimes is timedelta arithmetic: no overflow at year 1 or 9999.
    delta = event_at - received_at
    if delta > max_ahead:
        return "future"
    if -delta > max_behind:
        return "past"
    return None


def query_parameters(url: str) -> dict[str, str]:
    """First value of each query parameter, decoded; never raises (urlsplit refuses an
    unclosed IPv6 bracket, which a client can send)."""
    query = url.partition("#")[0].partition("?")[2]
    found: dict[str, str] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        name = unquote_plus(name)
        if name and name not in found and value:
            found[name] = unquote_plus(value)
    return found


@lru_cache(maxsize=4096)
def utm_parameters(page_url: str) -> dict[str, str | None]:
    """From the already redacted page_url; decoded values are redacted again because
    decoding can reveal what the encoded form hid (%2540 is an encoded "%40")."""
    query = query_parameters(page_url)
    values = (query.get(f"utm_{name}") for name in UTM_FIELDS)
    return {
        name: None if value is None else redact(value)
        for name, value in zip(UTM_FIELDS, values, strict=True)
    }


@cache
def max_length(*path: str) -> int:
    """The schema's maxLength of the string at `path` ("*" = array items, "+" = any
    additional property): redaction may lengthen text ("a@b.cc" -> "[email]",
    re-encoded URL components), and what is stored must still fit the contract."""
    schema = event_schema()
    for name in path:
        if name == "*":
            schema = schema["items"]
        elif name == "+":
            schema = next(
                option for option in schema["additionalProperties"]["anyOf"]
                if option.get("type") == "string"
            )  # fmt: skip
        else:
            schema = schema["properties"][name]
    return int(schema["maxLength"])


def _redact_optional(value: Any, *path: str) -> Any:
    return redact(value)[: max_length(*path)] if isinstance(value, str) else value


def _redact_optional_url(value: Any, *path: str) -> Any:
    return redact_url(value)[: max_length(*path)] if isinstance(value, str) else value


def redact_prop(name: str, value: Any) -> Any:
    """A free-form prop: strings are redacted, numbers shaped like phone numbers too."""
    if isinstance(value, str):
        if name in event_schema()["properties"]["props"]["properties"]:
            return redact(value)[: max_length("props", name)]
        return redact(value)[: max_length("props", "+")]
    if (
        name not in DECLARED_PROPS
        and isinstance(value, int | float)
        and looks_like_phone_number(value)
    ):
        return PHONE_PLACEHOLDER
    return value


def format_timestamp(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _redact_ecom(ecom: dict[str, Any]) -> dict[str, Any]:
    clean = dict(ecom)
    for name in ("category", "list_id"):
        if name in clean:
            clean[name] = _redact_optional(clean[name], "ecom", name)
    if isinstance(clean.get("items"), list):
        clean["items"] = [
            {
                **item,
                "category": _redact_optional(item["category"], "ecom", "items", "*", "category"),
            }
            if "category" in item
            else item
            for item in clean["items"]
        ]
    return clean


def enrich_event(event: dict[str, Any], context: RequestContext) -> dict[str, Any]:
    """The raw record (docs/raw-events.md) for one contract-valid event. Does not mutate `event`."""
    event_at = parse_event_time(event["ts"])
    agent = parse_user_agent(context.user_agent)
    record: dict[str, Any] = {"raw_version": RAW_VERSION}
    record.update(event)
    record["anonymous_id"] = hash_identifier(context.hash_key, event["anonymous_id"])
    record["user_id"] = (
        hash_identifier(context.hash_key, context.verified_user_id)
        if context.verified_user_id
        else None
    )
    record["page_url"] = _redact_optional_url(event["page_url"], "page_url")
    if "page_title" in event:
        record["page_title"] = _redact_optional(event["page_title"], "page_title")
    if "referrer" in event:
        record["referrer"] = _redact_optional_url(event["referrer"], "referrer")
    device = event.get("device")
    if device and device.get("language"):
        # A pattern-bound field: a redacted value would break the pattern, so drop it.
        if redact(device["language"]) != device["language"]:
            record["device"] = {**device, "language": None}
    geo = dict(event.get("geo") or {})
    if "city" in geo:
        geo["city"] = _redact_optional(geo["city"], "geo", "city")
    if context.viewer_country:
        geo["country"] = context.viewer_country
    if geo or "geo" in event:
        record["geo"] = geo
    if "ecom" in event:
        record["ecom"] = _redact_ecom(event["ecom"])
    if "props" in event:
        record["props"] = {key: redact_prop(key, value) for key, value in event["props"].items()}
    record["received_at"] = context.received_at_text
    record["request_id"] = context.request_id
    record["auth"] = context.auth_method
    skew = clock_skew(event_at, context.received_at, context.max_ahead, context.max_behind)
    record["clock_skew"] = skew
    if skew:
        # Outside the window the receive time stands in: year 1 or 9999 would overflow
        # the warehouse's rollups. The client's time is kept beside it.
        record["client_ts"] = event["ts"]
        record["ts"] = context.received_at_text
    record["ua"] = agent.as_record()
    record["is_bot"] = agent.is_bot
    record["utm"] = utm_parameters(record["page_url"])
    # The ETL re-validates what it loads with the same schema: never store a record that
    # the repairs above made invalid (a redacted value that no longer fits, say).
    problems = validate_event({k: v for k, v in record.items() if k not in SERVER_FIELDS})
    if problems:
        raise EnrichmentError(
            "the event breaks the contract after privacy processing: "
            + "; ".join(str(problem) for problem in problems[:3])
        )
    return record
