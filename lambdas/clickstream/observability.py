"""Structured JSON logging and CloudWatch EMF metrics, built once per process.

Powertools writes one JSON object per log line and flushes metrics as EMF on
stdout; CloudWatch turns both into searchable logs and metrics without an
agent, and locally they are readable as they are.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

METRICS_NAMESPACE = os.environ.get("METRICS_NAMESPACE", "Clickstream")


def get_logger(service: str) -> Logger:
    return Logger(service=service, level=os.environ.get("LOG_LEVEL", "INFO"))


def get_metrics(service: str) -> Metrics:
    return Metrics(namespace=METRICS_NAMESPACE, service=service)
