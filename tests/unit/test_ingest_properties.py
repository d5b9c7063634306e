"""Property-based: whatever a client sends, no 5xx, no exception, nothing lost."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clickstream.ingest.auth import Authenticator
from clickstream.ingest.config import IngestConfig
from clickstream.ingest.service import IngestRequest, IngestService
from clickstream.ingest.storage import MemoryQueue, MemorySink, RawEventStore
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
        expected_dead_letters = 0 if result.status == 415 else 1
        assert len(queue.messages) == expected_dead_letters
        assert result.body["error"] and result.body["message"]
