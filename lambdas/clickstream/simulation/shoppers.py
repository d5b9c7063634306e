"""How a visit to the demo store goes, as the events the browser sends (the contract).

A shopper arrives from a channel (search, social, newsletter, a review site, direct)
on a device, lands on the home page or a category, may search (sometimes for
something the store does not sell), clicks products, adds some to the cart, checks
out and buys (one purchase event per order line, one order_id), with engagement
events carrying engaged_ms. A few visits are crawlers that hop across product
pages. Every choice is drawn from the `rng` passed in, so a seed is a fixture; ids
come from `new_id`, which the caller makes seeded (test data) or random (live
traffic, where a repeated id would be a duplicate).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from clickstream.simulation.catalog import CATALOG, CATEGORIES, Product

# User-Agent strings are long, and this randomness is not cryptographic.
# ruff: noqa: E501

STORE = "https://shop.example"

# (referrer, landing-page query with the campaign's utm parameters, weight)
CHANNELS: tuple[tuple[str, str, int], ...] = (
    ("", "", 25),
    ("https://www.google.com/", "", 30),
    ("https://www.google.com/", "?utm_source=google&utm_medium=cpc&utm_campaign=black-friday", 10),
    (
        "https://www.facebook.com/",
        "?utm_source=facebook&utm_medium=social&utm_campaign=winter_sale",
        10,
    ),
    ("", "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly", 8),
    ("https://www.bing.com/", "", 5),
    ("https://t.co/abc", "?utm_source=twitter&utm_medium=social", 5),
    ("https://news.example/review", "", 7),
)
# (device type, screen width, height, User-Agent, weight)
DEVICES: tuple[tuple[str, int, int, str, int], ...] = (
    (
        "desktop", 1920, 1080,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        40,
    ),
    (
        "desktop", 1440, 900,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
        15,
    ),
    (
        "mobile", 390, 844,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        20,
    ),
    (
        "mobile", 412, 915,
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        15,
    ),
    (
        "tablet", 820, 1180,
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        10,
    ),
)  # fmt: skip
BOT_AGENT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
# The CloudFront-Viewer-Country header of the visit (weight).
COUNTRIES: tuple[tuple[str, int], ...] = (
    ("VN", 35), ("US", 20), ("SG", 10), ("DE", 9), ("JP", 8), ("AU", 6), ("GB", 6), ("FR", 6),
)  # fmt: skip
SEARCHES = ("ultrabook", "4k monitor", "mechanical keyboard", "usb-c dock", "webcam", "mouse")
# Searches the store has nothing for (result_count 0), typed as shoppers type them.
ZERO_RESULT_SEARCHES = ("floppy disk", "Typewriter  ribbon", "vinyl player ")

NewId = Callable[[], str]


def _pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(weighted, weights=[row[-1] for row in weighted])[0]


def search_results(query: str) -> list[Product]:
    words = query.lower().split()
    return [p for p in CATALOG if any(word in p.name.lower() for word in words)]


@dataclass
class Visit:
    """One shopper session: the events in order and what the browser's requests carry."""

    events: list[dict[str, Any]] = field(default_factory=list)
    user_agent: str = ""
    country: str = ""
    signed_in: bool = False
    is_bot: bool = False


class JourneyBuilder:
    """Appends the events of one visit, advancing its clock a few seconds per event."""

    def __init__(
        self,
        rng: random.Random,
        started_at: datetime,
        anonymous_id: str,
        new_id: NewId,
        device: dict[str, Any],
    ) -> None:
        self.rng = rng
        self.clock = started_at
        self.anonymous_id = anonymous_id
        self.new_id = new_id
        self.session_id = new_id()
        self.device = device
        self.events: list[dict[str, Any]] = []
        self.page_url = STORE + "/"
        self.referrer = ""

    def emit(self, event_type: str, **extra: Any) -> dict[str, Any]:
        self.clock += timedelta(milliseconds=self.rng.randint(800, 40_000))
        event: dict[str, Any] = {
            "event_id": self.new_id(),
            "ts": self.clock.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "event_type": event_type,
            "session_id": self.session_id,
            "user_id": None,
            "anonymous_id": self.anonymous_id,
            "page_url": self.page_url,
            "referrer": self.referrer,
            "device": dict(self.device),  # one dict per event: tests edit single records
        }
        event.update(extra)
        self.events.append(event)
        return event

    def page(self, path: str, title: str) -> None:
        """A page view: a `view` without ecom (as the SDK does; product views and list
        impressions are separate `view` events carrying ecom.product_id or ecom.items)."""
        previous = self.page_url if self.events else self.referrer
        self.referrer = previous
        self.page_url = STORE + path
        self.emit("view", page_title=title)

    def impressions(self, shown: list[Product], list_id: str) -> None:
        items = [p.item(position=i + 1) for i, p in enumerate(shown)]
        self.emit("view", ecom={"list_id": list_id, "items": items})

    def search(self, query: str, results: int) -> None:
        self.emit("search", props={"search_query": query, "result_count": results})

    def engagement(self) -> None:
        self.emit("engagement", engaged_ms=self.rng.randint(2_000, 120_000))


def plan_visit(
    rng: random.Random,
    started_at: datetime,
    anonymous_id: str,
    new_id: NewId,
    bot_share: float = 0.03,
    signed_in_share: float = 0.15,
) -> Visit:
    """A plausible visit: about 40 % bounce, a few percent buy, `bot_share` are crawlers."""
    is_bot = rng.random() < bot_share
    device_type, width, height, agent, _ = _pick(rng, DEVICES)
    referrer, utm_query, _ = _pick(rng, CHANNELS)
    visit = Visit(
        user_agent=BOT_AGENT if is_bot else agent,
        country=_pick(rng, COUNTRIES)[0],
        signed_in=not is_bot and rng.random() < signed_in_share,
        is_bot=is_bot,
    )
    device = {"type": device_type, "screen_width": width, "screen_height": height}
    journey = JourneyBuilder(rng, started_at, anonymous_id, new_id, device)
    journey.referrer = referrer
    if is_bot:
        # A crawler: product pages one after the other, no interaction.
        for product in rng.sample(CATALOG, rng.randint(3, len(CATALOG))):
            journey.page(f"/p/{product.product_id}", product.name)
            journey.emit("view", ecom=product.ecom())
        visit.events = journey.events
        return visit
    if rng.random() < 0.5:
        journey.page("/" + utm_query, "Home")
        if rng.random() < 0.45:
            journey.engagement()  # a bounce: one page, then gone
            visit.events = journey.events
            return visit
        category = rng.choice(CATEGORIES)
        journey.page(f"/c/{category.lower()}", category)
    else:
        category = rng.choice(CATEGORIES)
        journey.page(f"/c/{category.lower()}{utm_query}", category)
        if rng.random() < 0.3:
            journey.engagement()
            visit.events = journey.events
            return visit
    shown = [p for p in CATALOG if p.category == category]
    list_id = f"category:{category.lower()}"
    journey.impressions(shown, list_id)
    journey.engagement()
    cart: dict[Product, int] = {}
    for _step in range(rng.randint(1, 4)):
        if rng.random() < 0.05:
            query = rng.choice(ZERO_RESULT_SEARCHES)
            journey.search(query, 0)
            journey.page("/search?q=" + "+".join(query.split()), "No results")
        if rng.random() < 0.25:
            query = rng.choice(SEARCHES)
            found = search_results(query)
            journey.search(query, len(found))
            journey.page("/search?q=" + query.replace(" ", "+"), f"Search: {query}")
            shown, list_id = found, "search"
            journey.impressions(shown, list_id)
        if rng.random() < 0.2:
            break
        position = rng.randrange(len(shown))
        product = shown[position]
        journey.emit(
            "click",
            ecom={"product_id": product.product_id, "list_id": list_id, "position": position + 1},
        )
        journey.page(f"/p/{product.product_id}", product.name)
        journey.emit("view", ecom=product.ecom())
        journey.engagement()
        if rng.random() < 0.35:
            qty = rng.choice((1, 1, 1, 1, 2, 3))
            journey.emit("add_to_cart", ecom=product.ecom(qty=qty))
            cart[product] = cart.get(product, 0) + qty
    if cart and rng.random() < 0.6:
        journey.page("/checkout", "Checkout")
        # As the SDK's checkout(lines): the cart's products, for the per-product funnel.
        items = [product.item(qty=qty) for product, qty in cart.items()]
        journey.emit("checkout", ecom={"currency": "USD", "items": items})
        if rng.random() < 0.7:
            order_id = "ord-" + new_id().replace("-", "")[:12]
            journey.page("/thank-you", "Thank you")  # one path: the order is in ecom
            for product, qty in cart.items():
                journey.emit("purchase", ecom=product.ecom(qty=qty, order_id=order_id))
    journey.engagement()
    visit.events = journey.events
    return visit
