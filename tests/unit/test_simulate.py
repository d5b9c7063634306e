"""The simulated shoppers produce contract-valid, internally consistent visits."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

from clickstream.contract import validate_event
from clickstream.simulation.client import build_visit


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


def test_checkout_carries_the_carts_products() -> None:
    rng = random.Random(11)
    checkouts = 0
    for _ in range(400):
        events = build_visit(rng, datetime(2025, 10, 18, 12, tzinfo=UTC)).events
        carted: Counter[str] = Counter()
        for event in events:
            if event["event_type"] == "add_to_cart":
                carted[event["ecom"]["product_id"]] += event["ecom"]["qty"]
            if event["event_type"] == "checkout":
                checkouts += 1
                assert validate_event(event) == []
                items = event["ecom"]["items"]
                in_items: Counter[str] = Counter()
                for item in items:
                    in_items[item["product_id"]] += item["qty"]
                assert in_items == carted
                assert all(i["price"] > 0 and i["category"] for i in items)
                bought = {e["ecom"]["product_id"] for e in events if e["event_type"] == "purchase"}
                assert not bought or bought == {i["product_id"] for i in items}
    assert checkouts > 5


def test_history_plan_stays_in_the_window_and_grows() -> None:
    from datetime import timedelta

    import pytest

    from clickstream.simulation.client import MAX_HISTORY_DAYS, history_plan

    now = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # a Tuesday
    starts = history_plan(14, 30, now, random.Random(3))
    today = datetime(2026, 12, 1, tzinfo=UTC)
    assert starts == sorted(starts)
    assert today - timedelta(days=14) <= starts[0] and starts[-1] < today
    per_day = Counter(start.date() for start in starts)
    assert len(per_day) == 14
    weekdays = [n for day, n in sorted(per_day.items()) if day.weekday() < 5]
    assert weekdays[-1] > weekdays[0]  # the trend the charts should show
    for bad_days in (0, MAX_HISTORY_DAYS + 1):
        with pytest.raises(ValueError, match="30-day"):
            history_plan(bad_days, 30, now, random.Random(3))
    with pytest.raises(ValueError, match="at least 1"):
        history_plan(3, 0, now, random.Random(3))


def test_the_raw_records_are_the_same_shoppers_as_stored_and_a_seed_is_a_fixture() -> None:
    from datetime import timedelta

    from clickstream.contract import validate_event
    from clickstream.ingest.enrich import SERVER_FIELDS
    from clickstream.simulation.catalog import CATALOG, DEMO_CATALOG_PATH, load_catalog
    from clickstream.simulation.raw import SyntheticShop

    # Given two shops with the same seed
    start = datetime(2025, 10, 18, 12, tzinfo=UTC)
    first = list(SyntheticShop(seed=4, late_share=0.1).events(2000, start, timedelta(hours=2)))
    again = list(SyntheticShop(seed=4, late_share=0.1).events(2000, start, timedelta(hours=2)))
    # Then they produce the same records, ids included
    assert first == again
    # And each record is a contract event plus the ingest's server fields
    assert all(
        validate_event({k: v for k, v in r.items() if k not in SERVER_FIELDS}) == [] for r in first
    )
    assert all(r["raw_version"] == 1 and r["received_at"] >= r["ts"] for r in first)
    # And the shoppers buy from the demo store's catalogue, the one `catalog load` reads
    assert load_catalog(DEMO_CATALOG_PATH) == CATALOG
    by_id = {p.product_id: p for p in CATALOG}
    ecoms = [r["ecom"] for r in first if "ecom" in r]
    products = [(e["product_id"], e.get("category")) for e in ecoms if "product_id" in e]
    products += [(i["product_id"], i.get("category")) for e in ecoms for i in e.get("items", [])]
    assert products and all(pid in by_id for pid, _ in products)
    assert all(category in (None, by_id[pid].category) for pid, category in products)
    # And the same model's client events carry the same catalogue
    rng = random.Random(5)
    visit_products = {
        e["ecom"]["product_id"]
        for _ in range(200)
        for e in build_visit(rng, start).events
        if "product_id" in (e.get("ecom") or {})
    }
    assert visit_products <= set(by_id) and len(visit_products) > len(by_id) // 2
    # And bots and late arrivals exist, as the ETL's tests need
    assert any(r["is_bot"] for r in first) and not all(r["is_bot"] for r in first)
    assert any(
        datetime.fromisoformat(r["received_at"]) - datetime.fromisoformat(r["ts"])
        > timedelta(hours=12)
        for r in first
    )
