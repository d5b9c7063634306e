"""The transformation SQL lives in clickstream/sql/*.sql: each file the ETL loads is
there, and the values the SQL spells out agree with the Python that shares them."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from clickstream.etl import aggregates, sessions, sql_files
from clickstream.etl.records import COPY_COLUMNS

LOADED = (
    "merge_staged_events",
    "upsert_touched_products",
    "rebuild_sessions",
    "hours_to_compact",
    *aggregates.REFRESH_FILES,
)


@pytest.mark.parametrize("name", LOADED)
def test_every_file_the_etl_loads_is_packaged_sql(name: str) -> None:
    text = sql_files.load(name)
    assert text.strip(), name
    assert re.search(r"^(insert|select|with|delete)\b", text, flags=re.M), name


def test_no_sql_file_is_left_unused() -> None:
    present = {p.name.removesuffix(".sql") for p in (files("clickstream") / "sql").iterdir()}
    assert present == set(LOADED)


def test_a_missing_file_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match=r"clickstream/sql/nope\.sql"):
        sql_files.load("nope")


def _columns(text: str, after: str) -> list[str]:
    body = text.split(after, 1)[1]
    inside = body[body.index("(") + 1 : body.index(")")]
    return [c.strip() for c in inside.split(",")]


def test_the_merge_inserts_exactly_the_copied_columns_in_both_lists() -> None:
    text = sql_files.load("merge_staged_events")
    assert _columns(text, "insert into fact_events") == list(COPY_COLUMNS)
    selected = text.split("select distinct on (event_id)", 1)[1].split("from etl_stage")[0]
    assert [c.strip() for c in selected.split(",")] == list(COPY_COLUMNS)


def _product_rule(text: str) -> str:
    clause = text.split("on conflict (product_id) do update set", 1)[1]
    return " ".join(clause.split(")\n\nselect")[0].split())


def test_both_product_upserts_apply_the_same_latest_category_and_price_rule() -> None:
    staged = _product_rule(sql_files.load("merge_staged_events"))
    direct = _product_rule(sql_files.load("upsert_touched_products"))
    assert staged == direct


def test_the_session_rebuild_counts_the_python_interactions() -> None:
    listed = ", ".join(f"'{name}'" for name in sessions.INTERACTIONS)
    assert f"e.event_type in ({listed})" in sql_files.load("rebuild_sessions")


def test_aggregates_spell_out_the_python_sentinels_and_hll_parameters() -> None:
    text = "\n".join(sql_files.load(name) for name in aggregates.REFRESH_FILES)
    for sentinel in (aggregates.UNKNOWN, aggregates.DIRECT, aggregates.NO_CATEGORY,
                     aggregates.NO_UTM, aggregates.EXIT):  # fmt: skip
        assert f"'{sentinel}'" in text, sentinel
    assert f"hll_empty({aggregates.HLL_PARAMS})" in text or aggregates.HLL_PARAMS in text
    assert f", {aggregates.SEARCH_TERM_MAX_CHARS})" in text
