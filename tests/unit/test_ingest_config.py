"""Ingest configuration: plain values locally, SSM SecureStrings in production."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from clickstream.ingest.config import ConfigurationError, IngestConfig
from clickstream.ssm import cached_parameter

BASE = {"RAW_BUCKET": "b", "DLQ_URL": "q", "AWS_DEFAULT_REGION": "us-east-1"}


def test_secrets_come_from_ssm_when_only_the_parameter_names_are_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    cached_parameter.cache_clear()
    with mock_aws():
        ssm = boto3.client("ssm")
        ssm.put_parameter(Name="/cs/prod/ingest/site_keys", Value="k1, k2", Type="SecureString")
        ssm.put_parameter(Name="/cs/prod/ingest/pii_hash_key", Value="h", Type="SecureString")
        config = IngestConfig.from_environment(
            {
                **BASE,
                "SITE_KEYS_PARAM": "/cs/prod/ingest/site_keys",
                "PII_HASH_KEY_PARAM": "/cs/prod/ingest/pii_hash_key",
                "COGNITO_USER_POOL_ID": "us-east-1_abc",
                "COGNITO_CLIENT_ID": "client",
                "ALLOWED_ORIGINS": "https://shop.example/, https://www.shop.example",
            }
        )
    cached_parameter.cache_clear()
    assert config.site_keys == ("k1", "k2")
    assert config.pii_hash_key == b"h"
    assert config.cognito_issuer == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
    assert config.cognito_jwks_url == f"{config.cognito_issuer}/.well-known/jwks.json"
    assert config.allowed_origins == {"https://shop.example", "https://www.shop.example"}


@pytest.mark.parametrize("missing", ["RAW_BUCKET", "DLQ_URL"])
def test_a_missing_setting_is_named(missing: str) -> None:
    env = {**BASE, "SITE_KEYS": "k", "PII_HASH_KEY": "h"}
    del env[missing]
    with pytest.raises(ConfigurationError, match=missing):
        IngestConfig.from_environment(env)


def test_a_secret_without_value_or_parameter_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="SITE_KEYS_PARAM"):
        IngestConfig.from_environment({**BASE, "PII_HASH_KEY": "h"})
