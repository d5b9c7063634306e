"""`clickstream catalog load`: CSV and JSON catalogues upsert dim_product with names."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from clickstream.cli import main
from clickstream.etl.catalog import CatalogError, parse_catalog
from clickstream.simulation.catalog import DEMO_CATALOG_PATH, load_catalog
from clickstream.simulation.raw import SyntheticShop, write_objects
from tests.integration.test_dashboard_aggregates import panel

START = datetime(2026, 11, 20, 8, tzinfo=UTC)


def products(db) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in db.query(
            "select product_id, name, category, catalog_price, in_catalog, first_seen_at"
            " from dim_product"
        )
    }


def test_csv_then_json_upsert_names_categories_and_prices(warehouse_db, tmp_path, capsys):
    csv_file = tmp_path / "catalog.csv"
    csv_file.write_text(
        "product_id,name,category,price\n"
        'sku-1,"Desk lamp, LED",Lighting,19.90\n'
        "sku-2,Chair,Furniture,\n",
        encoding="utf-8",
    )
    assert main(["catalog", "load", str(csv_file), "--database-url", warehouse_db.etl_url]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "products": 2, "inserted": 2, "updated": 0, "dates_requeued": 0,
    }  # fmt: skip
    assert products(warehouse_db) == {
        "sku-1": ("Desk lamp, LED", "Lighting", Decimal("19.90"), True, None),
        "sku-2": ("Chair", "Furniture", None, True, None),
    }

    json_file = tmp_path / "catalog.json"
    json_file.write_text(
        json.dumps(
            [
                {"id": "sku-2", "name": "Office chair", "category": "Furniture", "price": 149},
                {"product_id": "sku-3", "name": "Rug", "category": None, "price": 80.5},
            ]
        ),
        encoding="utf-8",
    )
    assert main(["catalog", "load", str(json_file), "--database-url", warehouse_db.etl_url]) == 0
    assert json.loads(capsys.readouterr().out)["updated"] == 1
    loaded = products(warehouse_db)
    assert loaded["sku-2"] == ("Office chair", "Furniture", Decimal("149"), True, None)
    assert loaded["sku-3"] == ("Rug", None, Decimal("80.5"), True, None)
    assert loaded["sku-1"][0] == "Desk lamp, LED"  # untouched by a file that omits it


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "the file is empty"),
        ("header.csv", "sku,title\nx,y\n", "header must name product_id"),
        (
            "noname.csv",
            "product_id,name,category,price\nsku-1,,Toys,3\n",
            "line 2: name is missing",
        ),
        (
            "price.csv",
            "product_id,name,category,price\nsku-1,Toy,Toys,cheap\n",
            "'cheap' is not a number",
        ),
        ("negative.json", '[{"id": "sku-1", "name": "Toy", "price": -1}]', "must be between 0"),
        ("twice.json", '[{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]', "appears twice"),
        ("badid.json", '[{"id": "a b", "name": "A"}]', "product_id 'a b' must be"),
        ("broken.json", '[{"id": "a", ', "invalid JSON at line 1"),
        ("object.json", '{"id": "a"}', "must be an array"),
        ("extra.csv", "product_id,name\nsku-1,Toy,surplus\n", "more fields than the header"),
    ],
)
def test_bad_files_are_refused_with_the_reason_and_nothing_is_written(
    warehouse_db, tmp_path, capsys, name, content, message
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        parse_catalog(path)
    assert main(["catalog", "load", str(path), "--database-url", warehouse_db.etl_url]) == 2
    output = capsys.readouterr().out
    assert output.startswith("error: ") and message.split("'")[0] in output
    assert warehouse_db.scalar("select count(*) from dim_product") == 0


def test_missing_file_is_a_clear_error(warehouse_db, tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    assert main(["catalog", "load", str(missing), "--database-url", warehouse_db.etl_url]) == 2
    assert "cannot read" in capsys.readouterr().out


def test_the_demo_catalogue_names_the_shoppers_products_and_unseen_ones_show_zero_views(
    warehouse_db, raw_bucket, run_etl, capsys
):
    # Given the simulated shoppers' events, minus every session that touched one product
    s3, bucket = raw_bucket
    demo = load_catalog()
    unseen = demo[-1]
    records = list(SyntheticShop(seed=5).events(600, START, timedelta(hours=2)))
    touched = {r["session_id"] for r in records if unseen.product_id in json.dumps(r)}
    write_objects(s3, bucket, [r for r in records if r["session_id"] not in touched])
    run_etl(now=START + timedelta(hours=4))
    seen = {row[0] for row in warehouse_db.query("select product_id from dim_product")}
    # The shoppers browse the demo store's catalogue, nothing else
    assert len(seen) > 2 and seen <= {p.product_id for p in demo} - {unseen.product_id}

    # When the demo store's catalogue is loaded
    assert (
        main(["catalog", "load", str(DEMO_CATALOG_PATH), "--database-url", warehouse_db.etl_url])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert (result["inserted"], result["products"]) == (len(demo) - len(seen), len(demo))

    # Then every catalogue product is listed by the least-viewed panel with its name,
    # the unseen one at 0 views
    rows = panel(warehouse_db, "product_least_viewed", date_from=START.date(), date_to=START.date())
    by_id = {r["product_id"]: r for r in rows}
    assert set(by_id) == {p.product_id for p in demo}
    assert by_id[unseen.product_id]["views"] == 0
    assert all(by_id[p.product_id]["product_name"] == p.name for p in demo)
    assert all(by_id[p.product_id]["in_catalog"] is True for p in demo)
    assert [r["views"] for r in rows] == sorted(r["views"] for r in rows)


def test_a_category_change_requeues_the_products_dates(
    warehouse_db, raw_bucket, run_etl, tmp_path, capsys
):
    s3, bucket = raw_bucket
    write_objects(s3, bucket, SyntheticShop(seed=6).events(600, START, timedelta(hours=2)))
    run_etl(now=START + timedelta(hours=4))
    product = warehouse_db.scalar(
        "select product_id from agg_product_daily where views > 0 limit 1"
    )
    path = tmp_path / "c.json"
    path.write_text(json.dumps([{"id": product, "name": "Renamed", "category": "Clearance"}]))
    assert main(["catalog", "load", str(path), "--database-url", warehouse_db.etl_url]) == 0
    assert json.loads(capsys.readouterr().out)["dates_requeued"] == 1
    run_etl(now=START + timedelta(hours=5))
    assert warehouse_db.query(
        "select distinct category from agg_product_daily where product_id = %s", (product,)
    ) == [("Clearance",)]
