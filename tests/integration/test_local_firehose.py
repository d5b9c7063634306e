"""The local Firehose stand-in as a real process: what it acknowledged survives kill -9.

The ingest's own writer (FirehoseEventStore, a real boto3 firehose client) sends the
batches; moto's S3 (a server on loopback) is the raw bucket; the ETL loads what the
stand-in delivered into the test warehouse.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from clickstream.contract.layout import RAW_OBJECT_SUFFIX
from clickstream.ingest.storage import FirehoseEventStore
from clickstream.local import firehose as standin
from clickstream.local.settings import LOOPBACK, free_port
from clickstream.simulation.raw import SyntheticShop

pytestmark = pytest.mark.slow

STREAM = standin.LOCAL_STREAM_NAME
WAIT_S = 30.0


class StandIn:
    """One stand-in process at a time on a fixed port and spool folder."""

    def __init__(self, bucket: str, spool: Path, log: Path) -> None:
        self.bucket = bucket
        self.spool = spool
        self.port = free_port()
        self.endpoint = f"http://{LOOPBACK}:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, interval_s: float) -> None:
        env = {**os.environ}
        env.pop("AWS_ENDPOINT_URL_FIREHOSE", None)
        with self.log.open("ab") as log:
            self.process = standin.spawn(
                self.port, self.bucket, self.spool, env, interval_s=interval_s, log=log
            )
        standin.wait_ready(self.process, self.endpoint, STREAM, env)

    def client(self) -> Any:
        return boto3.client("firehose", endpoint_url=self.endpoint, region_name="us-east-1")

    def signal(self, signum: int) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(timeout=WAIT_S)
        self.process = None
        return code

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGKILL)


@pytest.fixture
def stand_in(raw_bucket: tuple[Any, str], tmp_path: Path) -> Any:
    process = StandIn(raw_bucket[1], tmp_path / "spool", tmp_path / "firehose.log")
    yield process
    process.close()


def raw_events(s3: Any, bucket: str) -> tuple[list[str], Counter[str]]:
    keys, ids = [], Counter[str]()
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        keys.append(item["Key"])
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        ids.update(json.loads(line)["event_id"] for line in gzip.decompress(body).splitlines())
    return keys, ids


def wait_for_events(s3: Any, bucket: str, expected: int) -> tuple[list[str], Counter[str]]:
    deadline = time.monotonic() + WAIT_S
    while True:
        keys, ids = raw_events(s3, bucket)
        if sum(ids.values()) >= expected or time.monotonic() > deadline:
            return keys, ids
        time.sleep(0.2)


def send_batches(stand_in: StandIn, batches: list[list[dict[str, Any]]]) -> None:
    store = FirehoseEventStore(stand_in.client(), STREAM)
    for batch in batches:
        store.store(batch, datetime.now(UTC))  # returns only once acknowledged


def shop_batches(seed: int, sessions_events: int) -> list[list[dict[str, Any]]]:
    start = datetime.now(UTC) - timedelta(minutes=20)
    records = list(
        SyntheticShop(seed=seed, bot_share=0).events(sessions_events, start, timedelta(minutes=10))
    )
    return [records[i : i + 7] for i in range(0, len(records), 7)]


def test_acknowledged_batches_survive_kill_9_and_reach_the_warehouse_once(
    stand_in: StandIn, raw_bucket: tuple[Any, str], run_etl: Any, warehouse_db: Any
) -> None:
    s3, bucket = raw_bucket
    # Given a stand-in with a buffer interval far longer than the test, that acknowledged
    # a few hundred events in small batches
    stand_in.start(interval_s=3600)
    batches = shop_batches(seed=41, sessions_events=300)
    send_batches(stand_in, batches)
    sent = [record["event_id"] for batch in batches for record in batch]

    # When it is killed with SIGKILL before delivering anything, and started again
    stand_in.signal(signal.SIGKILL)
    assert raw_events(s3, bucket)[0] == [], "nothing was delivered before the kill"
    assert list(stand_in.spool.glob("*.spool")), "the acknowledged records are on disk"
    stand_in.start(interval_s=0.5)

    # Then the restarted process delivers every acknowledged event exactly once, in a
    # Firehose-named gzip object of the arrival hour, and empties its spool
    keys, ids = wait_for_events(s3, bucket, len(sent))
    assert sorted(ids) == sorted(sent) and set(ids.values()) == {1}
    assert all(f"/{STREAM}-1-" in key and key.endswith(RAW_OBJECT_SUFFIX) for key in keys)
    assert all(
        key.startswith(datetime.now(UTC).strftime("year=%Y/month=%m/day=%d/")) for key in keys
    )
    deadline = time.monotonic() + WAIT_S
    while list(stand_in.spool.glob("*.spool")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list(stand_in.spool.glob("*.spool"))

    # And the ETL loads every one of them into the warehouse, once
    summary = run_etl()
    assert summary.rows_inserted == len(sent)
    loaded = [row[0] for row in warehouse_db.query("select event_id::text from fact_events")]
    assert sorted(loaded) == sorted(sent)


def test_a_segment_delivered_again_after_a_crash_overwrites_its_own_object(
    stand_in: StandIn, raw_bucket: tuple[Any, str], tmp_path: Path
) -> None:
    s3, bucket = raw_bucket
    # Given a stand-in that buffered one batch and a copy of its spool segment taken
    # before delivery (what a kill -9 between the S3 put and the spool cleanup leaves)
    stand_in.start(interval_s=3600)
    batches = shop_batches(seed=42, sessions_events=60)
    send_batches(stand_in, batches)
    saved = tmp_path / "saved"
    shutil.copytree(stand_in.spool, saved)
    assert stand_in.signal(signal.SIGTERM) == 0  # SIGTERM delivers what is buffered
    keys_before, ids_before = raw_events(s3, bucket)
    assert len(keys_before) == 1 and sum(ids_before.values()) == sum(map(len, batches))

    # When the old segment reappears and the stand-in starts again
    for segment in saved.glob("*.spool"):
        shutil.copy(segment, stand_in.spool / segment.name)
    stand_in.start(interval_s=0.5)
    deadline = time.monotonic() + WAIT_S
    while list(stand_in.spool.glob("*.spool")) and time.monotonic() < deadline:
        time.sleep(0.1)

    # Then it is delivered to the same key with the same bytes: still one copy of each event
    keys_after, ids_after = raw_events(s3, bucket)
    assert keys_after == keys_before and ids_after == ids_before


def test_sigterm_delivers_the_buffer_and_refuses_nothing_it_acknowledged(
    stand_in: StandIn, raw_bucket: tuple[Any, str]
) -> None:
    s3, bucket = raw_bucket
    stand_in.start(interval_s=3600)
    client = stand_in.client()
    description = client.describe_delivery_stream(DeliveryStreamName=STREAM)
    assert description["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE"
    single = {"event_id": "single-put", "event_type": "view"}
    client.put_record(
        DeliveryStreamName=STREAM, Record={"Data": json.dumps(single).encode() + b"\n"}
    )
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.put_record_batch(DeliveryStreamName="no-such-stream", Records=[{"Data": b"x\n"}])
    assert stand_in.signal(signal.SIGTERM) == 0
    _, ids = raw_events(s3, bucket)
    assert ids == Counter({"single-put": 1})
    assert not list(stand_in.spool.glob("*.spool"))
