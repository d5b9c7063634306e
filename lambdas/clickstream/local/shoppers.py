"""`make demo`'s simulated shoppers: a background thread posting visits to the local API.

At start it also loads the demo store's catalogue into dim_product (names, and the
products nobody looked at yet) and, in a second thread, sends DEMO_HISTORY_DAYS days of
past visits (default 14, DEMO_HISTORY_SESSIONS_PER_DAY a day) through the same API, so
the dashboard shows trends after the first ETL runs instead of a single day.
"""

from __future__ import annotations

import threading

import boto3

from clickstream.local.aws import sign_in
from clickstream.local.settings import StackSettings
from clickstream.observability import get_logger
from clickstream.simulation.catalog import DEMO_CATALOG_PATH
from clickstream.simulation.client import ApiClient, run_history, run_shoppers

logger = get_logger("shoppers")
DEMO_SESSIONS_PER_SECOND = 2.0
DEMO_HISTORY_DAYS = 14
DEMO_HISTORY_SESSIONS_PER_DAY = 30


class ShoppersComponent:
    name = "shoppers"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._history: threading.Thread | None = None

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
        products = self._load_catalog(env)
        days = int(env.get("DEMO_HISTORY_DAYS", DEMO_HISTORY_DAYS))
        per_day = int(env.get("DEMO_HISTORY_SESSIONS_PER_DAY", DEMO_HISTORY_SESSIONS_PER_DAY))
        if days > 0:
            self._history = threading.Thread(
                target=self._send_history, args=(client, days, per_day), name="history",
                daemon=True,
            )  # fmt: skip
            self._history.start()
        return {
            "DEMO_SESSIONS_PER_SECOND": str(rate),
            "DEMO_HISTORY_DAYS": str(days),
            "DEMO_CATALOG_PRODUCTS": str(products),
        }

    @staticmethod
    def _load_catalog(env: dict[str, str]) -> int:
        from clickstream.etl.catalog import load_file

        try:
            result = load_file(env["DATABASE_URL"], DEMO_CATALOG_PATH)
        except Exception:
            logger.exception("the demo catalogue was not loaded", path=str(DEMO_CATALOG_PATH))
            return 0
        logger.info(
            "demo catalogue loaded",
            products=result.products,
            inserted=result.inserted,
            updated=result.updated,
        )
        return result.products

    def _send_history(self, client: ApiClient, days: int, per_day: int) -> None:
        def progress(done: int, total: int, accepted: int, rejected: int) -> None:
            logger.info("demo history", visits=done, of=total, accepted=accepted, rejected=rejected)

        try:
            visits, accepted, rejected = run_history(
                client, days, per_day, stop=self._stop, progress=progress
            )
        except Exception:
            logger.exception("demo history failed")
            return
        logger.info("demo history sent", visits=visits, accepted=accepted, rejected=rejected)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        if self._history is not None:
            self._history.join(timeout=15)
