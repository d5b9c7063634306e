"""Pre-filtering event ids that are already stored, before they reach COPY.

A row whose event_id is in fact_events fails the object's direct COPY (unique
violation), and the object is then loaded again through etl_stage and the merge: about
twice the work. A trickle of retried events spread over many objects would send every
object down that path. So once a run has met one duplicate, the parser threads ask a
second connection which of each chunk's ids are stored (committed) and drop those rows
before COPY. Clean runs never meet a duplicate and pay nothing.

Only an optimisation: the primary key still decides. A duplicate the probe cannot see
(inside the same uncommitted group, or committed by a parallel drain after the probe)
still fails the COPY and goes through the merge as before; a failing probe sends the
rows unfiltered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from psycopg2.extensions import connection

from clickstream.observability import get_logger

logger = get_logger("etl")

# The input strings come back as given, so no uuid normalisation is needed in Python.
STORED_IDS_SQL = (
    "select e.id from unnest(%s::text[]) as e (id)"
    " where exists (select 1 from fact_events as f where f.event_id = e.id::uuid)"
)


class DuplicateFilter:
    """Shared by a run's parser threads; `active` once the run met a duplicate."""

    def __init__(self, connect: Callable[[], connection]) -> None:
        self._connect = connect
        self._conn: connection | None = None
        self._lock = threading.Lock()
        self.active = False
        self.probes = 0
        self.dropped = 0

    def activate(self) -> None:
        if not self.active:
            logger.info("duplicate event ids met: pre-filtering stored ids from now on")
        self.active = True

    def stored(self, event_ids: list[str]) -> set[str]:
        """The ids of `event_ids` already committed in fact_events (one round trip)."""
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
                self._conn.autocommit = True
            with self._conn.cursor() as cur:
                cur.execute(STORED_IDS_SQL, (event_ids,))
                found = {row[0] for row in cur.fetchall()}
            self.probes += 1
            self.dropped += len(found)
            return found

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
