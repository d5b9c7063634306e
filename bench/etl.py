"""ETL throughput and memory against a bare-COPY baseline, measured in the same run.

    .venv/bin/python bench/etl.py --events 200000
    .venv/bin/python bench/etl.py --events 1000000 --repeat 3   # medians of 3 runs

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

4. Duplicate trickle: a fresh warehouse that already holds 1 % of the events (every
   100th, loaded first from another bucket, so every object of the run holds some),
   then the same ETL run over all the objects: its events processed per wall second,
   printed as a ratio to the clean run's.

With --repeat N every step after the generation runs N times, each on a fresh cluster,
and the medians are printed (peak memory: the largest). Peak memory and CPU time are
the ETL process's own (wait4 on it). The ETL run is whatever `clickstream` the
subprocess imports: set PYTHONPATH to another tree's `lambdas/` to measure that code
with the same data and command.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import psycopg2
from moto.server import ThreadedMotoServer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lambdas"))
# Quiet the migrations each fresh cluster applies (loggers read it when created).
os.environ.setdefault("LOG_LEVEL", "WARNING")

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
            try:
                total += _ticks(int(entry.name))[0]
            except OSError:
                continue  # exited between the two reads; counted in `reaped` next time
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class EtlRun:
    wall: float
    cpu: float  # the ETL process, user + system
    pg_cpu: float  # the PostgreSQL cluster meanwhile
    peak_mb: float
    loaded: int

    @property
    def total_cpu(self) -> float:
        return self.cpu + self.pg_cpu


@dataclass
class Repetition:
    clean: EtlRun
    copy_wall: float
    copy_cpu: float
    trickle: EtlRun
    processed: int  # events in the objects (what both ETL runs read)
    load_before: float
    load_after: float


def run_etl(cluster: LocalCluster, env: dict[str, str]) -> EtlRun:
    """`clickstream etl run` in a subprocess, timed; its own rusage from wait4."""
    pg_before = cluster_cpu_seconds(cluster.data_dir)
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "clickstream.cli", "etl", "run"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        pg_cpu = cluster_cpu_seconds(cluster.data_dir) - pg_before
        if process.returncode != 0:
            out.seek(0)
            raise SystemExit(f"the ETL run failed:\n{out.read()[-4000:].decode(errors='replace')}")
    with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from fact_events")
        row = cur.fetchone()
    conn.close()
    return EtlRun(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        pg_cpu=pg_cpu,
        peak_mb=usage.ru_maxrss / 1024,
        loaded=int(row[0]) if row else 0,
    )


def bare_copy(cluster: LocalCluster, owner_url: str) -> tuple[float, float]:
    """The loaded rows, flattened, COPYed into an empty copy of fact_events (same
    indexes, same database): wall seconds and cluster CPU seconds."""
    conn = psycopg2.connect(owner_url)
    conn.autocommit = True
    columns = ", ".join(COPY_COLUMNS)
    with conn.cursor() as cur, tempfile.NamedTemporaryFile("wb+", suffix=".copy") as flat:
        cur.copy_expert(f"copy (select {columns} from fact_events) to stdout", flat)
        flat.flush()
        cur.execute("create table bench_copy (like fact_events including all)")
        flat.seek(0)
        pg_before = cluster_cpu_seconds(cluster.data_dir)
        started = time.perf_counter()
        cur.copy_expert(f"copy bench_copy ({columns}) from stdin", flat)
        wall = time.perf_counter() - started
        cpu = cluster_cpu_seconds(cluster.data_dir) - pg_before
    conn.close()
    return wall, cpu


def fresh_cluster(durable: bool) -> tuple[LocalCluster, dict[str, str]]:
    cluster = LocalCluster(free_port(), fast_unsafe=not durable)
    cluster.start()
    return cluster, provision_warehouse(cluster)


def repetition(args: argparse.Namespace, base_env: dict[str, str], processed: int) -> Repetition:
    load_before = os.getloadavg()[0]
    cluster, urls = fresh_cluster(args.durable)
    try:
        env = {**base_env, "DATABASE_URL": urls["ETL_DATABASE_URL"]}
        clean = run_etl(cluster, env)
        copy_wall, copy_cpu = bare_copy(cluster, urls["DATABASE_URL"])
    finally:
        cluster.stop()
    cluster, urls = fresh_cluster(args.durable)
    try:
        env = {**base_env, "DATABASE_URL": urls["ETL_DATABASE_URL"]}
        # 1 % of the ids already stored, spread over every object, then the same run.
        run_etl(cluster, {**env, "RAW_BUCKET": base_env["BENCH_DUPLICATES_BUCKET"]})
        trickle = run_etl(cluster, env)
    finally:
        cluster.stop()
    return Repetition(
        clean, copy_wall, copy_cpu, trickle, processed, load_before, os.getloadavg()[0]
    )


def report(reps: list[Repetition]) -> None:
    median = statistics.median
    for index, rep in enumerate(reps, 1):
        c, t = rep.clean, rep.trickle
        print(
            f"run {index}: ETL {c.wall:.2f}s wall, {c.cpu:.2f}+{c.pg_cpu:.2f} CPU-s,"
            f" {c.peak_mb:.0f} MB; bare COPY {rep.copy_wall:.2f}s, {rep.copy_cpu:.2f} CPU-s;"
            f" trickle {t.wall:.2f}s, {t.cpu:.2f}+{t.pg_cpu:.2f} CPU-s, {t.peak_mb:.0f} MB;"
            f" load average {rep.load_before:.2f} -> {rep.load_after:.2f}"
        )
    loaded = reps[0].clean.loaded
    etl_wall = median(r.clean.wall for r in reps)
    etl_cpu = median(r.clean.cpu for r in reps)
    pg_cpu = median(r.clean.pg_cpu for r in reps)
    total_cpu = median(r.clean.total_cpu for r in reps)
    copy_wall = median(r.copy_wall for r in reps)
    copy_cpu = median(r.copy_cpu for r in reps)
    wall_ratio = median((r.copy_wall / r.clean.wall) for r in reps)
    cpu_ratio = median((r.copy_cpu / r.clean.total_cpu) for r in reps if r.copy_cpu)
    trickle_ratio = median(r.clean.wall / r.trickle.wall for r in reps)
    trickle_cpu_ratio = median(r.clean.total_cpu / r.trickle.total_cpu for r in reps)
    peak = max(max(r.clean.peak_mb, r.trickle.peak_mb) for r in reps)
    print(f"loaded {loaded:,} events; medians of {len(reps)} run(s)")
    print("                  wall s   events/s wall   CPU s  events/CPU-second")
    print(
        f"ETL end to end  {etl_wall:8.2f} {loaded / etl_wall:15,.0f} {total_cpu:7.2f}"
        f" {loaded / total_cpu:18,.0f}   (CPU: ETL process {etl_cpu:.2f} + PostgreSQL"
        f" {pg_cpu:.2f})"
    )
    print(
        f"bare COPY       {copy_wall:8.2f} {loaded / copy_wall:15,.0f} {copy_cpu:7.2f}"
        f" {loaded / copy_cpu if copy_cpu else float('nan'):18,.0f}"
        "   (CPU: PostgreSQL only; baseline)"
    )
    print(f"ratio ETL/COPY  {'':8} {wall_ratio:15.1%} {'':7} {cpu_ratio:18.1%}")
    trickle_wall = median(r.trickle.wall for r in reps)
    print(
        f"duplicate trickle (1 % of ids already stored, in every object): {trickle_wall:.2f}s"
        f" wall, {reps[0].processed / trickle_wall:,.0f} events/s;"
        f" clean/trickle {trickle_ratio:.1%} wall, {trickle_cpu_ratio:.1%} CPU"
    )
    print(f"ETL peak memory {peak:8.1f} MB (max RSS of the ETL process, largest run)")
    # In AWS the ETL Lambda and PostgreSQL (EC2) do not share a core: this is the
    # rate one Lambda core sustains, the figure that sizes the function.
    print(
        f"ETL process alone {loaded / etl_cpu:,.0f} events/CPU-second"
        " (the Lambda's core; PostgreSQL runs on its own host)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--events-per-object", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians are printed")
    parser.add_argument("--durable", action="store_true", help="fsync on (default off, as tests)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
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
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint)
        bucket, duplicates = "clickstream-bench-raw", "clickstream-bench-duplicates"
        s3.create_bucket(Bucket=bucket)
        s3.create_bucket(Bucket=duplicates)
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        started = time.perf_counter()
        shop = SyntheticShop(seed=2026, bot_share=0.03)
        every_100th: list[dict[str, Any]] = []

        def keeping_every_100th(records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for index, record in enumerate(records):
                if index % 100 == 0:
                    every_100th.append(record)
                yield record

        events = shop.events(args.events, hour, timedelta(minutes=50))
        keys = write_objects(s3, bucket, keeping_every_100th(events), args.events_per_object)
        # Stored before the trickle run (under other keys: another seed).
        write_objects(s3, duplicates, every_100th, args.events_per_object, seed=8)
        raw_bytes = sum(
            item["Size"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        )
        print(
            f"generated {args.events:,} events in {len(keys)} objects"
            f" ({raw_bytes / 1e6:.1f} MB gzip) in {time.perf_counter() - started:.1f}s"
        )
        base_env = {
            **os.environ,
            **aws_env,
            "RAW_BUCKET": bucket,
            "BENCH_DUPLICATES_BUCKET": duplicates,
            "LOG_LEVEL": "WARNING",
            "ETL_TIME_BUDGET_SECONDS": "3600",
        }
        reps = [repetition(args, base_env, args.events) for _ in range(args.repeat)]
        report(reps)
        return 0
    finally:
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
