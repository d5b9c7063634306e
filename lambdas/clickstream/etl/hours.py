"""Reading an hour given by a person or an event (CLI flags, Lambda events)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_hour(value: str) -> datetime:
    """'2026-11-28T13', '2026-11-28T13:00', '2026-11-28' or full ISO; UTC when no offset."""
    text = value.strip()
    if len(text) == 13 and text[10] == "T":
        text += ":00"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"{value!r} is not an hour like 2026-11-28T13") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
