"""Dashboard panel queries on a warehouse of N events: p50/p95 beside a `select 1`.

    .venv/bin/python bench/dashboard.py --events 10000000

1. Starts a throwaway PostgreSQL cluster and migrates it (hll included).
2. Fills it fast, straight into the tables: a template of --template-events realistic
   synthetic events (clickstream.simulation.raw, flattened by the ETL's own parser) is
   COPYed once, then replicated server-side (`insert ... select` over generate_series)
   with fresh event/session ids, shifted over --days days ending today, and a device,
   country and returning-visitor id drawn per session copy, until N events exist.
   fact_events' btree indexes are built after the fill.
3. Rebuilds the sessions and the dashboard aggregates with the ETL's own finish step
   (clickstream.etl.sessions.finish), so the aggregates are exactly what the ETL makes.
4. Runs every panel query in sql/queries (the files the Shiny app runs) --runs times as
   the read-only dashboard role, for the last 7 days with no filter and with a device,
   country and category filter, and `select 1` the same way; prints p50 and p95 in ms.
No thresholds are asserted (the target is every panel's p95 under 100 ms).
"""

from __future__ import annotations

import argparse
import io
import math
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lambdas"))

from clickstream.etl import sessions  # noqa: E402
from clickstream.etl.records import COPY_COLUMNS, parse_line  # noqa: E402
from clickstream.local.postgres import LocalCluster, provision_warehouse  # noqa: E402
from clickstream.local.settings import free_port  # noqa: E402
from clickstream.simulation.raw import SyntheticShop  # noqa: E402

QUERIES = REPO / "sql" / "queries"
COUNTRIES = ["US", "DE", "VN", "JP", "FR", "GB", "SG", "IN", "BR", "CA", "AU", "NL"]
DEVICES = ["desktop", "desktop", "mobile", "mobile", "mobile", "tablet"]
FILTERED = {"devices": ["mobile"], "countries": ["DE", "US"], "categories": ["Monitors"]}

# Column expressions of a copy `c` of template row `t`; the rest are copied unchanged.
_REPLACED = {
    "event_id": "md5(t.event_id::text || ':' || g.c)::uuid",
    "session_id": "md5(t.session_id::text || ':' || g.c)::uuid",
    "event_at": "t.event_at + g.shift",
    "event_date": "(t.event_at + g.shift)::date",
    "received_at": "t.received_at + g.shift",
    "anonymous_id": "t.anonymous_id || '.' || (g.c / 7)",
    "user_id": "case when t.user_id is null then null else t.user_id || '.' || (g.c / 7) end",
    "device_type": "case when t.device_type is null then null else (%(devices)s::text[])"
    "[1 + abs(hashtext(t.session_id::text || g.c)) %% %(device_count)s] end",
    "ua_device_type": "case when t.is_bot then t.ua_device_type else (%(devices)s::text[])"
    "[1 + abs(hashtext(t.session_id::text || g.c)) %% %(device_count)s] end",
    "country": "(%(countries)s::text[])"
    "[1 + abs(hashtext(g.c || t.session_id::text)) %% %(country_count)s]",
    "source_key": "'bench'",
}
REPLICATE_SQL = (
    "insert into fact_events (" + ", ".join(COPY_COLUMNS) + ")\n"
    "select " + ", ".join(_REPLACED.get(c, "t." + c) for c in COPY_COLUMNS) + "\n"
    "from bench_template as t\n"
    "cross join (select c, make_interval(days => %(days)s - 1 - c %% %(days)s) as shift\n"
    "            from generate_series(%(first)s, %(last)s) as c) as g"
)


def fill(conn: Any, events: int, template_events: int, days: int) -> tuple[int, float]:
    first_day = datetime.now(UTC).date() - timedelta(days=days - 1)
    start = datetime(first_day.year, first_day.month, first_day.day, 5, tzinfo=UTC)
    shop = SyntheticShop(seed=2026, bot_share=0.03)
    template = io.StringIO()
    count = 0
    for record in shop.events(min(events, template_events), start, timedelta(hours=17)):
        template.write(parse_line(orjson.dumps(record), "bench").copy_line)
        count += 1
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("create unlogged table bench_template (like fact_events including defaults)")
        template.seek(0)
        cur.copy_expert(f"copy bench_template ({', '.join(COPY_COLUMNS)}) from stdin", template)
        # Random uuids make btree inserts slow; build those indexes once, after the fill.
        cur.execute("alter table fact_events drop constraint fact_events_pkey")
        cur.execute("drop index fact_events_session_idx")
        copies = math.ceil(events / count)
        step = max(1, 1_000_000 // count)
        for first in range(0, copies, step):
            last = min(copies, first + step) - 1
            cur.execute(
                REPLICATE_SQL,
                {
                    "first": first, "last": last, "days": days,
                    "devices": DEVICES, "device_count": len(DEVICES),
                    "countries": COUNTRIES, "country_count": len(COUNTRIES),
                },
            )  # fmt: skip
            conn.commit()
            done = min(copies, last + 1) * count
            print(f"  facts: {done:,} of {copies * count:,} events", file=sys.stderr, flush=True)
        cur.execute("alter table fact_events add primary key (event_id)")
        cur.execute("create index fact_events_session_idx on fact_events (session_id)")
        cur.execute("drop table bench_template")
        cur.execute("insert into etl_dirty_sessions select distinct session_id from fact_events")
        cur.execute("insert into etl_dirty_dates select distinct event_date from fact_events")
        cur.execute(
            "insert into dim_product (product_id, category, last_price, currency, first_seen_at,"
            " last_seen_at, name, in_catalog)"
            " select product_id, max(category), max(price), 'USD', min(event_at), max(event_at),"
            " 'Product ' || product_id, true from fact_events where product_id is not null"
            " group by product_id"
        )
        # Catalogue products nobody looked at, for the least-viewed panel.
        cur.execute(
            "insert into dim_product (product_id, category, name, in_catalog, catalog_price)"
            " select 'sku-new-' || i, 'Monitors', 'New monitor ' || i, true, 199"
            " from generate_series(1, 20) as i"
        )
        # An hourly ETL with its reliability snapshot and CloudWatch figures, for the
        # Reliability panels.
        cur.execute(
            "insert into etl_runs (run_id, trigger, started_at, ended_at, status, objects_loaded,"
            " rows_inserted, sessions_rebuilt, newest_event_at, lag_seconds)"
            " select md5('run' || h)::uuid, 'schedule', h, h + interval '40 seconds',"
            " 'succeeded', 12, 14000, 1000, h - interval '2 minutes', 120"
            " from generate_series(date_trunc('hour', now()) - make_interval(days => %s),"
            " date_trunc('hour', now()), interval '1 hour') as h",
            (days,),
        )
        cur.execute(
            "insert into etl_reliability_snapshots (run_id, taken_at, window_start, window_end,"
            " dlq_depth, dlq_in_flight, parking_depth, ingest_invocations, ingest_errors,"
            " ingest_throttles, events_accepted, events_rejected)"
            " select run_id, ended_at, started_at - interval '1 hour', started_at, 3, 0, 0,"
            " 900, 2, 0, 14000, 20 from etl_runs"
        )
        cur.execute(
            "insert into agg_ingest_hourly (hour_at, metric, reason, value)"
            " select h, m, '', 100 from generate_series(date_trunc('hour', now())"
            " - make_interval(days => %s), date_trunc('hour', now()), interval '1 hour') as h"
            " cross join unnest(array['Invocations', 'Errors', 'Throttles', 'EventsAccepted',"
            " 'EventsRejected']) as m",
            (days,),
        )
        cur.execute("analyze fact_events")
    conn.commit()
    fill_seconds = time.perf_counter() - started
    started = time.perf_counter()
    sessions.finish(conn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("vacuum analyze")  # as autovacuum would after a load
    conn.autocommit = False
    print(
        f"  sessions and aggregates rebuilt in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    return copies * count, fill_seconds


def query_params(text: str, filtered: bool, today: date) -> dict[str, Any]:
    values: dict[str, Any] = {
        "date_from": today - timedelta(days=6),
        "date_to": today,
        "devices": [],
        "countries": [],
        "categories": [],
        "split": "device",
        "dimension": "referrer",
        "from_path": "/checkout",
        **(FILTERED if filtered else {}),
    }
    used = set(re.findall(r"%\((\w+)\)s", text))
    missing = used - set(values)
    if missing:
        raise SystemExit(f"bench/dashboard.py has no value for parameter(s) {sorted(missing)}")
    return {k: v for k, v in values.items() if k in used}


def timed(cur: Any, statement: str, params: Any, runs: int) -> tuple[list[float], int]:
    cur.execute(statement, params)  # warm: plan caches, buffers
    rows = len(cur.fetchall())
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        cur.execute(statement, params)
        cur.fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return times, rows


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--template-events", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    if args.events < 1 or args.days < 1 or args.runs < 1:
        parser.error("--events, --days and --runs must be positive")

    cluster = LocalCluster(free_port())
    cluster.start()
    try:
        urls = provision_warehouse(cluster)
        owner = psycopg2.connect(urls["DATABASE_URL"])
        started = time.perf_counter()
        events, fill_seconds = fill(owner, args.events, args.template_events, args.days)
        with owner.cursor() as cur:
            cur.execute("select count(*) from fact_sessions")
            session_count = cur.fetchone()[0]
            cur.execute(
                "select string_agg(format('%s %s', relname, n_live_tup), ', ' order by relname)"
                " from pg_stat_user_tables where relname like 'agg\\_%'"
            )
            aggregate_rows = cur.fetchone()[0]
        owner.close()
        print(
            f"warehouse: {events:,} events, {session_count:,} sessions over {args.days} days,"
            f" filled in {fill_seconds:.1f}s, ready in {time.perf_counter() - started:.1f}s"
        )
        print(f"aggregate rows: {aggregate_rows}")

        reader = psycopg2.connect(urls["DASHBOARD_DATABASE_URL"])
        reader.autocommit = True
        today = datetime.now(UTC).date()
        print(
            f"last 7 days, {args.runs} runs each, as the reader role; filtered ="
            f" {orjson.dumps(FILTERED).decode()}"
        )
        print(f"{'query':32} {'p50 ms':>8} {'p95 ms':>8} {'rows':>6}   filtered: "
              f"{'p50 ms':>8} {'p95 ms':>8} {'rows':>6}")  # fmt: skip
        with reader.cursor() as cur:
            cur.execute("set time zone 'UTC'")
            baseline, _ = timed(cur, "select 1", None, args.runs)
            print(
                f"{'select 1 (round trip)':32} {statistics.median(baseline):8.2f}"
                f" {percentile(baseline, 0.95):8.2f} {1:6}"
            )
            worst = 0.0
            for path in sorted(QUERIES.glob("*.sql")):
                text = path.read_text(encoding="utf-8")
                cells = []
                for filtered in (False, True):
                    times, rows = timed(cur, text, query_params(text, filtered, today), args.runs)
                    worst = max(worst, percentile(times, 0.95))
                    cells.append(
                        f"{statistics.median(times):8.2f} {percentile(times, 0.95):8.2f} {rows:6}"
                    )
                print(f"{path.stem:32} {cells[0]}             {cells[1]}")
        reader.close()
        print(f"slowest panel p95 {worst:.2f} ms (target: under 100 ms)")
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
