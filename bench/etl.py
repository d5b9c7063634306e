"""ETL throughput and memory against a bare-COPY baseline, measured in the same run.

    .venv/bin/python bench/etl.py --events 200000

1. Generates N realistic events (synthetic shoppers) into one hour of a moto S3
   bucket, in objects of --events-per-object events.
2. Runs `clickstream etl run` in a subprocess against a fresh PostgreSQL cluster
   and measures its wall time, CPU time and peak RSS (getrusage of the child).
3. Baseline: the same rows, already flattened (exported from fact_events), COPYed
   into an empty copy of fact_events with the same indexes, in the same database.
Prints events/s end to end, events per CPU-second of the ETL process (per core),
the ratio to the bare COPY rate, and peak memory. No thresholds are asserted.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import psycopg2
from moto.server import ThreadedMotoServer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lambdas"))

from clickstream.etl.records import COPY_COLUMNS  # noqa: E402
from clickstream.etl.synthetic import SyntheticShop, write_objects  # noqa: E402
from clickstream.local.postgres import LocalCluster, provision_warehouse  # noqa: E402
from clickstream.local.stack import LOOPBACK, free_port  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--events-per-object", type=int, default=5000)
    parser.add_argument("--durable", action="store_true", help="fsync on (default off, as tests)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log

    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address=LOOPBACK, port=moto_port, verbose=False)
    moto.start()
    endpoint = f"http://{LOOPBACK}:{moto_port}"
    aws_env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(aws_env)
    cluster = LocalCluster(free_port(), fast_unsafe=not args.durable)
    cluster.start()
    try:
        urls = provision_warehouse(cluster)
        s3 = boto3.client("s3", endpoint_url=endpoint)
        bucket = "clickstream-bench-raw"
        s3.create_bucket(Bucket=bucket)
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        started = time.perf_counter()
        shop = SyntheticShop(seed=2026, bot_share=0.03)
        keys = write_objects(
            s3,
            bucket,
            shop.events(args.events, hour, timedelta(minutes=50)),
            args.events_per_object,
        )
        raw_bytes = sum(
            item["Size"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        )
        print(
            f"generated {args.events:,} events in {len(keys)} objects"
            f" ({raw_bytes / 1e6:.1f} MB gzip) in {time.perf_counter() - started:.1f}s"
        )

        env = {
            **os.environ,
            **aws_env,
            "RAW_BUCKET": bucket,
            "DATABASE_URL": urls["ETL_DATABASE_URL"],
            "LOG_LEVEL": "WARNING",
            "ETL_TIME_BUDGET_SECONDS": "3600",
        }
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "clickstream.cli", "etl", "run"],
            cwd=REPO, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        etl_wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            print(result.stdout[-3000:], result.stderr[-3000:])
            return 1
        etl_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        peak_mb = after.ru_maxrss / 1024

        conn = psycopg2.connect(urls["DATABASE_URL"])
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("select count(*) from fact_events")
            loaded = cur.fetchone()[0]
            cur.execute("select count(*) from fact_sessions")
            sessions = cur.fetchone()[0]
            columns = ", ".join(COPY_COLUMNS)
            with tempfile.NamedTemporaryFile("wb+", suffix=".copy") as flat:
                cur.copy_expert(f"copy (select {columns} from fact_events) to stdout", flat)
                flat.flush()
                cur.execute("create table bench_copy (like fact_events including all)")
                flat.seek(0)
                started = time.perf_counter()
                cur.copy_expert(f"copy bench_copy ({columns}) from stdin", flat)
                copy_wall = time.perf_counter() - started
        conn.close()

        etl_rate = loaded / etl_wall
        per_core = loaded / etl_cpu if etl_cpu else float("nan")
        copy_rate = loaded / copy_wall
        print(f"loaded {loaded:,} events, rebuilt {sessions:,} sessions")
        print(f"ETL end to end : {etl_wall:8.2f} s wall  {etl_rate:12,.0f} events/s")
        print(
            f"ETL process CPU: {etl_cpu:8.2f} s      {per_core:12,.0f} events/CPU-second (per core)"
        )
        print(f"bare COPY      : {copy_wall:8.2f} s wall  {copy_rate:12,.0f} events/s (baseline)")
        print(f"ratio ETL/COPY : {etl_rate / copy_rate:8.1%}")
        print(f"ETL peak memory: {peak_mb:8.1f} MB (max RSS of the ETL process)")
        return 0
    finally:
        cluster.stop()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
