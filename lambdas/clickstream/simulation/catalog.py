"""The demo store's catalogue: one file that the store page, the simulated shoppers and
`clickstream catalog load` all read, so they sell and report the same products."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEMO_CATALOG_PATH = Path(__file__).resolve().parents[3] / "sdk" / "demo" / "catalog.json"


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

    def item(self, **extra: Any) -> dict[str, Any]:
        """This product as one of an event's ecom.items."""
        return {
            "product_id": self.product_id,
            "category": self.category,
            "price": self.price,
            **extra,
        }


def load_catalog(path: Path = DEMO_CATALOG_PATH) -> tuple[Product, ...]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return tuple(Product(r["id"], r["name"], r["category"], float(r["price"])) for r in rows)


CATALOG = load_catalog()
CATEGORIES = tuple(sorted({product.category for product in CATALOG}))
