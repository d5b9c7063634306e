"""Ingest throughput and latency, each beside a baseline measured in the same run.

CPU path: the ingest service (validate + enrich + serialize + gzip) with the
S3 put replaced by an in-memory sink, against bare `json.loads` + gzip of the
same request bodies. Full path: HTTP requests at a fixed rate through the
local API Gateway adapter into moto, reporting latency percentiles.

    .venv/bin/python bench/ingest.py [--seconds 2] [--rate 100] [--full-seconds 10]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

from clickstream.envfile import read_env_file
from clickstream.ingest import privacy
from clickstream.ingest.auth import Authenticator
from clickstream.ingest.config import IngestConfig
from clickstream.ingest.service import IngestRequest, IngestService
from clickstream.ingest.storage import MemoryQueue, MemorySink, RawEventStore

SITE_KEY = "bench-site-key"
BATCH_SIZES = (1, 10, 50, 100)
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def shopper_event(index: int) -> dict[str, object]:
    """A realistic product view with every optional block filled in."""
    return {
        "event_id": str(uuid.uuid4()),
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event_type": ("view", "click", "add_to_cart")[index % 3],
        "session_id": "0b7e5c1e-9a3c-4b7a-8a51-2f2d1c6f0e12",
        "user_id": None,
        "anonymous_id": "anon-3f2a9c81d4",
        "page_url": f"https://shop.example/p/sku-{index % 200}?utm_source=google&utm_medium=cpc",
        "page_title": "Laptop 14 inch, 16 GB",
        "referrer": "https://www.google.com/",
        "device": {
            "type": "desktop",
            "screen_width": 1920,
            "screen_height": 1080,
            "language": "en-US",
        },
        "geo": {"country": "VN", "city": None},
        "ecom": {
            "product_id": f"sku-{index % 200}",
            "category": "Laptops",
            "currency": "USD",
            "price": 799.99,
            "qty": 1,
        },
        "props": {"list": "search results", "position": index % 20},
    }


def crafted_event(index: int) -> dict[str, object]:
    """The same event with hostile fields: ~2 KB runs of address- and phone-like characters
    around an "@" (what cost a backtracking regex ~20 ms per field). Each differs, so the
    redaction cache cannot help."""
    event = shopper_event(index)
    unique = uuid.uuid4().hex

    def run(prefix: str, unit: str, size: int, end: str) -> str:
        return (prefix + unique + unit * size)[: size - len(end)] + end

    event["page_url"] = run("https://shop.example/?q=", "a", 2048, "@")
    event["page_title"] = run("", "a.", 256, "@")
    event["props"] = {
        "note": run("", "a-", 512, "@x"),
        "digits": run("", "1 ", 512, "x"),
        "position": index % 20,
    }
    return event


def request_bodies(batch_size: int, count: int, crafted: bool = False) -> list[bytes]:
    make = crafted_event if crafted else shopper_event
    return [
        json.dumps({"events": [make(i) for i in range(batch_size)]}).encode() for _ in range(count)
    ]


def cpu_path(batch_size: int, seconds: float, crafted: bool = False) -> tuple[float, float]:
    """(service events/s, baseline events/s) on one core."""
    config = IngestConfig(
        raw_bucket="bench", dlq_url="bench", allowed_origins=frozenset(), site_keys=(SITE_KEY,),
        pii_hash_key=b"bench", cognito_issuer=None, cognito_client_id=None, cognito_jwks_url=None,
        dedupe_ttl_s=0.0,
    )  # fmt: skip
    service = IngestService(
        config, Authenticator((SITE_KEY,), None), RawEventStore(MemorySink()), MemoryQueue()
    )
    requests_needed = max(20, int(40_000 / batch_size)) if not crafted else 20
    bodies = request_bodies(batch_size, requests_needed, crafted)
    headers = {"content-type": "application/json", "x-api-key": SITE_KEY, "user-agent": USER_AGENT}

    # Crafted fields are new on every request in an attack; repeating the same bodies
    # would time the redaction cache instead, so crafted runs empty it per request.
    caches = (
        [getattr(privacy, name) for name in ("redact", "redact_url") if hasattr(privacy, name)]
        if crafted
        else []
    )

    def run_service() -> int:
        events = 0
        for body in bodies:
            for cached in caches:
                cached.cache_clear()
            result = service.handle(
                IngestRequest("POST", "/v1/events", headers, body, "b", datetime.now(UTC))
            )
            assert result.status == 202, result.body
            events += batch_size
        return events

    def run_baseline() -> int:
        for body in bodies:
            json.loads(body)
            gzip.compress(body, compresslevel=5)
        return batch_size * len(bodies)

    def rate(work: object) -> float:
        run = work  # type: ignore[assignment]
        run()  # warm caches (UA parsing, schema compile)
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            done += run()  # type: ignore[operator]
        return done / (time.perf_counter() - started)

    return rate(run_service), rate(run_baseline)


def full_path(rate_per_s: float, seconds: float, batch_size: int) -> list[float]:
    """Latencies (ms) of requests sent at a fixed rate to a real local stack."""
    state = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    env = {
        **os.environ,
        "API_RATE_PER_S": str(rate_per_s * 4),
        "API_BURST": str(int(rate_per_s * 4)),
    }
    stack = subprocess.Popen(
        [sys.executable, "-m", "clickstream.cli", "up", "--state-dir", str(state),
         "--aws-port", "0", "--api-port", "0", "--site-port", "0", "--pg-port", "0",
         "--dashboard-port", "0", "--etl-interval", "3600"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (state / "stack.env").exists():
            if stack.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the local stack did not start")
            time.sleep(0.2)
        stack_env = read_env_file(state / "stack.env")
        url = f"{stack_env['API_URL']}/v1/events"
        headers = {
            "content-type": "application/json",
            "x-api-key": stack_env["API_KEY"],
            "user-agent": USER_AGENT,
        }
        latencies = []
        total = int(rate_per_s * seconds)
        interval = 1.0 / rate_per_s
        start = time.perf_counter()
        for n, body in enumerate(request_bodies(batch_size, total)):
            time.sleep(max(0.0, start + n * interval - time.perf_counter()))
            sent = time.perf_counter()
            req = urllib.request.Request(url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(req, timeout=10) as response:
                assert response.status == 202
                response.read()
            latencies.append((time.perf_counter() - sent) * 1000)
        return latencies
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=30)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per CPU-path measurement")
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s for the full path")
    parser.add_argument("--full-seconds", type=float, default=10.0)
    parser.add_argument("--full-batch", type=int, default=10)
    args = parser.parse_args()

    print("CPU path (validate + enrich + serialize + gzip, in-memory sink), one core")
    print(f"{'batch':>6} {'events/s':>12} {'baseline/s':>12} {'ratio':>7}")
    for batch_size in BATCH_SIZES:
        service_rate, baseline_rate = cpu_path(batch_size, args.seconds)
        ratio = service_rate / baseline_rate
        print(f"{batch_size:>6} {service_rate:>12,.0f} {baseline_rate:>12,.0f} {ratio:>7.1%}")
    print("  baseline: bare json.loads + gzip (level 5) of the same request bodies")
    print()
    print("Crafted fields (~2 KB address-/phone-like runs around '@'), 50-event batches")
    crafted_rate, _ = cpu_path(50, args.seconds, crafted=True)
    normal_rate, _ = cpu_path(50, args.seconds)
    print(f"{'normal':>8} {normal_rate:>12,.0f} events/s")
    print(f"{'crafted':>8} {crafted_rate:>12,.0f} events/s")
    print(f"  ratio crafted/normal {crafted_rate / normal_rate:.1%}")
    print()
    print(
        "Full path: HTTP -> local API Gateway -> handler -> moto S3, "
        f"{args.rate:.0f} req/s x {args.full_seconds:.0f} s, {args.full_batch} events/request"
    )
    latencies = full_path(args.rate, args.full_seconds, args.full_batch)
    print(
        f"  requests {len(latencies)}  p50 {statistics.median(latencies):.1f} ms  "
        f"p95 {percentile(latencies, 0.95):.1f} ms  p99 {percentile(latencies, 0.99):.1f} ms  "
        f"max {max(latencies):.1f} ms"
    )


if __name__ == "__main__":
    main()
