"""The dashboard's aggregates and panel queries against an independent Python computation.

Generated shoppers over three days are loaded by the real ETL; every panel query of
sql/queries runs as the read-only dashboard role, with and without the global filters,
and must equal what plain Python computes from the same generated events with the
definitions of docs/warehouse.md ("Dashboard tables").
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from clickstream.simulation.catalog import CATALOG
from clickstream.simulation.raw import SyntheticShop, write_objects
from clickstream.simulation.shoppers import COUNTRIES
from tests.integration.conftest import REPO_ROOT_FOR_TESTS, Warehouse, is_page_view

START = datetime(2026, 11, 20, 6, tzinfo=UTC)
DAYS = [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]
NOW = START + timedelta(days=4)
QUERIES = Path(REPO_ROOT_FOR_TESTS) / "sql" / "queries"
UNKNOWN = "(unknown)"
MONITORS = {p.product_id for p in CATALOG if p.category == "Monitors"}


def path_of(url: str) -> str:
    return url.split("shop.example", 1)[1].split("?")[0].split("#")[0] or "/"


class Expected:
    """docs/warehouse.md's definitions, computed from the generated records in Python."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_session[record["session_id"]].append(record)
        self.sessions: dict[str, dict[str, Any]] = {}
        for session_id, events in by_session.items():
            events.sort(key=lambda e: (e["ts"], e["event_id"]))
            types = {e["event_type"] for e in events}
            views = [e for e in events if is_page_view(e)]
            interactions = [
                e
                for e in events
                if e["event_type"] in ("click", "search", "add_to_cart", "checkout", "purchase")
            ]
            country = next((e["geo"]["country"] for e in events if e["geo"]["country"]), None)
            utm = events[0]["utm"]
            referrer = events[0]["referrer"]
            referrer_host = referrer.split("/")[2].lower() if referrer else None
            self.sessions[session_id] = {
                "date": datetime.fromisoformat(events[0]["ts"]).date(),
                "device": events[0]["device"]["type"],
                "country": country or UNKNOWN,
                "anonymous_id": events[0]["anonymous_id"],
                "is_bot": any(e["is_bot"] for e in events),
                "views": [path_of(e["page_url"]) for e in views],
                "bounce": len(views) == 1 and not interactions,
                "source": utm["source"] or referrer_host or "(direct)",
                "referrer_host": referrer_host or "(direct)",
                "product_view": any(
                    e["event_type"] == "view" and "product_id" in (e.get("ecom") or {})
                    for e in events
                ),
                "cart": "add_to_cart" in types,
                "checkout": "checkout" in types,
                "purchase": "purchase" in types,
                "revenue": sum(
                    (
                        Decimal(str(e["ecom"]["price"])) * e["ecom"]["qty"]
                        for e in events
                        if e["event_type"] == "purchase"
                    ),
                    Decimal(0),
                ),
            }
        self.humans = {k: v for k, v in self.sessions.items() if not v["is_bot"]}

    def human_sessions(self, days: list[date], devices=(), countries=()) -> list[dict[str, Any]]:
        return [
            s
            for s in self.humans.values()
            if s["date"] in days
            and (not devices or s["device"] in devices)
            and (not countries or s["country"] in countries)
        ]

    def human_events(self, days: list[date], devices=(), countries=()) -> list[dict[str, Any]]:
        return [
            e
            for e in self.records
            if not e["is_bot"]
            and datetime.fromisoformat(e["ts"]).date() in days
            and (not devices or e["device"]["type"] in devices)
            and (not countries or (e["geo"]["country"] or UNKNOWN) in countries)
        ]

    def transitions(self, days: list[date]) -> Counter[tuple[str, str]]:
        counts: Counter[tuple[str, str]] = Counter()
        for s in self.human_sessions(days):
            views = s["views"]
            for index, page in enumerate(views):
                following = views[index + 1] if index + 1 < len(views) else "(exit)"
                if following != page:
                    counts[(page, following)] += 1
        return counts

    def product_rows(self, days: list[date], devices=(), countries=()) -> dict[str, Counter[str]]:
        """Per product: impressions, clicks, views, carts, checkouts, purchases, units,
        revenue and the distinct sessions of each step."""
        rows: dict[str, Counter[str]] = defaultdict(Counter)
        step_sessions: dict[tuple[str, str], set[str]] = defaultdict(set)
        for e in self.human_events(days, devices, countries):
            ecom = e.get("ecom") or {}
            kind = e["event_type"]
            if "product_id" in ecom:
                pid = ecom["product_id"]
                name = {"view": "views", "click": "list_clicks", "add_to_cart": "add_to_carts",
                        "checkout": "checkouts", "purchase": "purchases"}.get(kind)  # fmt: skip
                if name:
                    rows[pid][name] += 1
                    step_sessions[(pid, kind)].add(e["session_id"])
                if kind == "purchase":
                    rows[pid]["units_sold"] += ecom["qty"]
                    rows[pid]["revenue"] += Decimal(str(ecom["price"])) * ecom["qty"]
            for item in ecom.get("items", []):
                if kind == "view":
                    rows[item["product_id"]]["impressions"] += 1
                elif kind == "checkout":
                    rows[item["product_id"]]["checkouts"] += 1
                    step_sessions[(item["product_id"], "checkout")].add(e["session_id"])
        for (pid, kind), sessions in step_sessions.items():
            column = {"view": "view_sessions", "add_to_cart": "cart_sessions",
                      "checkout": "checkout_sessions", "purchase": "purchase_sessions"}.get(kind)  # fmt: skip
            if column:
                rows[pid][column] = len(sessions)
        return rows


def panel(db: Warehouse, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run sql/queries/<name>.sql as the dashboard's read-only role."""
    defaults: dict[str, Any] = {"devices": [], "countries": [], "categories": []}
    text = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
    used = set(re.findall(r"%\((\w+)\)s", text))
    values = {k: v for k, v in {**defaults, **params}.items() if k in used}
    for key in ("devices", "countries", "categories"):
        if key in values:
            values[key] = list(values[key])
    conn = psycopg2.connect(db.reader_url)
    try:
        with conn.cursor() as cur:
            cur.execute("set time zone 'UTC'")
            cur.execute(text, values)
            columns = [c.name for c in cur.description]
            return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def loaded(pg_cluster, moto_endpoint) -> Any:
    """One warehouse for the module: three days of shoppers loaded by the real ETL."""
    import uuid

    import boto3
    from psycopg2 import sql

    from clickstream.etl.config import EtlSettings
    from tests.integration.conftest import create_database_from_template, run_against

    name = "test_" + uuid.uuid4().hex[:12]
    create_database_from_template(pg_cluster, name)
    db = Warehouse(pg_cluster, name)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = "clickstream-local-raw-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    records = list(
        SyntheticShop(seed=91, bot_share=0.1).events(4000, START, timedelta(days=2, hours=12))
    )
    write_objects(s3, bucket, records, events_per_object=300)
    assert EtlSettings  # the settings type run_against builds
    summary = run_against(db, s3, bucket, NOW)
    assert summary.status == "succeeded"
    yield db, Expected(records)
    conn = psycopg2.connect(pg_cluster.superuser_url())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
    finally:
        conn.close()


@pytest.mark.slow
def test_traffic_kpis_and_unique_visitors_over_ranges_and_filters(loaded) -> None:
    db, expected = loaded
    cases = [
        ([DAYS[0]], (), ()),
        (DAYS, (), ()),
        (DAYS[1:], ("mobile",), ()),
        (DAYS, ("desktop", "tablet"), ("DE", "US", UNKNOWN)),
    ]
    for days, devices, countries in cases:
        sessions = expected.human_sessions(days, devices, countries)
        row = panel(
            db, "traffic_summary", date_from=days[0], date_to=days[-1],
            devices=devices, countries=countries,
        )[0]  # fmt: skip
        assert row["sessions"] == len(sessions), (days, devices, countries)
        # Fewer than ~320 visitors: the sketches are explicit, so HLL is exact here.
        assert row["visitors"] == len({s["anonymous_id"] for s in sessions})
        assert row["page_views"] == sum(len(s["views"]) for s in sessions)
        assert row["bounces"] == sum(s["bounce"] for s in sessions)
    assert any(expected.human_sessions(DAYS, ("mobile",), ()))
    bots = [s for s in expected.sessions.values() if s["is_bot"]]
    assert (
        panel(db, "traffic_summary", date_from=DAYS[0], date_to=DAYS[-1])[0]["bot_sessions"]
        == len(bots)
        > 0
    )


@pytest.mark.slow
def test_active_users_and_hour_of_day(loaded) -> None:
    db, expected = loaded
    row = panel(db, "traffic_active_users", date_to=DAYS[-1], devices=("mobile",))[0]
    last_day = {s["anonymous_id"] for s in expected.human_sessions([DAYS[-1]], ("mobile",))}
    week = {s["anonymous_id"] for s in expected.human_sessions(DAYS, ("mobile",))}
    assert (row["dau"], row["wau"], row["mau"]) == (len(last_day), len(week), len(week))
    hours = panel(db, "traffic_hour_of_day", date_from=DAYS[0], date_to=DAYS[-1])
    events = expected.human_events(DAYS)
    by_hour = Counter(datetime.fromisoformat(e["ts"]).hour for e in events)
    views_by_hour = Counter(datetime.fromisoformat(e["ts"]).hour for e in events if is_page_view(e))
    assert {r["hour_of_day"]: r["events"] for r in hours} == dict(by_hour)
    assert {r["hour_of_day"]: r["page_views"] for r in hours} == dict(views_by_hour)


@pytest.mark.slow
def test_pages_and_transitions(loaded) -> None:
    db, expected = loaded
    sessions = expected.human_sessions(DAYS)
    pages = {
        r["page_path"]: r for r in panel(db, "traffic_pages", date_from=DAYS[0], date_to=DAYS[-1])
    }
    views = Counter(page for s in sessions for page in s["views"])
    landings = Counter(s["views"][0] for s in sessions if s["views"])
    exits = Counter(s["views"][-1] for s in sessions if s["views"])
    assert {p: r["page_views"] for p, r in pages.items() if r["page_views"]} == dict(views)
    assert {p: r["entrances"] for p, r in pages.items() if r["entrances"]} == dict(landings)
    assert {p: r["exits"] for p, r in pages.items() if r["exits"]} == dict(exits)
    viewing = Counter(page for s in sessions for page in set(s["views"]))
    assert {p: r["sessions"] for p, r in pages.items() if r["sessions"]} == dict(viewing)
    # The device-filtered path reads the split table and must agree with Python too.
    mobile = expected.human_sessions(DAYS, ("mobile",))
    filtered = panel(db, "traffic_pages", date_from=DAYS[0], date_to=DAYS[-1], devices=["mobile"])
    assert {r["page_path"]: r["page_views"] for r in filtered if r["page_views"]} == dict(
        Counter(page for s in mobile for page in s["views"])
    )

    stored = Counter(
        {
            (f, t): n
            for f, t, n in db.query(
                "select from_path, to_path, sum(transitions) from agg_page_transition_daily"
                " group by 1, 2"
            )
        }
    )
    assert stored == expected.transitions(DAYS)
    following = panel(
        db, "traffic_next_pages", date_from=DAYS[0], date_to=DAYS[-1], from_path="/checkout"
    )
    want = {t: n for (f, t), n in expected.transitions(DAYS).items() if f == "/checkout"}
    assert want and {r["to_path"]: r["transitions"] for r in following} == want


@pytest.mark.slow
def test_funnel_by_source_device_and_country(loaded) -> None:
    db, expected = loaded
    for split, key in (("source", "source"), ("device", "device"), ("country", "country")):
        rows = panel(db, "funnel_breakdown", date_from=DAYS[0], date_to=DAYS[-1], split=split)
        got = {
            r["segment"]: (r["sessions"], r["product_viewed"], r["added_to_cart"],
                           r["checked_out"], r["purchased"], r["abandoned_carts"], r["revenue"])
            for r in rows
        }  # fmt: skip
        want: dict[str, list[Any]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, Decimal(0)])
        for s in expected.human_sessions(DAYS):
            counts = want[s[key]]
            for index, flag in enumerate(
                (True, s["product_view"], s["cart"], s["checkout"], s["purchase"],
                 s["cart"] and not s["purchase"])
            ):  # fmt: skip
                counts[index] += int(flag)
            counts[6] += s["revenue"]
        assert got == {k: tuple(v) for k, v in want.items()}, split
        assert len(got) > 2
    assert any(s["checkout"] for s in expected.humans.values())


@pytest.mark.slow
def test_products_by_category_device_and_country_with_a_checkout_step(loaded) -> None:
    db, expected = loaded
    columns = ("impressions", "list_clicks", "views", "add_to_carts", "purchases", "units_sold",
               "revenue")  # fmt: skip
    for devices, countries in (((), ()), (("mobile",), ("DE", "VN"))):
        want = expected.product_rows(DAYS, devices, countries)
        rows = panel(
            db, "product_performance", date_from=DAYS[0], date_to=DAYS[-1],
            devices=devices, countries=countries, categories=["Monitors"],
        )  # fmt: skip
        assert rows
        monitors = {p: c for p, c in want.items() if p in MONITORS}
        assert {r["product_id"]: tuple(r[c] for c in columns) for r in rows} == {
            p: tuple(c[name] for name in columns) for p, c in monitors.items()
        }
    funnel = panel(db, "funnel_by_product", date_from=DAYS[0], date_to=DAYS[-1])
    want = expected.product_rows(DAYS)
    steps = ("view_sessions", "cart_sessions", "checkout_sessions", "purchase_sessions")
    got = {
        r["product_id"]: (r["product_viewed"], r["added_to_cart"], r["checked_out"], r["purchased"])
        for r in funnel
    }
    assert got == {p: tuple(c[s] for s in steps) for p, c in want.items() if p in got}
    assert sum(v[2] for v in got.values()) > 0  # checkout events carry the cart's products
    assert {p for p, c in want.items() if any(c[s] for s in steps)} <= set(got)
    checkouts = db.scalar("select sum(checkouts) from agg_product_daily")
    assert checkouts == sum(c["checkouts"] for c in want.values())


@pytest.mark.slow
def test_search_terms_with_zero_results(loaded) -> None:
    db, expected = loaded
    rows = panel(db, "product_search_terms", date_from=DAYS[0], date_to=DAYS[-1])
    want: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in expected.human_events(DAYS):
        if e["event_type"] == "search":
            term = " ".join(e["props"]["search_query"].lower().split())
            want[term][0] += 1
            want[term][1] += int(e["props"]["result_count"] == 0)
    assert {r["search_term"]: [r["searches"], r["zero_result_searches"]] for r in rows} == want
    assert any(zero for _, zero in want.values())
    assert "typewriter ribbon" in want  # "Typewriter  ribbon" normalised


@pytest.mark.slow
def test_acquisition_keeps_referrer_host_apart_from_utm(loaded) -> None:
    db, expected = loaded
    sessions = expected.human_sessions(DAYS)
    by_referrer = {
        r["segment"]: (r["sessions"], r["purchasing_sessions"], r["revenue"])
        for r in panel(
            db, "acquisition_breakdown", date_from=DAYS[0], date_to=DAYS[-1], dimension="referrer"
        )
    }
    want: dict[str, list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for s in sessions:
        want[s["referrer_host"]][0] += 1
        want[s["referrer_host"]][1] += int(s["purchase"])
        want[s["referrer_host"]][2] += s["revenue"]
    assert by_referrer == {k: tuple(v) for k, v in want.items()}
    sources = {
        r["segment"]
        for r in panel(
            db, "acquisition_breakdown", date_from=DAYS[0], date_to=DAYS[-1], dimension="source"
        )
    }
    assert "google" in sources and "www.google.com" in by_referrer and "(none)" in sources


@pytest.mark.slow
def test_every_panel_query_runs_as_the_reader_and_reads_no_facts(loaded) -> None:
    db, _ = loaded
    params = {
        "date_from": DAYS[0], "date_to": DAYS[-1], "split": "device", "dimension": "country",
        "from_path": "/",
    }  # fmt: skip
    files = sorted(QUERIES.glob("*.sql"))
    assert len(files) >= 15
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "fact_events" not in text and "fact_sessions" not in text, path.name
        panel(db, path.stem, **params)


@pytest.mark.slow
def test_rollups_equal_the_split_tables(loaded) -> None:
    db, _ = loaded
    for split in ("category", "device"):
        rollup = panel(db, "product_segments", date_from=DAYS[0], date_to=DAYS[-1], split=split)
        by_country = panel(
            db, "product_segments", date_from=DAYS[0], date_to=DAYS[-1], split=split,
            countries=[*(country for country, _ in COUNTRIES), UNKNOWN],
        )  # fmt: skip
        assert rollup == by_country and len(rollup) > 1, split
    measures = "sum(impressions), sum(list_clicks), sum(views), sum(add_to_carts),"
    measures += " sum(checkouts), sum(purchases), sum(units_sold), sum(revenue)"
    totals = db.query(f"select {measures} from agg_product_daily")
    assert totals[0][0] > 0
    for rollup in ("agg_product_total_daily", "agg_category_funnel_daily"):
        assert db.query(f"select {measures} from {rollup}") == totals, rollup
    by_category = db.query(
        "select category, sum(views), sum(revenue) from agg_product_daily group by 1 order by 1"
    )
    assert by_category == db.query(
        "select category, sum(views), sum(revenue) from agg_category_funnel_daily"
        " group by 1 order by 1"
    )
