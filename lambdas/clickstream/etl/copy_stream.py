"""The parser thread that feeds PostgreSQL's COPY: raw lines in, COPY text out."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from datetime import date, datetime

from clickstream.etl.duplicate_filter import DuplicateFilter
from clickstream.etl.load_models import ObjectOutcome, Touched
from clickstream.etl.records import (
    DEFAULT_WINDOW,
    ParsedEvent,
    RejectedRecord,
    TimeWindow,
    line_parser,
)
from clickstream.observability import get_logger

logger = get_logger("etl")


class CopyStream:
    """A file-like object psycopg2's COPY reads from, fed by a parser thread.

    The thread reads the object from S3, parses and validates each line and queues
    COPY text in chunks of about CHUNK_CHARS; psycopg2 releases the GIL while it waits
    on the socket, so parsing the next chunk overlaps PostgreSQL inserting the last
    one (one core each). At most QUEUE_CHUNKS chunks wait, so memory stays bounded
    (about 8 MB of text a stream) and a large object is never held whole. The thread
    starts at construction: a stream made for the next object while the current one's
    COPY runs (object_load.Prefetch) fetches and parses it meanwhile. Use as a context
    manager (or close()): leaving it stops the thread even when COPY gave up half way.

    With an active DuplicateFilter, each chunk's rows whose event_id is already stored
    are dropped before they are queued (`dropped` counts them; they are neither copied
    nor touched).
    """

    CHUNK_CHARS = 1 << 18
    FIRST_CHUNK_CHARS = 1 << 14
    # Room for a whole 5,000-event object (about 6 MB of COPY text), so the parser of a
    # prefetched object is not stopped by a full queue before its COPY starts.
    QUEUE_CHUNKS = 32

    def __init__(
        self,
        lines: Iterator[bytes],
        outcome: ObjectOutcome,
        touched: Touched | None = None,
        window: TimeWindow = DEFAULT_WINDOW,
        duplicates: DuplicateFilter | None = None,
    ) -> None:
        self.lines = lines
        self.outcome = outcome
        self.touched = touched
        self.window = window
        # Decided once per object: a stream started before the run met a duplicate
        # copies every row (the primary key still catches a stored one).
        self.duplicates = duplicates if duplicates is not None and duplicates.active else None
        self.dropped = 0
        self.error: BaseException | None = None
        self._chunks: queue.Queue[str | None] = queue.Queue(self.QUEUE_CHUNKS)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._produce, name="etl-parse", daemon=True)
        self._thread.start()

    def __enter__(self) -> CopyStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._done:
            # The end marker was read: the thread has nothing left to do but return.
            # (Polling the empty queue instead cost up to 50 ms per object.)
            self._thread.join()
            return
        while self._thread.is_alive():
            try:
                self._chunks.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()

    def read(self, size: int = 0) -> str:
        # `size` is ignored: a chunk is whatever the parser queued (about CHUNK_CHARS).
        if self._done:
            return ""
        chunk = self._chunks.get()
        if chunk is None:
            self._done = True
            if self.error is not None:
                raise self.error
            return ""
        return chunk

    readline = read

    def _put(self, item: str | None) -> bool:
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        outcome = self.outcome
        parse = line_parser(outcome.obj.key, self.window)
        touched = self.touched
        filtering = self.duplicates is not None
        pieces: list[str] = []
        parsed_rows: list[ParsedEvent] = []
        length = 0
        total = outcome.records_total
        valid = outcome.rows_valid
        # What the rows touched, gathered here and folded into `touched` per chunk (one
        # set update instead of a call per row); products are rare enough to go one by one.
        sessions: set[str] = set()
        dates: set[date] = set()
        newest: datetime | None = None
        # A small first chunk, so PostgreSQL starts inserting while the rest is parsed
        # instead of waiting for a full chunk at the start of every object.
        limit = self.FIRST_CHUNK_CHARS
        try:
            for line in self.lines:
                total += 1
                try:
                    parsed = parse(line)
                except Exception as rejection:
                    outcome.reject(total, line, rejection_reason(rejection))
                    continue
                valid += 1
                copy_line = parsed[2]
                length += len(copy_line)
                if filtering:
                    parsed_rows.append(parsed)
                else:
                    if touched is not None:
                        sessions.add(parsed[3])
                        dates.add(parsed[1])
                        received = parsed[5]
                        if newest is None or received > newest:  # type: ignore[operator]
                            newest = received
                        if parsed[6] is not None:
                            touched.add_product(parsed[6], parsed[4])  # type: ignore[arg-type]
                    pieces.append(copy_line)
                if length >= limit:
                    outcome.records_total, outcome.rows_valid = total, valid
                    if touched is not None and sessions:
                        touched.add_rows(sessions, dates, newest)
                        sessions, dates, newest = set(), set(), None
                    chunk = self._unstored(parsed_rows) if filtering else "".join(pieces)
                    # (an empty chunk would read as the end of the data)
                    if chunk and not self._put(chunk):
                        return
                    pieces = []
                    parsed_rows = []
                    length = 0
                    limit = self.CHUNK_CHARS
            outcome.records_total, outcome.rows_valid = total, valid
            if touched is not None and sessions:
                touched.add_rows(sessions, dates, newest)
            chunk = self._unstored(parsed_rows) if filtering else "".join(pieces)
            if chunk and not self._put(chunk):
                return
        except BaseException as error:
            # Remembered so the caller can tell a corrupt object from a database error.
            self.error = error
        finally:
            outcome.records_total, outcome.rows_valid = total, valid
            # Closes the S3 body now even when COPY stopped reading half way.
            close = getattr(self.lines, "close", None)
            if close is not None:
                close()
        self._put(None)

    def _unstored(self, rows: list[ParsedEvent]) -> str:
        """The COPY text of the rows whose event_id is not stored yet (all of them when
        the probe fails: the primary key decides then)."""
        if not rows:
            return ""
        stored: set[str] = set()
        if self.duplicates is not None:
            try:
                stored = self.duplicates.stored([row.event_id for row in rows])
            except Exception as error:
                logger.warning(
                    "duplicate probe failed; this object is copied unfiltered",
                    key=self.outcome.obj.key,
                    error=f"{type(error).__name__}: {error}",
                )
                self.duplicates = None
        touched = self.touched
        pieces = []
        for row in rows:
            if stored and row.event_id in stored:
                self.dropped += 1
                continue
            if touched is not None:
                touched.add(row)
            pieces.append(row.copy_line)
        return "".join(pieces)


def rejection_reason(error: Exception) -> str:
    """The reason stored for a line parse_line refused, or for one it failed on in a way
    it did not foresee (a line is rejected alone, never its whole object)."""
    if isinstance(error, RejectedRecord):
        return str(error)
    return f"could not read the line ({type(error).__name__}: {error})"
