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


# The four windows of the rules from one scan of fact_events: each session once, in a hash
# table, with a flag and its revenue per window; then sessions, purchasing sessions and
# revenue per window. Bots left out. (A count(distinct) per window and measure sorted
# every event of a window again, three times per window.)
WINDOWS_SQL = """
select
    count(session_id) filter (where in_conversion),
    count(session_id) filter (where bought_conversion),
    count(session_id) filter (where in_no_purchase),
    count(session_id) filter (where bought_no_purchase),
    count(session_id) filter (where in_recent),
    coalesce(sum(revenue_recent), 0),
    count(session_id) filter (where in_last_week),
    coalesce(sum(revenue_last_week), 0)
from (
    select
        session_id,
        bool_or(event_at >= %(conversion)s) as in_conversion,
        bool_or(event_type = 'purchase' and event_at >= %(conversion)s) as bought_conversion,
        bool_or(event_at >= %(no_purchase)s) as in_no_purchase,
        bool_or(event_type = 'purchase' and event_at >= %(no_purchase)s) as bought_no_purchase,
        bool_or(event_at >= %(recent)s) as in_recent,
        sum(price * qty) filter (
            where event_type = 'purchase' and event_at >= %(recent)s
        ) as revenue_recent,
        bool_or(event_at >= %(last_week_start)s and event_at < %(last_week_end)s) as in_last_week,
        sum(price * qty) filter (
            where event_type = 'purchase'
            and event_at >= %(last_week_start)s and event_at < %(last_week_end)s
        ) as revenue_last_week
    from fact_events
    where
        not is_bot
        and (
            (event_at >= least(%(conversion)s, %(no_purchase)s, %(recent)s) and event_at < %(now)s)
            or (event_at >= %(last_week_start)s and event_at < %(last_week_end)s)
        )
    group by session_id
) as sessions
"""


@dataclass(frozen=True)
class Window:
    sessions: int
    buyers: int
    revenue: Decimal


def _windows(cur: cursor, now: datetime, settings: BusinessAlertSettings) -> dict[str, Window]:
    """The rules' windows, each ending at `now` except last week's (the recent window's
    hours a week earlier); a window's buyers are counted only where a rule needs them."""
    week = timedelta(days=7)
    recent = now - timedelta(hours=settings.compare_hours)
    cur.execute(
        WINDOWS_SQL,
        {
            "now": now,
            "conversion": now - timedelta(hours=settings.conversion_hours),
            "no_purchase": now - timedelta(hours=settings.no_purchase_hours),
            "recent": recent,
            "last_week_start": recent - week,
            "last_week_end": now - week,
        },
    )
    row = cur.fetchone()
    assert row is not None  # an aggregate without group by returns one row
    conversion, bought, no_purchase, bought_lately, recent_n, revenue, before_n, before = row
    return {
        "conversion": Window(int(conversion), int(bought), Decimal(0)),
        "no_purchase": Window(int(no_purchase), int(bought_lately), Decimal(0)),
        "recent": Window(int(recent_n), 0, Decimal(revenue)),
        "last_week": Window(int(before_n), 0, Decimal(before)),
    }


def evaluate(conn: connection, now: datetime, settings: BusinessAlertSettings) -> list[Finding]:
    findings = []
    with conn.cursor() as cur:
        windows = _windows(cur, now, settings)
        hours = settings.conversion_hours
        sessions, buyers = windows["conversion"].sessions, windows["conversion"].buyers
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
        sessions, buyers = windows["no_purchase"].sessions, windows["no_purchase"].buyers
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
        sessions, revenue = windows["recent"].sessions, windows["recent"].revenue
        sessions_before = windows["last_week"].sessions
        revenue_before = windows["last_week"].revenue
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
