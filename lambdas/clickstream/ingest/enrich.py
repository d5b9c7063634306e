"""Server-side enrichment: receive time, clock skew, User-Agent, bots, country, UTM, privacy.

Every function here is pure; the handler passes in what it read from the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ua_parser
from crawlerdetect import CrawlerDetect

from clickstream.ingest.privacy import hash_identifier, redact

RAW_VERSION = 1
FUTURE_SKEW = timedelta(hours=24)
PAST_SKEW = timedelta(days=90)
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
    try:
        parsed = datetime.fromisoformat(ts)
    except ValueError as error:
        raise EnrichmentError(f"ts is not a real date-time: {ts!r}") from error
    if parsed.tzinfo is None:
        raise EnrichmentError("ts has no UTC offset")
    return parsed.astimezone(UTC)


def clock_skew(event_at: datetime, received_at: datetime) -> str | None:
    if event_at - received_at > FUTURE_SKEW:
        return "future"
    if received_at - event_at > PAST_SKEW:
        return "past"
    return None


@lru_cache(maxsize=4096)
def utm_parameters(page_url: str) -> dict[str, str | None]:
    query = parse_qs(urlsplit(page_url).query, keep_blank_values=False)
    return {name: next(iter(query.get(f"utm_{name}", [])), None) for name in UTM_FIELDS}


def _redact_optional(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def format_timestamp(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


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
    record["page_url"] = redact(event["page_url"])
    for name in ("page_title", "referrer"):
        if name in event:
            record[name] = _redact_optional(event[name])
    geo = dict(event.get("geo") or {})
    if "city" in geo:
        geo["city"] = _redact_optional(geo["city"])
    if context.viewer_country:
        geo["country"] = context.viewer_country
    if geo or "geo" in event:
        record["geo"] = geo
    if "ecom" in event and "category" in event["ecom"]:
        record["ecom"] = {**event["ecom"], "category": _redact_optional(event["ecom"]["category"])}
    if "props" in event:
        record["props"] = {key: _redact_optional(value) for key, value in event["props"].items()}
    record["received_at"] = context.received_at_text
    record["request_id"] = context.request_id
    record["auth"] = context.auth_method
    record["clock_skew"] = clock_skew(event_at, context.received_at)
    record["ua"] = agent.as_record()
    record["is_bot"] = agent.is_bot
    record["utm"] = utm_parameters(record["page_url"])
    return record
