"""The EventBridge schedule, locally: call the ETL handler in-process every N seconds.

Each firing sends the event EventBridge sends for a schedule, and a fake Lambda
context whose remaining time is the 15-minute Lambda limit, so the handler's time
budget logic runs as on AWS. Runs never overlap here (one thread); the advisory
lock is what protects against overlap on AWS.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from clickstream.local.alarms import timed_invocation
from clickstream.local.settings import StackSettings
from clickstream.observability import get_logger

if TYPE_CHECKING:  # imported when the component starts, not when the stack module loads
    from clickstream.etl.config import EtlSettings
    from clickstream.etl.reliability import ReliabilitySettings

logger = get_logger("local-scheduler")

LAMBDA_TIMEOUT_MS = 15 * 60 * 1000
ETL_FUNCTION_NAME = "clickstream-local-etl"  # local.alarms.local_names: AWS/Lambda metrics


def scheduled_event() -> dict[str, Any]:
    """What the EventBridge Scheduler target sends: its `input`, as terraform/modules/etl
    configures it (Scheduler delivers the input alone, without an event envelope)."""
    return {"source": "schedule"}


class FakeLambdaContext:
    function_name = "clickstream-local-etl"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:clickstream-local-etl"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + LAMBDA_TIMEOUT_MS / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class SchedulerComponent:
    name = "etl-scheduler"

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.runs = 0
        self.health: ReliabilitySettings | None = None

    def start(self, settings: StackSettings, env: dict[str, str]) -> dict[str, str]:
        from clickstream.etl.config import EtlSettings

        etl_env = dict(env)
        # The scheduled ETL runs as the least-privileged writer role, as on AWS.
        etl_env["DATABASE_URL"] = env.get("ETL_DATABASE_URL") or env["DATABASE_URL"]
        etl_settings = EtlSettings.from_env(etl_env)
        from clickstream.etl.reliability import ReliabilitySettings

        self.health = ReliabilitySettings.from_env(etl_env)
        interval = settings.etl_interval_seconds
        self.thread = threading.Thread(
            target=self._loop, args=(etl_settings, interval), daemon=True,
            name="etl-scheduler",
        )  # fmt: skip
        self.thread.start()
        return {"ETL_INTERVAL_SECONDS": str(interval)}

    def _loop(self, etl_settings: EtlSettings, interval: float) -> None:
        from clickstream.etl import loader
        from clickstream.etl.batch import run_batch
        from clickstream.etl.handler import request_from_event
        from clickstream.etl.run_metrics import metrics

        while not self.stopping.wait(interval):
            try:
                remaining_ms = FakeLambdaContext().get_remaining_time_in_millis
                timed_invocation(
                    ETL_FUNCTION_NAME, run_batch,
                    etl_settings, request_from_event(scheduled_event()), health=self.health,
                    time_left=lambda: remaining_ms() / 1000.0,  # noqa: B023 (called within)
                )  # fmt: skip
            except loader.EtlRunFailed as failure:
                logger.error("scheduled etl run failed", error=str(failure))
            except Exception:
                logger.exception("scheduled etl run crashed")
            finally:
                # What Lambda's @metrics.log_metrics does: print the run's EMF record
                # (the local stack's forwarder puts it into CloudWatch).
                metrics.flush_metrics()
            self.runs += 1

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            # A run in progress finishes (or its transaction is rolled back by the lock holder).
            self.thread.join(timeout=120)
            self.thread = None
