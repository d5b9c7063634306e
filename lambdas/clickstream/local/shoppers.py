"""`make demo`'s simulated shoppers: a background thread posting visits to the local API."""

from __future__ import annotations

import threading

import boto3

from clickstream.local.aws import sign_in
from clickstream.local.stack import StackSettings
from clickstream.observability import get_logger
from clickstream.simulate import ApiClient, run_shoppers

logger = get_logger("shoppers")
DEMO_SESSIONS_PER_SECOND = 2.0


class ShoppersComponent:
    name = "shoppers"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, settings: StackSettings, env: dict[str, str]) -> dict[str, str]:
        token = sign_in(
            boto3.client("cognito-idp", endpoint_url=env["AWS_ENDPOINT_URL"]),
            env["COGNITO_CLIENT_ID"],
            env["DEMO_USERNAME"],
            env["DEMO_PASSWORD"],
        )
        client = ApiClient(env["API_URL"], env["API_KEY"], id_token=token)
        rate = float(env.get("DEMO_SESSIONS_PER_SECOND", DEMO_SESSIONS_PER_SECOND))

        def shop() -> None:
            visits, accepted, rejected = run_shoppers(client, None, rate, self._stop)
            logger.info("shoppers stopped", visits=visits, accepted=accepted, rejected=rejected)

        self._thread = threading.Thread(target=shop, name="shoppers", daemon=True)
        self._thread.start()
        return {"DEMO_SESSIONS_PER_SECOND": str(rate)}

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
