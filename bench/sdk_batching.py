"""Events per request of the browser SDK, old batching against new, and what each costs.

A seeded shopping journey with human-like pauses (sdk/test/browser/store-journey.mjs,
JOURNEY_FAULTS=0: browse, search, cart, checkout, purchase, close the tab) runs in
Debian's chromium through the local stack (`clickstream up`: the demo store, the API
adapter, the real ingest handler), once with the SDK's old defaults set through init
options (batchSize 10, flushMs 1000) and once with its current defaults, in the same run.
The journey counts the POST requests and the events the API received through a
forwarding proxy, and the page hides (one request per hide is the floor on a multi-page
store), and fails the run if any tracked event did not arrive.

Pauses and flushMs are scaled together by --time-scale (the SDK's timers are real), so a
quarter-scale run has a human's proportions in a quarter of the time.

The cost per million events at each figure comes from scripts/cost.py's model
(build_report / per_million_events), priced on the stack's own plan: --plan-output FILE
reads a saved `scripts/cost.py --save-plan-output FILE`; without it the plan is made the
way `make cost` makes it (terraform/tests/plan_stack.sh: terraform test against the mock
provider, offline).

    .venv/bin/python bench/sdk_batching.py [--time-scale 0.25] [--journeys 2] [--seed 14]
                                           [--plan-output FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from clickstream.envfile import read_env_file

ROOT = Path(__file__).resolve().parents[1]
SDK_DIR = ROOT / "sdk"
JOURNEY = SDK_DIR / "test" / "browser" / "store-journey.mjs"
COST_SCRIPT = ROOT / "scripts" / "cost.py"
OLD_DEFAULTS = {"batchSize": 10, "flushMs": 1000}
PROFILE = "lean"  # both profiles price events the same way
# Lines of the cost model that are billed per request (not per byte or per event).
PER_REQUEST_LINES = (
    "CloudFront HTTPS requests + bytes to origin",
    "WAF requests",
    "API Gateway HTTP API",
    "ingest Lambda",
    "Firehose ingestion (one record per request",
    "CloudWatch Logs (function and access logs)",
)


def load_cost() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cost", COST_SCRIPT)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {COST_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["cost"] = module
    spec.loader.exec_module(module)
    return module


def start_stack(state: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    stack = subprocess.Popen(
        [sys.executable, "-m", "clickstream.cli", "up", "--state-dir", str(state),
         "--aws-port", "0", "--api-port", "0", "--site-port", "0", "--pg-port", "0",
         "--dashboard-port", "0", "--etl-interval", "3600"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while not (state / "stack.env").exists():
        if stack.poll() is not None or time.monotonic() > deadline:
            stack.kill()
            raise SystemExit("the local stack did not start (see `clickstream up` logs)")
        time.sleep(0.2)
    return stack, read_env_file(state / "stack.env")


def run_journey(
    stack_env: dict[str, str], options: dict[str, int] | None, time_scale: float, seed: int
) -> dict[str, Any]:
    env = {
        **os.environ,
        **stack_env,
        "JOURNEY_FAULTS": "0",
        "JOURNEY_TIME_SCALE": str(time_scale),
        "JOURNEY_SEED": str(seed),
    }
    env.pop("JOURNEY_SDK_OPTIONS", None)
    if options is not None:
        env["JOURNEY_SDK_OPTIONS"] = json.dumps(options)
    done = subprocess.run(
        ["node", str(JOURNEY)], cwd=SDK_DIR, env=env, capture_output=True, text=True, timeout=600
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the journey failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if report["missing"] or report["pageErrors"]:
        raise SystemExit(
            f"events lost or page errors: missing={report['missing']} errors={report['pageErrors']}"
        )
    return report


def measure(
    stack_env: dict[str, str], options: dict[str, int] | None, args: argparse.Namespace
) -> tuple[int, int, int]:
    """(events received, POST requests, page hides) over --journeys seeded journeys."""
    events = posts = hides = 0
    for n in range(args.journeys):
        report = run_journey(stack_env, options, args.time_scale, args.seed + n)
        events += report["eventsReceived"]
        posts += report["posts"]
        hides += len(report["hides"])
    return events, posts, hides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-scale", type=float, default=0.25, help="pauses and flushMs x this")
    parser.add_argument("--journeys", type=int, default=2, help="shoppers per configuration")
    parser.add_argument("--seed", type=int, default=14, help="seed of the first journey's pauses")
    parser.add_argument("--plan-output", type=Path, help="a saved plan_stack.sh output")
    args = parser.parse_args(argv)
    if not args.time_scale > 0 or args.journeys < 1:
        parser.error("--time-scale must be positive and --journeys at least 1")
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is required (Node.js 20): `make setup`")

    cost = load_cost()
    try:
        plan = args.plan_output.read_text() if args.plan_output else cost.plan_output()
        runs = cost.parse_plan(plan)
    except cost.CostModelError as exc:
        raise SystemExit(f"cost model: {exc}") from exc
    prices = cost.load_prices()

    # The demo store serves sdk/dist from disk: build what the browser will load.
    subprocess.run(["npm", "run", "build"], cwd=SDK_DIR, check=True, capture_output=True)
    state = Path(tempfile.mkdtemp(prefix="bench-sdk-batching-"))
    stack, stack_env = start_stack(state)
    try:
        figures = {
            "old (batchSize 10, flushMs 1000)": measure(stack_env, OLD_DEFAULTS, args),
            "new (SDK defaults)": measure(stack_env, None, args),
        }
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)

    print(
        f"SDK batching: {args.journeys} seeded shopping journeys per configuration, "
        f"chromium through the local stack, pauses and flushMs x {args.time_scale:g}"
    )
    print(f"{'configuration':34} {'events':>6} {'requests':>8} {'page hides':>10} "
          f"{'events/request':>14} {'USD/M events':>12} {'per-request part':>16}")  # fmt: skip
    ratios = []
    for name, (events, posts, hides) in figures.items():
        per_request = events / posts
        ratios.append(per_request)
        items = cost.build_report(runs, prices, per_request).per_million[PROFILE]
        total = sum(i.usd for i in items)
        per_request_part = sum(i.usd for i in items if i.what.startswith(PER_REQUEST_LINES))
        print(f"{name:34} {events:6d} {posts:8d} {hides:10d} {per_request:14.2f} {total:12.2f} "
              f"{per_request_part:16.2f}")  # fmt: skip
    print(f"new / old events per request: {ratios[1] / ratios[0]:.2f}x")
    items = cost.build_report(runs, prices, ratios[1]).per_million[PROFILE]
    print(f"per million events at {ratios[1]:.2f} events/request ({PROFILE}; scripts/cost.py):")
    for item in items:
        per_request = item.what.startswith(PER_REQUEST_LINES)
        print(f"  {item.usd:6.2f}  {item.what}{'  [per request]' if per_request else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
