"""Raw S3 partitions: list an hour's objects, stream an object's lines, find the oldest hour.

The only module of the ETL that talks to S3.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from clickstream.contract.layout import RAW_OBJECT_SUFFIX, RAW_PARTITION_FORMAT

PARTITION_KEY_PATTERN = re.compile(
    r"^year=(?P<year>\d{4})/month=(?P<month>\d{2})/day=(?P<day>\d{2})/hour=(?P<hour>\d{2})/"
)
READ_CHUNK_BYTES = 1 << 20


class CorruptObject(Exception):
    """A raw object that cannot be decompressed to the end; the message is the reason."""


@dataclass(frozen=True, slots=True)
class RawObject:
    key: str
    etag: str
    size: int
    partition_hour: datetime


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def partition_prefix(hour: datetime) -> str:
    return RAW_PARTITION_FORMAT.format(
        year=hour.year, month=hour.month, day=hour.day, hour=hour.hour
    )


def partition_hour_of(key: str) -> datetime | None:
    match = PARTITION_KEY_PATTERN.match(key)
    if not match:
        return None
    return datetime(
        int(match["year"]), int(match["month"]), int(match["day"]), int(match["hour"]), tzinfo=UTC
    )


def hours_between(first: datetime, last: datetime) -> list[datetime]:
    hours = []
    moment = floor_hour(first)
    while moment <= last:
        hours.append(moment)
        moment += timedelta(hours=1)
    return hours


def list_partition(s3: Any, bucket: str, hour: datetime) -> list[RawObject]:
    """Every raw object of one partition hour, in key order."""
    objects = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=partition_prefix(hour)):
        for item in page.get("Contents", []):
            if item["Key"].endswith(RAW_OBJECT_SUFFIX):
                objects.append(
                    RawObject(item["Key"], item["ETag"].strip('"'), int(item["Size"]), hour)
                )
    return objects


def head_object(s3: Any, bucket: str, key: str) -> RawObject:
    head = s3.head_object(Bucket=bucket, Key=key)
    hour = partition_hour_of(key)
    if hour is None:
        raise ValueError(f"{key} is not inside a year=/month=/day=/hour= partition")
    return RawObject(key, head["ETag"].strip('"'), int(head["ContentLength"]), hour)


def earliest_partition(s3: Any, bucket: str) -> datetime | None:
    """The oldest partition hour in the bucket, walking year/month/day/hour with delimiters."""
    prefix = ""
    for _level in range(4):
        response = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
        prefixes = sorted(p["Prefix"] for p in response.get("CommonPrefixes", []))
        if not prefixes:
            return None
        prefix = prefixes[0]
    return partition_hour_of(prefix)


def iter_lines(s3: Any, bucket: str, key: str) -> Iterator[bytes]:
    """Stream the NDJSON lines of a gzip object without holding it in memory.

    Raises CorruptObject for a truncated or damaged gzip stream (after yielding
    whatever came before it, so the caller must not commit a partial object).
    """
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        with gzip.GzipFile(fileobj=body, mode="rb") as stream:
            reader = _LineReader(stream)
            yield from reader
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise CorruptObject(f"{type(error).__name__}: {error}") from error
    finally:
        body.close()


class _LineReader:
    """Split a binary stream into lines in 1 MiB reads (GzipFile.readline is slower)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def __iter__(self) -> Iterator[bytes]:
        tail = b""
        while True:
            chunk = self.stream.read(READ_CHUNK_BYTES)
            if not chunk:
                break
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            for line in lines:
                if line.strip():
                    yield line
        if tail.strip():
            yield tail
