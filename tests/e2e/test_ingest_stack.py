"""The ingest API through the real local stack: HTTP, moto's S3, SQS and Cognito."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from clickstream.local.aws import sign_in
from tests.conftest import stack_client as aws_client

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
RAW_WAIT_S = 30.0


def request(
    stack: dict[str, str], body: Any, headers: dict[str, str], method: str = "POST"
) -> tuple[int, dict[str, str], dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{stack['API_URL']}/v1/events",
        data=data if method == "POST" else None,
        method=method,
        headers={"content-type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            raw = response.read()
            return response.status, dict(response.headers), json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, dict(error.headers), json.loads(raw) if raw else {}


def new_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "event_id": str(uuid.uuid4()),
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event_type": "view",
        "session_id": str(uuid.uuid4()),
        "anonymous_id": "e2e-anon-0001",
        "page_url": "https://shop.example/p/sku-1",
        "referrer": "",
    }
    event.update(overrides)
    return event


def stored_records(
    stack: dict[str, str], expect: list[str] | tuple[str, ...] = ()
) -> dict[str, dict[str, Any]]:
    """Every record in the raw bucket. The ingest writes through the Firehose stand-in,
    which delivers after its buffer interval: wait (bounded) until `expect` are there."""
    s3 = aws_client(stack, "s3")
    deadline = time.monotonic() + RAW_WAIT_S
    while True:
        records = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack["RAW_BUCKET"]):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=stack["RAW_BUCKET"], Key=item["Key"])["Body"].read()
                for line in gzip.decompress(body).splitlines():
                    record = json.loads(line)
                    records[record["event_id"]] = record
        if set(expect) <= set(records) or time.monotonic() > deadline:
            return records
        time.sleep(0.25)


def dead_letters(stack: dict[str, str]) -> list[dict[str, Any]]:
    sqs = aws_client(stack, "sqs")
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=stack["DLQ_URL"], MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not batch:
            return found
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=stack["DLQ_URL"], ReceiptHandle=message["ReceiptHandle"])


def moto_signing_key() -> Any:
    """The private key moto's Cognito signs with: lets the test mint tokens that differ
    from real ones in exactly one claim."""
    from moto.utilities.utils import load_resource

    return jwt.PyJWK.from_dict(load_resource("cognitoidp/resources/jwks-private.json")).key


def claims(stack: dict[str, str], **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "forged-sub",
        "iss": f"https://cognito-idp.{stack['AWS_DEFAULT_REGION']}.amazonaws.com/{stack['COGNITO_USER_POOL_ID']}",
        "aud": stack["COGNITO_CLIENT_ID"],
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
    }
    base.update(overrides)
    return base


def test_signed_in_shopper_with_a_real_cognito_token(local_stack: dict[str, str]) -> None:
    token = sign_in(
        aws_client(local_stack, "cognito-idp"),
        local_stack["COGNITO_CLIENT_ID"],
        local_stack["DEMO_USERNAME"],
        local_stack["DEMO_PASSWORD"],
    )
    sub = jwt.decode(token, options={"verify_signature": False})["sub"]
    event = new_event(user_id="claimed-by-client")
    status, headers, body = request(
        local_stack,
        {"events": [event]},
        {"authorization": f"Bearer {token}", "origin": local_stack["SITE_ORIGIN"]},
    )
    assert (status, body["accepted"]) == (202, 1)
    assert headers["access-control-allow-origin"] == local_stack["SITE_ORIGIN"]
    record = stored_records(local_stack, [event["event_id"]])[event["event_id"]]
    assert record["auth"] == "cognito"
    assert record["user_id"] and record["user_id"] != sub and len(record["user_id"]) == 64


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda s: jwt.encode(
                claims(s, exp=int(time.time()) - 3600),
                moto_signing_key(),
                "RS256",
                headers={"kid": "dummy"},
            ),
            id="expired",
        ),
        pytest.param(
            lambda s: jwt.encode(
                claims(s, aud="another-app"), moto_signing_key(), "RS256", headers={"kid": "dummy"}
            ),
            id="wrong audience",
        ),
        pytest.param(
            lambda s: jwt.encode(
                claims(s, iss="https://evil.example/pool"),
                moto_signing_key(),
                "RS256",
                headers={"kid": "dummy"},
            ),
            id="wrong issuer",
        ),
        pytest.param(
            lambda s: jwt.encode(
                claims(s, token_use="access"), moto_signing_key(), "RS256", headers={"kid": "dummy"}
            ),
            id="access token",
        ),
        pytest.param(
            lambda s: jwt.encode(
                claims(s),
                rsa.generate_private_key(public_exponent=65537, key_size=2048),
                "RS256",
                headers={"kid": "dummy"},
            ),
            id="forged signature",
        ),
        pytest.param(lambda s: jwt.encode(claims(s), None, "none"), id="alg none"),
        pytest.param(lambda s: hs256_with_public_key(s), id="RS/HS confusion"),
    ],
)
def test_bad_tokens_are_refused(local_stack: dict[str, str], make_token: Any) -> None:
    event = new_event()
    token = make_token(local_stack)
    status, _, body = request(
        local_stack, {"events": [event]}, {"authorization": f"Bearer {token}"}
    )
    assert status == 401
    assert body["error"] in ("invalid_token", "token_expired")
    assert event["event_id"] not in stored_records(local_stack)
    # Refused before authentication: counted and logged, never queued (issue 8, class 6).
    assert not any(event["event_id"] in json.dumps(m) for m in dead_letters(local_stack))
    # With the site key beside it, the same token downgrades the batch to anonymous.
    anonymous = new_event()
    status, _, body = request(
        local_stack,
        {"events": [anonymous]},
        {"authorization": f"Bearer {token}", "x-api-key": local_stack["API_KEY"]},
    )
    assert status == 202, body
    record = stored_records(local_stack, [anonymous["event_id"]])[anonymous["event_id"]]
    assert (record["user_id"], record["auth"]) == (None, "site_key")


def hs256_with_public_key(stack: dict[str, str]) -> str:
    """An HS256 token whose HMAC secret is the pool's public key, the classic confusion attack."""
    with urllib.request.urlopen(stack["COGNITO_JWKS_URL"], timeout=5) as response:
        public_jwk = json.loads(response.read())["keys"][0]
    secret = json.dumps(public_jwk).encode()

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'kid': 'dummy'}).encode())}.{b64(json.dumps(claims(stack)).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def test_cors_preflight_allows_only_the_site_origin(local_stack: dict[str, str]) -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-api-key",
    }
    status, headers, _ = request(
        local_stack, b"", {"origin": local_stack["SITE_ORIGIN"], **preflight}, method="OPTIONS"
    )
    assert status == 204
    assert headers["access-control-allow-origin"] == local_stack["SITE_ORIGIN"]
    assert "x-api-key" in headers["access-control-allow-headers"]
    status, headers, _ = request(
        local_stack, b"", {"origin": "https://evil.example", **preflight}, method="OPTIONS"
    )
    assert status == 403
    assert "access-control-allow-origin" not in {k.lower() for k in headers}


def test_batches_over_http_reach_s3_and_rejects_reach_the_queue(
    local_stack: dict[str, str],
) -> None:
    dead_letters(local_stack)  # start from an empty queue
    good = [new_event() for _ in range(50)]
    bad = new_event(event_type="teleport")
    status, _, body = request(
        local_stack, {"events": [*good, bad]}, {"x-api-key": local_stack["API_KEY"]}
    )
    assert status == 202
    assert body["accepted"] == 50
    assert body["rejected"] == [
        {"index": 50, "reason": "schema_violation", "detail": body["rejected"][0]["detail"]}
    ]
    stored = stored_records(local_stack, [event["event_id"] for event in good])
    assert all(event["event_id"] in stored for event in good)
    [dead] = dead_letters(local_stack)
    assert (dead["reason"], dead["payload"]["event_id"]) == ("schema_violation", bad["event_id"])
    status, _, body = request(local_stack, b"{broken", {"x-api-key": local_stack["API_KEY"]})
    assert (status, body["error"]) == (400, "malformed_json")
