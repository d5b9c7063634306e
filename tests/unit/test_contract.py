"""The event contract: what the one JSON Schema file accepts and refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clickstream.contract import event_schema, validate_event
from tests.unit.conftest import sample_event


def with_changes(base: str, **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(sample_event(base))
    for dotted, value in changes.items():
        target = event
        *parents, leaf = dotted.split("__")
        for parent in parents:
            target = target.setdefault(parent, {})
        if value is ...:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return event


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(sample_event("proposal_purchase"), id="the proposal's example"),
        pytest.param(sample_event("direct_page_view"), id="minimal direct page view"),
        pytest.param(with_changes("direct_page_view", referrer=None), id="null referrer"),
        pytest.param(
            with_changes("proposal_purchase", geo={"country": None, "city": None}), id="null geo"
        ),
        pytest.param(with_changes("proposal_purchase", device=...), id="no device block"),
        pytest.param(with_changes("proposal_purchase", props={}), id="empty props"),
        pytest.param(
            with_changes("direct_page_view", event_type="engagement", engaged_ms=15000),
            id="engagement",
        ),
        pytest.param(
            with_changes(
                "direct_page_view",
                ecom={"list_id": "laptops", "items": [{"product_id": "sku-1", "position": 1}]},
            ),
            id="list impressions",
        ),
        pytest.param(
            with_changes("direct_page_view", event_type="checkout"), id="checkout without ecom"
        ),
    ],
)
def test_valid_events_are_accepted(event: dict[str, Any]) -> None:
    assert validate_event(event) == []


@pytest.mark.parametrize(
    ("event", "path_fragment"),
    [
        pytest.param(
            with_changes("direct_page_view", event_id=...), "event_id", id="missing event_id"
        ),
        pytest.param(
            with_changes("direct_page_view", event_id="not-a-uuid"), "event_id", id="bad uuid"
        ),
        pytest.param(
            with_changes("direct_page_view", event_type="hover"), "event_type", id="unknown type"
        ),
        pytest.param(with_changes("direct_page_view", ts="18/10/2025"), "ts", id="bad timestamp"),
        pytest.param(
            with_changes("direct_page_view", ts="2025-10-18T12:00:00"),
            "ts",
            id="timestamp without offset",
        ),
        pytest.param(
            with_changes("direct_page_view", page_url="javascript:alert(1)"),
            "page_url",
            id="non-http url",
        ),
        pytest.param(
            with_changes("direct_page_view", page_url="https://x/" + "a" * 3000),
            "page_url",
            id="url too long",
        ),
        pytest.param(
            with_changes("direct_page_view", colour="red"), "$", id="unknown top-level field"
        ),
        pytest.param(
            with_changes("proposal_purchase", ecom__price=-1), "price", id="negative price"
        ),
        pytest.param(with_changes("proposal_purchase", ecom__qty=0), "qty", id="zero quantity"),
        pytest.param(
            with_changes("proposal_purchase", ecom__qty="2"), "qty", id="quantity as string"
        ),
        pytest.param(
            with_changes("proposal_purchase", ecom__order_id=...),
            "order_id",
            id="purchase without order id",
        ),
        pytest.param(
            with_changes("proposal_purchase", ecom__currency="usd"),
            "currency",
            id="lower-case currency",
        ),
        pytest.param(
            with_changes("proposal_purchase", device__type="fridge"), "type", id="unknown device"
        ),
        pytest.param(
            with_changes("proposal_purchase", geo__country="Vietnam"),
            "country",
            id="country not ISO",
        ),
        pytest.param(
            with_changes("direct_page_view", event_type="search"),
            "props",
            id="search without query",
        ),
        pytest.param(
            with_changes("direct_page_view", event_type="engagement"),
            "engaged_ms",
            id="engagement without time",
        ),
        pytest.param(
            with_changes("direct_page_view", engaged_ms=10), "$", id="engaged time on a view"
        ),
        pytest.param(
            with_changes("direct_page_view", props={"nested": {"a": 1}}), "nested", id="nested prop"
        ),
        pytest.param(
            with_changes("direct_page_view", props={f"p{i}": i for i in range(21)}),
            "props",
            id="too many props",
        ),
        pytest.param(
            with_changes("direct_page_view", props={"note": "x" * 513}), "note", id="prop too long"
        ),
        pytest.param(
            with_changes("direct_page_view", anonymous_id="short"),
            "anonymous_id",
            id="anonymous id too short",
        ),
        pytest.param(
            with_changes("direct_page_view", user_id=123), "user_id", id="numeric user id"
        ),
    ],
)
def test_invalid_events_are_refused_with_the_offending_path(
    event: dict[str, Any], path_fragment: str
) -> None:
    problems = validate_event(event)
    assert problems, "the event should have been refused"
    assert any(path_fragment in f"{problem.path} {problem.message}" for problem in problems)


def test_every_string_in_the_schema_has_a_length_or_pattern_cap() -> None:
    def uncapped(node: Any, path: str) -> list[str]:
        found = []
        if isinstance(node, dict):
            types = node.get("type")
            is_string = types == "string" or (isinstance(types, list) and "string" in types)
            if (
                is_string
                and "maxLength" not in node
                and "enum" not in node
                and "pattern" not in node
            ):
                found.append(path)
            for key, child in node.items():
                found += uncapped(child, f"{path}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                found += uncapped(child, f"{path}/{index}")
        return found

    assert uncapped(event_schema(), "#") == []
