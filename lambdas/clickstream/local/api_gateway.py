"""A local stand-in for API Gateway HTTP API in front of the real ingest handler.

It builds the payload-format-2.0 event API Gateway would build, applies what
the gateway applies in production (CORS with preflight, its 10 MB request cap,
stage throttling answered with 429) and calls the same `lambda_handler`; a handler
that raises is answered 500 as API Gateway answers it. Like API Gateway and Lambda,
it reports each integration request (AWS/ApiGateway Count, 4xx, 5xx, Latency) and
invocation (AWS/Lambda) to the local stack's CloudWatch (clickstream.local.alarms).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from clickstream.contract.layout import INGEST_ROUTE_KEY
from clickstream.local.alarms import service_metrics, timed_invocation
from clickstream.local.settings import LOOPBACK, StackSettings
from clickstream.observability import get_logger

logger = get_logger("local-api-gateway")

GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_RATE_PER_S = 100.0
DEFAULT_BURST = 200
CORS_ALLOW_HEADERS = "content-type, authorization, x-api-key"
CORS_MAX_AGE_S = "600"
INGEST_FUNCTION_NAME = "clickstream-local-ingest"  # local.alarms.local_names
INTERNAL_ERROR = {"message": "Internal Server Error"}

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


class TokenBucket:
    """Per-client rate limit, like API Gateway's stage throttling (rate and burst)."""

    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = self._clock()
        with self._lock:
            tokens, updated = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - updated) * self.rate_per_s)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            return allowed


class LambdaContext:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name = "clickstream-local-ingest"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:clickstream-local-ingest"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def build_http_api_event(
    method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str, port: int
) -> dict[str, Any]:
    path, _, query = raw_path.partition("?")
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    return {
        "version": "2.0",
        "routeKey": INGEST_ROUTE_KEY if f"{method} {path}" == INGEST_ROUTE_KEY else "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": f"{LOOPBACK}:{port}",
            "domainPrefix": LOOPBACK,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": INGEST_ROUTE_KEY,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }


def make_request_handler(
    lambda_handler: LambdaHandler, allowed_origins: frozenset[str], limiter: TokenBucket, port: int
) -> type[BaseHTTPRequestHandler]:
    class ApiGatewayRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without this, small responses wait for the peer's delayed ACK (~40 ms).
        disable_nagle_algorithm = True
        server_version = "local-api-gateway"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _headers(self) -> dict[str, str]:
            merged: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                merged[key] = f"{merged[key]},{value}" if key in merged else value
            return merged

        def _origin_allowed(self, origin: str | None) -> bool:
            return bool(origin) and ("*" in allowed_origins or origin in allowed_origins)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            origin = self.headers.get("origin")
            if self._origin_allowed(origin):
                self.send_header("access-control-allow-origin", str(origin))
                self.send_header("access-control-expose-headers", "retry-after")
            self.send_header("vary", "origin")
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _send_json(self, status: int, payload: dict[str, Any], **headers: str) -> None:
            body = json.dumps(payload).encode()
            self._send(status, body, {"content-type": "application/json", **headers})

        def do_OPTIONS(self) -> None:
            origin = self.headers.get("origin")
            requested = (self.headers.get("access-control-request-method") or "").upper()
            if not self._origin_allowed(origin) or requested not in ("POST", ""):
                self._send_json(
                    403, {"error": "forbidden_origin", "message": "CORS preflight refused"}
                )
                return
            self._send(
                204,
                b"",
                {
                    "access-control-allow-methods": "POST, OPTIONS",
                    "access-control-allow-headers": CORS_ALLOW_HEADERS,
                    "access-control-max-age": CORS_MAX_AGE_S,
                },
            )

        def _invoke(self) -> None:
            client_ip = self.client_address[0]
            if not limiter.allow(client_ip):
                self._send_json(429, {"message": "Too Many Requests"}, **{"retry-after": "1"})
                return
            length_header = self.headers.get("content-length")
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                self._send_json(411, {"message": "Length Required"})
                self.close_connection = True
                return
            length = int(length_header) if length_header and length_header.isdigit() else 0
            if length > GATEWAY_MAX_BODY_BYTES:
                self._send_json(413, {"message": "Request Entity Too Large"})
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            event = build_http_api_event(
                self.command, self.path, self._headers(), body, client_ip, port
            )
            context = LambdaContext(event["requestContext"]["requestId"])
            started = time.perf_counter()
            try:
                response = timed_invocation(INGEST_FUNCTION_NAME, lambda_handler, event, context)
            except Exception:
                # What API Gateway answers when the integration fails (and counts as 5xx).
                logger.exception("ingest handler raised")
                response = {"statusCode": 500, "body": json.dumps(INTERNAL_ERROR)}
            sink = service_metrics()
            if sink is not None:
                sink.api_request(
                    int(response.get("statusCode", 200)), (time.perf_counter() - started) * 1000
                )
            payload = response.get("body") or ""
            raw = (
                base64.b64decode(payload)
                if response.get("isBase64Encoded")
                else str(payload).encode("utf-8")
            )
            headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
            headers["apigw-requestid"] = event["requestContext"]["requestId"]
            self._send(int(response.get("statusCode", 200)), raw, headers)

        do_POST = _invoke
        do_GET = _invoke
        do_PUT = _invoke
        do_DELETE = _invoke
        do_PATCH = _invoke

    return ApiGatewayRequestHandler


class LocalApiGateway:
    def __init__(
        self,
        lambda_handler: LambdaHandler,
        allowed_origins: frozenset[str],
        port: int,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        burst: int = DEFAULT_BURST,
    ) -> None:
        handler_class = make_request_handler(
            lambda_handler, allowed_origins, TokenBucket(rate_per_s, burst), port
        )
        self.server = ThreadingHTTPServer((LOOPBACK, port), handler_class)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self.server.server_address[1]
        return f"http://{LOOPBACK}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ApiComponent:
    name = "api"

    def __init__(self) -> None:
        self._gateway: LocalApiGateway | None = None

    def start(self, settings: StackSettings, env: dict[str, str]) -> dict[str, str]:
        from clickstream.ingest.handler import lambda_handler, service

        origins = frozenset(o for o in env.get("ALLOWED_ORIGINS", "").split(",") if o)
        self._gateway = LocalApiGateway(
            lambda_handler,
            origins,
            settings.api_port,
            rate_per_s=float(env.get("API_RATE_PER_S", DEFAULT_RATE_PER_S)),
            burst=int(env.get("API_BURST", DEFAULT_BURST)),
        )
        service.cache_clear()  # pick up the environment the earlier components exported
        self._gateway.start()
        return {"API_URL": self._gateway.url, "INGEST_URL": f"{self._gateway.url}/v1/events"}

    def stop(self) -> None:
        if self._gateway is not None:
            self._gateway.stop()
            self._gateway = None
