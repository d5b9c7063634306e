"""The shared alarm definitions resolve everywhere, and EMF records become metric data."""

from __future__ import annotations

import re

from clickstream.local.alarms import (
    COMPARISONS,
    DEFINITIONS_PATH,
    emf_metric_data,
    load_definitions,
    local_names,
    resolve,
)

ALARMS_TF = DEFINITIONS_PATH.parent / "alarms.tf"


def referenced_variables() -> set[str]:
    return {
        value.removeprefix("var.")
        for spec in load_definitions().values()
        for value in spec["dimensions"].values()
        if value.startswith("var.")
    }


def test_every_variable_a_definition_names_resolves_in_terraform_and_locally() -> None:
    block = ALARMS_TF.read_text().split("dimension_values = {")[1].split("}")[0]
    in_terraform = set(re.findall(r"(\w+)\s*=\s*var\.\1\b", block))
    assert referenced_variables() <= in_terraform
    names = local_names({"DLQ_URL": "http://x/000/q-dlq"})
    for spec in load_definitions().values():
        resolved = resolve(spec, names, "Clickstream")
        assert not any(v.startswith("var.") for v in resolved["dimensions"].values())
    assert resolve(load_definitions()["ingest-dlq-depth"], names, "X")["dimensions"] == {
        "QueueName": "q-dlq"
    }
    assert resolve(load_definitions()["etl-failed"], names, "Clickstream")["namespace"] == (
        "Clickstream"
    )


def test_every_definition_is_complete_and_evaluable() -> None:
    definitions = load_definitions()
    assert {"etl-failed", "ingest-dlq-depth", "ingest-parking-depth"} <= set(definitions)
    for spec in definitions.values():
        assert spec["comparison_operator"] in COMPARISONS
        assert spec["treat_missing_data"] in {"notBreaching", "breaching"}
        # Minimum: Firehose's DeliveryToS3.Success ratio (raw-buffer-delivery-failures).
        assert spec["statistic"] in {"Sum", "Maximum", "Minimum"} and spec["period"] >= 60


def test_a_powertools_emf_record_becomes_metric_data_per_dimension_set() -> None:
    record = {
        "_aws": {
            "Timestamp": 1764600000000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Clickstream",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": "EtlFailed", "Unit": "Count"}],
                }
            ],
        },
        "service": "etl",
        "EtlFailed": [1.0],
    }
    [(namespace, data)] = emf_metric_data(record)
    assert namespace == "Clickstream"
    assert data[0]["MetricName"] == "EtlFailed" and data[0]["Value"] == 1.0
    assert data[0]["Dimensions"] == [{"Name": "service", "Value": "etl"}]
    assert emf_metric_data({"level": "INFO", "message": "not emf"}) == []
