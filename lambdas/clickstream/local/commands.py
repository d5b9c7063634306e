"""Local-stack subcommands: `clickstream up`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clickstream.local.settings import StackSettings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = subparsers.add_parser(
        "up", help="start the whole local stack on 127.0.0.1 until Ctrl-C / SIGTERM"
    )
    defaults = StackSettings()
    up.add_argument("--state-dir", type=Path, default=defaults.state_dir)
    up.add_argument("--aws-port", type=int, default=defaults.aws_port, help="moto server (0 = any)")
    up.add_argument("--api-port", type=int, default=defaults.api_port, help="ingest API (0 = any)")
    up.add_argument(
        "--site-port", type=int, default=defaults.site_port, help="demo store (0 = any)"
    )
    up.add_argument("--pg-port", type=int, default=defaults.pg_port, help="PostgreSQL (0 = any)")
    up.add_argument(
        "--dashboard-port", type=int, default=defaults.dashboard_port, help="Shiny (0 = any)"
    )
    up.add_argument(
        "--etl-interval",
        type=float,
        default=defaults.etl_interval_seconds,
        help="seconds between scheduled ETL runs (EventBridge's rate locally)",
    )
    up.add_argument("--demo", action="store_true", help="also run simulated shoppers")
    up.add_argument(
        "--verbose", action="store_true", help="component logs on the console, not .local/logs"
    )
    up.set_defaults(handler=_up)

    simulate = subparsers.add_parser(
        "simulate",
        help="post simulated shopper visits to an ingest API (the local stack's by default)",
    )
    simulate.add_argument("--env-file", type=Path, default=defaults.env_file)
    simulate.add_argument("--sessions", type=int, default=100, help="visits to send")
    simulate.add_argument(
        "--rate", type=float, default=0.0, help="visits per second (0 = as fast as possible)"
    )
    simulate.add_argument("--seed", type=int, default=None, help="for a reproducible run")
    simulate.add_argument(
        "--history-days",
        type=int,
        default=0,
        metavar="N",
        help="instead: send N past days (1-21) of visits, with their past event times",
    )
    simulate.add_argument(
        "--sessions-per-day", type=int, default=40, help="history visits per day (grows ~2%%/day)"
    )
    simulate.set_defaults(handler=_simulate)


def _up(args: argparse.Namespace) -> int:
    # Imported here: the stack pulls in moto and the other components, which the rest
    # of the `clickstream` command does not need.
    from clickstream.local.stack import run_until_signalled

    settings = StackSettings(
        state_dir=args.state_dir,
        aws_port=args.aws_port,
        api_port=args.api_port,
        site_port=args.site_port,
        pg_port=args.pg_port,
        dashboard_port=args.dashboard_port,
        etl_interval_seconds=args.etl_interval,
        demo=args.demo,
    )
    run_until_signalled(settings, verbose=args.verbose)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    import threading

    from clickstream.envfile import read_env_file
    from clickstream.simulation.client import ApiClient, run_shoppers

    env = read_env_file(args.env_file)
    client = ApiClient(env["API_URL"], env["API_KEY"])
    if args.history_days:
        from clickstream.simulation.client import run_history

        def progress(done: int, total: int, ok: int, bad: int) -> None:
            print(f"history: {done}/{total} visits, {ok} events accepted, {bad} rejected",
                  file=sys.stderr, flush=True)  # fmt: skip

        try:
            visits, accepted, rejected = run_history(
                client, args.history_days, args.sessions_per_day, args.seed, progress=progress
            )
        except ValueError as error:
            print(f"error: {error}")
            return 2
        print(f"visits {visits}  events accepted {accepted}  rejected {rejected}")
        return 0 if rejected == 0 else 1
    visits, accepted, rejected = run_shoppers(
        client, args.sessions, args.rate, threading.Event(), seed=args.seed
    )
    print(f"visits {visits}  events accepted {accepted}  rejected {rejected}")
    return 0 if rejected == 0 else 1
