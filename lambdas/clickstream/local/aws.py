"""The AWS side of the local stack: a moto server and the resources Terraform creates in AWS."""

from __future__ import annotations

import secrets
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from clickstream.clients import CognitoClient
from clickstream.local.settings import LOOPBACK, StackSettings

# Obviously local: moto accepts any credentials, and these never reach AWS.
LOCAL_ACCESS_KEY = "local-testing"
LOCAL_SECRET_KEY = "local-testing-secret"  # noqa: S105
RAW_BUCKET = "clickstream-local-raw"
DLQ_NAME = "clickstream-local-ingest-dlq"
PARKING_QUEUE_NAME = "clickstream-local-ingest-parking"
TOPIC_NAME = "clickstream-local-alerts"
USER_POOL_NAME = "clickstream-local-shoppers"
DEMO_USERNAME = "demo@shop.local"


def _persistent_secret(path: Path, prefix: str) -> str:
    """A random local secret kept in the state folder, so hashes stay stable across restarts."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = f"{prefix}-{secrets.token_hex(16)}"
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return value


def create_cognito_pool(cognito: CognitoClient) -> tuple[str, str, str]:
    """A user pool, a public app client for the store and a confirmed demo shopper."""
    pool_id = cognito.create_user_pool(
        PoolName=USER_POOL_NAME,
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireNumbers": True}},
        AutoVerifiedAttributes=["email"],
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="store",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    password = f"Local-{secrets.token_hex(6)}-9"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=DEMO_USERNAME,
        UserAttributes=[{"Name": "email", "Value": DEMO_USERNAME}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=DEMO_USERNAME, Password=password, Permanent=True
    )
    return pool_id, client_id, password


def sign_in(cognito: CognitoClient, client_id: str, username: str, password: str) -> str:
    """A real Cognito ID token for the user (USER_PASSWORD_AUTH)."""
    response = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    token: str = response["AuthenticationResult"]["IdToken"]
    return token


class AwsComponent:
    name = "aws"

    def __init__(self) -> None:
        self._server: ThreadedMotoServer | None = None

    def start(self, settings: StackSettings, env: dict[str, str]) -> dict[str, str]:
        self._server = ThreadedMotoServer(
            ip_address=LOOPBACK, port=settings.aws_port, verbose=False
        )
        self._server.start()
        endpoint = f"http://{LOOPBACK}:{settings.aws_port}"
        session = boto3.session.Session(
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
            region_name=settings.region,
        )
        s3 = session.client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket=RAW_BUCKET)
        sqs = session.client("sqs", endpoint_url=endpoint)
        retention = {"MessageRetentionPeriod": str(14 * 24 * 3600)}
        dlq_url = sqs.create_queue(QueueName=DLQ_NAME, Attributes=retention)["QueueUrl"]
        # Batches parked because S3 failed; `clickstream dlq replay` reads this queue.
        parking_url = sqs.create_queue(QueueName=PARKING_QUEUE_NAME, Attributes=retention)[
            "QueueUrl"
        ]
        topic_arn = session.client("sns", endpoint_url=endpoint).create_topic(Name=TOPIC_NAME)[
            "TopicArn"
        ]
        pool_id, client_id, password = create_cognito_pool(
            session.client("cognito-idp", endpoint_url=endpoint)
        )
        site_key = _persistent_secret(settings.state_dir / "site-key", "local-site-key")
        hash_key = _persistent_secret(settings.state_dir / "pii-hash-key", "local-pii-key")
        return {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": settings.region,
            "AWS_REGION": settings.region,
            "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_KEY,
            "RAW_BUCKET": RAW_BUCKET,
            "DLQ_URL": dlq_url,
            "PARKING_QUEUE_URL": parking_url,
            "SNS_TOPIC_ARN": topic_arn,
            "COGNITO_USER_POOL_ID": pool_id,
            "COGNITO_CLIENT_ID": client_id,
            # moto signs tokens with the real Cognito issuer but serves the keys itself.
            "COGNITO_JWKS_URL": f"{endpoint}/{pool_id}/.well-known/jwks.json",
            "DEMO_USERNAME": DEMO_USERNAME,
            "DEMO_PASSWORD": password,
            "API_KEY": site_key,
            "SITE_KEYS": site_key,
            "PII_HASH_KEY": hash_key,
            "SITE_ORIGIN": settings.site_origin,
            "ALLOWED_ORIGINS": settings.site_origin,
        }

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
