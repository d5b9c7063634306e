"""`clickstream alerts`: the alarms' states and the recent alert notifications.

Alarm states come from CloudWatch (DescribeAlarms, names starting with the stack's
ALARM_NAME_PREFIX), locally from moto, on AWS from the account. Notifications differ:
- locally the stack's evaluator records each one it publishes in `<state dir>/alerts.jsonl`;
- on AWS nothing of ours records the messages (they go to the alert topic's subscribers:
  e-mail, the optional Slack channel). What CloudWatch itself keeps is the alarm history
  (DescribeAlarmHistory, state changes for 30 days), and every state change of these
  alarms is exactly one notification (ALARM and OK actions both publish to the topic), so
  that is what is shown; if CloudWatch cannot give it, the command says so plainly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clickstream.envfile import NOTIFICATIONS_FILE, read_notifications

HISTORY_DAYS = 7
LOCAL_SOURCE = "local stack (alerts.jsonl)"
HISTORY_SOURCE = "CloudWatch alarm history (state changes; each one notified the alert topic)"
NO_HISTORY = (
    "the notification history is kept only by the local stack (alerts.jsonl); on AWS the"
    " messages went to the alert topic's subscribers (e-mail, Slack), and CloudWatch's alarm"
    " history could not be read: {error}"
)


def list_alarms(cloudwatch: Any, prefix: str) -> list[dict[str, Any]]:
    """Every metric alarm whose name starts with `prefix` (all of them for "")."""
    arguments = {"AlarmNamePrefix": prefix} if prefix else {}
    return [
        {
            "name": alarm["AlarmName"],
            "state": alarm["StateValue"],
            "since": alarm["StateUpdatedTimestamp"].isoformat(),
            "reason": alarm.get("StateReason", ""),
        }
        for page in cloudwatch.get_paginator("describe_alarms").paginate(**arguments)
        for alarm in page.get("MetricAlarms", [])
    ]


def history_notifications(
    cloudwatch: Any, prefix: str, limit: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The last `limit` state changes of the prefix's alarms, as notification entries
    (the shape of the local alerts.jsonl: AlarmName, Old/NewStateValue, reason, time)."""
    now = now or datetime.now(UTC)
    items: list[dict[str, Any]] = []
    pages = cloudwatch.get_paginator("describe_alarm_history").paginate(
        HistoryItemType="StateUpdate",
        AlarmTypes=["MetricAlarm"],
        StartDate=now - timedelta(days=HISTORY_DAYS),
        EndDate=now,
        ScanBy="TimestampDescending",
    )
    for page in pages:
        for item in page.get("AlarmHistoryItems", []):
            if item["AlarmName"].startswith(prefix):
                items.append(item)
        if len(items) >= limit:
            break
    entries = []
    for item in items[:limit]:
        data = json.loads(item.get("HistoryData") or "{}")
        entries.append(
            {
                "subject": item.get("HistorySummary", ""),
                "AlarmName": item["AlarmName"],
                "OldStateValue": data.get("oldState", {}).get("stateValue", ""),
                "NewStateValue": data.get("newState", {}).get("stateValue", ""),
                "NewStateReason": data.get("newState", {}).get("stateReason", ""),
                "StateChangeTime": item["Timestamp"].isoformat(),
            }
        )
    return list(reversed(entries))  # oldest first, as alerts.jsonl


def report(
    cloudwatch: Any, env: Mapping[str, str], state_dir: Path, limit: int, prefix: str | None
) -> dict[str, Any]:
    """Alarms and notifications; raises when CloudWatch cannot list the alarms."""
    prefix = env.get("ALARM_NAME_PREFIX", "") if prefix is None else prefix
    alarms = list_alarms(cloudwatch, prefix)
    local = (state_dir / "stack.env").exists() or (state_dir / NOTIFICATIONS_FILE).exists()
    if local:
        return {
            "prefix": prefix,
            "alarms": alarms,
            "notifications": read_notifications(state_dir, limit),
            "notifications_source": LOCAL_SOURCE,
        }
    try:
        notes = history_notifications(cloudwatch, prefix, limit)
        return {
            "prefix": prefix,
            "alarms": alarms,
            "notifications": notes,
            "notifications_source": HISTORY_SOURCE,
        }
    except Exception as error:  # any AWS failure: the alarms are still worth showing
        return {
            "prefix": prefix,
            "alarms": alarms,
            "notifications": [],
            "notifications_source": NO_HISTORY.format(error=f"{type(error).__name__}: {error}"),
        }


def render(result: Mapping[str, Any]) -> str:
    alarms = result["alarms"]
    firing = [a for a in alarms if a["state"] == "ALARM"]
    shown = f" named {result['prefix']}*" if result["prefix"] else ""
    lines = [f"{len(alarms)} alarms{shown}, {len(firing)} in ALARM"]
    for alarm in sorted(alarms, key=lambda a: (a["state"] != "ALARM", a["name"])):
        lines.append(f"  {alarm['state']:<17} {alarm['name']:<45} since {alarm['since'][:19]}")
    notes = result["notifications"]
    lines.append(f"recent notifications ({len(notes)}), from {result['notifications_source']}")
    for note in notes:
        lines.append(f"  {note['StateChangeTime'][:19]}  {note['subject']}")
    return "\n".join(lines)
