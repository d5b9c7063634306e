"""The ingest Lambda entry point: API Gateway HTTP API (payload format 2.0) in and out."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
import orjson
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clickstream.ingest.auth import Authenticator, CognitoVerifier
from clickstream.ingest.config import IngestConfig
from clickstream.ingest.sanitize import clean_text
from clickstream.ingest.service import IngestRequest, IngestResult, IngestService
from clickstream.ingest.storage import (
    FirehoseEventStore,
    RawEventStore,
    RawWriter,
    S3Sink,
    SqsDeadLetterQueue,
)
from clickstream.observability import add_count_when_nonzero, get_logger, get_metrics

logger = get_logger("ingest")
metrics = get_metrics("ingest")


def raw_writer(config: IngestConfig) -> RawWriter:
    """Firehose when DELIVERY_STREAM_NAME is set (AWS, and the local stack's stand-in
    reached through AWS_ENDPOINT_URL_FIREHOSE); otherwise one S3 object per batch."""
    if config.delivery_stream_name:
        return FirehoseEventStore(boto3.client("firehose"), config.delivery_stream_name)
    return RawEventStore(S3Sink(boto3.client("s3"), config.raw_bucket))


@cache
def service() -> IngestService:
    """Built on the first request of each Lambda instance and reused after."""
    config = IngestConfig.from_environment()
    verifier = (
        CognitoVerifier(
            config.cognito_issuer,
            config.cognito_client_id,
            config.cognito_jwks_url,
            timeout_s=config.jwks_timeout_s,
        )
        if config.cognito_issuer and config.cognito_client_id and config.cognito_jwks_url
        else None
    )
    sqs = boto3.client("sqs")
    return IngestService(
        config=config,
        authenticator=Authenticator(config.site_keys, verifier),
        store=raw_writer(config),
        dead_letters=SqsDeadLetterQueue(sqs, config.dlq_url),
        parking=SqsDeadLetterQueue(sqs, config.parking_queue_url or config.dlq_url),
    )


def parse_http_api_event(event: dict[str, Any]) -> IngestRequest:
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    # The runtime's JSON parser lets lone surrogates through; they could not be written out.
    headers = {
        clean_text(str(name).lower()): clean_text(str(value))
        for name, value in (event.get("headers") or {}).items()
    }
    raw_body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw_body, validate=True)
        except (binascii.Error, ValueError):
            body = raw_body.encode("utf-8", "replace")
    else:
        body = raw_body.encode("utf-8", "surrogatepass") if isinstance(raw_body, str) else b""
    epoch_ms = context.get("timeEpoch")
    received_at = (
        datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
        if isinstance(epoch_ms, int | float)
        else datetime.now(UTC)
    )
    return IngestRequest(
        method=str(http.get("method", "")).upper(),
        path=str(event.get("rawPath") or http.get("path") or ""),
        headers=headers,
        body=body,
        request_id=str(context.get("requestId") or ""),
        received_at=received_at,
    )


def to_http_api_response(result: IngestResult) -> dict[str, Any]:
    return {
        "statusCode": result.status,
        "headers": {"content-type": "application/json", **result.headers},
        "body": orjson.dumps(result.body).decode(),
        "isBase64Encoded": False,
    }


def _publish_metrics(result: IngestResult) -> None:
    # EventsAccepted every invocation; the failure counters only when they happened.
    metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=result.stored)
    add_count_when_nonzero(metrics, "EventsDuplicate", result.duplicates)
    add_count_when_nonzero(metrics, "EventsRejected", result.rejected)
    add_count_when_nonzero(metrics, "DlqSends", result.dlq_sends)
    add_count_when_nonzero(metrics, "BotEvents", result.bots)
    add_count_when_nonzero(metrics, "UntrustedUserIds", result.untrusted_user_ids)
    add_count_when_nonzero(metrics, "StorageFailures", int(result.storage_failed))
    add_count_when_nonzero(metrics, "BatchesParked", int(result.parked > 0))
    add_count_when_nonzero(metrics, "RequestsRefused", int(result.refused_before_auth))
    add_count_when_nonzero(metrics, "AuthDowngraded", int(result.auth_downgraded is not None))


# inject_lambda_context puts cold_start, function_request_id and the function's name and
# memory on every log line of the invocation (clear_state: nothing leaks to the next one).
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = datetime.now(UTC)
    request = parse_http_api_event(event)
    try:
        result = service().handle(request)
    except Exception:
        # A bug of ours, never the client's: answer clearly and keep the evidence.
        logger.exception("unhandled error", request_id=request.request_id)
        result = IngestResult(
            status=500,
            body={"error": "internal_error", "message": "unexpected server error; retry later"},
            error_code="internal_error",
        )
    _publish_metrics(result)
    logger.info(
        "request done",
        request_id=request.request_id,
        status=result.status,
        error_code=result.error_code,
        stored=result.stored,
        duplicates=result.duplicates,
        rejected=result.rejected,
        dlq_sends=result.dlq_sends,
        parked=result.parked,
        refused_before_auth=result.refused_before_auth,
        auth_downgraded=result.auth_downgraded,
        object_key=result.object_key,
        ms=round((datetime.now(UTC) - started).total_seconds() * 1000, 2),
    )
    return to_http_api_response(result)
