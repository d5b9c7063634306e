"""Simulated shoppers posted to the real ingest API (`clickstream simulate`, `make demo`).

The visits come from the one shopper model (clickstream.simulation.shoppers); here
they go through HTTP exactly as the SDK would send them (batches, the site key or a
Cognito ID token, the browser's User-Agent and CloudFront's country header), so
they exercise authentication, validation and enrichment. Ids are random, as a
browser's are: a re-run with the same seed sends new events, not duplicates.
"""

from __future__ import annotations

import json
import math
import random
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from clickstream.observability import get_logger
from clickstream.simulation.shoppers import Visit, plan_visit

# This randomness is not cryptographic.
# ruff: noqa: S311

logger = get_logger("simulate")


def build_visit(rng: random.Random, started_at: datetime, anonymous_id: str | None = None) -> Visit:
    """One visit of the shopper model, with a browser's random ids."""
    return plan_visit(
        rng, started_at, anonymous_id or uuid.uuid4().hex[:16], lambda: str(uuid.uuid4())
    )


class ApiClient:
    """Posts a visit's events to the ingest API the way the SDK does (batches, site key)."""

    def __init__(self, api_url: str, api_key: str, id_token: str | None = None) -> None:
        if not api_url.startswith(("http://", "https://")):
            raise ValueError(f"API URL must be http(s): {api_url!r}")
        self.url = api_url.rstrip("/") + "/v1/events"
        self.api_key = api_key
        self.id_token = id_token

    def send(self, visit: Visit, batch_size: int = 20) -> tuple[int, int]:
        """(accepted, rejected) over the visit's batches."""
        accepted = rejected = 0
        headers = {
            "content-type": "application/json",
            "user-agent": visit.user_agent,
            "cloudfront-viewer-country": visit.country,
        }
        if visit.signed_in and self.id_token:
            headers["authorization"] = f"Bearer {self.id_token}"
        else:
            headers["x-api-key"] = self.api_key
        for start in range(0, len(visit.events), batch_size):
            body = json.dumps({"events": visit.events[start : start + batch_size]}).encode()
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    result = json.loads(response.read())
            except urllib.error.HTTPError as error:
                logger.warning("batch refused", status=error.code, body=error.read()[:300].decode())
                rejected += len(visit.events[start : start + batch_size])
                continue
            accepted += result["accepted"]
            rejected += len(result["rejected"])
        return accepted, rejected


def run_shoppers(
    client: ApiClient,
    sessions: int | None,
    sessions_per_second: float,
    stop: threading.Event,
    seed: int | None = None,
    late_fraction: float = 0.02,
) -> tuple[int, int, int]:
    """Send visits until `sessions` are done (None = until `stop`); returns (visits,
    accepted, rejected).

    A small fraction of visits is sent with event times hours in the past, as a
    browser that was offline would, so the pipeline's late-data path is used.
    """
    rng = random.Random(seed)
    visits = accepted = rejected = 0
    returning: list[str] = []
    while not stop.is_set() and (sessions is None or visits < sessions):
        started_at = datetime.now(UTC) - timedelta(minutes=rng.uniform(0, 5))
        if rng.random() < late_fraction:
            started_at -= timedelta(hours=rng.uniform(3, 30))
        anonymous_id = rng.choice(returning) if returning and rng.random() < 0.3 else None
        visit = build_visit(rng, started_at, anonymous_id)
        visit.signed_in = visit.signed_in and client.id_token is not None
        returning = [visit.events[0]["anonymous_id"], *returning][:200]
        ok, bad = client.send(visit)
        visits, accepted, rejected = visits + 1, accepted + ok, rejected + bad
        if sessions_per_second > 0:
            stop.wait(1.0 / sessions_per_second)
    return visits, accepted, rejected


# Demo history stays inside the ingest's event-time plausibility window (30 days behind,
# EVENT_TIME_MAX_BEHIND_SECONDS) with a margin, so every event keeps its own time.
MAX_HISTORY_DAYS = 21
# Share of a day's visits by UTC hour: quiet nights, a lunch bump, busy evenings.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 7, 8, 9, 10, 10, 8, 6, 3)


def history_plan(
    days: int, sessions_per_day: int, now: datetime, rng: random.Random
) -> list[datetime]:
    """Start times of the past visits, oldest first: `days` whole UTC days before today,
    growing about 2 % a day with busier weekends, so the charts show a trend."""
    if not 1 <= days <= MAX_HISTORY_DAYS:
        raise ValueError(
            f"history days must be 1-{MAX_HISTORY_DAYS} (inside the ingest's 30-day"
            f" event-time window), not {days}"
        )
    if sessions_per_day < 1:
        raise ValueError(f"sessions per day must be at least 1, not {sessions_per_day}")
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    starts: list[datetime] = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        weekend = 1.25 if day.weekday() >= 5 else 1.0
        count = max(1, round(sessions_per_day * weekend * math.pow(1.02, days - back)))
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        starts += sorted(
            day + timedelta(hours=hour, seconds=rng.uniform(0, 3300)) for hour in hours
        )
    return starts


def run_history(
    client: ApiClient,
    days: int,
    sessions_per_day: int,
    seed: int | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[int, int, int, int], None] | None = None,
    now: datetime | None = None,
) -> tuple[int, int, int]:
    """Send `days` of past visits through the API (event times in the past; the server
    stores them in the receive-time partitions of now). Returns (visits, accepted,
    rejected); `progress(done, total, accepted, rejected)` is called every ~5 %."""
    rng = random.Random(seed)
    starts = history_plan(days, sessions_per_day, now or datetime.now(UTC), rng)
    visitors: list[str] = []
    accepted = rejected = 0
    step = max(1, len(starts) // 20)
    for done, started_at in enumerate(starts, start=1):
        if stop is not None and stop.is_set():
            return done - 1, accepted, rejected
        # About a third of the visits come from returning shoppers.
        anonymous_id = rng.choice(visitors) if visitors and rng.random() < 0.35 else None
        visit = build_visit(rng, started_at, anonymous_id)
        visit.signed_in = visit.signed_in and client.id_token is not None
        if anonymous_id is None:
            visitors.append(visit.events[0]["anonymous_id"])
        ok, bad = client.send(visit)
        accepted, rejected = accepted + ok, rejected + bad
        if progress is not None and (done % step == 0 or done == len(starts)):
            progress(done, len(starts), accepted, rejected)
    return len(starts), accepted, rejected
