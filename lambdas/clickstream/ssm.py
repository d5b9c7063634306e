"""Secrets from SSM Parameter Store, shared by every Lambda of the platform."""

from __future__ import annotations

from functools import cache

from clickstream.clients import SsmClient


def read_parameter(ssm: SsmClient, name: str) -> str:
    """The decrypted value of the SecureString parameter `name`."""
    value: str = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    return value


@cache
def cached_parameter(name: str) -> str:
    """Like read_parameter with a default client, once per warm Lambda container:
    one SSM call per cold start, not one per invocation."""
    import boto3

    return read_parameter(boto3.client("ssm"), name)
