"""ETL throughput and memory against a bare-COPY baseline, measured in the same run.

    .venv/bin/python bench/etl.py --events 200000

1. Generates N realistic events (synthetic shoppers) into one hour of a moto S3
   bucket, in objects of --events-per-object events.
2. Runs `clickstream etl run` in a subprocess against a fresh PostgreSQL cluster
   and measures its wall time, its CPU time and peak RSS (getrusage of the child),
   and the CPU time the PostgreSQL cluster spent meanwhile (the backend serving
   the ETL, plus WAL writer and checkpointer), read from /proc.
3. Baseline: the same rows, already flattened (exported from fact_events), COPYed
   into an empty copy of fact_events with the same indexes, in the same database,
   timed the same way (wall and cluster CPU).
Prints, for both: events/s of wall-clock time (the ETL uses two cores at once, one
parsing and one in PostgreSQL, so this is NOT a one-core figure) and events per
CPU-second of ETL process + PostgreSQL together (the honest one-core figure), the
ratios to the bare COPY, peak memory, and the load average (other work on the
machine slows the wall-clock figures, not the CPU ones). The moto S3 server runs in
this process and is not counted. No thresholds are asserted.
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
from clickstream.local.postgres import LocalCluster, provision_warehouse  # noqa: E402
from clickstream.local.settings import LOOPBACK, free_port  # noqa: E402
from clickstream.simulation.raw import SyntheticShop, write_objects  # noqa: E402


def _ticks(pid: int) -> tuple[int, int]:
    """(own utime+stime, reaped children's cutime+cstime) of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime/stime/cutime/cstime are 14-17.
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def cluster_cpu_seconds(data_dir: Path) -> float:
    """CPU seconds used so far by a PostgreSQL cluster: the postmaster, its live
    children, and the children it has already reaped (backends that exited)."""
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    own, reaped = _ticks(postmaster)
    total = own + reaped
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked; its time is in `reaped` next time
        if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
            total += _ticks(int(entry.name))[0]
    return total / os.sysconf("SC_CLK_TCK")


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
        load_before = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        pg_before = cluster_cpu_seconds(cluster.data_dir)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "clickstream.cli", "etl", "run"],
            cwd=REPO, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        etl_wall = time.perf_counter() - started
        pg_etl_cpu = cluster_cpu_seconds(cluster.data_dir) - pg_before
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
                pg_before = cluster_cpu_seconds(cluster.data_dir)
                started = time.perf_counter()
                cur.copy_expert(f"copy bench_copy ({columns}) from stdin", flat)
                copy_wall = time.perf_counter() - started
                copy_cpu = cluster_cpu_seconds(cluster.data_dir) - pg_before
        conn.close()
        load_after = os.getloadavg()[0]

        etl_rate = loaded / etl_wall
        etl_total_cpu = etl_cpu + pg_etl_cpu
        etl_per_cpu = loaded / etl_total_cpu
        copy_rate = loaded / copy_wall
        copy_per_cpu = loaded / copy_cpu if copy_cpu else float("nan")
        print(f"loaded {loaded:,} events, rebuilt {sessions:,} sessions")
        print(f"load average {load_before:.2f} before the ETL, {load_after:.2f} after the COPY")
        print("                  wall s   events/s wall   CPU s  events/CPU-second")
        print(
            f"ETL end to end  {etl_wall:8.2f} {etl_rate:15,.0f} {etl_total_cpu:7.2f}"
            f" {etl_per_cpu:18,.0f}   (CPU: ETL process {etl_cpu:.2f} + PostgreSQL"
            f" {pg_etl_cpu:.2f})"
        )
        print(
            f"bare COPY       {copy_wall:8.2f} {copy_rate:15,.0f} {copy_cpu:7.2f}"
            f" {copy_per_cpu:18,.0f}   (CPU: PostgreSQL only; baseline)"
        )
        print(
            f"ratio ETL/COPY  {'':8} {etl_rate / copy_rate:15.1%} {'':7}"
            f" {etl_per_cpu / copy_per_cpu:18.1%}"
        )
        print(f"ETL peak memory {peak_mb:8.1f} MB (max RSS of the ETL process)")
        # In AWS the ETL Lambda and PostgreSQL (EC2) do not share a core: this is the
        # rate one Lambda core sustains, the figure that sizes the function.
        print(
            f"ETL process alone {loaded / etl_cpu:,.0f} events/CPU-second"
            " (the Lambda's core; PostgreSQL runs on its own host)"
        )
        return 0
    finally:
        cluster.stop()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
