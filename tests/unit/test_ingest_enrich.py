"""Enrichment and privacy rules as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clickstream.ingest.enrich import (
    EnrichmentError,
    RequestContext,
    clock_skew,
    enrich_event,
    parse_event_time,
    parse_user_agent,
    utm_parameters,
)
from clickstream.ingest.privacy import hash_identifier, redact
from tests.unit.conftest import sample_event

CHROME_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "device_type", "browser", "is_bot"),
    [
        (CHROME_DESKTOP, "desktop", "Chrome", False),
        (IPAD, "tablet", "Mobile Safari", False),
        (ANDROID, "mobile", "Chrome Mobile", False),
        (GOOGLEBOT, "bot", "Googlebot", True),
        (HEADLESS, "bot", "HeadlessChrome", True),
        ("", "desktop", None, False),
    ],
)
def test_user_agent_parsing(
    user_agent: str, device_type: str, browser: str | None, is_bot: bool
) -> None:
    info = parse_user_agent(user_agent)
    assert (info.device_type, info.browser, info.is_bot) == (device_type, browser, is_bot)


def test_utm_parameters_come_from_the_page_url() -> None:
    utm = utm_parameters("https://s.example/?utm_source=fb&utm_medium=cpc&utm_campaign=bf&x=1")
    assert utm == {"source": "fb", "medium": "cpc", "campaign": "bf", "term": None, "content": None}
    assert utm_parameters("https://s.example/")["source"] is None


@pytest.mark.parametrize(
    ("event_time", "expected"),
    [
        ("2025-10-19T12:00:01Z", "future"),
        ("2025-10-19T11:00:00Z", None),
        ("2025-07-19T12:00:00Z", "past"),
        ("2025-09-17T12:00:00Z", "past"),
        ("2025-09-19T12:00:00Z", None),
    ],
)
def test_absurd_clock_skews_are_flagged(event_time: str, expected: str | None) -> None:
    received = datetime(2025, 10, 18, 12, 0, tzinfo=UTC)
    assert clock_skew(parse_event_time(event_time), received) == expected


def test_impossible_dates_fail_enrichment() -> None:
    with pytest.raises(EnrichmentError):
        parse_event_time("2025-13-01T00:00:00Z")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at john.doe@example.com", "mail me at [email]"),
        ("https://s/p?email=a%40b.com&x=1", "https://s/p?email=[email]&x=1"),
        ("john%40example%2Ecom", "[email]"),
        ("call 415+555+1234", "call [phone]"),
        ("415%2D555%2D1234", "[phone]"),
        ("call +84 912 345 678 now", "call [phone] now"),
        ("(555) 123-4567", "[phone]"),
        ("+44 20 7946 0958", "[phone]"),
        ("https://s/p/sku-123", "https://s/p/sku-123"),
        ("https://s/order/20251018", "https://s/order/20251018"),
        ("laptop 16gb 2024", "laptop 16gb 2024"),
        ("price 1299.99", "price 1299.99"),
    ],
)
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_keyed_hash_is_stable_and_depends_on_the_key() -> None:
    assert hash_identifier(b"k1", "anon") == hash_identifier(b"k1", "anon")
    assert hash_identifier(b"k1", "anon") != hash_identifier(b"k2", "anon")
    assert len(hash_identifier(b"k1", "anon")) == 64


def test_signed_in_user_id_is_the_hashed_token_subject_not_the_claim() -> None:
    event = {**sample_event("direct_page_view"), "user_id": "someone-else"}
    context = RequestContext(
        received_at=datetime(2025, 10, 18, 12, tzinfo=UTC),
        request_id="r",
        auth_method="cognito",
        verified_user_id="verified-sub",
        user_agent=CHROME_DESKTOP,
        viewer_country=None,
        hash_key=b"k",
    )
    record = enrich_event(event, context)
    assert record["user_id"] == hash_identifier(b"k", "verified-sub")
    assert event["user_id"] == "someone-else", "the input event is not mutated"
