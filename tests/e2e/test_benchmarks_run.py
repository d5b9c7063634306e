"""The benchmarks `make bench` runs still run: tiny sizes, no timing asserted, only that
each prints its figure beside the baseline measured in the same run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=300, check=True
    )
    return result.stdout


def test_ingest_benchmark_prints_rates_ratios_and_latency() -> None:
    output = run("bench/ingest.py", "--seconds", "0.2", "--full-seconds", "1", "--rate", "20")
    rows = re.findall(r"^\s+(\d+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)%$", output, re.MULTILINE)
    assert [int(row[0]) for row in rows] == [1, 10, 50, 100]
    assert re.search(r"^\s+crafted\s+[\d,]+ events/s$", output, re.MULTILINE), output
    assert re.search(r"ratio crafted/normal [\d.]+%", output), output
    assert re.search(r"p99 [\d.]+ ms", output)


def test_etl_benchmark_prints_its_rate_beside_the_bare_copy() -> None:
    output = run("bench/etl.py", "--events", "3000")
    assert re.search(r"^bare COPY\s+[\d.]+\s+[\d,]+", output, re.MULTILINE), output
    assert re.search(r"^ratio ETL/COPY\s+[\d.]+%\s+[\d.]+%$", output, re.MULTILINE), output
    assert re.search(r"^ETL peak memory\s+[\d.]+ MB", output, re.MULTILINE), output
    assert re.search(r"^ETL process alone [\d,]+ events/CPU-second", output, re.MULTILINE), output
    assert re.search(r"^duplicate trickle .* clean/trickle [\d.]+% wall", output, re.MULTILINE), (
        output
    )


def test_dashboard_benchmark_prints_every_panel_beside_select_1() -> None:
    output = run("bench/dashboard.py", "--events", "3000", "--runs", "3")
    assert re.search(r"^select 1 \(round trip\)\s+[\d.]+\s+[\d.]+\s+1$", output, re.MULTILINE)
    queries = sorted(p.stem for p in (REPO / "sql" / "queries").glob("*.sql"))
    for name in queries:
        row = re.search(rf"^{name}\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)$",
                        output, re.MULTILINE)  # fmt: skip
        assert row, f"{name} missing from:\n{output}"
    # the tiny warehouse still puts data in the timed range
    assert re.search(r"^traffic_summary\s+[\d.]+\s+[\d.]+\s+1\s", output, re.MULTILINE)
    assert re.search(r"^traffic_pages\s+[\d.]+\s+[\d.]+\s+[1-9]\d*\s", output, re.MULTILINE)
    assert re.search(r"^slowest panel p95 [\d.]+ ms", output, re.MULTILINE)
