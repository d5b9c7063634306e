"""The local API Gateway adapter: payload format 2.0, throttling and the gateway's size cap."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from clickstream.local.api_gateway import GATEWAY_MAX_BODY_BYTES, LocalApiGateway, TokenBucket

ORIGIN = "http://127.0.0.1:9"


class RecordingHandler:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        return {
            "statusCode": 202,
            "headers": {"content-type": "application/json"},
            "body": '{"ok": true}',
        }


@pytest.fixture
def gateway() -> Iterator[tuple[LocalApiGateway, RecordingHandler]]:
    handler = RecordingHandler()
    server = LocalApiGateway(handler, frozenset({ORIGIN}), port=0, rate_per_s=0.001, burst=5)
    server.start()
    yield server, handler
    server.stop()


def post(
    url: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate_per_s=2, burst=2, clock=lambda: now[0])
    assert [bucket.allow("a") for _ in range(3)] == [True, True, False]
    assert bucket.allow("b"), "clients are limited separately"
    now[0] = 0.5
    assert bucket.allow("a") and not bucket.allow("a")


def test_requests_become_http_api_v2_events(
    gateway: tuple[LocalApiGateway, RecordingHandler],
) -> None:
    server, handler = gateway
    status, headers = post(
        f"{server.url}/v1/events?x=1",
        b'{"a": 1}',
        {"content-type": "application/json", "origin": ORIGIN, "X-Api-Key": "k"},
    )
    assert status == 202
    assert headers["access-control-allow-origin"] == ORIGIN
    [event] = handler.events
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/events"
    assert (event["rawPath"], event["rawQueryString"]) == ("/v1/events", "x=1")
    assert event["headers"]["x-api-key"] == "k"
    assert json.loads(event["body"]) == {"a": 1} and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert isinstance(event["requestContext"]["timeEpoch"], int)


def test_binary_bodies_are_base64_encoded(
    gateway: tuple[LocalApiGateway, RecordingHandler],
) -> None:
    server, handler = gateway
    post(f"{server.url}/v1/events", b"\xff\xfe", {"content-type": "application/json"})
    assert handler.events[0]["isBase64Encoded"] is True


def test_throttling_answers_429_with_retry_after(
    gateway: tuple[LocalApiGateway, RecordingHandler],
) -> None:
    server, handler = gateway
    statuses = [post(f"{server.url}/v1/events", b"{}")[0] for _ in range(8)]
    assert statuses[:5] == [202] * 5
    assert statuses[5:] == [429] * 3
    assert len(handler.events) == 5


def test_bodies_over_the_gateway_cap_never_reach_the_handler(
    gateway: tuple[LocalApiGateway, RecordingHandler],
) -> None:
    server, handler = gateway
    host, port = server.server.server_address[:2]
    # Declare the size only: the gateway must refuse before reading the body.
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {GATEWAY_MAX_BODY_BYTES + 1}\r\n\r\n".encode()
        )
        status_line = sock.makefile("rb").readline()
    assert status_line.split()[1] == b"413"
    assert handler.events == []
