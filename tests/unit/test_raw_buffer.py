"""The ingest's Firehose writer and the pieces of the local stand-in that need no process.

Firehose's answers come from botocore's Stubber on a real boto3 firehose client: the
request parameters are validated against the service model, and the responses are the
ones Firehose documents (FailedPutCount, a per-record ErrorCode).
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from clickstream.contract.layout import RAW_OBJECT_SUFFIX
from clickstream.ingest.storage import (
    FIREHOSE_BATCH_MAX_RECORDS,
    FirehoseEventStore,
    StorageError,
    _put_calls,
    firehose_records,
)
from clickstream.local import firehose as standin
from tests.unit.conftest import IngestEnvironment, http_api_event, sample_event

STREAM = "clickstream-test-raw-buffer"
RECEIVED = datetime(2025, 10, 18, 12, 34, 56, tzinfo=UTC)


def records(n: int, pad: int = 0) -> list[dict[str, Any]]:
    return [{"event_id": f"e-{i:04d}", "pad": "x" * pad} for i in range(n)]


def firehose_client() -> Any:
    return boto3.client(
        "firehose",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def accepted(n: int) -> dict[str, Any]:
    return {
        "FailedPutCount": 0,
        "RequestResponses": [{"RecordId": f"r{i}"} for i in range(n)],
    }


def test_a_batch_is_one_record_of_ndjson_lines() -> None:
    [(data, members)] = firehose_records(records(3))
    assert data.endswith(b"\n") and data.count(b"\n") == 3
    assert [json.loads(line)["event_id"] for line in data.splitlines()] == [
        "e-0000",
        "e-0001",
        "e-0002",
    ]
    assert [m["event_id"] for m in members] == ["e-0000", "e-0001", "e-0002"]


def test_a_batch_over_the_record_limit_is_split_on_line_boundaries() -> None:
    batch = records(10, pad=300)
    chunks = firehose_records(batch, limit=1_000)
    assert len(chunks) > 1
    assert all(len(data) <= 1_000 and data.endswith(b"\n") for data, _ in chunks)
    joined = b"".join(data for data, _ in chunks)
    assert [json.loads(line)["event_id"] for line in joined.splitlines()] == [
        r["event_id"] for r in batch
    ]
    with pytest.raises(StorageError, match="over Firehose's record limit"):
        firehose_records(records(1, pad=2_000), limit=1_000)


def test_put_calls_respect_500_records_and_4_mib() -> None:
    many = [(b"x\n", [{}])] * (FIREHOSE_BATCH_MAX_RECORDS + 1)
    assert [len(call) for call in _put_calls(many)] == [500, 1]
    big = [(b"x" * (900 * 1024), [{}])] * 5  # 4.4 MiB in all
    calls = _put_calls(big)
    assert [len(call) for call in calls] == [4, 1]


def test_records_firehose_reports_failed_are_retried_alone() -> None:
    # Given a batch split into three records, the second refused once by Firehose
    client = firehose_client()
    sleeps: list[float] = []
    store = FirehoseEventStore(client, STREAM, sleep=sleeps.append, record_limit=300)
    batch = records(6, pad=100)
    chunks = firehose_records(batch, limit=300)
    assert len(chunks) == 3
    with Stubber(client) as stub:
        stub.add_response(
            "put_record_batch",
            {
                "FailedPutCount": 1,
                "RequestResponses": [
                    {"RecordId": "r0"},
                    {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "slow down"},
                    {"RecordId": "r2"},
                ],
            },
            {"DeliveryStreamName": STREAM, "Records": [{"Data": d} for d, _ in chunks]},
        )
        # Then only the failed record is sent again
        stub.add_response(
            "put_record_batch",
            accepted(1),
            {"DeliveryStreamName": STREAM, "Records": [{"Data": chunks[1][0]}]},
        )
        where = store.store(batch, RECEIVED)
        stub.assert_no_pending_responses()
    assert where.startswith(f"firehose:{STREAM}:3 record(s)")
    assert store.retries == 1 and sleeps == [0.1]


def test_records_still_refused_after_the_attempts_raise_with_exactly_their_events() -> None:
    client = firehose_client()
    store = FirehoseEventStore(client, STREAM, attempts=3, sleep=lambda _: None, record_limit=300)
    batch = records(6, pad=100)
    refused = {"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}
    with Stubber(client) as stub:
        stub.add_response(
            "put_record_batch",
            {
                "FailedPutCount": 1,
                "RequestResponses": [{"RecordId": "a"}, refused, {"RecordId": "c"}],
            },
            {"DeliveryStreamName": STREAM, "Records": ANY},
        )
        for _ in range(2):
            stub.add_response(
                "put_record_batch",
                {"FailedPutCount": 1, "RequestResponses": [refused]},
                {"DeliveryStreamName": STREAM, "Records": ANY},
            )
        with pytest.raises(StorageError, match="InternalFailure") as raised:
            store.store(batch, RECEIVED)
        stub.assert_no_pending_responses()
    middle = firehose_records(batch, limit=300)[1][1]
    assert raised.value.unstored == middle


def test_a_call_that_raises_is_retried_and_then_nothing_counts_as_stored() -> None:
    client = firehose_client()
    store = FirehoseEventStore(client, STREAM, attempts=2, sleep=lambda _: None)
    with Stubber(client) as stub:
        stub.add_client_error("put_record_batch", "ResourceNotFoundException", "no stream")
        stub.add_client_error("put_record_batch", "ResourceNotFoundException", "no stream")
        with pytest.raises(StorageError, match="ResourceNotFoundException") as raised:
            store.store(records(2), RECEIVED)
    assert raised.value.unstored is None  # none stored: the whole batch is parked


def fresh(name: str) -> dict[str, Any]:
    event = copy.deepcopy(sample_event(name))
    event["event_id"] = str(uuid.uuid4())
    return event


class FirstRecordOnly:
    """A firehose client that accepts the first record of the first call and refuses
    every other record, as Firehose reports a partial failure (FailedPutCount)."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.accepted: list[bytes] = []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> Any:
        assert DeliveryStreamName == STREAM
        first_call = not self.calls
        self.calls.append(len(Records))
        answers: list[dict[str, str]] = []
        for index, record in enumerate(Records):
            if first_call and index == 0:
                self.accepted.append(record["Data"])
                answers.append({"RecordId": "ok"})
            else:
                answers.append({"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "x"})
        return {"FailedPutCount": len(Records) - int(first_call), "RequestResponses": answers}


def test_the_ingest_parks_only_the_events_firehose_refused(
    ingest_env: IngestEnvironment, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clickstream.ingest import handler

    # Given the ingest configured with a delivery stream, and a batch split into several
    # records of which Firehose accepts only the first, on every attempt
    monkeypatch.setenv("DELIVERY_STREAM_NAME", STREAM)
    handler.service.cache_clear()
    svc = handler.service()
    assert isinstance(svc.store, FirehoseEventStore)
    client = FirstRecordOnly()
    svc.store = FirehoseEventStore(client, STREAM, sleep=lambda _: None, record_limit=1_000)
    events = [fresh("direct_page_view") for _ in range(3)]
    # When the batch is posted
    response = handler.lambda_handler(
        http_api_event(json.dumps({"events": events})), lambda_context
    )
    # Then the refused records were retried alone (bounded), the client gets its 2xx
    # (every event is in Firehose or parked), and the parking queue holds exactly the
    # events Firehose did not accept
    assert response["statusCode"] == 202
    assert client.calls == [3, 2, 2]
    stored_ids = [json.loads(line)["event_id"] for line in client.accepted[0].splitlines()]
    parked = ingest_env.parked()
    assert {m["reason"] for m in parked} == {"storage_failure"}
    parked_ids = [m["record"]["event_id"] for m in parked]
    assert stored_ids == [events[0]["event_id"]]
    assert parked_ids == [e["event_id"] for e in events[1:]]
    assert ingest_env.object_keys() == [], "no direct S3 write when a stream is configured"


def test_without_a_delivery_stream_the_ingest_writes_objects_itself(
    ingest_env: IngestEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clickstream.ingest import handler
    from clickstream.ingest.storage import RawEventStore

    monkeypatch.delenv("DELIVERY_STREAM_NAME", raising=False)
    handler.service.cache_clear()
    assert isinstance(handler.service().store, RawEventStore)


def test_the_object_key_is_firehose_shaped_and_in_the_arrival_partition() -> None:
    key = standin.object_key(STREAM, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "abc123")
    assert key == (
        f"year=2026/month=01/day=02/hour=03/{STREAM}-1-2026-01-02-03-04-05-abc123{RAW_OBJECT_SUFFIX}"
    )
    from clickstream.etl.raw_store import partition_hour_of

    assert partition_hour_of(key) == datetime(2026, 1, 2, 3, tzinfo=UTC)


def test_a_torn_spool_frame_is_ignored_and_the_frames_before_it_kept(tmp_path: Path) -> None:
    spool = standin.Spool(tmp_path)
    spool.append([b"one\n", b"two\n"], RECEIVED)
    segment = spool.rotate()
    assert segment is not None
    with segment.open("ab") as handle:  # a kill -9 in the middle of the next write
        handle.write(standin.FRAME.pack(100, 0, 0) + b"half")
    assert [data for data, _ in standin.read_segment(segment)] == [b"one\n", b"two\n"]


def test_the_stand_in_answers_firehose_errors_as_firehose_does(tmp_path: Path) -> None:
    stream = standin.DeliveryStream(STREAM, "bucket", s3=None, spool_dir=tmp_path)
    target = standin.TARGET_PREFIX + "PutRecordBatch"
    with pytest.raises(standin.FirehoseApiError) as missing:
        standin.handle_call(stream, target, {"DeliveryStreamName": "other", "Records": []})
    assert missing.value.code == "ResourceNotFoundException"
    too_big = base64.b64encode(b"x" * (standin.RECORD_MAX_BYTES + 1)).decode()
    with pytest.raises(standin.FirehoseApiError, match="1 to"):
        standin.handle_call(
            stream, target, {"DeliveryStreamName": STREAM, "Records": [{"Data": too_big}]}
        )
    answer = standin.handle_call(
        stream,
        target,
        {"DeliveryStreamName": STREAM, "Records": [{"Data": base64.b64encode(b"a\n").decode()}]},
    )
    assert answer["FailedPutCount"] == 0 and len(answer["RequestResponses"]) == 1
    [segment] = tmp_path.glob("*.spool")  # acknowledged means on disk
    assert segment.stat().st_size > 0


def test_the_earliest_partition_skips_firehose_error_output() -> None:
    from moto import mock_aws

    from clickstream.etl.raw_store import earliest_partition

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="raw")
        s3.put_object(
            Bucket="raw",
            Key="firehose-errors/S3Delivery/year=2020/month=01/day=01/hour=00/x.gz",
            Body=b"",
        )
        s3.put_object(Bucket="raw", Key="year=2025/month=03/day=04/hour=05/a.ndjson.gz", Body=b"")
        assert earliest_partition(s3, "raw") == datetime(2025, 3, 4, 5, tzinfo=UTC)


RAW_BUFFER_MODULE = Path(__file__).resolve().parents[2] / "terraform" / "modules" / "raw_buffer"


def test_the_firehose_module_agrees_with_layout_and_the_grace_window() -> None:
    import re

    from clickstream.contract import layout
    from clickstream.etl.config import DEFAULT_GRACE_HOURS

    main = (RAW_BUFFER_MODULE / "main.tf").read_text()
    assert f'prefix = "{layout.FIREHOSE_PREFIX}"' in main
    assert 'error_prefix = "firehose-errors/!{firehose:error-output-type}/${local.prefix}"' in main
    assert layout.FIREHOSE_ERROR_PREFIX == (
        "firehose-errors/!{firehose:error-output-type}/" + layout.FIREHOSE_PREFIX
    )
    assert f'file_extension = "{layout.RAW_OBJECT_SUFFIX}"' in main
    assert f'stream_name = "${{var.name}}{layout.RAW_BUFFER_STREAM_SUFFIX}"' in main
    # The longest buffer interval the module accepts stays inside the ETL's grace window,
    # so an hour's last buffer, written that long after the hour, is still rescanned.
    variables = (RAW_BUFFER_MODULE / "variables.tf").read_text()
    [longest] = re.findall(r"var\.buffering_interval_seconds <= (\d+)", variables)
    assert int(longest) < DEFAULT_GRACE_HOURS * 3600
    # The local stand-in names its stream the same way.
    assert standin.LOCAL_STREAM_NAME.endswith(layout.RAW_BUFFER_STREAM_SUFFIX)
