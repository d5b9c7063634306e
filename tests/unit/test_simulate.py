"""The simulated shoppers produce contract-valid, internally consistent visits."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

from clickstream.contract import validate_event
from clickstream.simulate import build_visit


def test_simulated_visits_are_valid_and_consistent() -> None:
    rng = random.Random(7)
    visits = [build_visit(rng, datetime(2025, 10, 18, 12, tzinfo=UTC)) for _ in range(500)]
    types: Counter[str] = Counter()
    for visit in visits:
        assert all(validate_event(event) == [] for event in visit.events)
        assert len({event["session_id"] for event in visit.events}) == 1
        stamps = [event["ts"] for event in visit.events]
        assert stamps == sorted(stamps), "events of a visit are in time order"
        orders = {e["ecom"]["order_id"] for e in visit.events if e["event_type"] == "purchase"}
        assert len(orders) <= 1, "one order per visit, one purchase event per order line"
        types.update(event["event_type"] for event in visit.events)
    # Every event type occurs, and the funnel narrows at each stage.
    assert set(types) == {
        "view",
        "click",
        "search",
        "add_to_cart",
        "checkout",
        "purchase",
        "engagement",
    }
    assert types["view"] > types["add_to_cart"] > types["checkout"] > 0
    purchases_visits = sum(any(e["event_type"] == "purchase" for e in v.events) for v in visits)
    assert 0 < purchases_visits < types["checkout"]
