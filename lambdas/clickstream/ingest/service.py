"""The ingest logic: one HTTP request in, stored events and a response out.

Knows nothing of API Gateway's event format (handler.py translates) and talks
to storage only through RawEventStore and a MessageQueue, so tests and the
benchmark can run it against memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from clickstream.contract import validate_event
from clickstream.contract.layout import INGEST_METHOD, INGEST_PATH
from clickstream.ingest.auth import AuthenticationError, Authenticator, Caller
from clickstream.ingest.config import IngestConfig
from clickstream.ingest.dedupe import RecentEventIds
from clickstream.ingest.enrich import (
    EnrichmentError,
    RequestContext,
    enrich_event,
    format_timestamp,
)
from clickstream.ingest.storage import MessageQueue, RawEventStore, StorageError, fit_payload
from clickstream.observability import get_logger

logger = get_logger("ingest")

ACCEPTED_CONTENT_TYPES = ("application/json", "text/plain")
ENVELOPE_KEYS = frozenset({"events", "sent_at", "api_key", "id_token"})
STORAGE_RETRY_AFTER_S = "5"


@dataclass(frozen=True, slots=True)
class IngestRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    request_id: str
    received_at: datetime


@dataclass
class IngestResult:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    dlq_sends: int = 0
    bots: int = 0
    untrusted_user_ids: int = 0
    storage_failed: bool = False
    error_code: str | None = None
    object_key: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int | None
    reason: str
    detail: str
    payload: Any

    def as_response(self) -> dict[str, Any]:
        return {"index": self.index, "reason": self.reason, "detail": self.detail}


class RequestRejected(Exception):
    """The whole request is refused: `status` and a JSON error body say why."""

    def __init__(self, status: int, code: str, message: str, dlq_reason: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.dlq_reason = dlq_reason


class IngestService:
    def __init__(
        self,
        config: IngestConfig,
        authenticator: Authenticator,
        store: RawEventStore,
        dead_letters: MessageQueue,
        recent_ids: RecentEventIds | None = None,
    ) -> None:
        self.config = config
        self.authenticator = authenticator
        self.store = store
        self.dead_letters = dead_letters
        self.recent_ids = recent_ids or RecentEventIds(ttl_s=config.dedupe_ttl_s)

    def handle(self, request: IngestRequest) -> IngestResult:
        if request.path != INGEST_PATH:
            return _error(404, "not_found", f"the only route is {INGEST_METHOD} {INGEST_PATH}")
        if request.method != INGEST_METHOD:
            result = _error(405, "method_not_allowed", f"use {INGEST_METHOD}")
            result.headers["allow"] = INGEST_METHOD
            return result
        try:
            events, envelope = self._parse(request)
            caller = self._authenticate(request, envelope)
        except RequestRejected as rejected:
            return self._reject_request(request, rejected)
        return self._ingest(request, events, caller)

    def _parse(self, request: IngestRequest) -> tuple[list[Any], dict[str, Any] | None]:
        origin = request.headers.get("origin")
        if origin and not self.config.origin_allowed(origin.rstrip("/")):
            raise RequestRejected(
                403,
                "forbidden_origin",
                f"origin {origin[:200]!r} is not allowed",
                "forbidden_origin",
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_CONTENT_TYPES:
            raise RequestRejected(
                415,
                "unsupported_content_type",
                "send Content-Type: application/json (or text/plain for sendBeacon)",
                None,
            )
        if len(request.body) > self.config.max_body_bytes:
            raise RequestRejected(
                413,
                "payload_too_large",
                f"the body is {len(request.body)} bytes; the limit is {self.config.max_body_bytes}",
                "size_violation",
            )
        try:
            payload = orjson.loads(request.body)
        except orjson.JSONDecodeError as error:
            raise RequestRejected(
                400, "malformed_json", f"the body is not valid JSON: {error}", "malformed_json"
            ) from error
        if not isinstance(payload, dict):
            raise RequestRejected(
                400,
                "invalid_body",
                'send one event object or {"events": [...]}',
                "schema_violation",
            )
        if "events" not in payload:
            return [payload], None
        unknown = sorted(set(payload) - ENVELOPE_KEYS)
        events = payload["events"]
        if unknown or not isinstance(events, list) or not events:
            raise RequestRejected(
                400,
                "invalid_envelope",
                'a batch is {"events": [at least one event], "sent_at"?, "api_key"?, "id_token"?}'
                + (f"; unknown keys: {', '.join(unknown)[:200]}" if unknown else ""),
                "schema_violation",
            )
        if len(events) > self.config.max_batch_events:
            raise RequestRejected(
                413,
                "too_many_events",
                f"{len(events)} events in one request; the limit is {self.config.max_batch_events}",
                "size_violation",
            )
        return events, payload

    def _authenticate(self, request: IngestRequest, envelope: dict[str, Any] | None) -> Caller:
        try:
            return self.authenticator.authenticate(
                request.headers.get("authorization"), request.headers.get("x-api-key"), envelope
            )
        except AuthenticationError as error:
            raise RequestRejected(401, error.code, error.message, "auth_failure") from error

    def _ingest(self, request: IngestRequest, events: list[Any], caller: Caller) -> IngestResult:
        context = RequestContext(
            received_at=request.received_at,
            request_id=request.request_id,
            auth_method=caller.method,
            verified_user_id=caller.user_id,
            user_agent=request.headers.get("user-agent", ""),
            viewer_country=_country(request.headers.get("cloudfront-viewer-country")),
            hash_key=self.config.pii_hash_key,
        )
        result = IngestResult(status=202, body={})
        records: list[dict[str, Any]] = []
        rejections: list[Rejection] = []
        batch_ids: set[str] = set()
        check_event_size = len(request.body) > self.config.max_event_bytes
        for index, event in enumerate(events):
            rejection = self._check(index, event, check_event_size)
            if rejection:
                rejections.append(rejection)
                continue
            if event["event_id"] in batch_ids or event["event_id"] in self.recent_ids:
                result.duplicates += 1
                continue
            if event.get("user_id") is not None and caller.user_id is None:
                result.untrusted_user_ids += 1
            try:
                record = enrich_event(event, context)
            except EnrichmentError as error:
                rejections.append(Rejection(index, "enrichment_failure", str(error), event))
                continue
            batch_ids.add(event["event_id"])
            result.bots += record["is_bot"]
            records.append(record)
        if records and not self._store(records, request, result):
            return result
        result.rejected = len(rejections)
        if rejections:
            self._dead_letter(
                [self._dead_letter_message(request, caller, rejection) for rejection in rejections],
                result,
            )
        result.stored = len(records)
        result.body = {
            "accepted": len(records) + result.duplicates,
            "duplicates": result.duplicates,
            "rejected": [rejection.as_response() for rejection in rejections],
        }
        return result

    def _check(self, index: int, event: Any, check_size: bool) -> Rejection | None:
        if not isinstance(event, dict):
            return Rejection(index, "schema_violation", "$: an event must be a JSON object", event)
        if check_size and len(orjson.dumps(event)) > self.config.max_event_bytes:
            return Rejection(
                index,
                "size_violation",
                f"the event is larger than {self.config.max_event_bytes} bytes",
                event,
            )
        problems = validate_event(event)
        if problems:
            return Rejection(
                index,
                "schema_violation",
                "; ".join(str(problem) for problem in problems[:3]),
                event,
            )
        return None

    def _store(
        self, records: list[dict[str, Any]], request: IngestRequest, result: IngestResult
    ) -> bool:
        """Put the batch to S3; if S3 fails, park it in the dead-letter queue for replay.
        Only when both fail is the request refused with 503 so the SDK retries."""
        try:
            result.object_key = self.store.store(records, request.received_at)
        except StorageError as error:
            result.storage_failed = True
            logger.error("raw store failed", request_id=request.request_id, error=str(error))
            messages = [
                {
                    "reason": "storage_failure",
                    "detail": str(error)[:500],
                    "request_id": request.request_id,
                    "received_at": format_timestamp(request.received_at),
                    "index": None,
                    "record": record,
                }
                for record in records
            ]
            if not self._dead_letter(messages, result):
                result.status = 503
                result.error_code = "storage_unavailable"
                result.headers["retry-after"] = STORAGE_RETRY_AFTER_S
                result.body = {
                    "error": "storage_unavailable",
                    "message": "events could not be stored; retry later",
                }
                return False
        self.recent_ids.remember(record["event_id"] for record in records)
        return True

    def _dead_letter(self, messages: list[dict[str, Any]], result: IngestResult) -> bool:
        try:
            self.dead_letters.send(messages)
        except StorageError as error:
            logger.error("dead-letter queue send failed", messages=len(messages), error=str(error))
            return False
        result.dlq_sends += len(messages)
        return True

    @staticmethod
    def _dead_letter_message(
        request: IngestRequest, caller: Caller | None, rejection: Rejection
    ) -> dict[str, Any]:
        payload, truncated = fit_payload(rejection.payload)
        return {
            "reason": rejection.reason,
            "detail": rejection.detail[:1000],
            "request_id": request.request_id,
            "received_at": format_timestamp(request.received_at),
            "index": rejection.index,
            "auth": caller.method if caller else None,
            "payload": payload,
            "payload_truncated": truncated,
        }

    def _reject_request(self, request: IngestRequest, rejected: RequestRejected) -> IngestResult:
        result = _error(rejected.status, rejected.code, rejected.message)
        if rejected.dlq_reason:
            rejection = Rejection(None, rejected.dlq_reason, rejected.message, request.body)
            self._dead_letter([self._dead_letter_message(request, None, rejection)], result)
        result.rejected = 1
        return result


def _error(status: int, code: str, message: str) -> IngestResult:
    return IngestResult(status=status, body={"error": code, "message": message}, error_code=code)


def _country(header: str | None) -> str | None:
    if header and len(header) == 2 and header.isalpha():
        return header.upper()
    return None
