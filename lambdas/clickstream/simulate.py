"""Simulated shoppers for demos and soak tests: realistic journeys posted to the real API.

Each shopper arrives from a channel (search, social, newsletter, direct), browses
a computers-and-accessories catalogue, and converts or drops off at each funnel
stage with plausible probabilities. Events go through HTTP exactly as the SDK
would send them, so they exercise authentication, validation and enrichment.
"""

from __future__ import annotations

import json
import math
import random
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clickstream.observability import get_logger

# User-Agent strings are long, and this randomness is not cryptographic.
# ruff: noqa: E501, S311

logger = get_logger("simulate")

STORE = "https://shop.example"


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    category: str
    price: float

    def ecom(self, **extra: Any) -> dict[str, Any]:
        """The event's ecom block for this product."""
        block: dict[str, Any] = {
            "product_id": self.product_id,
            "category": self.category,
            "currency": "USD",
            "price": self.price,
        }
        block.update(extra)
        return block


# The demo store's catalogue, so simulated and real browsing sell the same products.
DEMO_CATALOG_PATH = Path(__file__).resolve().parents[2] / "sdk" / "demo" / "catalog.json"


def load_catalog(path: Path = DEMO_CATALOG_PATH) -> tuple[Product, ...]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return tuple(Product(r["id"], r["name"], r["category"], float(r["price"])) for r in rows)


CATALOG = load_catalog()
CATEGORIES = sorted({product.category for product in CATALOG})
SEARCHES = ("ultrabook", "4k monitor", "mechanical keyboard", "usb-c dock", "webcam", "mouse")

# (referrer, utm query, weight)
CHANNELS: tuple[tuple[str, str, int], ...] = (
    ("https://www.google.com/", "", 35),
    ("", "", 25),
    (
        "https://www.facebook.com/",
        "?utm_source=facebook&utm_medium=social&utm_campaign=winter_sale",
        15,
    ),
    ("", "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly", 10),
    ("https://www.bing.com/", "", 8),
    ("https://t.co/abc", "?utm_source=twitter&utm_medium=social", 7),
)
AGENTS: tuple[tuple[str, str, int], ...] = (
    (
        "desktop",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        40,
    ),
    (
        "desktop",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
        15,
    ),
    (
        "mobile",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        20,
    ),
    (
        "mobile",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        15,
    ),
    (
        "tablet",
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        7,
    ),
)
BOT_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
COUNTRIES = (("VN", 40), ("US", 20), ("SG", 10), ("DE", 8), ("JP", 8), ("AU", 7), ("GB", 7))


def _pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(weighted, weights=[row[-1] for row in weighted])[0]


@dataclass
class Visit:
    """One shopper session: the events in order and the headers their browser sends."""

    events: list[dict[str, Any]] = field(default_factory=list)
    user_agent: str = ""
    country: str = ""
    signed_in: bool = False


class JourneyBuilder:
    def __init__(self, rng: random.Random, started_at: datetime, anonymous_id: str) -> None:
        self.rng = rng
        self.clock = started_at
        self.anonymous_id = anonymous_id
        self.session_id = str(uuid.uuid4())
        self.events: list[dict[str, Any]] = []
        self.page_url = STORE + "/"
        self.referrer = ""
        self.device = "desktop"

    def _emit(self, event_type: str, url: str, **extra: Any) -> dict[str, Any]:
        self.clock += timedelta(seconds=self.rng.uniform(2, 40))
        event: dict[str, Any] = {
            "event_id": str(uuid.uuid4()),
            "ts": self.clock.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event_type": event_type,
            "session_id": self.session_id,
            "user_id": None,
            "anonymous_id": self.anonymous_id,
            "page_url": url,
            "referrer": self.referrer,
            "device": {"type": self.device},
        }
        event.update(extra)
        self.events.append(event)
        return event

    def page(self, path: str, title: str) -> None:
        """A page view: a `view` without ecom (product views and list impressions are
        separate `view` events carrying ecom.product_id or ecom.items)."""
        previous = self.page_url
        self.page_url = STORE + path if path.startswith("/") else path
        self._emit("view", self.page_url, page_title=title)
        self.referrer = previous

    def engagement(self) -> None:
        self._emit("engagement", self.page_url, engaged_ms=int(self.rng.uniform(3_000, 120_000)))


def build_visit(rng: random.Random, started_at: datetime, anonymous_id: str | None = None) -> Visit:
    """A plausible session: about half bounce, a few percent buy."""
    is_bot = rng.random() < 0.03
    device, agent, _ = _pick(rng, AGENTS)
    journey = JourneyBuilder(rng, started_at, anonymous_id or uuid.uuid4().hex[:16])
    journey.device = device
    referrer, utm, _ = _pick(rng, CHANNELS)
    journey.referrer = referrer
    visit = Visit(user_agent=BOT_AGENT if is_bot else agent, country=_pick(rng, COUNTRIES)[0])
    journey.page("/" + utm, "Home")
    if rng.random() < 0.45:
        journey.engagement()
        visit.events = journey.events
        return visit
    if rng.random() < 0.35:
        query = rng.choice(SEARCHES)
        shown = [p for p in CATALOG if any(w in p.name.lower() for w in query.split())] or list(
            CATALOG[:4]
        )
        journey._emit(
            "search",
            f"{STORE}/search?q={query.replace(' ', '+')}",
            props={"search_query": query, "result_count": len(shown)},
        )
        list_id = "search"
    else:
        category = rng.choice(CATEGORIES)
        shown = [p for p in CATALOG if p.category == category]
        list_id = f"category:{category}"
        journey.page(f"/c/{category.lower()}", category)
    journey._emit(
        "view",
        journey.page_url,
        ecom={
            "list_id": list_id,
            "items": [
                {
                    "product_id": p.product_id,
                    "category": p.category,
                    "price": p.price,
                    "position": i + 1,
                }
                for i, p in enumerate(shown)
            ],
        },
    )
    cart: list[tuple[Product, int]] = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.25:
            break
        position = rng.randrange(len(shown))
        product = shown[position]
        journey._emit(
            "click",
            journey.page_url,
            ecom={"product_id": product.product_id, "list_id": list_id, "position": position + 1},
        )
        journey.page(f"/p/{product.product_id}", product.name)
        journey._emit(
            "view",
            journey.page_url,
            ecom=product.ecom(),
        )
        if rng.random() < 0.3:
            qty = 1 if rng.random() < 0.85 else 2
            journey._emit(
                "add_to_cart",
                journey.page_url,
                ecom=product.ecom(qty=qty),
            )
            cart.append((product, qty))
    if cart and rng.random() < 0.6:
        journey.page("/checkout", "Checkout")
        # As the SDK's checkout(lines): the cart's products, for the per-product funnel.
        journey._emit(
            "checkout",
            journey.page_url,
            ecom={
                "currency": "USD",
                "items": [
                    {
                        "product_id": product.product_id,
                        "category": product.category,
                        "price": product.price,
                        "qty": qty,
                    }
                    for product, qty in cart
                ],
            },
        )
        if rng.random() < 0.7:
            order_id = f"ord-{uuid.uuid4().hex[:12]}"
            journey.page(f"/order/{order_id}", "Thank you")
            for product, qty in cart:
                journey._emit(
                    "purchase",
                    journey.page_url,
                    ecom=product.ecom(qty=qty, order_id=order_id),
                )
    journey.engagement()
    visit.events = journey.events
    return visit


class ApiClient:
    """Posts a visit's events to the ingest API the way the SDK does (batches, site key)."""

    def __init__(self, api_url: str, api_key: str, id_token: str | None = None) -> None:
        if not api_url.startswith(("http://", "https://")):
            raise ValueError(f"API URL must be http(s): {api_url!r}")
        self.url = api_url.rstrip("/") + "/v1/events"
        self.api_key = api_key
        self.id_token = id_token

    def send(self, visit: Visit, batch_size: int = 20) -> tuple[int, int]:
        """(accepted, rejected) over the visit's batches."""
        accepted = rejected = 0
        headers = {
            "content-type": "application/json",
            "user-agent": visit.user_agent,
            "cloudfront-viewer-country": visit.country,
        }
        if visit.signed_in and self.id_token:
            headers["authorization"] = f"Bearer {self.id_token}"
        else:
            headers["x-api-key"] = self.api_key
        for start in range(0, len(visit.events), batch_size):
            body = json.dumps({"events": visit.events[start : start + batch_size]}).encode()
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    result = json.loads(response.read())
            except urllib.error.HTTPError as error:
                logger.warning("batch refused", status=error.code, body=error.read()[:300].decode())
                rejected += len(visit.events[start : start + batch_size])
                continue
            accepted += result["accepted"]
            rejected += len(result["rejected"])
        return accepted, rejected


def run_shoppers(
    client: ApiClient,
    sessions: int | None,
    sessions_per_second: float,
    stop: threading.Event,
    seed: int | None = None,
    late_fraction: float = 0.02,
) -> tuple[int, int, int]:
    """Send visits until `sessions` are done (None = until `stop`); returns (visits, accepted, rejected).

    A small fraction of visits is sent with event times hours in the past, as a
    browser that was offline would, so the pipeline's late-data path is used.
    """
    rng = random.Random(seed)
    visits = accepted = rejected = 0
    returning: list[str] = []
    while not stop.is_set() and (sessions is None or visits < sessions):
        started_at = datetime.now(UTC) - timedelta(minutes=rng.uniform(0, 5))
        if rng.random() < late_fraction:
            started_at -= timedelta(hours=rng.uniform(3, 30))
        anonymous_id = rng.choice(returning) if returning and rng.random() < 0.3 else None
        visit = build_visit(rng, started_at, anonymous_id)
        visit.signed_in = client.id_token is not None and rng.random() < 0.15
        returning = [visit.events[0]["anonymous_id"], *returning][:200]
        ok, bad = client.send(visit)
        visits, accepted, rejected = visits + 1, accepted + ok, rejected + bad
        if sessions_per_second > 0:
            stop.wait(1.0 / sessions_per_second)
    return visits, accepted, rejected


# Demo history stays inside the ingest's event-time plausibility window (30 days behind,
# EVENT_TIME_MAX_BEHIND_SECONDS) with a margin, so every event keeps its own time.
MAX_HISTORY_DAYS = 21
# Share of a day's visits by UTC hour: quiet nights, a lunch bump, busy evenings.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 7, 8, 9, 10, 10, 8, 6, 3)


def history_plan(
    days: int, sessions_per_day: int, now: datetime, rng: random.Random
) -> list[datetime]:
    """Start times of the past visits, oldest first: `days` whole UTC days before today,
    growing about 2 % a day with busier weekends, so the charts show a trend."""
    if not 1 <= days <= MAX_HISTORY_DAYS:
        raise ValueError(
            f"history days must be 1-{MAX_HISTORY_DAYS} (inside the ingest's 30-day"
            f" event-time window), not {days}"
        )
    if sessions_per_day < 1:
        raise ValueError(f"sessions per day must be at least 1, not {sessions_per_day}")
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    starts: list[datetime] = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        weekend = 1.25 if day.weekday() >= 5 else 1.0
        count = max(1, round(sessions_per_day * weekend * math.pow(1.02, days - back)))
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        starts += sorted(
            day + timedelta(hours=hour, seconds=rng.uniform(0, 3300)) for hour in hours
        )
    return starts


def run_history(
    client: ApiClient,
    days: int,
    sessions_per_day: int,
    seed: int | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[int, int, int, int], None] | None = None,
    now: datetime | None = None,
) -> tuple[int, int, int]:
    """Send `days` of past visits through the API (event times in the past; the server
    stores them in the receive-time partitions of now). Returns (visits, accepted,
    rejected); `progress(done, total, accepted, rejected)` is called every ~5 %."""
    rng = random.Random(seed)
    starts = history_plan(days, sessions_per_day, now or datetime.now(UTC), rng)
    visitors: list[str] = []
    accepted = rejected = 0
    step = max(1, len(starts) // 20)
    for done, started_at in enumerate(starts, start=1):
        if stop is not None and stop.is_set():
            return done - 1, accepted, rejected
        # About a third of the visits come from returning shoppers.
        anonymous_id = rng.choice(visitors) if visitors and rng.random() < 0.35 else None
        visit = build_visit(rng, started_at, anonymous_id)
        visit.signed_in = client.id_token is not None and rng.random() < 0.15
        if anonymous_id is None:
            visitors.append(visit.events[0]["anonymous_id"])
        ok, bad = client.send(visit)
        accepted, rejected = accepted + ok, rejected + bad
        if progress is not None and (done % step == 0 or done == len(starts)):
            progress(done, len(starts), accepted, rejected)
    return len(starts), accepted, rejected
