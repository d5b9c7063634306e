"""The ingest Lambda through its real entry point, with moto standing in for S3 and SQS."""

from __future__ import annotations

import copy
import io
import json
import re
import uuid
from typing import Any
from unittest import mock

import pytest

from clickstream.ingest import handler as handler_module
from clickstream.ingest.handler import lambda_handler, service
from clickstream.ingest.privacy import hash_identifier
from clickstream.ingest.storage import StorageError
from tests.unit.conftest import (
    HASH_KEY,
    SITE_ORIGIN,
    IngestEnvironment,
    http_api_event,
    sample_event,
)

EMAIL = re.compile(r"[\w.+-]+(@|%40)[\w-]+\.\w+")


def post(body: Any, context: Any, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    response = lambda_handler(http_api_event(raw, **kwargs), context)
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def fresh(name: str) -> dict[str, Any]:
    event = copy.deepcopy(sample_event(name))
    event["event_id"] = str(uuid.uuid4())
    return event


def test_a_batch_is_stored_as_one_object_in_the_hour_it_arrived(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    # Given three valid events whose client clocks say 2025, received 2025-10-18 12:34 UTC
    events = [fresh("proposal_purchase"), fresh("direct_page_view"), fresh("search_with_pii")]
    # When they are posted as one batch
    status, body, _ = post({"events": events}, lambda_context, time_epoch_ms=1_760_790_896_000)
    # Then all are accepted and land in one object under the receive-time partition
    assert status == 202
    assert body == {"accepted": 3, "duplicates": 0, "rejected": []}
    keys = ingest_env.object_keys()
    assert len(keys) == 1
    assert re.fullmatch(
        r"year=2025/month=10/day=18/hour=12/events-[0-9a-f-]{36}\.ndjson\.gz", keys[0]
    )
    stored = ingest_env.stored_records()
    assert [r["event_id"] for r in stored] == [e["event_id"] for e in events]
    assert all(r["received_at"] == "2025-10-18T12:34:56.000Z" for r in stored)


def test_a_single_event_without_envelope_is_accepted(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    status, body, _ = post(fresh("direct_page_view"), lambda_context)
    assert (status, body["accepted"]) == (202, 1)
    assert len(ingest_env.stored_records()) == 1


def test_invalid_events_go_to_the_dead_letter_queue_and_valid_ones_are_stored(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    good = fresh("direct_page_view")
    bad_type = {**fresh("direct_page_view"), "event_type": "hover"}
    not_an_object = ["a list"]
    impossible_date = {**fresh("direct_page_view"), "ts": "2025-02-30T10:00:00Z"}
    status, body, _ = post(
        {"events": [good, bad_type, not_an_object, impossible_date]}, lambda_context
    )
    assert status == 202
    assert body["accepted"] == 1
    assert [(r["index"], r["reason"]) for r in body["rejected"]] == [
        (1, "schema_violation"),
        (2, "schema_violation"),
        (3, "enrichment_failure"),
    ]
    assert "event_type" in body["rejected"][0]["detail"]
    dead = ingest_env.dead_letters()
    assert sorted((m["index"], m["reason"]) for m in dead) == [
        (1, "schema_violation"),
        (2, "schema_violation"),
        (3, "enrichment_failure"),
    ]
    assert next(m for m in dead if m["index"] == 1)["payload"] == bad_type
    assert [r["event_id"] for r in ingest_env.stored_records()] == [good["event_id"]]


@pytest.mark.parametrize(
    ("body", "headers", "status", "error", "dlq_reason"),
    [
        pytest.param("{not json", {}, 400, "malformed_json", "malformed_json", id="malformed JSON"),
        pytest.param("[1, 2]", {}, 400, "invalid_body", "schema_violation", id="top-level array"),
        pytest.param(
            '{"events": []}', {}, 400, "invalid_envelope", "schema_violation", id="empty batch"
        ),
        pytest.param(
            '{"events": 5}', {}, 400, "invalid_envelope", "schema_violation", id="events not a list"
        ),
        pytest.param(
            '{"events": [{}], "x": 1}',
            {},
            400,
            "invalid_envelope",
            "schema_violation",
            id="unknown envelope key",
        ),
        pytest.param(
            "{}",
            {"content-type": "application/xml"},
            415,
            "unsupported_content_type",
            None,
            id="xml",
        ),
        pytest.param(
            "{}",
            {"content-type": None},
            415,
            "unsupported_content_type",
            None,
            id="no content type",
        ),
        pytest.param(
            "{}",
            {"x-api-key": None},
            401,
            "missing_credentials",
            "auth_failure",
            id="no credentials",
        ),
        pytest.param(
            "{}",
            {"x-api-key": "guess"},
            401,
            "invalid_api_key",
            "auth_failure",
            id="wrong site key",
        ),
        pytest.param(
            "{}",
            {"authorization": "Basic abc", "x-api-key": None},
            401,
            "invalid_authorization",
            "auth_failure",
            id="basic auth",
        ),
        pytest.param(
            "{}",
            {"authorization": "Bearer x.y.z", "x-api-key": None},
            401,
            "invalid_token",
            "auth_failure",
            id="token without a pool",
        ),
        pytest.param(
            "{}",
            {"origin": "https://evil.example"},
            403,
            "forbidden_origin",
            "forbidden_origin",
            id="foreign origin",
        ),
    ],
)
def test_whole_request_errors_get_a_clear_status_and_are_not_queued(
    ingest_env: IngestEnvironment,
    lambda_context: Any,
    body: str,
    headers: dict[str, str],
    status: int,
    error: str,
    dlq_reason: str | None,
) -> None:
    got_status, got_body, _ = post(body, lambda_context, headers=headers)
    assert (got_status, got_body["error"]) == (status, error)
    assert got_body["message"]
    # Refused before (or by) authentication: anyone could send it, so it is counted and
    # logged, never queued (issue 8, class 6). dlq_reason is what older code queued.
    assert dlq_reason is None or dlq_reason
    assert ingest_env.dead_letters() == []
    assert ingest_env.object_keys() == []


def test_oversized_requests_are_refused_with_413(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    too_many = {"events": [fresh("direct_page_view") for _ in range(101)]}
    status, body, _ = post(too_many, lambda_context)
    assert (status, body["error"]) == (413, "too_many_events")
    huge = {
        "events": [{**fresh("direct_page_view"), "page_title": "x" * 200}] * 2 + ["y" * 300_000]
    }
    status, body, _ = post(huge, lambda_context)
    assert (status, body["error"]) == (413, "payload_too_large")
    assert ingest_env.dead_letters() == []


def test_wrong_route_and_method(ingest_env: IngestEnvironment, lambda_context: Any) -> None:
    assert post("{}", lambda_context, path="/v1/other")[0] == 404
    status, _, headers = post("{}", lambda_context, method="GET")
    assert status == 405 and headers["allow"] == "POST"


def test_text_plain_from_send_beacon_with_the_key_in_the_envelope(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    from tests.unit.conftest import SITE_KEY

    envelope = {
        "events": [fresh("direct_page_view")],
        "api_key": SITE_KEY,
        "sent_at": "2025-10-18T12:00:00Z",
    }
    status, body, _ = post(
        envelope,
        lambda_context,
        headers={
            "content-type": "text/plain;charset=UTF-8",
            "x-api-key": None,
            "origin": SITE_ORIGIN,
        },
    )
    assert (status, body["accepted"]) == (202, 1)


def test_retried_events_are_not_written_twice(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    events = [fresh("direct_page_view"), fresh("proposal_purchase")]
    post({"events": events}, lambda_context)
    status, body, _ = post({"events": [*events, events[0]]}, lambda_context)
    assert status == 202
    assert body == {"accepted": 3, "duplicates": 3, "rejected": []}
    assert len(ingest_env.stored_records()) == 2


def test_no_email_phone_or_raw_identifier_survives_into_s3(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    event = fresh("search_with_pii")
    status, _, _ = post(
        {"events": [event]},
        lambda_context,
        headers={
            "x-forwarded-for": "198.51.100.23",
            "cloudfront-viewer-address": "198.51.100.23:443",
        },
    )
    assert status == 202
    [record] = ingest_env.stored_records()
    text = json.dumps(record)
    assert not EMAIL.search(text)
    # Only the free text is searched for phone digits: identifiers (random UUIDs, hashes,
    # the request id) are digit runs by nature, and matching them made this test fail by
    # chance (issue 8, class 10).
    free_text = json.dumps(
        [record[name] for name in ("page_url", "page_title", "referrer", "geo", "props", "utm")]
    )
    assert not re.search(r"\d{3}(?:[\s.()+-]|%20|%2B)*\d{3}(?:[\s.()+-]|%20)*\d{3}", free_text)
    assert "198.51.100.23" not in text
    assert event["anonymous_id"] not in text
    assert record["anonymous_id"] == hash_identifier(HASH_KEY.encode(), event["anonymous_id"])
    assert record["user_id"] is None, "a user_id claimed without a token is not trusted"
    assert "[email]" in record["props"]["search_query"]
    assert "[phone]" in record["props"]["note"]
    assert record["props"]["result_count"] == 3


def test_enrichment_from_headers(ingest_env: IngestEnvironment, lambda_context: Any) -> None:
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    event = fresh("proposal_purchase")
    post(
        {"events": [event]},
        lambda_context,
        headers={"user-agent": iphone, "cloudfront-viewer-country": "DE"},
    )
    [record] = ingest_env.stored_records()
    assert record["geo"]["country"] == "DE"
    assert record["ua"]["device_type"] == "mobile"
    assert record["ua"]["os"] == "iOS"
    assert record["is_bot"] is False
    assert record["utm"]["campaign"] == "blackfriday"
    assert record["clock_skew"] is None
    assert record["auth"] == "site_key"


def test_when_s3_fails_the_batch_is_parked_in_the_parking_queue(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    events = [fresh("direct_page_view"), fresh("proposal_purchase")]
    ingest_env.s3.delete_bucket(Bucket=ingest_env.s3.list_buckets()["Buckets"][0]["Name"])
    status, body, _ = post({"events": events}, lambda_context)
    assert status == 202 and body["accepted"] == 2
    assert ingest_env.dead_letters() == [], "rejects and parked batches never share a queue"
    parked = ingest_env.parked()
    assert [m["reason"] for m in parked] == ["storage_failure", "storage_failure"]
    assert [m["record"]["event_id"] for m in parked] == [e["event_id"] for e in events]


def test_when_s3_and_the_queue_both_fail_the_client_is_told_to_retry(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    events = [fresh("direct_page_view")]
    post("{}", lambda_context)  # builds the service so its store can be broken
    svc = service()
    with (
        mock.patch.object(svc.store, "store", side_effect=StorageError("s3 down")),
        mock.patch.object(svc.parking, "send", side_effect=StorageError("sqs down")),
    ):
        status, body, headers = post({"events": events}, lambda_context)
    assert (status, body["error"], headers["retry-after"]) == (503, "storage_unavailable", "5")
    # Not remembered as stored: the retry must be written.
    status, body, _ = post({"events": events}, lambda_context)
    assert (status, body["accepted"], body["duplicates"]) == (202, 1, 0)
    assert len(ingest_env.stored_records()) == 1


def test_batches_parked_by_an_s3_outage_are_replayed_and_other_reasons_stay(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    from clickstream.ingest.replay import replay_storage_failures
    from clickstream.ingest.storage import RawEventStore, S3Sink
    from tests.unit.conftest import BUCKET

    # Given a batch parked during an S3 outage and one schema violation in the queue
    events = [fresh("direct_page_view"), fresh("proposal_purchase")]
    ingest_env.s3.delete_bucket(Bucket=BUCKET)
    post({"events": [*events, {"event_type": "nope"}]}, lambda_context)
    ingest_env.s3.create_bucket(Bucket=BUCKET)
    assert ingest_env.object_keys() == []
    # When the operator replays the queue
    report = replay_storage_failures(
        ingest_env.sqs, ingest_env.parking_url, RawEventStore(S3Sink(ingest_env.s3, BUCKET))
    )
    # Then the parked records are in S3 exactly once and only the violation is left
    assert report.replayed_records == 2
    assert sorted(r["event_id"] for r in ingest_env.stored_records()) == sorted(
        e["event_id"] for e in events
    )
    assert dict(report.left_in_queue) == {}
    assert ingest_env.parked() == []
    assert [m["reason"] for m in ingest_env.dead_letters()] == ["schema_violation"]


def test_a_clean_batch_publishes_only_the_always_on_metric(
    ingest_env: IngestEnvironment, lambda_context: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    from clickstream.observability import SPARSE_METRICS

    capfd.readouterr()
    status, _, _ = post(
        {"events": [fresh("direct_page_view"), fresh("direct_page_view")]}, lambda_context
    )
    assert status == 202
    lines = [
        json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")
    ]
    [emf] = [line for line in lines if "_aws" in line]
    assert emf["EventsAccepted"] == [2.0]
    assert [m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == ["EventsAccepted"]
    assert not set(SPARSE_METRICS) & set(emf)


def test_each_invocation_logs_json_and_publishes_emf_metrics(
    ingest_env: IngestEnvironment,
    lambda_context: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    capfd.readouterr()
    post({"events": [fresh("direct_page_view"), {"bad": 1}]}, lambda_context)
    lines = [
        json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")
    ]
    [emf] = [line for line in lines if "_aws" in line]
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Clickstream"
    assert (emf["EventsAccepted"], emf["EventsRejected"], emf["DlqSends"]) == ([1.0], [1.0], [1.0])
    # Failure counters are sent only when non-zero (observability.SPARSE_METRICS): the
    # rejected event's counters are there, the zero ones are not, in the values or the
    # metric declarations.
    declared = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert declared == {"EventsAccepted", "EventsRejected", "DlqSends"}
    for zero in ("EventsDuplicate", "StorageFailures", "BatchesParked", "AuthDowngraded"):
        assert zero not in emf
    # The JSON formatter writes the record's keyword fields; Powertools binds its stream
    # once per process, so read the record rather than a stream pytest swaps per test.
    [done] = [record for record in caplog.records if record.getMessage() == "request done"]
    assert (done.status, done.request_id, done.stored, done.rejected) == (202, "req-1", 1, 1)
    assert done.ms >= 0


def test_every_log_line_of_an_invocation_names_its_request_and_cold_start(
    ingest_env: IngestEnvironment, lambda_context: Any
) -> None:
    # Given the ingest logger writing to a buffer, and two invocations of one instance
    stream = io.StringIO()
    previous = handler_module.logger.registered_handler.setStream(stream)
    try:
        post({"events": [fresh("direct_page_view")]}, lambda_context)
        lambda_context.aws_request_id = "unit-test-request-2"
        post({"events": [fresh("direct_page_view")]}, lambda_context)
    finally:
        handler_module.logger.registered_handler.setStream(previous)
    # When the JSON log lines are read
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    done = [line for line in lines if line["message"] == "request done"]
    # Then each carries the Lambda context (Powertools' inject_lambda_context)
    assert [line["function_request_id"] for line in done] == [
        "unit-test-request",
        "unit-test-request-2",
    ]
    assert all(line["function_name"] == lambda_context.function_name for line in done)
    assert all(isinstance(line["cold_start"], bool) for line in done)
    assert done[1]["cold_start"] is False
