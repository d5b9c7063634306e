"""Issue 8 as an attacker or a sloppy client would try it: many generated cases per class.

Class 3 (lone surrogates), 4 (PII through encodings, linear-time matching), 5 (expired
tokens downgrade), 6 (nothing refused before authentication is queued; no credential in
a queue or a log) and 9 (origin verification). Classes 1 and 2 are in
test_ingest_properties.py and tests/integration/test_hostile_events_load.py.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clickstream.contract import event_schema, validate_event
from clickstream.ingest import handler as handler_module
from clickstream.ingest import privacy
from clickstream.ingest.auth import Authenticator, CognitoVerifier
from clickstream.ingest.config import IngestConfig
from clickstream.ingest.service import IngestRequest, IngestResult, IngestService
from clickstream.ingest.storage import MemoryQueue, MemorySink, RawEventStore, StorageError
from tests.schema_events import encode_body
from tests.unit.conftest import SITE_KEY, SITE_ORIGIN, FakeLambdaContext, sample_event

RECEIVED = datetime(2026, 11, 15, 10, 30, tzinfo=UTC)
HASH_KEY = b"hostile-test-key"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_hostile"
CLIENT_ID = "hostile-client"
ORIGIN_SECRET = "cloudfront-origin-secret-1"


def config(**overrides: Any) -> IngestConfig:
    base: dict[str, Any] = {
        "raw_bucket": "unused",
        "dlq_url": "unused",
        "allowed_origins": frozenset({SITE_ORIGIN}),
        "site_keys": (SITE_KEY,),
        "pii_hash_key": HASH_KEY,
        "cognito_issuer": None,
        "cognito_client_id": None,
        "cognito_jwks_url": None,
    }
    base.update(overrides)
    return IngestConfig(**base)


class FailingSink(MemorySink):
    def put(self, key: str, body: bytes) -> None:
        raise StorageError("s3 is down")


class Harness:
    """An ingest service on memory stores, with separate dead-letter and parking queues."""

    def __init__(
        self,
        cfg: IngestConfig | None = None,
        verifier: CognitoVerifier | None = None,
        s3_down: bool = False,
    ) -> None:
        self.sink = FailingSink() if s3_down else MemorySink()
        self.dead_letters, self.parking = MemoryQueue(), MemoryQueue()
        cfg = cfg or config()
        self.service = IngestService(
            cfg,
            Authenticator(cfg.site_keys, verifier),
            RawEventStore(self.sink),
            self.dead_letters,
            parking=self.parking,
        )

    def post(self, body: bytes, headers: dict[str, str]) -> IngestResult:
        return self.service.handle(
            IngestRequest(
                method="POST",
                path="/v1/events",
                headers={"content-type": "application/json", **headers},
                body=body,
                request_id=str(uuid.uuid4()),
                received_at=RECEIVED,
            )
        )

    def records(self) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for obj in self.sink.objects.values()
            for line in gzip.decompress(obj).splitlines()
        ]


def fresh(name: str = "direct_page_view", **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(sample_event(name))
    event["event_id"] = str(uuid.uuid4())
    event["ts"] = "2026-11-15T10:29:00Z"
    event.update(changes)
    return event


# -- Class 3: one bad character must not lose the batch ----------------------------------

surrogates = st.characters(categories=["Cs"])


@settings(max_examples=150, deadline=None)
@given(
    before=st.text(max_size=30),
    lone=st.lists(surrogates, min_size=1, max_size=3),
    after=st.text(max_size=30),
    others=st.integers(0, 4),
)
def test_lone_surrogates_are_replaced_and_the_batch_is_kept(
    before: str, lone: list[str], after: str, others: int
) -> None:
    # Given a title cut inside an emoji (lone surrogates, as JSON.stringify escapes them)
    title = (before + "x".join(lone) + after)[:256]  # "x": never a valid pair
    events = [fresh(page_title=title)] + [fresh() for _ in range(others)]
    harness = Harness()
    # When the batch is posted
    result = harness.post(encode_body(events), {"x-api-key": SITE_KEY})
    # Then every event is stored and the surrogates became U+FFFD
    assert result.status == 202 and result.body["accepted"] == len(events), result.body
    stored = {r["event_id"]: r for r in harness.records()}
    assert set(stored) == {e["event_id"] for e in events}
    kept = stored[events[0]["event_id"]]["page_title"]
    assert "\ufffd" in kept
    assert not re.search("[\ud800-\udfff]", kept)


# -- Class 4: PII through encodings ------------------------------------------------------

local_parts = st.from_regex(r"[a-z][a-z0-9._+-]{0,12}[a-z0-9]", fullmatch=True)
domains = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|co\.uk|de|example)", fullmatch=True)
emails = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)
phones = st.builds(
    lambda country, groups, sep: country + sep.join(groups),
    st.sampled_from(["", "+1 ", "+44 ", "0"]),
    st.lists(st.from_regex(r"[0-9]{3,4}", fullmatch=True), min_size=3, max_size=4),
    st.sampled_from([" ", "-", ".", ""]),
)
encodings = st.sampled_from(["plain", "percent", "percent-all", "plus", "double"])


def encode(value: str, how: str) -> str:
    if how == "percent":
        return quote(value, safe="")
    if how == "percent-all":
        return "".join(f"%{byte:02X}" for byte in value.encode())
    if how == "plus":
        return quote_plus(value, safe="")
    if how == "double":
        return quote(quote(value, safe=""), safe="")
    return value


def leaked(text: str, secret: str) -> bool:
    """Is `secret` (or its digits, for a phone) in any decoded form of `text`?"""
    forms = {text}
    for _ in range(3):
        forms |= {unquote_plus(form) for form in forms}
    if "@" in secret:
        return any(secret.lower() in form.lower() for form in forms)
    digits = re.sub(r"\D", "", secret)
    return any(digits in re.sub(r"\D", "", form) for form in forms if digits)


def url_with(value: str, place: str) -> str:
    if place == "query":
        return f"https://shop.example/search?q={value}&utm_source={value}"
    if place == "path":
        return f"https://shop.example/u/{value}/orders"
    if place == "fragment":
        return f"https://shop.example/p#{value}"
    return f"https://{value}@shop.example/p"  # userinfo


@settings(max_examples=300, deadline=None)
@given(
    secret=st.one_of(emails, phones),
    how=encodings,
    place=st.sampled_from(["query", "path", "fragment", "userinfo"]),
)
def test_contact_details_in_any_url_component_and_encoding_are_redacted(
    secret: str, how: str, place: str
) -> None:
    # Given an e-mail or phone number, encoded some way, in some component of page_url
    url = url_with(encode(secret, how), place)
    event = fresh(page_url=url, referrer=url)
    if validate_event(event):
        return  # not a URL the contract accepts (e.g. a space in userinfo)
    harness = Harness()
    # When it is posted
    result = harness.post(encode_body([event]), {"x-api-key": SITE_KEY})
    assert result.status == 202
    [record] = harness.records()
    # Then no decoded form of the stored URL, referrer or UTM values holds it, and the
    # stored URL still parses
    for text in (record["page_url"], record["referrer"], json.dumps(record["utm"])):
        assert not leaked(text, secret), (url, text)
    urlsplit(record["page_url"])


def string_fields(schema: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every string-typed leaf of the schema: "*" stands for array items, "+" for any
    additional property."""
    types = schema.get("type")
    if types == "string" or (isinstance(types, list) and "string" in types):
        yield path
    for option in schema.get("anyOf", []):
        yield from string_fields(option, path)
    for name, child in (schema.get("properties") or {}).items():
        yield from string_fields(child, (*path, name))
    if isinstance(schema.get("additionalProperties"), dict):
        yield from string_fields(schema["additionalProperties"], (*path, "+"))
    if isinstance(schema.get("items"), dict):
        yield from string_fields(schema["items"], (*path, "*"))


# String fields that are not free text, and why redaction does not apply.
NOT_FREE_TEXT = {
    ("event_id",): "UUID pattern",
    ("session_id",): "UUID pattern",
    ("ts",): "RFC 3339 pattern",
    ("event_type",): "enum",
    ("anonymous_id",): "replaced by a keyed hash",
    ("user_id",): "replaced by the keyed hash of the verified token's sub, or null",
    ("device", "type"): "enum",
    ("geo", "country"): "two capital letters",
    ("ecom", "currency"): "three capital letters",
    ("ecom", "product_id"): "catalog identifier: [A-Za-z0-9._:/-], no @ or spaces",
    ("ecom", "order_id"): "order identifier: [A-Za-z0-9._:/-], no @ or spaces",
    ("ecom", "items", "*", "product_id"): "catalog identifier",
}
URL_FIELDS = {("page_url",), ("referrer",)}


def event_with(path: tuple[str, ...], value: str) -> dict[str, Any]:
    """A valid event whose field at `path` holds `value`."""
    event = fresh("direct_page_view")
    if path[0] == "ecom":
        event["ecom"] = {"list_id": "home"}
        if path[1] == "items":
            event["ecom"]["items"] = [{"product_id": "sku-1", path[3]: value}]
            return event
    if path[0] == "props":
        event["event_type"] = "search"
        event["props"] = {"search_query": "shoes"}
        event["props"]["note" if path[1] == "+" else path[1]] = value
        return event
    target = event
    for name in path[:-1]:
        target = target.setdefault(name, {})
    target[path[-1]] = value
    return event


def test_every_free_text_field_of_the_contract_is_redacted() -> None:
    # Given every string field the schema declares (a new one shows up here by itself)
    fields = set(string_fields(event_schema()))
    free_text = sorted(fields - set(NOT_FREE_TEXT))
    assert ("ecom", "list_id") in free_text and ("props", "+") in free_text
    missed = []
    for path in free_text:
        for secret, value in (
            ("jane.doe@example.com", "jane.doe%40example%2Ecom"),
            ("415 555 1234", "415+555+1234"),
            ("4155551234", "415%2D555%2D1234"),
        ):
            text = f"https://shop.example/?q={value}" if path in URL_FIELDS else f"x {value} y"
            if path == ("device", "language"):
                text = "en-41555512-34"
                secret = "4155551234"
            event = event_with(path, text)
            assert not validate_event(event), (path, validate_event(event))
            harness = Harness()
            # When it carries an encoded contact detail
            result = harness.post(encode_body([event]), {"x-api-key": SITE_KEY})
            assert result.status == 202, result.body
            records = harness.records()
            # Then the stored record holds no decoded form of it
            if not records or leaked(json.dumps(records[0]), secret):
                missed.append((path, value))
    assert missed == [], f"free-text fields not redacted: {missed}"


@settings(max_examples=200, deadline=None)
@given(
    number=st.integers(10_000_000, 9_999_999_999_999_999),
    as_float=st.booleans(),
    name=st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True),
)
def test_numeric_props_shaped_like_phone_numbers_are_redacted(
    number: int, as_float: bool, name: str
) -> None:
    value: int | float = float(number) if as_float and number < 2**53 else number
    event = fresh(props={name: value, "result_count": 3})
    harness = Harness()
    assert harness.post(encode_body([event]), {"x-api-key": SITE_KEY}).status == 202
    [record] = harness.records()
    assert record["props"][name] == "[phone]" or name == "result_count"
    assert str(number) not in json.dumps(record)


def test_redaction_uses_only_patterns_that_cannot_backtrack() -> None:
    # Every regular expression in the privacy module is one character class repeated
    # (at least a fixed number of times): a run is matched once and the search resumes
    # after it, linear in any engine.
    patterns = [value for value in vars(privacy).values() if isinstance(value, re.Pattern)]
    assert patterns
    for pattern in patterns:
        assert re.fullmatch(r"\[[^\[\]]+\](\+|\{\d,\})?|\\d", pattern.pattern), pattern.pattern


crafted_fields = st.builds(
    lambda unit, size, tail: (unit * (size // max(1, len(unit)) + 1))[:size] + tail,
    st.sampled_from(
        ["a", "a.", "a-", "1", "1 ", "1-", "a@", "@a", "a@a.", "1.1", "%40", "+1 ", "a%40"]
    ),
    st.sampled_from([512, 1024, 2048]),
    st.sampled_from(["", "@", "@x", "!", "x", "@a.b"]),
)


@settings(max_examples=120, deadline=None)
@given(text=crafted_fields)
def test_redaction_work_grows_linearly_with_crafted_fields(text: str) -> None:
    # Given a 0.5-2 KB field of one repeated address- or phone-like unit (what made the
    # backtracking regex cost ~20 ms each)
    def steps(value: str) -> int:
        privacy.redact.cache_clear()
        privacy.SCAN_STEPS.count = 0
        privacy.redact(value)
        return privacy.SCAN_STEPS.count

    # When it is redacted, then the characters scanned are a small multiple of its length,
    # and doubling the field at most doubles the work
    assert steps(text) <= 12 * len(text) + 50
    assert steps(text * 2) <= 2 * steps(text) + 12 * len(text) + 50


# -- Class 5: expired or unverifiable tokens with a valid site key -----------------------


class JwksServer:
    """A real HTTP JWKS endpoint on 127.0.0.1 that can be switched to failing."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        self.jwks = {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}
        self.failing = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = (
                    (500, b"down") if outer.failing else (200, json.dumps(outer.jwks).encode())
                )
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@functools.cache
def other_signing_key() -> rsa.RSAPrivateKey:
    """A key the JWKS does not know: a forged token's."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks(signing_key: rsa.RSAPrivateKey) -> Iterator[JwksServer]:
    server = JwksServer(signing_key)
    yield server
    server.close()


@pytest.fixture(scope="module")
def silent_jwks_url() -> Iterator[str]:
    """A port that accepts connections and never answers: a hung JWKS endpoint."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/jwks.json"
    listener.close()


def id_token(key: Any, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "sub": "shopper-1",
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
    }
    payload.update(claims)
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "k1"})


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    problem=st.sampled_from(
        ["expired", "wrong_audience", "garbage", "other_key", "hs256", "outage", "hung", "basic"]
    ),
    key_in=st.sampled_from(["header", "envelope"]),
    count=st.integers(1, 4),
)
def test_a_failing_token_next_to_a_valid_site_key_is_stored_as_anonymous(
    signing_key: Any,
    jwks: JwksServer,
    silent_jwks_url: str,
    problem: str,
    key_in: str,
    count: int,
) -> None:
    # Given a valid site key and an ID token that is expired, forged or unverifiable
    now = int(time.time())
    other = other_signing_key() if problem == "other_key" else None
    token = {
        "expired": lambda: id_token(signing_key, iat=now - 7200, exp=now - 3600),
        "wrong_audience": lambda: id_token(signing_key, aud="someone-else"),
        "garbage": lambda: "not.a.token",
        "other_key": lambda: id_token(other),
        "hs256": lambda: jwt.encode({"sub": "x"}, "secret-of-32-bytes-at-least-xxxxxx"),
        "outage": lambda: id_token(signing_key),
        "hung": lambda: id_token(signing_key),
        "basic": lambda: "",
    }[problem]()
    url = silent_jwks_url if problem == "hung" else jwks.url
    verifier = CognitoVerifier(ISSUER, CLIENT_ID, url, timeout_s=0.2)
    harness = Harness(config(jwks_timeout_s=0.2), verifier)
    events = [fresh(user_id="claimed") for _ in range(count)]
    headers: dict[str, str] = {}
    envelope: dict[str, Any] = {}
    if key_in == "header":
        headers = {"x-api-key": SITE_KEY}
        headers["authorization"] = "Basic abc" if problem == "basic" else f"Bearer {token}"
    else:
        envelope = {"api_key": SITE_KEY, "id_token": token or "x"}
    jwks.failing = problem == "outage"
    try:
        # When the batch is posted
        result = harness.post(encode_body(events, **envelope), headers)
    finally:
        jwks.failing = False
    # Then it is stored as anonymous, flagged as downgraded, and nothing is queued
    assert result.status == 202, result.body
    assert result.body["accepted"] == count
    assert result.auth_downgraded
    assert all(record["user_id"] is None for record in harness.records())
    assert all(record["auth"] == "site_key" for record in harness.records())
    assert harness.dead_letters.messages == []


def test_a_valid_token_is_still_used_and_no_valid_credential_is_refused(
    signing_key: Any, jwks: JwksServer
) -> None:
    verifier = CognitoVerifier(ISSUER, CLIENT_ID, jwks.url, timeout_s=0.5)
    harness = Harness(config(), verifier)
    token = id_token(signing_key)
    ok = harness.post(
        encode_body([fresh()]), {"x-api-key": SITE_KEY, "authorization": f"Bearer {token}"}
    )
    assert ok.status == 202 and ok.auth_downgraded is None
    assert harness.records()[0]["auth"] == "cognito" and harness.records()[0]["user_id"]
    expired = id_token(signing_key, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    refused = harness.post(encode_body([fresh()]), {"authorization": f"Bearer {expired}"})
    assert (refused.status, refused.body["error"]) == (401, "token_expired")
    wrong_key = harness.post(
        encode_body([fresh()]), {"authorization": f"Bearer {expired}", "x-api-key": "guess"}
    )
    assert (wrong_key.status, wrong_key.body["error"]) == (401, "invalid_api_key")


def test_a_downgrade_is_a_metric_and_a_log_field(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], caplog: Any
) -> None:
    harness = Harness()
    monkeypatch.setattr(handler_module, "service", lambda: harness.service)
    capfd.readouterr()
    event = {
        "rawPath": "/v1/events",
        "requestContext": {"http": {"method": "POST"}, "requestId": "down-1"},
        "headers": {
            "content-type": "application/json",
            "x-api-key": SITE_KEY,
            "authorization": "Bearer expired.or.forged",
        },
        "body": encode_body([fresh()]).decode(),
    }
    response = handler_module.lambda_handler(event, FakeLambdaContext("down-1"))
    assert response["statusCode"] == 202
    emf = [json.loads(line) for line in capfd.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf[-1]["AuthDowngraded"] == [1.0]
    [done] = [r for r in caplog.records if r.getMessage() == "request done"]
    assert done.auth_downgraded == "invalid_token"


def test_jwks_fetches_time_out_well_under_the_lambda_timeout() -> None:
    cfg = IngestConfig.from_environment(
        {"RAW_BUCKET": "b", "DLQ_URL": "q", "SITE_KEYS": "k", "PII_HASH_KEY": "h"}
    )
    assert 0 < cfg.jwks_timeout_s <= 3, "the ingest Lambda's timeout is 10 s"
    verifier = CognitoVerifier(ISSUER, CLIENT_ID, "http://127.0.0.1:9/jwks", cfg.jwks_timeout_s)
    assert verifier._jwks.timeout == cfg.jwks_timeout_s


# -- Class 6: refused bodies are not queued, credentials reach no queue and no log -------


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.dumps(record.__dict__, default=str) + (record.exc_text or ""))


tokens = st.builds(
    lambda a, b, c: f"eyJ{a}.{b}.{c}",
    st.from_regex(r"[A-Za-z0-9_-]{12,30}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_-]{12,30}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_-]{12,30}", fullmatch=True),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    token=tokens,
    failure=st.sampled_from(
        [
            "none", "malformed_json", "forbidden_origin", "wrong_key", "no_credentials",
            "invalid_event", "credential_in_event", "s3_down", "bad_envelope",
        ]
    ),
    carrier=st.sampled_from(["headers", "envelope"]),
)  # fmt: skip
def test_no_credential_ever_reaches_a_queue_or_a_log(
    monkeypatch: pytest.MonkeyPatch, token: str, failure: str, carrier: str
) -> None:
    # Given a request carrying the site key and an ID token, failing in some way
    harness = Harness(s3_down=failure == "s3_down")
    monkeypatch.setattr(handler_module, "service", lambda: harness.service)
    captured = Captured()
    logging.getLogger("ingest").addHandler(captured)
    key = "guess-" + token[-8:] if failure == "wrong_key" else SITE_KEY
    headers = {"content-type": "application/json"}
    envelope: dict[str, Any] = {}
    if failure != "no_credentials":
        if carrier == "headers":
            headers.update({"x-api-key": key, "authorization": f"Bearer {token}"})
        else:
            envelope = {"api_key": key, "id_token": token}
    if failure == "forbidden_origin":
        headers["origin"] = "https://evil.example"
    event = fresh(props={"note": f"token {token} key {SITE_KEY}"})
    if failure == "invalid_event":
        event = {**event, "event_type": "hover"}
    if failure == "credential_in_event":
        event = {**event, "api_key": SITE_KEY, "id_token": token}
    body = encode_body([event], **envelope)
    if failure == "malformed_json":
        body = body[:-1]
    if failure == "bad_envelope":
        body = json.dumps({"events": [event], "api_key": key, "id_token": token, "x": 1}).encode()
    try:
        # When it goes through the Lambda entry point
        response = handler_module.lambda_handler(
            {
                "rawPath": "/v1/events",
                "requestContext": {"http": {"method": "POST"}, "requestId": "cred"},
                "headers": headers,
                "body": body.decode(),
            },
            FakeLambdaContext("cred"),
        )
    finally:
        logging.getLogger("ingest").removeHandler(captured)
    # Then no queue message and no log line holds the site key or the token
    assert response["statusCode"] < 500
    queued = json.dumps(harness.dead_letters.messages + harness.parking.messages)
    logged = "\n".join(captured.lines)
    for secret in (SITE_KEY, token, token.split(".")[1]):
        assert secret not in queued, failure
        assert secret not in logged, failure
    # And a request refused before authentication is not queued at all
    if response["statusCode"] != 202:
        assert harness.dead_letters.messages == [] and harness.parking.messages == []
    if failure == "s3_down":
        assert harness.parking.messages and harness.dead_letters.messages == []


# -- Class 9: origin verification --------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    sent=st.one_of(st.none(), st.text(max_size=40), st.just(ORIGIN_SECRET[:-1])),
    country=st.from_regex(r"[A-Z]{2}", fullmatch=True),
)
def test_without_the_origin_secret_a_request_is_refused_and_not_queued(
    sent: str | None, country: str
) -> None:
    # Given origin verification configured and a request without the right header
    harness = Harness(config(origin_verify_secret=ORIGIN_SECRET))
    headers = {"x-api-key": SITE_KEY, "cloudfront-viewer-country": country}
    if sent is not None:
        headers["x-origin-verify"] = sent
    # When it is posted (straight to the execute-api endpoint, say)
    result = harness.post(encode_body([fresh()]), headers)
    # Then it is refused with 403 JSON, nothing is stored and nothing is queued
    assert sent != ORIGIN_SECRET
    assert (result.status, result.body["error"]) == (403, "forbidden")
    assert harness.records() == [] and harness.dead_letters.messages == []


@settings(max_examples=60, deadline=None)
@given(country=st.from_regex(r"[A-Z]{2}", fullmatch=True))
def test_the_viewer_country_is_trusted_only_on_verified_requests(country: str) -> None:
    verified = Harness(config(origin_verify_secret=ORIGIN_SECRET))
    headers = {"x-api-key": SITE_KEY, "cloudfront-viewer-country": country}
    result = verified.post(encode_body([fresh()]), {**headers, "x-origin-verify": ORIGIN_SECRET})
    assert result.status == 202
    assert verified.records()[0]["geo"]["country"] == country
    # Without a configured secret (the local stack) there is no check at all.
    open_stack = Harness(config())
    assert open_stack.post(encode_body([fresh()]), headers).status == 202


def test_the_origin_secret_comes_from_ssm_or_the_environment() -> None:
    env = {"RAW_BUCKET": "b", "DLQ_URL": "q", "SITE_KEYS": "k", "PII_HASH_KEY": "h"}
    assert IngestConfig.from_environment(env).origin_verify_secret is None
    plain = IngestConfig.from_environment({**env, "ORIGIN_VERIFY_SECRET": "s1"})
    assert plain.origin_verify_secret == "s1"
    with mock.patch("clickstream.ingest.config.cached_parameter", return_value="s2") as ssm:
        from_ssm = IngestConfig.from_environment({**env, "ORIGIN_VERIFY_PARAM": "/p/origin"})
    ssm.assert_called_once_with("/p/origin")
    assert from_ssm.origin_verify_secret == "s2"


def test_event_time_window_settings_are_read_and_checked() -> None:
    env = {"RAW_BUCKET": "b", "DLQ_URL": "q", "SITE_KEYS": "k", "PII_HASH_KEY": "h"}
    cfg = IngestConfig.from_environment(env)
    assert (cfg.event_time_max_ahead_s, cfg.event_time_max_behind_s) == (86_400, 2_592_000)
    cfg = IngestConfig.from_environment({**env, "EVENT_TIME_MAX_BEHIND_SECONDS": "3600"})
    assert cfg.event_time_max_behind_s == 3600
    harness = Harness(config(event_time_max_behind_s=3600))
    old = fresh(ts=(RECEIVED - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert harness.post(encode_body([old]), {"x-api-key": SITE_KEY}).status == 202
    [record] = harness.records()
    assert (record["clock_skew"], record["client_ts"]) == ("past", old["ts"])
    assert record["ts"] == "2026-11-15T10:30:00.000Z"
