"""Warehouse subcommands: migrate, etl run / backfill, compact, status.

Settings come from the environment as on Lambda; when a variable is missing it is
read from the local stack's `.local/stack.env`, so after `clickstream up` the
commands work without exporting anything.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clickstream.etl import bookkeeping, compact, loader, migrations, status
from clickstream.etl.batch import run_batch
from clickstream.etl.config import ConfigError, EtlSettings
from clickstream.etl.hours import parse_hour

DEFAULT_STATE_DIR = Path(".local")


def _environment(state_dir: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    stack_env = state_dir / "stack.env"
    if stack_env.exists():
        from clickstream.envfile import read_env_file

        env.update(read_env_file(stack_env))
    env.update(os.environ)
    # boto3 reads the endpoint from the process environment.
    for key in (
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
    ):
        if key in env and key not in os.environ:
            os.environ[key] = env[key]
    return env


def _settings(args: argparse.Namespace) -> EtlSettings:
    env = _environment(args.state_dir)
    if getattr(args, "database_url", None):
        env["DATABASE_URL"] = args.database_url
    return EtlSettings.from_env(env)


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="local stack state (stack.env)"
    )
    parser.add_argument("--database-url", help="overrides DATABASE_URL")


def register(subparsers: argparse._SubParsersAction) -> None:
    migrate = subparsers.add_parser("migrate", help="apply the pending sql/migrations")
    _add_common(migrate)
    migrate.add_argument("--down", type=int, default=0, metavar="N", help="revert N migrations")
    migrate.set_defaults(handler=_migrate)

    etl = subparsers.add_parser("etl", help="run or backfill the warehouse ETL")
    etl_commands = etl.add_subparsers(dest="etl_command", required=True, metavar="ACTION")
    run = etl_commands.add_parser("run", help="load new raw objects now (one batch)")
    _add_common(run)
    run.add_argument("--drain", action="store_true", help="share the backlog with other drains")
    run.set_defaults(handler=_etl_run)
    backfill = etl_commands.add_parser("backfill", help="reprocess an hour range idempotently")
    _add_common(backfill)
    backfill.add_argument("--from", dest="first", required=True, help="first hour, 2026-11-28T13")
    backfill.add_argument("--to", dest="last", required=True, help="last hour (inclusive)")
    backfill.set_defaults(handler=_etl_backfill)

    compaction = subparsers.add_parser(
        "compact", help="merge small raw objects of closed hours (or of --hour)"
    )
    _add_common(compaction)
    compaction.add_argument(
        "--hour",
        help="one partition hour, 2026-11-28T13; without it every closed hour that needs it"
        " (COMPACT_MAX_HOURS at most), as the scheduled Lambda does",
    )
    compaction.add_argument(
        "--target-mb", type=int, default=None, help="size of merged objects (COMPACT_TARGET_MB)"
    )
    compaction.set_defaults(handler=_compact)

    drill = subparsers.add_parser(
        "rebuild",
        help="disaster recovery: migrate an EMPTY database and load every raw object of a range",
    )
    _add_common(drill)
    drill.add_argument("--from", dest="first", required=True, help="first hour, 2026-11-28T00")
    drill.add_argument("--to", dest="last", required=True, help="last hour (inclusive)")
    drill.set_defaults(handler=_rebuild)

    alerts = subparsers.add_parser(
        "alerts", help="CloudWatch alarm states and the recent alert notifications"
    )
    alerts.add_argument(
        "--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="local stack state (stack.env)"
    )
    alerts.add_argument("--limit", type=int, default=20, help="notifications to show")
    alerts.add_argument(
        "--prefix",
        default=None,
        help="alarm name prefix (default: ALARM_NAME_PREFIX, e.g. clickstream-prod-; all if unset)",
    )
    alerts.add_argument("--json", action="store_true", help="print as JSON")
    alerts.set_defaults(handler=_alerts)

    report = subparsers.add_parser("status", help="freshness, lag, backlog and recent ETL runs")
    _add_common(report)
    report.add_argument(
        "--days", type=int, default=7, help="how far back to look for pending objects"
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.set_defaults(handler=_status)


def _migrate(args: argparse.Namespace) -> int:
    env = _environment(args.state_dir)
    url = args.database_url or env.get("DATABASE_URL")
    if not url:
        print("error: set DATABASE_URL or pass --database-url")
        return 2
    conn = bookkeeping.connect(url, application_name="clickstream-migrate")
    try:
        if args.down:
            _print({"reverted": migrations.migrate_down(conn, args.down)})
        else:
            _print({"applied": migrations.migrate_up(conn)})
    except migrations.MigrationError as error:
        print(f"error: {error}")
        return 1
    finally:
        conn.close()
    return 0


def _execute(
    args: argparse.Namespace,
    request: Callable[[], loader.RunRequest],
    progress: Callable[[str], None] | None = None,
) -> int:
    from clickstream.etl.reliability import ReliabilitySettings

    try:
        settings = _settings(args)
        health = ReliabilitySettings.from_env(_environment(args.state_dir))
        _print(run_batch(settings, request(), health=health, progress=progress))
    except (ConfigError, ValueError) as error:
        print(f"error: {error}")
        return 2
    except loader.EtlRunFailed as failure:
        _print(failure.summary.as_dict())
        print(f"error: {failure}")
        return 1
    return 0


def _etl_run(args: argparse.Namespace) -> int:
    return _execute(
        args, lambda: loader.RunRequest(mode="drain" if args.drain else "run", trigger="cli")
    )


def _etl_backfill(args: argparse.Namespace) -> int:
    """Progress on stderr (like rebuild), the run's summary as JSON on stdout."""

    def progress(message: str) -> None:
        print(f"backfill: {message}", file=sys.stderr, flush=True)

    return _execute(
        args,
        lambda: loader.RunRequest(
            mode="backfill",
            trigger="cli",
            first_hour=parse_hour(args.first),
            last_hour=parse_hour(args.last),
        ),
        progress,
    )


def _compact(args: argparse.Namespace) -> int:
    import boto3

    try:
        settings = _settings(args)
        if args.target_mb is not None:
            settings = dataclasses.replace(settings, compact_target_mb=args.target_mb)
        hour = parse_hour(args.hour) if args.hour else None
    except (ConfigError, ValueError) as error:
        print(f"error: {error}")
        return 2
    conn = bookkeeping.connect(
        settings.resolve_database_url(), application_name="clickstream-compact"
    )
    try:
        if hour is not None:
            result = compact.compact_hour(
                boto3.client("s3"),
                settings.raw_bucket,
                conn,
                hour,
                settings.compact_target_mb * 1024 * 1024,
            ).as_dict()
        else:
            result = compact.compact_closed_hours(
                boto3.client("s3"), settings.raw_bucket, conn, datetime.now(UTC), settings
            ).as_dict()
    except compact.CompactionError as error:
        print(f"error: {error}")
        return 1
    finally:
        conn.close()
    _print(result)
    return 1 if result.get("errors") or result.get("delete_errors") else 0


def _rebuild(args: argparse.Namespace) -> int:
    """Progress on stderr, the totals as JSON on stdout; 2 for bad input or a refused
    (non-empty) database, 1 when a load fails."""
    from clickstream.etl import rebuild

    def progress(message: str) -> None:
        print(f"rebuild: {message}", file=sys.stderr, flush=True)

    try:
        settings = _settings(args)
        first, last = parse_hour(args.first), parse_hour(args.last)
        url = settings.resolve_database_url()
        result = rebuild.rebuild(settings, url, first, last, progress=progress)
    except (
        ConfigError,
        ValueError,
        rebuild.RebuildRefused,
        bookkeeping.WarehouseUnavailable,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except loader.EtlRunFailed as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    _print(result)
    return 0


def _alerts(args: argparse.Namespace) -> int:
    """Alarm states from CloudWatch; notifications from the local stack's alerts.jsonl or,
    on AWS, CloudWatch's alarm history (clickstream.alerts). 2 when CloudWatch is
    unreachable."""
    import boto3

    from clickstream import alerts

    env = _environment(args.state_dir)
    try:
        result = alerts.report(
            boto3.client("cloudwatch"), env, args.state_dir, args.limit, args.prefix
        )
    except Exception as error:  # any AWS failure: say so, exit 2
        print(f"error: cannot read alarms from CloudWatch: {error}", file=sys.stderr)
        return 2
    if args.json:
        _print(result)
    else:
        print(alerts.render(result))
    return 0


def _status(args: argparse.Namespace) -> int:
    """Exit 0 when the freshness objective holds, 1 when it is missed, 2 when it cannot
    be told (settings missing, database unreachable)."""
    import boto3
    from botocore.config import Config

    from clickstream.etl.reliability import ReliabilitySettings

    try:
        settings = _settings(args)
        objective = ReliabilitySettings.from_env(
            _environment(args.state_dir)
        ).freshness_objective_minutes
        conn = bookkeeping.connect(
            settings.resolve_database_url(), application_name="clickstream-status"
        )
    except (ConfigError, bookkeeping.WarehouseUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        print(f"freshness   UNKNOWN: {error}")
        return status.EXIT_UNKNOWN
    quick = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1})
    try:
        report = status.status_report(
            boto3.client("s3"),
            settings.raw_bucket,
            conn,
            datetime.now(UTC),
            settings.grace_hours,
            args.days,
            objective_minutes=objective,
            cloudwatch=boto3.client("cloudwatch", config=quick),
        )
    finally:
        conn.close()
    if args.json:
        _print(report)
    else:
        sys.stdout.write(status.render_text(report))
    return status.objective_exit_code(report)
