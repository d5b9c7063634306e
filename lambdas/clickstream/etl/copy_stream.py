"""The parser thread that feeds PostgreSQL's COPY: raw lines in, COPY text out."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from clickstream.etl.load_models import ObjectOutcome, Touched
from clickstream.etl.records import DEFAULT_WINDOW, RejectedRecord, TimeWindow, parse_line


class CopyStream:
    """A file-like object psycopg2's COPY reads from, fed by a parser thread.

    The thread reads the object from S3, parses and validates each line and queues
    COPY text in chunks of about CHUNK_CHARS; psycopg2 releases the GIL while it waits
    on the socket, so parsing the next chunk overlaps PostgreSQL inserting the last
    one (one core each). At most QUEUE_CHUNKS chunks wait, so memory stays bounded
    and no object is ever held whole. Use as a context manager: leaving it stops the
    thread even when COPY gave up half way.
    """

    CHUNK_CHARS = 1 << 18
    FIRST_CHUNK_CHARS = 1 << 14
    QUEUE_CHUNKS = 4

    def __init__(
        self,
        lines: Iterator[bytes],
        outcome: ObjectOutcome,
        touched: Touched | None = None,
        window: TimeWindow = DEFAULT_WINDOW,
    ) -> None:
        self.lines = lines
        self.outcome = outcome
        self.touched = touched
        self.window = window
        self.error: BaseException | None = None
        self._chunks: queue.Queue[str | None] = queue.Queue(self.QUEUE_CHUNKS)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._produce, name="etl-parse", daemon=True)
        self._thread.start()

    def __enter__(self) -> CopyStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
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
        source_key = outcome.obj.key
        touched = self.touched
        window = self.window
        pieces: list[str] = []
        length = 0
        # A small first chunk, so PostgreSQL starts inserting while the rest is parsed
        # instead of waiting for a full chunk at the start of every object.
        limit = self.FIRST_CHUNK_CHARS
        try:
            for line in self.lines:
                outcome.records_total += 1
                try:
                    parsed = parse_line(line, source_key, window)
                except Exception as rejection:
                    outcome.reject(outcome.records_total, line, rejection_reason(rejection))
                    continue
                outcome.rows_valid += 1
                if touched is not None:
                    touched.add(parsed)
                pieces.append(parsed.copy_line)
                length += len(parsed.copy_line)
                if length >= limit:
                    if not self._put("".join(pieces)):
                        return
                    pieces = []
                    length = 0
                    limit = self.CHUNK_CHARS
            if pieces and not self._put("".join(pieces)):
                return
        except BaseException as error:
            # Remembered so the caller can tell a corrupt object from a database error.
            self.error = error
        finally:
            # Closes the S3 body now even when COPY stopped reading half way.
            close = getattr(self.lines, "close", None)
            if close is not None:
                close()
        self._put(None)


def rejection_reason(error: Exception) -> str:
    """The reason stored for a line parse_line refused, or for one it failed on in a way
    it did not foresee (a line is rejected alone, never its whole object)."""
    if isinstance(error, RejectedRecord):
        return str(error)
    return f"could not read the line ({type(error).__name__}: {error})"
