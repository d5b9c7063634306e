"""The cross test of issue 8, class 1: what the ingest accepts, the warehouse loads.

Events generated from event.schema.json itself (tests/schema_events.py), ugly corners
included (limits, integral floats, every offset, years 1 and 9999, unicode, NUL, lone
surrogates, empty strings, hostile URLs), go through the real ingest service into S3
(moto) and through the real ETL into a real PostgreSQL. Every accepted event must end in
fact_events (or etl_rejected_rows) exactly once, no run may fail, and good events sent
after the bad ones must load.
"""

from __future__ import annotations

import copy
import gzip
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from clickstream.ingest.auth import Authenticator
from clickstream.ingest.config import IngestConfig
from clickstream.ingest.service import IngestRequest, IngestService
from clickstream.ingest.storage import MemoryQueue, RawEventStore, S3Sink
from tests.schema_events import cornered_events, encode_body
from tests.unit.conftest import sample_event

SITE_KEY = "cross-test-site-key"
BASE = datetime(2026, 11, 2, 8, tzinfo=UTC)
# Each example ingests into a later hour, so the ETL's watermark moves forward as it would.
HOURS = itertools.count(0, 3)
CONFIG = IngestConfig(
    raw_bucket="set-per-test",
    dlq_url="unused",
    allowed_origins=frozenset({"*"}),
    site_keys=(SITE_KEY,),
    pii_hash_key=b"cross-test-hash-key",
    cognito_issuer=None,
    cognito_client_id=None,
    cognito_jwks_url=None,
)


def good_events(received: datetime) -> list[dict[str, Any]]:
    events = []
    for name in ("direct_page_view", "proposal_purchase", "search_with_pii"):
        event = copy.deepcopy(sample_event(name))
        event["event_id"] = str(uuid.UUID(int=int(received.timestamp()) * 10 + len(events)))
        event["ts"] = (received - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        events.append(event)
    return events


def stored_ids(s3: Any, bucket: str, prefix: str) -> list[str]:
    ids = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        ids += [json.loads(line)["event_id"].lower() for line in gzip.decompress(body).splitlines()]
    return ids


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    # No shrinking: every example runs the ETL, so shrinking takes many minutes; a failure
    # prints its example as generated, and the seed is fixed (derandomize) anyway.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(data=st.data())
def test_every_event_the_ingest_accepts_loads_exactly_once(
    warehouse_db: Any, raw_bucket: tuple[Any, str], run_etl: Any, data: st.DataObject
) -> None:
    s3, bucket = raw_bucket
    received = BASE + timedelta(hours=next(HOURS))
    service = IngestService(
        CONFIG,
        Authenticator((SITE_KEY,), None),
        RawEventStore(S3Sink(s3, bucket)),
        MemoryQueue(),
        parking=MemoryQueue(),
    )
    batches = [
        data.draw(st.lists(cornered_events(received), min_size=8, max_size=14)) for _ in range(3)
    ]

    def post(events: list[dict[str, Any]], minute: int) -> dict[str, Any]:
        result = service.handle(
            IngestRequest(
                method="POST",
                path="/v1/events",
                headers={"content-type": "text/plain;charset=UTF-8"},
                body=encode_body(events, api_key=SITE_KEY),
                request_id=f"cross-{minute}",
                received_at=received + timedelta(minutes=minute),
            )
        )
        assert result.status == 202, result.body
        return result.body

    # Given generated batches (schema-valid and corner events), then good events after them
    for minute, batch in enumerate(batches):
        post(batch, minute)
    good = good_events(received)
    post(good, len(batches) + 1)
    partition = received.strftime("year=%Y/month=%m/day=%d/hour=%H/")
    accepted = stored_ids(s3, bucket, partition)

    # When the ETL runs (twice: a rerun must change nothing)
    first = run_etl(now=received + timedelta(hours=3))
    second = run_etl(now=received + timedelta(hours=3))

    # Then no run failed, every accepted event is in fact_events or etl_rejected_rows
    # exactly once, none was refused (the ingest stores only what loads), and the good
    # events sent after the bad ones are loaded
    assert (first.status, second.status) == ("succeeded", "succeeded"), (first, second)
    assert first.objects_quarantined == 0
    loaded = dict(
        warehouse_db.query(
            "select event_id::text, count(*) from fact_events"
            " where event_id::text = any(%s) group by event_id",
            (list(set(accepted)),),
        )
    )
    rejected = dict(
        warehouse_db.query(
            "select lower(event_id), count(*) from etl_rejected_rows"
            " where lower(event_id) = any(%s) group by lower(event_id)",
            (list(set(accepted)),),
        )
    )
    for event_id in set(accepted):
        assert loaded.get(event_id, 0) + rejected.get(event_id, 0) == 1, event_id
    reasons = warehouse_db.query("select reason from etl_rejected_rows")
    assert rejected == {}, reasons
    assert {event["event_id"] for event in good} <= set(loaded)
