"""`make screenshots`: one PNG per dashboard module, with demo data, into docs/screenshots/.

Starts `clickstream up --demo` on free loopback ports in a throwaway state directory,
waits until the demo history has filled most of the last week (the backfill runs through
the real ingest API and ETL), then lets shiny/tests/browser/dashboard-check.mjs (Debian's
chromium via the SDK's playwright-core) open every module and save a full-page PNG.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECK_SCRIPT = REPO_ROOT / "shiny" / "tests" / "browser" / "dashboard-check.mjs"


def days_with_sessions(database_url: str) -> int:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(distinct date_day) from agg_traffic_daily"
            " where date_day > current_date - 7 and sessions > 0"
        )
        return int(cur.fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "screenshots")
    parser.add_argument("--min-days", type=int, default=7, help="days of the last week with data")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for data")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    node = shutil.which("node")
    if node is None:
        print("node is required (make setup)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="clickstream-screenshots-") as state:
        env_file = Path(state) / "stack.env"
        log = (Path(state) / "stack.log").open("wb")
        stack = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "clickstream.cli", "up", "--demo", "--state-dir", state,
             "--aws-port", "0", "--api-port", "0", "--site-port", "0", "--pg-port", "0",
             "--dashboard-port", "0", "--etl-interval", "5"],
            cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            from clickstream.envfile import read_env_file

            deadline = time.monotonic() + args.timeout
            while not env_file.exists():
                if stack.poll() is not None or time.monotonic() > deadline:
                    for log_file in (Path(state) / "stack.log", Path(state) / "logs" / "stack.log"):
                        if log_file.exists():
                            print(log_file.read_text()[-3000:], file=sys.stderr)
                    return 1
                time.sleep(0.5)
            env = read_env_file(env_file)
            while days_with_sessions(env["DATABASE_URL"]) < args.min_days:
                if time.monotonic() > deadline:
                    print("the demo history did not fill the last week in time", file=sys.stderr)
                    return 1
                time.sleep(5)
            time.sleep(15)  # let the ETL catch up with the last objects of the backfill
            result = subprocess.run(  # noqa: S603 - node and our own script
                [node, str(CHECK_SCRIPT)],
                env={**os.environ, "DASHBOARD_URL": env["DASHBOARD_URL"],
                     "SCREENSHOT_DIR": str(args.out.resolve())},
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if result.returncode != 0:
                print(result.stdout[-3000:], result.stderr[-3000:], file=sys.stderr)
                return 1
        finally:
            stack.send_signal(signal.SIGTERM)
            try:
                stack.wait(timeout=60)
            except subprocess.TimeoutExpired:
                stack.kill()
            log.close()
    for png in sorted(args.out.glob("dashboard-*.png")):
        print(png.relative_to(REPO_ROOT) if png.is_relative_to(REPO_ROOT) else png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
