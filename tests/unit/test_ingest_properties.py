"""Property-based: whatever a client sends, no 5xx, no exception, nothing lost, and what
is stored is what the warehouse can load."""

from __future__ import annotations

import base64
import copy
import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clickstream.etl.records import parse_line
from clickstream.ingest.auth import Authenticator
from clickstream.ingest.config import IngestConfig
from clickstream.ingest.handler import parse_http_api_event, to_http_api_response
from clickstream.ingest.sanitize import integer_paths
from clickstream.ingest.service import IngestRequest, IngestService
from clickstream.ingest.storage import MemoryQueue, MemorySink, RawEventStore
from tests.schema_events import cornered_events, encode_body
from tests.unit.conftest import SITE_KEY, SITE_ORIGIN, sample_event

CONFIG = IngestConfig(
    raw_bucket="unused",
    dlq_url="unused",
    allowed_origins=frozenset({SITE_ORIGIN}),
    site_keys=(SITE_KEY,),
    pii_hash_key=b"k",
    cognito_issuer=None,
    cognito_client_id=None,
    cognito_jwks_url=None,
    max_batch_events=20,
    max_body_bytes=16 * 1024,
)
VALID_EVENTS = [
    sample_event(n) for n in ("proposal_purchase", "direct_page_view", "search_with_pii")
]
FIELDS = sorted({key for event in VALID_EVENTS for key in event} | {"ecom", "props", "engaged_ms"})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    event = copy.deepcopy(draw(st.sampled_from(VALID_EVENTS)))
    event["event_id"] = str(draw(st.uuids(version=4)))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["replace", "delete", "add", "nested"]))
        field = draw(st.sampled_from(FIELDS))
        if action == "replace":
            event[field] = draw(json_values)
        elif action == "delete":
            event.pop(field, None)
        elif action == "add":
            event[draw(st.text(max_size=10))] = draw(json_values)
        elif isinstance(event.get(field), dict) and event[field]:
            key = draw(st.sampled_from(sorted(event[field])))
            event[field][key] = draw(json_values)
    return event


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    mutated_events().map(lambda event: json.dumps(event).encode()),
    st.lists(st.one_of(mutated_events(), json_values), min_size=0, max_size=25).map(
        lambda events: json.dumps({"events": events}).encode()
    ),
)
header_sets = st.fixed_dictionaries(
    {
        "content-type": st.sampled_from(
            ["application/json", "text/plain;charset=UTF-8", "text/html", ""]
        ),
        "x-api-key": st.sampled_from([SITE_KEY, SITE_KEY, "wrong", ""]),
        "origin": st.sampled_from([SITE_ORIGIN, SITE_ORIGIN, "", "https://evil.example"]),
        "user-agent": st.text(max_size=60),
    }
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, headers=header_sets)
def test_any_request_is_answered_without_5xx_and_every_event_is_accounted_for(
    body: bytes, headers: dict[str, str]
) -> None:
    sink, queue = MemorySink(), MemoryQueue()
    service = IngestService(CONFIG, Authenticator((SITE_KEY,), None), RawEventStore(sink), queue)
    request = IngestRequest(
        method="POST",
        path="/v1/events",
        headers={k: v for k, v in headers.items() if v},
        body=body,
        request_id="prop",
        received_at=datetime(2025, 10, 18, 12, tzinfo=UTC),
    )

    result = service.handle(request)

    assert result.status in (202, 400, 401, 403, 413, 415)
    stored = [
        json.loads(line)
        for obj in sink.objects.values()
        for line in gzip.decompress(obj).splitlines()
    ]
    if result.status == 202:
        rejected_indexes = [r["index"] for r in result.body["rejected"]]
        assert sorted(m["index"] for m in queue.messages) == sorted(rejected_indexes)
        assert len(stored) == result.body["accepted"] - result.body["duplicates"]
        payload = json.loads(body)
        events = payload["events"] if "events" in payload else [payload]
        assert result.body["accepted"] + len(rejected_indexes) == len(events)
        sent_ids = {
            e["event_id"]
            for e in events
            if isinstance(e, dict) and isinstance(e.get("event_id"), str)
        }
        assert {r["event_id"] for r in stored} <= sent_ids
    else:
        assert stored == []
        # Refused before authentication: counted and logged, never queued (class 6).
        assert queue.messages == []
        assert result.body["error"] and result.body["message"]


RECEIVED = datetime(2026, 11, 15, 10, 30, tzinfo=UTC)
header_values = st.text(
    st.characters(codec="utf-8") | st.sampled_from(["\ud83d", "\x00"]), max_size=40
)
random_headers = st.dictionaries(
    st.sampled_from(
        [
            "content-type", "x-api-key", "origin", "user-agent", "authorization",
            "cloudfront-viewer-country", "x-origin-verify", "content-encoding",
        ]
    ) | st.text(max_size=12),
    header_values,
    max_size=6,
)  # fmt: skip
text_bodies = st.one_of(
    st.text(st.characters() | st.sampled_from(["\ud83d", "\x00"]), max_size=200),
    st.lists(cornered_events(RECEIVED), min_size=1, max_size=5).map(
        lambda events: encode_body(events).decode()
    ),
)


def _service() -> tuple[IngestService, MemorySink, MemoryQueue]:
    sink, queue = MemorySink(), MemoryQueue()
    return (
        IngestService(CONFIG, Authenticator((SITE_KEY,), None), RawEventStore(sink), queue),
        sink,
        queue,
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=text_bodies,
    as_base64=st.booleans(),
    good_headers=header_sets,
    noise=random_headers,
    epoch_ms=st.one_of(st.none(), st.integers(0, 4_102_444_800_000)),
)
def test_the_whole_handler_never_answers_5xx(
    body: str, as_base64: bool, good_headers: dict[str, str], noise: dict[str, str], epoch_ms: Any
) -> None:
    # Given any body (text with lone surrogates, schema events with corners) and any headers
    service, _, _ = _service()
    raw = body.encode("utf-8", "surrogatepass")
    event: dict[str, Any] = {
        "rawPath": "/v1/events",
        "requestContext": {"http": {"method": "POST"}, "requestId": "r", "timeEpoch": epoch_ms},
        "headers": {**good_headers, **noise},
        "body": base64.b64encode(raw).decode() if as_base64 else body,
        "isBase64Encoded": as_base64,
    }
    # When the handler's own parsing, the service and the response shaping run
    response = to_http_api_response(service.handle(parse_http_api_event(event)))
    # Then the answer is never a 5xx and always JSON
    assert response["statusCode"] < 500
    assert isinstance(json.loads(response["body"]), dict)


def _stored(sink: MemorySink) -> list[bytes]:
    return [line for obj in sink.objects.values() for line in gzip.decompress(obj).splitlines()]


def _value_at(record: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [record]
    head, rest = path[0], path[1:]
    if head == "*":
        return [v for item in record or [] for v in _value_at(item, rest)]
    if isinstance(record, dict) and head in record:
        return _value_at(record[head], rest)
    return []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(cornered_events(RECEIVED), min_size=1, max_size=8))
def test_every_stored_schema_event_is_loadable_by_the_etl(events: list[dict[str, Any]]) -> None:
    # Given events generated from event.schema.json with its corners (integral floats,
    # every offset, years 1 and 9999, NUL, lone surrogates, hostile URLs)
    service, sink, queue = _service()
    request = IngestRequest(
        method="POST",
        path="/v1/events",
        headers={"content-type": "application/json", "x-api-key": SITE_KEY},
        body=encode_body(events),
        request_id="prop",
        received_at=RECEIVED,
    )
    # When they are posted
    result = service.handle(request)
    # Then the batch is accepted, each event stored or dead-lettered with a reason, and
    # every stored line is one the ETL's schema-on-read accepts as it is
    assert result.status == 202, result.body
    lines = _stored(sink)
    assert len(lines) + len(queue.messages) + result.duplicates == len(events)
    for line in lines:
        parsed = parse_line(line, "key")  # raises RejectedRecord if the warehouse would refuse
        record = json.loads(line)
        assert "\\u0000" not in line.decode() and "\\ud8" not in line.decode().lower()
        assert abs(parsed.event_at - RECEIVED) <= timedelta(days=30) if parsed.event_at else True
        for path in integer_paths():
            for value in _value_at(record, path):
                assert value is None or type(value) is int, (path, value)
        if record["clock_skew"]:
            assert record["ts"] == "2026-11-15T10:30:00.000Z" and record["client_ts"]
    for message in queue.messages:
        assert message["reason"] in ("schema_violation", "enrichment_failure", "size_violation")
