"""Realistic raw records (docs/raw-events.md) for tests, the benchmark and demos.

Sessions follow a computer-and-accessories store: landing on a category or search
page (with list impressions), clicking products, viewing them, adding to cart,
checking out and buying (one purchase event per order line, one order_id), with
engagement events carrying engaged_ms. Some sessions are bots; some events are
"late" (held offline by the browser and received a day after their event time).
Everything is drawn from a seeded random generator, so a seed is a fixture.
"""

from __future__ import annotations

import gzip
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from clickstream.contract.layout import RAW_OBJECT_PREFIX, RAW_OBJECT_SUFFIX, RAW_PARTITION_FORMAT

SHOP = "https://shop.example"
CATEGORIES = {
    "laptops": (499.0, 2499.0),
    "monitors": (129.0, 899.0),
    "keyboards": (19.0, 199.0),
    "mice": (9.0, 129.0),
    "headsets": (19.0, 349.0),
    "cables": (4.0, 39.0),
}
PRODUCTS = [
    (f"sku-{category[:3]}-{index:03d}", category, low + (high - low) * ((index * 37) % 100) / 100)
    for category, (low, high) in CATEGORIES.items()
    for index in range(1, 41)
]
SEARCHES = ["usb c cable", "gaming mouse", "4k monitor", "mechanical keyboard", "laptop 16gb"]
# Searches the shop has nothing for (result_count 0), and how shoppers type them.
ZERO_RESULT_SEARCHES = ["floppy disk", "Typewriter  ribbon", "vinyl player "]
ACQUISITION = [
    # (referrer, utm source, medium, campaign, weight)
    ("", None, None, None, 35),
    ("https://www.google.com/", "google", "organic", None, 30),
    ("https://www.google.com/", "google", "cpc", "black-friday", 15),
    ("https://www.facebook.com/", "facebook", "social", "launch", 10),
    ("https://news.example/review", None, None, None, 10),
]
DEVICES = [("desktop", 1920, 1080, 55), ("mobile", 390, 844, 35), ("tablet", 820, 1180, 10)]
COUNTRIES = ["VN", "US", "DE", "JP", "SG", "FR", None]


@dataclass
class SyntheticShop:
    """A seeded generator of shopper sessions as raw S3 records."""

    seed: int = 1
    bot_share: float = 0.04
    late_share: float = 0.0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - reproducible test data, not secrets

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _hex64(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    def sessions(
        self, count: int, start: datetime, span: timedelta
    ) -> Iterator[list[dict[str, Any]]]:
        """`count` sessions starting uniformly within [start, start + span)."""
        span_s = span.total_seconds()
        visitors = [self._hex64() for _ in range(max(1, count // 3))]
        for _ in range(count):
            began = start + timedelta(seconds=self.rng.random() * span_s)
            yield self.session(self.rng.choice(visitors), began)

    def events(self, count: int, start: datetime, span: timedelta) -> Iterator[dict[str, Any]]:
        """Whole sessions until at least `count` events were produced (then stops)."""
        produced = 0
        sessions_needed = max(1, count // 6)
        while produced < count:
            for session in self.sessions(sessions_needed, start, span):
                for record in session:
                    yield record
                    produced += 1
                if produced >= count:
                    return

    def session(self, anonymous_id: str, began: datetime) -> list[dict[str, Any]]:
        rng = self.rng
        is_bot = rng.random() < self.bot_share
        device, width, height, _ = rng.choices(DEVICES, weights=[d[3] for d in DEVICES])[0]
        referrer, source, medium, campaign, _ = rng.choices(
            ACQUISITION, weights=[a[4] for a in ACQUISITION]
        )[0]
        context = {
            "session_id": self._uuid(),
            "anonymous_id": anonymous_id,
            "user_id": self._hex64() if rng.random() < 0.2 else None,
            "device": {"type": device, "screen_width": width, "screen_height": height},
            "geo": {"country": rng.choice(COUNTRIES), "city": None},
            "is_bot": is_bot,
            "utm": {
                "source": source,
                "medium": medium,
                "campaign": campaign,
                "term": None,
                "content": None,
            },
            "referrer": referrer,
            "late": rng.random() < self.late_share,
        }
        builder = _SessionBuilder(self, context, began)
        if is_bot:
            for product_id, category, price in rng.sample(PRODUCTS, rng.randint(3, 12)):
                builder.view(f"/p/{product_id}", product=(product_id, category, price))
            return builder.records
        category = rng.choice(list(CATEGORIES))
        shown = [p for p in PRODUCTS if p[1] == category][:12]
        builder.view(f"/c/{category}", items=shown, list_id=f"category-{category}")
        builder.engage()
        if rng.random() < 0.35:
            return builder.records  # a bounce: one page, no interaction
        cart: list[tuple[str, str, float, int]] = []
        for _step in range(rng.randint(1, 5)):
            if rng.random() < 0.05:
                builder.search(rng.choice(ZERO_RESULT_SEARCHES), 0)
                builder.view("/search?q=nothing")
            if rng.random() < 0.2:
                query = rng.choice(SEARCHES)
                builder.search(query, len(shown))
                shown = rng.sample(PRODUCTS, 8)
                builder.view("/search?q=" + query.replace(" ", "+"), items=shown, list_id="search")
            position = rng.randrange(len(shown))
            product_id, product_category, price = shown[position]
            builder.click(product_id, product_category, price, "list", position + 1)
            builder.view(f"/p/{product_id}", product=(product_id, product_category, price))
            builder.engage()
            if rng.random() < 0.4:
                qty = rng.choice([1, 1, 1, 2, 3])
                builder.add_to_cart(product_id, product_category, price, qty)
                cart.append((product_id, product_category, price, qty))
        if cart and rng.random() < 0.6:
            builder.view("/checkout")
            builder.checkout(cart)
            if rng.random() < 0.7:
                builder.purchase(cart, "ord-" + self._uuid()[:18])
                builder.view("/thank-you")
                builder.engage()
        return builder.records


class _SessionBuilder:
    def __init__(self, shop: SyntheticShop, context: dict[str, Any], began: datetime) -> None:
        self.shop = shop
        self.rng = shop.rng
        self.context = context
        self.clock = began
        self.page_url = SHOP + "/"
        self.page_started = began
        self.records: list[dict[str, Any]] = []
        self.first = True

    def _emit(self, event_type: str, **fields: Any) -> None:
        self.clock += timedelta(milliseconds=self.rng.randint(800, 40_000))
        ctx = self.context
        received = self.clock + timedelta(milliseconds=self.rng.randint(50, 1500))
        if ctx["late"] and self.rng.random() < 0.5:
            received += timedelta(days=1)
        record: dict[str, Any] = {
            "event_id": self.shop._uuid(),
            "ts": _rfc3339(self.clock),
            "event_type": event_type,
            "session_id": ctx["session_id"],
            "user_id": ctx["user_id"],
            "anonymous_id": ctx["anonymous_id"],
            "page_url": self.page_url,
            "page_title": "Shop",
            "referrer": ctx["referrer"] if self.first else SHOP + "/",
            "device": ctx["device"],
            "geo": ctx["geo"],
            **fields,
            "raw_version": 1,
            "received_at": _rfc3339(received),
            "request_id": self.shop._uuid(),
            "auth": "cognito" if ctx["user_id"] else "site_key",
            "clock_skew": None,
            "ua": {
                "browser": "Googlebot" if ctx["is_bot"] else "Chrome",
                "browser_version": "120.0",
                "os": "Linux" if ctx["is_bot"] else "Windows",
                "os_version": None,
                "device_family": "Spider" if ctx["is_bot"] else "Other",
                "device_type": "bot" if ctx["is_bot"] else ctx["device"]["type"],
            },
            "is_bot": ctx["is_bot"],
            "utm": ctx["utm"],
        }
        self.first = False
        self.records.append(record)

    def view(
        self,
        path: str,
        items: list[tuple[str, str, float]] | None = None,
        list_id: str | None = None,
        product: tuple[str, str, float] | None = None,
    ) -> None:
        self.page_url = SHOP + path
        self.page_started = self.clock
        # As the SDK does: the page's own view, then product or list views beside it.
        self._emit("view")
        ecom: dict[str, Any] = {}
        if items:
            ecom["list_id"] = list_id
            ecom["items"] = [
                {"product_id": p, "category": c, "price": round(price, 2), "position": i + 1}
                for i, (p, c, price) in enumerate(items)
            ]
        if product:
            ecom.update(
                product_id=product[0],
                category=product[1],
                price=round(product[2], 2),
                currency="USD",
            )
        if ecom:
            self._emit("view", ecom=ecom)

    def engage(self) -> None:
        self._emit("engagement", engaged_ms=self.rng.randint(2_000, 90_000))

    def search(self, query: str, results: int) -> None:
        self._emit("search", props={"search_query": query, "result_count": results})

    def click(
        self, product_id: str, category: str, price: float, list_id: str, position: int
    ) -> None:
        ecom = {
            "product_id": product_id,
            "category": category,
            "price": round(price, 2),
            "list_id": list_id,
            "position": position,
        }
        self._emit("click", ecom=ecom)

    def add_to_cart(self, product_id: str, category: str, price: float, qty: int) -> None:
        ecom = {
            "product_id": product_id,
            "category": category,
            "price": round(price, 2),
            "qty": qty,
            "currency": "USD",
        }
        self._emit("add_to_cart", ecom=ecom)

    def checkout(self, cart: list[tuple[str, str, float, int]]) -> None:
        # As the SDK's checkout(lines): the cart's products as ecom.items.
        items = [
            {"product_id": p, "category": c, "price": round(price, 2), "qty": qty}
            for p, c, price, qty in cart
        ]
        self._emit("checkout", ecom={"currency": "USD", "items": items})

    def purchase(self, cart: list[tuple[str, str, float, int]], order_id: str) -> None:
        for product_id, category, price, qty in cart:
            ecom = {
                "product_id": product_id,
                "category": category,
                "price": round(price, 2),
                "qty": qty,
                "currency": "USD",
                "order_id": order_id,
            }
            self._emit("purchase", ecom=ecom)


def _rfc3339(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def received_hour(record: dict[str, Any]) -> datetime:
    received = datetime.fromisoformat(record["received_at"])
    return received.replace(minute=0, second=0, microsecond=0)


def partition_key(hour: datetime, name: str, prefix: str = RAW_OBJECT_PREFIX) -> str:
    partition = RAW_PARTITION_FORMAT.format(
        year=hour.year, month=hour.month, day=hour.day, hour=hour.hour
    )
    return f"{partition}{prefix}{name}{RAW_OBJECT_SUFFIX}"


def encode_object(records: Iterable[dict[str, Any]]) -> bytes:
    """One raw object's bytes: gzip NDJSON."""
    return gzip.compress(b"".join(orjson.dumps(record) + b"\n" for record in records), 6)


def write_objects(
    s3: Any,
    bucket: str,
    records: Iterable[dict[str, Any]],
    events_per_object: int = 200,
    seed: int = 7,
) -> list[str]:
    """Put records into their received-hour partitions, `events_per_object` per object."""
    rng = random.Random(seed)  # noqa: S311 - reproducible keys for tests
    pending: dict[datetime, list[dict[str, Any]]] = {}
    keys: list[str] = []

    def flush(hour: datetime) -> None:
        key = partition_key(hour, str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        s3.put_object(Bucket=bucket, Key=key, Body=encode_object(pending.pop(hour)))
        keys.append(key)

    for record in records:
        hour = received_hour(record)
        batch = pending.setdefault(hour, [])
        batch.append(record)
        if len(batch) >= events_per_object:
            flush(hour)
    for hour in list(pending):
        flush(hour)
    return keys
