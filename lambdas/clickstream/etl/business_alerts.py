"""Business alerts, checked after each successful ETL run, from the warehouse.

What a store owner wants to hear about, with a message a person can act on:
- conversion: purchasing sessions / sessions over the last BIZ_CONVERSION_HOURS below
  BIZ_CONVERSION_MIN_PERCENT (with at least BIZ_MIN_SESSIONS sessions, else too few to judge);
- no purchases for BIZ_NO_PURCHASE_HOURS while there is traffic (BIZ_MIN_SESSIONS sessions);
- traffic down: sessions over the last BIZ_COMPARE_HOURS more than BIZ_DROP_PERCENT below the
  same hours a week earlier (when last week had BIZ_MIN_SESSIONS sessions);
- revenue down: the same comparison for revenue (when last week had any).
Bots are left out. A rule that fires is published once to the alert topic; while the
condition persists nothing more is sent (business_alert_state); when it ends, one
"resolved" message. Checking never fails the ETL run: an error is logged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg2.extensions import connection, cursor

from clickstream.observability import get_logger

logger = get_logger("business-alerts")


@dataclass(frozen=True)
class BusinessAlertSettings:
    conversion_min_percent: float = 0.5
    conversion_hours: int = 6
    no_purchase_hours: int = 3
    compare_hours: int = 6
    drop_percent: float = 50.0
    min_sessions: int = 50
    enabled: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BusinessAlertSettings:
        env = os.environ if env is None else env
        defaults = cls()

        def number(name: str, default: float, kind: Callable[[str], Any]) -> Any:
            text = env.get(name, "").strip()
            if not text:
                return default
            try:
                value = kind(text)
            except ValueError as error:
                raise ValueError(f"{name} must be a number, not {text!r}") from error
            if value < 0:
                raise ValueError(f"{name} must not be negative, not {text!r}")
            return value

        return cls(
            conversion_min_percent=number(
                "BIZ_CONVERSION_MIN_PERCENT", defaults.conversion_min_percent, float
            ),
            conversion_hours=number("BIZ_CONVERSION_HOURS", defaults.conversion_hours, int),
            no_purchase_hours=number("BIZ_NO_PURCHASE_HOURS", defaults.no_purchase_hours, int),
            compare_hours=number("BIZ_COMPARE_HOURS", defaults.compare_hours, int),
            drop_percent=number("BIZ_DROP_PERCENT", defaults.drop_percent, float),
            min_sessions=number("BIZ_MIN_SESSIONS", defaults.min_sessions, int),
            enabled=env.get("BIZ_ALERTS_ENABLED", "true").strip().lower() not in ("0", "false"),
        )


@dataclass(frozen=True)
class Finding:
    rule: str
    firing: bool
    value: float | None
    message: str


WINDOW_SQL = """
select
    count(distinct session_id) filter (where not is_bot),
    count(distinct session_id) filter (where not is_bot and event_type = 'purchase'),
    coalesce(sum(price * qty) filter (where not is_bot and event_type = 'purchase'), 0)
from fact_events
where event_at >= %s and event_at < %s
"""


def _window(cur: cursor, start: datetime, end: datetime) -> tuple[int, int, Decimal]:
    cur.execute(WINDOW_SQL, (start, end))
    sessions, buyers, revenue = cur.fetchone()
    return int(sessions), int(buyers), Decimal(revenue)


def evaluate(conn: connection, now: datetime, settings: BusinessAlertSettings) -> list[Finding]:
    findings = []
    week = timedelta(days=7)
    with conn.cursor() as cur:
        hours = settings.conversion_hours
        sessions, buyers, _ = _window(cur, now - timedelta(hours=hours), now)
        rate = 100.0 * buyers / sessions if sessions else None
        low = rate is not None and sessions >= settings.min_sessions
        low = low and rate is not None and rate < settings.conversion_min_percent
        findings.append(
            Finding(
                "conversion_low",
                low,
                rate,
                f"Conversion is {rate or 0:.2f}% over the last {hours} h ({buyers} purchasing"
                f" of {sessions} sessions), below the {settings.conversion_min_percent:g}%"
                " threshold. Check checkout and payment (errors, a broken button), prices and"
                " stock of the best sellers, and recent site changes.",
            )
        )

        hours = settings.no_purchase_hours
        sessions, buyers, _ = _window(cur, now - timedelta(hours=hours), now)
        findings.append(
            Finding(
                "no_purchases",
                buyers == 0 and sessions >= settings.min_sessions,
                float(buyers),
                f"No purchases for {hours} h while {sessions} sessions visited the store."
                " Place a test order now: checkout, payment provider and the purchase"
                " tracking (a missing `purchase` event looks the same).",
            )
        )

        hours = settings.compare_hours
        span = timedelta(hours=hours)
        sessions, _, revenue = _window(cur, now - span, now)
        sessions_before, _, revenue_before = _window(cur, now - span - week, now - week)
        floor = 1 - settings.drop_percent / 100.0
        traffic_down = sessions_before >= settings.min_sessions and sessions < (
            sessions_before * floor
        )
        findings.append(
            Finding(
                "traffic_down",
                traffic_down,
                float(sessions),
                f"Traffic is down: {sessions} sessions in the last {hours} h against"
                f" {sessions_before} in the same hours last week"
                f" ({_change(sessions, sessions_before)}). Check campaigns and ads, search"
                " ranking, the site being up, and the tracking snippet on every page.",
            )
        )
        revenue_down = revenue_before > 0 and revenue < revenue_before * Decimal(str(floor))
        findings.append(
            Finding(
                "revenue_down",
                revenue_down,
                float(revenue),
                f"Revenue is down: {revenue:.2f} in the last {hours} h against"
                f" {revenue_before:.2f} in the same hours last week"
                f" ({_change(float(revenue), float(revenue_before))}). Check traffic,"
                " conversion, prices and stock of the best sellers.",
            )
        )
    conn.commit()
    return findings


def _change(now: float, before: float) -> str:
    return f"{100.0 * (now - before) / before:+.0f}%" if before else "no data last week"


def check_and_publish(
    conn: connection,
    now: datetime,
    settings: BusinessAlertSettings,
    publish: Callable[[str, str], None],
) -> list[dict[str, Any]]:
    """Evaluate the rules and publish what changed: a rule starting to fire, or ending.
    Returns the published notifications."""
    if not settings.enabled:
        return []
    findings = evaluate(conn, now, settings)
    published = []
    with conn.cursor() as cur:
        cur.execute("select rule, firing from business_alert_state for update")
        firing = dict(cur.fetchall())
        for finding in findings:
            was = firing.get(finding.rule, False)
            if finding.firing == was:
                continue
            subject = (
                f"clickstream business alert: {finding.rule.replace('_', ' ')}"
                if finding.firing
                else f"clickstream business alert resolved: {finding.rule.replace('_', ' ')}"
            )
            message = finding.message if finding.firing else f"Resolved. {finding.message}"
            publish(subject, message)
            cur.execute(
                "insert into business_alert_state (rule, firing, since, last_value, last_message)"
                " values (%s, %s, %s, %s, %s) on conflict (rule) do update set"
                " firing = excluded.firing, since = excluded.since,"
                " last_value = excluded.last_value, last_message = excluded.last_message,"
                " updated_at = now()",
                (finding.rule, finding.firing, now, finding.value, message),
            )
            published.append({"rule": finding.rule, "firing": finding.firing, "subject": subject})
    conn.commit()
    return published


def sns_publisher(topic_arn: str | None) -> Callable[[str, str], None]:
    def publish(subject: str, message: str) -> None:
        if not topic_arn:
            logger.warning("no SNS topic configured; business alert only logged", subject=subject)
            return
        import boto3

        boto3.client("sns").publish(
            TopicArn=topic_arn,
            Subject=subject[:100],
            Message=json.dumps({"alert": subject, "message": message}),
        )

    return publish


def after_run(connect: Callable[[], connection], topic_arn: str | None) -> list[dict[str, Any]]:
    """What the ETL calls after a successful run; never raises."""
    try:
        settings = BusinessAlertSettings.from_env()
        conn = connect()
        try:
            return check_and_publish(conn, datetime.now(UTC), settings, sns_publisher(topic_arn))
        finally:
            conn.close()
    except Exception as error:
        logger.exception("business alerts not checked", error=str(error))
        return []
