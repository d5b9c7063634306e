"""Ingest configuration from the Lambda environment, read once per process.

Secrets come from SSM Parameter Store in production (`*_PARAM` names a
SecureString parameter); the local stack passes the values directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from clickstream.ssm import cached_parameter

DEFAULT_MAX_BATCH_EVENTS = 100
DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_MAX_EVENT_BYTES = 32 * 1024
DEFAULT_DEDUPE_TTL_S = 600
# The event-time plausibility window (docs/raw-events.md); the ETL uses the same defaults.
DEFAULT_EVENT_TIME_MAX_AHEAD_S = 86_400
DEFAULT_EVENT_TIME_MAX_BEHIND_S = 30 * 86_400
# Well under the Lambda's timeout: a JWKS outage must downgrade, not hang the request.
DEFAULT_JWKS_TIMEOUT_S = 2.0


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class IngestConfig:
    raw_bucket: str
    dlq_url: str
    allowed_origins: frozenset[str]
    site_keys: tuple[str, ...]
    pii_hash_key: bytes
    cognito_issuer: str | None
    cognito_client_id: str | None
    cognito_jwks_url: str | None
    max_batch_events: int = DEFAULT_MAX_BATCH_EVENTS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    dedupe_ttl_s: float = DEFAULT_DEDUPE_TTL_S
    # Where batches go when S3 fails (replayed by `clickstream dlq replay`); empty means
    # the dead-letter queue itself (older deployments).
    parking_queue_url: str = ""
    # The value CloudFront puts in x-origin-verify; None means no check (local stack).
    origin_verify_secret: str | None = None
    # Amazon Data Firehose stream of the raw buffer; empty means one S3 object per batch.
    delivery_stream_name: str = ""
    event_time_max_ahead_s: float = DEFAULT_EVENT_TIME_MAX_AHEAD_S
    event_time_max_behind_s: float = DEFAULT_EVENT_TIME_MAX_BEHIND_S
    jwks_timeout_s: float = DEFAULT_JWKS_TIMEOUT_S

    def origin_allowed(self, origin: str) -> bool:
        return "*" in self.allowed_origins or origin in self.allowed_origins

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> IngestConfig:
        def required(name: str) -> str:
            value = environ.get(name)
            if not value:
                raise ConfigurationError(f"environment variable {name} is not set")
            return value

        def secret(name: str) -> str:
            if environ.get(name):
                return environ[name]
            parameter = environ.get(f"{name}_PARAM")
            if not parameter:
                raise ConfigurationError(f"set {name} or {name}_PARAM (an SSM SecureString name)")
            return cached_parameter(parameter)

        pool_id = environ.get("COGNITO_USER_POOL_ID")
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        issuer = environ.get("COGNITO_ISSUER") or (
            f"https://cognito-idp.{region}.amazonaws.com/{pool_id}" if pool_id else None
        )
        jwks_url = environ.get("COGNITO_JWKS_URL") or (
            f"{issuer}/.well-known/jwks.json" if issuer else None
        )
        origins = frozenset(
            origin.strip().rstrip("/")
            for origin in environ.get("ALLOWED_ORIGINS", "").split(",")
            if origin.strip()
        )

        def number(name: str, default: float) -> float:
            text = environ.get(name)
            if not text:
                return default
            try:
                value = float(text)
            except ValueError as error:
                raise ConfigurationError(f"{name} must be a number, not {text!r}") from error
            if value <= 0:
                raise ConfigurationError(f"{name} must be positive, not {text!r}")
            return value

        origin_param = environ.get("ORIGIN_VERIFY_PARAM")
        origin_secret = environ.get("ORIGIN_VERIFY_SECRET") or (
            cached_parameter(origin_param) if origin_param else None
        )
        return cls(
            raw_bucket=required("RAW_BUCKET"),
            dlq_url=required("DLQ_URL"),
            allowed_origins=origins,
            site_keys=tuple(key.strip() for key in secret("SITE_KEYS").split(",") if key.strip()),
            pii_hash_key=secret("PII_HASH_KEY").encode("utf-8"),
            cognito_issuer=issuer,
            cognito_client_id=environ.get("COGNITO_CLIENT_ID") or None,
            cognito_jwks_url=jwks_url,
            max_batch_events=int(environ.get("MAX_BATCH_EVENTS", DEFAULT_MAX_BATCH_EVENTS)),
            max_body_bytes=int(environ.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            max_event_bytes=int(environ.get("MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES)),
            dedupe_ttl_s=float(environ.get("DEDUPE_TTL_SECONDS", DEFAULT_DEDUPE_TTL_S)),
            parking_queue_url=environ.get("PARKING_QUEUE_URL", ""),
            origin_verify_secret=origin_secret or None,
            delivery_stream_name=environ.get("DELIVERY_STREAM_NAME", "").strip(),
            event_time_max_ahead_s=number(
                "EVENT_TIME_MAX_AHEAD_SECONDS", DEFAULT_EVENT_TIME_MAX_AHEAD_S
            ),
            event_time_max_behind_s=number(
                "EVENT_TIME_MAX_BEHIND_SECONDS", DEFAULT_EVENT_TIME_MAX_BEHIND_S
            ),
            jwks_timeout_s=number("JWKS_TIMEOUT_SECONDS", DEFAULT_JWKS_TIMEOUT_S),
        )
