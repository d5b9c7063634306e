"""Wiring a run's dependencies from its settings: the S3 client, the PostgreSQL
connection factory (DSN resolved once, from SSM when configured) and the time budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
from psycopg2.extensions import connection

from clickstream.etl import bookkeeping
from clickstream.etl.config import EtlSettings
from clickstream.etl.loader import EtlDependencies

# Stop taking objects this long before Lambda would kill the function.
LAMBDA_SAFETY_SECONDS = 30.0


def s3_client() -> Any:
    """The S3 client of a run, from botocore itself: boto3 adds nothing the ETL uses to
    an S3 client (its transfer manager, resources) but a tenth of a second of imports."""
    return botocore.session.get_session().create_client("s3")


def build_dependencies(
    settings: EtlSettings,
    time_left: Callable[[], float] | None = None,
    s3: Any = None,
) -> EtlDependencies:
    """`time_left()` is the seconds the invocation has left (a Lambda context's remaining
    time); the budget is the smaller of it less LAMBDA_SAFETY_SECONDS and
    ETL_TIME_BUDGET_SECONDS."""
    budget = settings.time_budget_seconds
    if time_left is not None:
        budget = max(1.0, min(budget, time_left() - LAMBDA_SAFETY_SECONDS))
    dsn_holder: dict[str, str] = {}

    def connect() -> connection:
        if "dsn" not in dsn_holder:
            dsn_holder["dsn"] = settings.resolve_database_url()
        return bookkeeping.connect(dsn_holder["dsn"])

    return EtlDependencies(
        s3=s3 or s3_client(),
        bucket=settings.raw_bucket,
        connect=connect,
        grace_hours=settings.grace_hours,
        time_budget_seconds=budget,
        group_max_rows=settings.group_max_rows,
        window=settings.window,
        max_object_attempts=settings.max_object_attempts,
    )
