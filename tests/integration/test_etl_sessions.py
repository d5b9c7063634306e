"""Sessions, bounces, funnel flags, revenue and bot exclusion against an independent computation."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from clickstream.simulation.raw import SyntheticShop, write_objects
from tests.integration.conftest import is_page_view

START = datetime(2026, 11, 20, 8, tzinfo=UTC)
NOW = START + timedelta(days=2)
INTERACTIONS = {"click", "search", "add_to_cart", "checkout", "purchase"}


def expected_sessions(records: list[dict]) -> dict[str, dict]:
    """The definitions of docs/warehouse.md, computed in plain Python."""
    by_session: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        by_session[record["session_id"]].append(record)
    result = {}
    for session_id, events in by_session.items():
        events.sort(key=lambda e: (e["ts"], e["event_id"]))
        types = [e["event_type"] for e in events]
        views = [e for e in events if is_page_view(e)]
        page_views = len(views)
        interactions = sum(1 for t in types if t in INTERACTIONS)
        revenue = sum(
            (
                Decimal(str(e["ecom"]["price"])) * e["ecom"]["qty"]
                for e in events
                if e["event_type"] == "purchase"
            ),
            Decimal(0),
        )
        engaged = sum(e.get("engaged_ms", 0) for e in events)
        first = datetime.fromisoformat(events[0]["ts"])
        last = datetime.fromisoformat(events[-1]["ts"])
        result[session_id] = {
            "event_count": len(events),
            "page_views": page_views,
            "is_bounce": page_views == 1 and interactions == 0,
            "has_view": "view" in types,
            "has_product_view": any(
                e["event_type"] == "view" and "product_id" in (e.get("ecom") or {}) for e in events
            ),
            "has_add_to_cart": "add_to_cart" in types,
            "has_checkout": "checkout" in types,
            "has_purchase": "purchase" in types,
            "revenue": revenue,
            "started_at": first,
            "ended_at": last,
            "duration_ms": max((last - first) // timedelta(milliseconds=1), engaged),
            "landing_page": views[0]["page_url"].split("shop.example", 1)[1].split("?")[0]
            if views
            else None,
            "is_bot": any(e["is_bot"] for e in events),
        }
    return result


@pytest.mark.slow
def test_sessions_match_an_independent_computation(warehouse_db, raw_bucket, run_etl):
    # Given a day of generated shoppers, bots and late events
    s3, bucket = raw_bucket
    records = list(
        SyntheticShop(seed=21, bot_share=0.1, late_share=0.1).events(
            6000, START, timedelta(hours=6)
        )
    )
    write_objects(s3, bucket, records, events_per_object=200)

    # When the ETL loads them
    summary = run_etl(now=NOW)

    # Then every session equals the independent computation, column by column
    expected = expected_sessions(records)
    rows = warehouse_db.query(
        "select session_id::text, event_count, page_views, is_bounce, has_view, has_add_to_cart,"
        " has_checkout, has_purchase, revenue, started_at, ended_at, duration_ms, landing_page,"
        " is_bot, has_product_view from fact_sessions"
    )
    assert summary.sessions_rebuilt == len(expected)
    assert len(rows) == len(expected)
    names = (
        "event_count", "page_views", "is_bounce", "has_view", "has_add_to_cart", "has_checkout",
        "has_purchase", "revenue", "started_at", "ended_at", "duration_ms", "landing_page", "is_bot",
        "has_product_view",
    )  # fmt: skip
    for session_id, *values in rows:
        assert dict(zip(names, values, strict=True)) == expected[session_id], session_id
    # the generator produced every interesting case
    assert any(s["is_bounce"] for s in expected.values())
    assert any(s["has_purchase"] for s in expected.values())
    assert any(s["is_bot"] for s in expected.values())
    one_page = [s for s in expected.values() if s["page_views"] == 1 and not s["is_bot"]]
    assert one_page and all(s["duration_ms"] > 0 for s in one_page)


@pytest.mark.slow
def test_bots_are_loaded_flagged_and_left_out_of_the_aggregates(warehouse_db, raw_bucket, run_etl):
    s3, bucket = raw_bucket
    records = list(SyntheticShop(seed=22, bot_share=0.3).events(3000, START, timedelta(hours=2)))
    write_objects(s3, bucket, records)

    run_etl(now=NOW)

    expected = expected_sessions(records)
    humans = {k: v for k, v in expected.items() if not v["is_bot"]}
    bots = len(expected) - len(humans)
    assert warehouse_db.scalar("select count(*) from fact_events where is_bot") == sum(
        1 for r in records if r["is_bot"]
    )
    sessions, bounces, revenue, bot_sessions = warehouse_db.query(
        "select sum(sessions), sum(bounces), sum(revenue), sum(bot_sessions) from agg_traffic_daily"
    )[0]
    assert (sessions, bot_sessions) == (len(humans), bots)
    assert bounces == sum(1 for s in humans.values() if s["is_bounce"])
    assert revenue == sum(s["revenue"] for s in humans.values())
    funnel = warehouse_db.query(
        "select sum(sessions), sum(product_viewed), sum(added_to_cart), sum(checked_out),"
        " sum(purchased)"
        " from agg_funnel_daily"
    )[0]
    assert funnel == (
        len(humans),
        sum(s["has_product_view"] for s in humans.values()),
        sum(s["has_add_to_cart"] for s in humans.values()),
        sum(s["has_checkout"] for s in humans.values()),
        sum(s["has_purchase"] for s in humans.values()),
    )
    product_revenue = warehouse_db.scalar("select sum(revenue) from agg_product_daily")
    assert product_revenue == revenue
    human_views = sum(1 for r in records if is_page_view(r) and not r["is_bot"])
    assert warehouse_db.scalar("select sum(page_views) from agg_traffic_hourly") == human_views
