"""ETL configuration from the environment (names fixed in contract/layout.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from clickstream.etl.records import TimeWindow
from clickstream.ssm import cached_parameter, read_parameter

DEFAULT_GRACE_HOURS = 2
DEFAULT_TIME_BUDGET_SECONDS = 780.0
DEFAULT_GROUP_MAX_ROWS = 250_000
DEFAULT_MAX_OBJECT_ATTEMPTS = 3
# The ingest Lambda's event-time window (same env names and defaults, INTERFACES.md).
DEFAULT_EVENT_TIME_MAX_AHEAD_SECONDS = 86_400
DEFAULT_EVENT_TIME_MAX_BEHIND_SECONDS = 2_592_000
# The compactor: closed hours merged per invocation, and the merged objects' size.
DEFAULT_COMPACT_MAX_HOURS = 48
DEFAULT_COMPACT_TARGET_MB = 64
DEFAULT_COMPACT_LOOKBACK_DAYS = 7


class ConfigError(ValueError):
    """A missing or malformed setting; the message names the variable."""


@dataclass(frozen=True)
class EtlSettings:
    raw_bucket: str
    database_url: str | None
    database_url_param: str | None
    sns_topic_arn: str | None
    grace_hours: int = DEFAULT_GRACE_HOURS
    time_budget_seconds: float = DEFAULT_TIME_BUDGET_SECONDS
    # Rows staged per load transaction: bounds the staging table and the redo on a crash.
    group_max_rows: int = DEFAULT_GROUP_MAX_ROWS
    # Failed loads of one object before it is quarantined (etl_object_attempts).
    max_object_attempts: int = DEFAULT_MAX_OBJECT_ATTEMPTS
    event_time_max_ahead_seconds: int = DEFAULT_EVENT_TIME_MAX_AHEAD_SECONDS
    event_time_max_behind_seconds: int = DEFAULT_EVENT_TIME_MAX_BEHIND_SECONDS
    compact_max_hours: int = DEFAULT_COMPACT_MAX_HOURS
    compact_target_mb: int = DEFAULT_COMPACT_TARGET_MB
    compact_lookback_days: int = DEFAULT_COMPACT_LOOKBACK_DAYS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EtlSettings:
        env = os.environ if env is None else env
        bucket = env.get("RAW_BUCKET", "").strip()
        if not bucket:
            raise ConfigError("RAW_BUCKET is not set: name the raw events bucket")
        url = env.get("DATABASE_URL") or None
        param = env.get("DATABASE_URL_PARAM") or None
        if not url and not param:
            raise ConfigError("set DATABASE_URL (local) or DATABASE_URL_PARAM (an SSM parameter)")
        return cls(
            raw_bucket=bucket,
            database_url=url,
            database_url_param=param,
            sns_topic_arn=env.get("SNS_TOPIC_ARN") or None,
            grace_hours=_int(env, "ETL_GRACE_HOURS", DEFAULT_GRACE_HOURS, minimum=0),
            time_budget_seconds=float(
                _int(env, "ETL_TIME_BUDGET_SECONDS", int(DEFAULT_TIME_BUDGET_SECONDS), minimum=1)
            ),
            group_max_rows=_int(env, "ETL_GROUP_MAX_ROWS", DEFAULT_GROUP_MAX_ROWS, minimum=1),
            max_object_attempts=_int(
                env, "ETL_MAX_OBJECT_ATTEMPTS", DEFAULT_MAX_OBJECT_ATTEMPTS, minimum=1
            ),
            event_time_max_ahead_seconds=_int(
                env,
                "EVENT_TIME_MAX_AHEAD_SECONDS",
                DEFAULT_EVENT_TIME_MAX_AHEAD_SECONDS,
                minimum=0,
            ),
            event_time_max_behind_seconds=_int(
                env,
                "EVENT_TIME_MAX_BEHIND_SECONDS",
                DEFAULT_EVENT_TIME_MAX_BEHIND_SECONDS,
                minimum=0,
            ),
            compact_max_hours=_int(env, "COMPACT_MAX_HOURS", DEFAULT_COMPACT_MAX_HOURS, minimum=1),
            compact_target_mb=_int(env, "COMPACT_TARGET_MB", DEFAULT_COMPACT_TARGET_MB, minimum=1),
            compact_lookback_days=_int(
                env, "COMPACT_LOOKBACK_DAYS", DEFAULT_COMPACT_LOOKBACK_DAYS, minimum=1
            ),
        )

    @property
    def window(self) -> TimeWindow:
        return TimeWindow(
            max_ahead=timedelta(seconds=self.event_time_max_ahead_seconds),
            max_behind=timedelta(seconds=self.event_time_max_behind_seconds),
        )

    def resolve_database_url(self, ssm: Any | None = None) -> str:
        if self.database_url:
            return self.database_url
        assert self.database_url_param is not None
        return _ssm_secret(self.database_url_param, ssm)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise ConfigError(f"{name}={raw!r} is not an integer") from error
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def _ssm_secret(name: str, ssm: Any | None) -> str:
    return read_parameter(ssm, name) if ssm is not None else cached_parameter(name)
