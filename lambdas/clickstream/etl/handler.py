"""ETL Lambda entry point (clickstream.etl.handler.lambda_handler): translates the
EventBridge event and the Lambda context into one batch.run_batch call.

Invoked by the EventBridge schedule (the local scheduler runs the same batch). The
event may carry {"mode": "backfill", "from": ..., "to": ...} or {"mode": "drain"} at
its top level or in `detail`; a plain scheduled event means mode "run".
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from clickstream.etl.batch import run_batch
from clickstream.etl.config import EtlSettings
from clickstream.etl.hours import parse_hour
from clickstream.etl.loader import RunRequest
from clickstream.etl.run_metrics import metrics
from clickstream.observability import get_logger

logger = get_logger("etl")


def request_from_event(event: Any) -> RunRequest:
    event = event if isinstance(event, dict) else {}
    detail = event.get("detail")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail) if detail.strip() else {}
        except json.JSONDecodeError:
            detail = {}
    options = {**(detail if isinstance(detail, dict) else {}), **event}
    mode = str(options.get("mode", "run"))
    scheduled = event.get("detail-type") == "Scheduled Event" or event.get("source") == "schedule"
    trigger = "schedule" if scheduled else "invoke"
    if mode == "backfill":
        return RunRequest(
            mode=mode,
            trigger=trigger,
            first_hour=parse_hour(str(options.get("from", ""))),
            last_hour=parse_hour(str(options.get("to", ""))),
        )
    return RunRequest(mode=mode, trigger=str(options.get("trigger", trigger)))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_batch(
        EtlSettings.from_env(),
        request_from_event(event),
        time_left=lambda: context.get_remaining_time_in_millis() / 1000.0,
    )
