"""The browser SDK in a real browser, through the real local API, down to S3.

Debian's chromium (headless, driven by playwright-core from sdk/) walks the demo
store that `clickstream up` serves with the SDK's DEFAULT batching (flushMs scaled
with the pauses, see JOURNEY_TIME_SCALE): browse -> search -> add to cart -> checkout
-> purchase with human-like pauses, clicks while offline, a tab closed offline, a
page crashed before its events left, then a sign-in against the local Cognito pool.
Every event the pages tracked must reach the API and the raw objects the ingest
Lambda wrote to (moto's) S3 exactly once, in order, under one anonymous id and one
session, with a hashed user id after sign-in. The run prints its events per request.
The shopping part alone runs again in a fresh profile (what bench/sdk_batching.py
measures): each page hide sends exactly one request, with everything the page queued.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import stack_client

REPO_ROOT = Path(__file__).resolve().parents[2]
SDK_DIR = REPO_ROOT / "sdk"
JOURNEY_SCRIPT = SDK_DIR / "test" / "browser" / "store-journey.mjs"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
S3_WAIT_S = 30
# Pauses and the SDK's flushMs at a quarter of a human's: same proportions, a quarter of the time.
TIME_SCALE = "0.25"

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=SDK_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def sdk_build() -> None:
    """Build the SDK: the site serves sdk/dist from disk, so a build now is what the browser loads."""
    npm = shutil.which("npm")
    assert npm, "npm is required (Node.js 20): see README set-up"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make setup` installs chromium"
    if not (SDK_DIR / "node_modules" / "playwright-core").is_dir():
        _run([npm, "ci", "--no-audit", "--no-fund"])
    _run([npm, "run", "build"])


def _journey(stack: dict[str, str], faults: bool) -> dict[str, Any]:
    """Run the shopper script in chromium with the SDK's defaults, return what it reports."""
    env = {
        **os.environ,
        **stack,
        "CHROMIUM_PATH": CHROMIUM,
        "JOURNEY_TIME_SCALE": TIME_SCALE,
        "JOURNEY_SEED": "14",
        "JOURNEY_FAULTS": "1" if faults else "0",
    }
    env.pop("JOURNEY_SDK_OPTIONS", None)  # the SDK's defaults
    output = _run(["node", str(JOURNEY_SCRIPT)], env=env)
    report: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    print(
        f"\nSDK journey ({'with' if faults else 'no'} faults, default batching, time scale "
        f"{TIME_SCALE}): {report['eventsReceived']} events in {report['posts']} requests = "
        f"{report['eventsPerRequest']:.2f} events/request, {len(report['hides'])} page hides, "
        f"{report['preflights']} preflights"
    )
    return report


@pytest.fixture(scope="module")
def journey(local_stack: dict[str, str], sdk_build: None) -> dict[str, Any]:
    """The full journey: shopping, then offline clicks, a tab closed offline, a crash, a sign-in."""
    return _journey(local_stack, faults=True)


@pytest.fixture(scope="module")
def shopping(local_stack: dict[str, str], sdk_build: None) -> dict[str, Any]:
    """The shopping part alone (what bench/sdk_batching.py measures), in a fresh browser profile."""
    return _journey(local_stack, faults=False)


def _raw_events(stack: dict[str, str]) -> list[dict[str, Any]]:
    s3 = stack_client(stack, "s3")
    events: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack["RAW_BUCKET"]):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=stack["RAW_BUCKET"], Key=item["Key"])["Body"].read()
            events.extend(json.loads(line) for line in gzip.decompress(body).splitlines() if line)
    return events


@pytest.fixture(scope="module")
def stored(local_stack: dict[str, str], journey: dict[str, Any]) -> list[dict[str, Any]]:
    """This shopper's events in S3 (by session id, which is not hashed), once all arrived.

    Beacons sent at the last page hide may still be in flight when the script ends,
    so wait until every id the script knows of is there and the count stops growing.
    """
    expected = set(journey["trackedIds"])
    deadline = time.monotonic() + S3_WAIT_S
    previous = -1
    while True:
        mine = [e for e in _raw_events(local_stack) if e["session_id"] == journey["sessionId"]]
        ids = {e["event_id"] for e in mine}
        if (expected <= ids and len(mine) == previous) or time.monotonic() > deadline:
            return mine
        previous = len(mine)
        time.sleep(1.0)


def test_the_pages_ran_without_errors(journey: dict[str, Any]) -> None:
    assert journey["pageErrors"] == []


def test_the_journey_ran_with_the_default_batching(journey: dict[str, Any]) -> None:
    # Only flushMs is set (the default, scaled with the pauses); batchSize is the SDK's.
    defaults = (SDK_DIR / "src" / "tracker.ts").read_text()
    flush_ms = int(re.search(r"DEFAULT_FLUSH_MS = (\d+)", defaults).group(1))  # type: ignore[union-attr]
    assert journey["sdkOptions"] == {"flushMs": round(flush_ms * float(TIME_SCALE))}


def test_every_tracked_event_reaches_the_api(journey: dict[str, Any]) -> None:
    # Counted at the source (the IndexedDB write) and at the API (a forwarding proxy).
    assert len(journey["trackedIds"]) > 30
    assert journey["missing"] == []
    assert set(journey["receivedIds"]) == set(journey["trackedIds"])
    assert set(journey["statuses"]) == {"202"}
    # Credentials ride in a text/plain body: no CORS preflight before any request.
    assert journey["preflights"] == 0
    assert journey["eventsPerRequest"] > 1


def test_no_event_is_posted_twice_after_a_beacon_carried_it(journey: dict[str, Any]) -> None:
    # Delivery is at least once (the ETL keeps one row per event_id): an event whose fetch
    # was still unanswered when its page went away (offline, a tab closed) is posted again
    # by the next page, as it must be, since the answer may never have come. What a beacon
    # carried is never posted again, nor is anything of the shopping part
    # (test_each_page_hide_sends_one_request_with_everything_it_queued).
    counts = Counter(journey["receivedIds"])
    first_via: dict[str, str] = {}
    for request in journey["requests"]:
        for event_id in request["ids"]:
            first_via.setdefault(event_id, request["via"])
    resent = sorted(i for i, n in counts.items() if n > 1)
    assert [(i, first_via[i]) for i in resent if first_via[i] != "fetch"] == []
    assert len(resent) <= len(counts) // 10, resent
    assert set(counts) == set(journey["trackedIds"])


def test_each_page_hide_sends_one_request_with_everything_it_queued(
    shopping: dict[str, Any],
) -> None:
    # home, category, product, search, product, cart, checkout, confirmation (tab closed)
    hides = shopping["hides"]
    assert len(hides) == 8
    assert shopping["pageErrors"] == []
    assert shopping["missing"] == []
    assert sorted(shopping["receivedIds"]) == sorted(shopping["trackedIds"])
    assert set(shopping["statuses"]) == {"202"}
    # One POST per page visit, sent by the visit's hide: no timer flush while the shopper
    # reads (the default interval is longer than any pause), and no second POST of a hide
    # carrying what the first one missed (the page's engagement report comes last in it).
    requests = shopping["requests"]
    assert shopping["posts"] == len(hides)
    assert [r["via"] for r in requests] == ["beacon"] * len(hides)
    assert [r["pages"] for r in requests] == [[page] for page in hides]
    assert [r["types"][-1] for r in requests] == ["engagement"] * len(hides)
    assert ["engagement" in r["types"][:-1] for r in requests] == [False] * len(hides)
    assert shopping["eventsPerRequest"] == len(shopping["trackedIds"]) / len(hides)


def test_every_tracked_event_is_in_s3_exactly_once(
    stored: list[dict[str, Any]], journey: dict[str, Any]
) -> None:
    counts = Counter(e["event_id"] for e in stored)
    assert set(counts) == set(journey["trackedIds"])
    assert set(counts.values()) == {1}


def test_a_crashed_page_sends_its_events_from_indexeddb_on_the_next_visit(
    stored: list[dict[str, Any]], journey: dict[str, Any]
) -> None:
    assert journey["crashReported"] is True
    assert len(journey["crashedIds"]) == 3  # the page view, its list impressions, a click
    assert journey["crashedStored"] is True
    assert journey["crashedSentBeforeCrash"] == []  # the interval had not passed
    assert journey["pendingAfterCrash"] == 0
    counts = Counter(e["event_id"] for e in stored)
    assert [counts[event_id] for event_id in journey["crashedIds"]] == [1, 1, 1]


def test_every_event_arrives_exactly_once(stored: list[dict[str, Any]]) -> None:
    counts = Counter(e["event_id"] for e in stored)
    assert stored, "no event of this shopper reached S3"
    assert [event_id for event_id, n in counts.items() if n > 1] == []


def test_one_anonymous_id_and_one_session(
    stored: list[dict[str, Any]], journey: dict[str, Any]
) -> None:
    anonymous = {e["anonymous_id"] for e in stored}
    assert len(anonymous) == 1
    (hashed,) = anonymous
    assert HEX64.match(hashed) and hashed != journey["anonymousId"]
    assert {e["session_id"] for e in stored} == {journey["sessionId"]}


def test_the_funnel_arrives_in_order(stored: list[dict[str, Any]], journey: dict[str, Any]) -> None:
    ordered = sorted(stored, key=lambda e: e["ts"])

    def first(predicate: Any) -> int:
        return next(i for i, e in enumerate(ordered) if predicate(e))

    ecom = lambda e: e.get("ecom") or {}  # noqa: E731
    steps = [
        first(lambda e: e["event_type"] == "view" and ecom(e).get("list_id") == "home:featured"),
        first(
            lambda e: e["event_type"] == "click" and ecom(e).get("list_id") == "category:laptops"
        ),
        first(lambda e: e["event_type"] == "view" and "product_id" in ecom(e)),
        first(lambda e: e["event_type"] == "add_to_cart"),
        first(lambda e: e["event_type"] == "search"),
        first(lambda e: e["event_type"] == "checkout"),
        first(lambda e: e["event_type"] == "purchase"),
    ]
    assert steps == sorted(steps)
    click = ordered[steps[1]]
    assert click["ecom"]["position"] == 1
    search = ordered[steps[4]]
    assert search["props"]["search_query"] == "usb"
    assert search["props"]["result_count"] >= 1
    assert ordered[0]["event_type"] == "view"
    assert all(e["auth"] in ("site_key", "cognito") for e in ordered)


def test_a_purchase_is_one_event_per_order_line(
    stored: list[dict[str, Any]], journey: dict[str, Any]
) -> None:
    purchases = [e for e in stored if e["event_type"] == "purchase"]
    # The cart held the first laptop and the first "usb" search result.
    assert len(purchases) == 2
    assert {e["ecom"]["order_id"] for e in purchases} == {journey["orderId"]}
    revenue = sum(e["ecom"]["price"] * e["ecom"]["qty"] for e in purchases)
    assert revenue > 0


def test_offline_clicks_arrive_once_after_reconnect(
    stored: list[dict[str, Any]], journey: dict[str, Any]
) -> None:
    assert journey["offlineTypes"] == ["add_to_cart", "add_to_cart"]
    assert journey["offlineStored"] is True
    assert journey["offlineSentBeforeReconnect"] == []
    assert journey["pendingAfterReconnect"] == 0
    counts = Counter(e["event_id"] for e in stored)
    assert [counts[event_id] for event_id in journey["offlineIds"]] == [1, 1]


def test_events_of_a_page_closed_offline_arrive_with_the_next_page(
    stored: list[dict[str, Any]], journey: dict[str, Any]
) -> None:
    assert journey["closedOfflineIds"], "the click made offline was not tracked"
    assert journey["closedOfflineStored"] is True
    assert journey["pendingAfterReload"] == 0
    counts = Counter(e["event_id"] for e in stored)
    assert [counts[event_id] for event_id in journey["closedOfflineIds"]] == [1] * len(
        journey["closedOfflineIds"]
    )


def test_sign_in_sets_a_hashed_user_id(
    stored: list[dict[str, Any]], journey: dict[str, Any]
) -> None:
    signed_in = [e for e in stored if e["auth"] == "cognito"]
    anonymous = [e for e in stored if e["auth"] == "site_key"]
    assert signed_in and anonymous
    assert {e["user_id"] for e in anonymous} == {None}
    user_ids = {e["user_id"] for e in signed_in}
    assert len(user_ids) == 1
    (user_id,) = user_ids
    assert HEX64.match(user_id)
    assert user_id != journey["sub"]
    # Signed in after the purchase: every signed-in event comes later.
    last_anonymous = max(e["ts"] for e in anonymous if e["event_type"] == "purchase")
    assert min(e["ts"] for e in signed_in) > last_anonymous


def _site_request(
    stack: dict[str, str], method: str, path: str, body: bytes | None = None
) -> tuple[int, bytes]:
    """A raw HTTP request to the demo store (http.client keeps `..` in the path as sent)."""
    url = urlsplit(stack["SITE_URL"])
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        headers = {"content-type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_site_serves_the_runtime_config(local_stack: dict[str, str]) -> None:
    status, body = _site_request(local_stack, "GET", "/config.js")
    assert status == 200
    assert json.dumps(local_stack["API_URL"]) in body.decode()
    assert json.dumps(local_stack["API_KEY"]) in body.decode()
    assert local_stack["SITE_URL"] == local_stack["SITE_ORIGIN"]


@pytest.mark.parametrize(
    "path", ["/../pyproject.toml", "/sdk/../package.json", "/sdk/../../README.md", "/nope.html"]
)
def test_site_serves_nothing_outside_the_store_and_the_sdk_build(
    local_stack: dict[str, str], path: str
) -> None:
    status, _ = _site_request(local_stack, "GET", path)
    assert status == 404


def test_sign_in_returns_a_cognito_id_token(local_stack: dict[str, str]) -> None:
    credentials = {
        "username": local_stack["DEMO_USERNAME"],
        "password": local_stack["DEMO_PASSWORD"],
    }
    status, body = _site_request(
        local_stack, "POST", "/auth/sign-in", json.dumps(credentials).encode()
    )
    assert status == 200
    token = json.loads(body)["id_token"]
    _header, payload, _signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] and claims["aud"] == local_stack["COGNITO_CLIENT_ID"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b'{"username": "demo@shop.local", "password": "wrong-password-1"}', 401, "not_authorized"),
        (b'{"username": "nobody@shop.local", "password": "x"}', 401, "not_authorized"),
        (b"not json", 400, "bad_request"),
        (b'{"username": "only"}', 400, "bad_request"),
        (b"{" + b" " * 5000 + b"}", 400, "bad_request"),
    ],
)
def test_sign_in_refuses_bad_input_clearly(
    local_stack: dict[str, str], body: bytes, status: int, error: str
) -> None:
    got_status, got_body = _site_request(local_stack, "POST", "/auth/sign-in", body)
    assert got_status == status
    assert json.loads(got_body)["error"] == error


def test_engaged_time_is_reported_at_page_hide(stored: list[dict[str, Any]]) -> None:
    engagement = [e for e in stored if e["event_type"] == "engagement"]
    # One report per page left while visible; the journey leaves more than five pages.
    assert len(engagement) >= 5
    assert all(e["engaged_ms"] >= 0 for e in engagement)
    assert sum(e["engaged_ms"] for e in engagement) > 0
    assert {e["page_url"].split("?")[0].rsplit("/", 1)[-1] for e in engagement} >= {
        "product.html",
        "checkout.html",
    }
