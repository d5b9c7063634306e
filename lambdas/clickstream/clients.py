"""The few AWS client calls our code makes, as Protocols.

boto3's clients are generated at run time and the mypy_boto3 stubs are not
installed, so a client would otherwise be a bare `Any`. These Protocols name the
calls each piece of code relies on; a boto3 client (or moto's) satisfies them, and
so does a small fake in a test.
"""

# boto3's keyword arguments are CamelCase.

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

Response = Mapping[str, Any]


class SsmClient(Protocol):
    def get_parameter(self, *, Name: str, WithDecryption: bool) -> Response: ...


class S3PutClient(Protocol):
    def put_object(
        self, *, Bucket: str, Key: str, Body: bytes, ContentType: str, ContentEncoding: str
    ) -> Response: ...


class SqsClient(Protocol):
    def send_message_batch(
        self, *, QueueUrl: str, Entries: Sequence[Mapping[str, str]]
    ) -> Response: ...

    def receive_message(
        self, *, QueueUrl: str, MaxNumberOfMessages: int, VisibilityTimeout: int
    ) -> Response: ...

    def change_message_visibility(
        self, *, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int
    ) -> Response: ...

    def delete_message_batch(
        self, *, QueueUrl: str, Entries: Sequence[Mapping[str, str]]
    ) -> Response: ...


class CognitoClient(Protocol):
    """The Cognito calls of the local stack (pool setup and the demo shopper's sign-in)."""

    def create_user_pool(self, **kwargs: Any) -> Response: ...

    def create_user_pool_client(self, **kwargs: Any) -> Response: ...

    def admin_create_user(self, **kwargs: Any) -> Response: ...

    def admin_set_user_password(self, **kwargs: Any) -> Response: ...

    def initiate_auth(
        self, *, ClientId: str, AuthFlow: str, AuthParameters: Mapping[str, str]
    ) -> Response: ...
