"""The parser thread feeding COPY, and the prefetch of the next object (no database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson

from clickstream.etl.copy_stream import CopyStream
from clickstream.etl.load_models import ObjectOutcome, Touched
from clickstream.etl.object_load import Prefetch
from clickstream.etl.raw_store import RawObject
from clickstream.simulation.raw import SyntheticShop

HOUR = datetime(2026, 11, 28, 13, tzinfo=UTC)


class Lines:
    """An object's lines; remembers whether the stream closed it (the S3 body)."""

    def __init__(self, lines: list[bytes]) -> None:
        self._lines = iter(lines)
        self.closed = False
        self.read = 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = next(self._lines)
        self.read += 1
        return line

    def close(self) -> None:
        self.closed = True


def lines(count: int, seed: int) -> list[bytes]:
    events = SyntheticShop(seed=seed).events(count, HOUR, timedelta(minutes=30))
    return [orjson.dumps(event) for event in events]


def obj(name: str) -> RawObject:
    return RawObject(key=f"k/{name}", etag=name, size=1, partition_hour=HOUR)


def test_a_stream_yields_every_valid_line_as_copy_text_and_records_what_it_touched() -> None:
    # Given an object's lines
    raw = lines(300, seed=1)
    outcome, touched = ObjectOutcome(obj("a")), Touched()

    # When COPY reads the stream to its end
    with CopyStream(Lines(raw), outcome, touched) as stream:
        text = "".join(iter(lambda: stream.read(), ""))

    # Then every line is one COPY row, counted, and its session queued
    assert text.count("\n") == outcome.rows_valid == outcome.records_total == len(raw)
    assert touched.session_ids and stream.dropped == 0


def test_the_next_object_is_parsed_ahead_and_handed_over_when_it_is_loaded_next() -> None:
    # Given a prefetch over two objects' lines
    sources = {"a": Lines(lines(200, seed=2)), "b": Lines(lines(200, seed=3))}
    prefetch = Prefetch(lambda o: sources[o.etag])

    # When the second object is started while the first one loads
    first = prefetch.stream_for(obj("a"))
    prefetch.start(obj("b"))
    with first:
        "".join(iter(lambda: first.read(), ""))
    second = prefetch.stream_for(obj("b"))

    # Then the stream handed over for it is the one already started (not a second read)
    assert second.outcome.obj.key == "k/b"
    with second:
        text = "".join(iter(lambda: second.read(), ""))
    assert text.count("\n") == sources["b"].read > 0
    assert sources["b"].closed  # the whole object was read, once
    prefetch.close()


def test_a_prefetched_object_not_loaded_next_is_dropped_and_its_body_closed() -> None:
    # Given the second object prefetched
    sources = {name: Lines(lines(2000, seed=i)) for i, name in enumerate("abc")}
    prefetch = Prefetch(lambda o: sources[o.etag])
    prefetch.stream_for(obj("a")).close()
    prefetch.start(obj("b"))
    prefetched = prefetch.stream_for(obj("b"))
    prefetch.start(obj("b"))  # (started again: a stream is handed over once)

    # When another object is loaded instead (a parallel drain claimed the second)
    third = prefetch.stream_for(obj("c"))
    third.close()
    prefetch.close()
    prefetched.close()

    # Then the prefetched streams were stopped, and a body opened was closed again
    assert not prefetched._thread.is_alive()
    assert sources["b"].closed or sources["b"].read == 0
    assert third.outcome.obj.key == "k/c"
