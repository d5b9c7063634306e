"""The ingest logic: one HTTP request in, stored events and a response out.

Knows nothing of API Gateway's event format (handler.py translates) and talks
to storage only through a RawWriter (Firehose or S3) and a MessageQueue, so tests and the
benchmark can run it against memory.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from clickstream.ingest.sanitize import (
    UnparsableBody,
    clean_strings,
    integral_floats_to_integers,
    lenient_loads,
)
from clickstream.ingest.storage import MessageQueue, RawWriter, StorageError, fit_payload
from clickstream.observability import get_logger

logger = get_logger("ingest")

ACCEPTED_CONTENT_TYPES = ("application/json", "text/plain")
ENVELOPE_KEYS = frozenset({"events", "sent_at", "api_key", "id_token"})
STORAGE_RETRY_AFTER_S = "5"
ORIGIN_VERIFY_HEADER = "x-origin-verify"
# Never written to a queue or a log, wherever they appear in a payload (issue 8, class 6).
CREDENTIAL_KEYS = frozenset({"api_key", "id_token", "authorization", "x-api-key", "access_token"})
CREDENTIAL_PLACEHOLDER = "[credential]"
# Runs of base64url characters and dots; one holding "eyJ" and a dot is token-shaped (a
# JWT's header starts with eyJ). A single character-class run: linear on any input.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_.-]+")


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
    parked: int = 0
    refused_before_auth: bool = False
    auth_downgraded: str | None = None
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
    """The whole request is refused: `status` and a JSON error body say why. Such a body
    is never queued: it came before (or failed) authentication, so anyone could flood the
    queue with it, and it may carry credentials. It is counted and logged instead."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class IngestService:
    def __init__(
        self,
        config: IngestConfig,
        authenticator: Authenticator,
        store: RawWriter,
        dead_letters: MessageQueue,
        recent_ids: RecentEventIds | None = None,
        parking: MessageQueue | None = None,
    ) -> None:
        self.config = config
        self.authenticator = authenticator
        self.store = store
        self.dead_letters = dead_letters
        # Batches the raw buffer refused; their own queue, so client rejects never bury them.
        self.parking = parking if parking is not None else dead_letters
        self.recent_ids = recent_ids or RecentEventIds(ttl_s=config.dedupe_ttl_s)
        self._site_keys = tuple(key for key in config.site_keys if key)

    def handle(self, request: IngestRequest) -> IngestResult:
        if request.path != INGEST_PATH:
            return _error(404, "not_found", f"the only route is {INGEST_METHOD} {INGEST_PATH}")
        if request.method != INGEST_METHOD:
            result = _error(405, "method_not_allowed", f"use {INGEST_METHOD}")
            result.headers["allow"] = INGEST_METHOD
            return result
        try:
            verified = self._verify_origin(request)
            events, envelope = self._parse(request)
            caller = self._authenticate(request, envelope)
        except RequestRejected as rejected:
            return self._reject_request(request, rejected)
        return self._ingest(request, events, caller, verified)

    def _verify_origin(self, request: IngestRequest) -> bool:
        """True when CloudFront's secret header matched; without a configured secret (local
        stack) there is no check and nothing is verified."""
        expected = self.config.origin_verify_secret
        if not expected:
            return False
        sent = request.headers.get(ORIGIN_VERIFY_HEADER, "")
        if hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode("utf-8")):
            return True
        raise RequestRejected(
            403, "forbidden", "requests must come through the store's CloudFront distribution"
        )

    def _parse(self, request: IngestRequest) -> tuple[list[Any], dict[str, Any] | None]:
        origin = request.headers.get("origin")
        if origin and not self.config.origin_allowed(origin.rstrip("/")):
            raise RequestRejected(
                403, "forbidden_origin", f"origin {origin[:200]!r} is not allowed"
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_CONTENT_TYPES:
            raise RequestRejected(
                415,
                "unsupported_content_type",
                "send Content-Type: application/json (or text/plain for sendBeacon)",
            )
        if len(request.body) > self.config.max_body_bytes:
            raise RequestRejected(
                413,
                "payload_too_large",
                f"the body is {len(request.body)} bytes; the limit is {self.config.max_body_bytes}",
            )
        try:
            payload = orjson.loads(request.body)
            if b"\\u0000" in request.body:
                payload = clean_strings(payload)  # PostgreSQL text cannot hold NUL
        except orjson.JSONDecodeError:
            # Lone surrogates and invalid UTF-8 (a title cut inside an emoji) are repaired
            # rather than losing the batch; anything else is still malformed.
            try:
                payload = lenient_loads(request.body)
            except UnparsableBody as error:
                raise RequestRejected(
                    400, "malformed_json", f"the body is not valid JSON: {error}"
                ) from error
        if not isinstance(payload, dict):
            raise RequestRejected(
                400,
                "invalid_body",
                'send one event object or {"events": [...]}',
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
            )
        if len(events) > self.config.max_batch_events:
            raise RequestRejected(
                413,
                "too_many_events",
                f"{len(events)} events in one request; the limit is {self.config.max_batch_events}",
            )
        return events, payload

    def _authenticate(self, request: IngestRequest, envelope: dict[str, Any] | None) -> Caller:
        try:
            return self.authenticator.authenticate(
                request.headers.get("authorization"), request.headers.get("x-api-key"), envelope
            )
        except AuthenticationError as error:
            raise RequestRejected(401, error.code, error.message) from error

    def _ingest(
        self, request: IngestRequest, events: list[Any], caller: Caller, verified: bool
    ) -> IngestResult:
        # The country header is only worth something when CloudFront set it: with origin
        # verification configured, an unverified request never gets this far.
        trust_country = verified or not self.config.origin_verify_secret
        context = RequestContext(
            received_at=request.received_at,
            request_id=request.request_id,
            auth_method=caller.method,
            verified_user_id=caller.user_id,
            user_agent=request.headers.get("user-agent", ""),
            viewer_country=(
                _country(request.headers.get("cloudfront-viewer-country"))
                if trust_country
                else None
            ),
            hash_key=self.config.pii_hash_key,
            max_ahead=timedelta(seconds=self.config.event_time_max_ahead_s),
            max_behind=timedelta(seconds=self.config.event_time_max_behind_s),
        )
        result = IngestResult(status=202, body={}, auth_downgraded=caller.downgraded)
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
                record = enrich_event(integral_floats_to_integers(event), context)
            except (EnrichmentError, ValueError, OverflowError) as error:
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
        """Put the batch to the raw buffer (Firehose or S3); what it did not accept is
        parked in the parking queue for replay (with Firehose, only the events of the
        records it refused). Only when both fail is the request refused with 503 so the
        SDK retries; a 2xx therefore means every event is in the buffer or parked."""
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
                    "record": self._without_credentials(record),
                }
                for record in (error.unstored or records)
            ]
            if not self._park(messages, result):
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

    def _park(self, messages: list[dict[str, Any]], result: IngestResult) -> bool:
        try:
            self.parking.send(messages)
        except StorageError as error:
            logger.error("parking queue send failed", messages=len(messages), error=str(error))
            return False
        result.parked += len(messages)
        return True

    def _dead_letter(self, messages: list[dict[str, Any]], result: IngestResult) -> bool:
        try:
            self.dead_letters.send(messages)
        except StorageError as error:
            logger.error("dead-letter queue send failed", messages=len(messages), error=str(error))
            return False
        result.dlq_sends += len(messages)
        return True

    def _dead_letter_message(
        self, request: IngestRequest, caller: Caller | None, rejection: Rejection
    ) -> dict[str, Any]:
        payload, truncated = fit_payload(self._without_credentials(rejection.payload))
        return {
            "reason": rejection.reason,
            "detail": self._without_credentials(rejection.detail[:1000]),
            "request_id": request.request_id,
            "received_at": format_timestamp(request.received_at),
            "index": rejection.index,
            "auth": caller.method if caller else None,
            "payload": payload,
            "payload_truncated": truncated,
        }

    def _without_credentials(self, payload: Any) -> Any:
        """`payload` with credential-named keys, token-shaped strings and the site keys
        themselves replaced: an event can carry them in fields the schema refuses."""
        if isinstance(payload, dict):
            return {
                key: CREDENTIAL_PLACEHOLDER
                if isinstance(key, str) and key.lower() in CREDENTIAL_KEYS
                else self._without_credentials(value)
                for key, value in payload.items()
            }
        if isinstance(payload, list):
            return [self._without_credentials(item) for item in payload]
        if isinstance(payload, str):
            for key in self._site_keys:
                if key in payload:
                    payload = payload.replace(key, CREDENTIAL_PLACEHOLDER)
            if "eyJ" in payload:
                payload = _TOKEN_RUN.sub(_token_placeholder, payload)
        return payload

    def _reject_request(self, request: IngestRequest, rejected: RequestRejected) -> IngestResult:
        """Counted (the RequestsRefused metric) and logged by the handler, never queued."""
        result = _error(rejected.status, rejected.code, rejected.message)
        result.refused_before_auth = True
        result.rejected = 1
        return result


def _token_placeholder(match: re.Match[str]) -> str:
    run = match.group()
    start = run.find("eyJ")
    if start >= 0 and "." in run[start:]:
        return CREDENTIAL_PLACEHOLDER
    return run


def _error(status: int, code: str, message: str) -> IngestResult:
    return IngestResult(status=status, body={"error": code, "message": message}, error_code=code)


def _country(header: str | None) -> str | None:
    if header and len(header) == 2 and header.isalpha():
        return header.upper()
    return None
