"""Recently stored event ids, so a retried request is not written twice.

Only a hint: each Lambda instance has its own memory. The ETL does the real
dedupe by event_id.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

DEFAULT_MAX_IDS = 200_000


class RecentEventIds:
    def __init__(
        self,
        ttl_s: float,
        max_ids: int = DEFAULT_MAX_IDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_s = ttl_s
        self._max_ids = max_ids
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest_id, stored_at = next(iter(self._seen.items()))
            if now - stored_at < self._ttl_s and len(self._seen) <= self._max_ids:
                break
            del self._seen[oldest_id]

    def __contains__(self, event_id: object) -> bool:
        now = self._clock()
        self._expire(now)
        return event_id in self._seen

    def remember(self, event_ids: Iterable[str]) -> None:
        now = self._clock()
        for event_id in event_ids:
            self._seen[event_id] = now
            self._seen.move_to_end(event_id)
        self._expire(now)
