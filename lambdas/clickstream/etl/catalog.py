"""`clickstream catalog load FILE`: upsert the product catalogue into dim_product.

The file is CSV (header row) or JSON (an array of objects, or {"products": [...]}) with
`product_id` (or `id`, as the demo store's sdk/demo/catalog.json spells it), `name`,
`category` and `price`. The catalogue is authoritative for name, category and catalogue
price; products never seen in an event get a row too, so the dashboard's least-viewed
panel lists them with zero views. A bad file is refused as a whole with the row and the
reason; nothing is written then.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from psycopg2.extensions import connection

PRODUCT_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:/-]{1,64}$")  # as the event contract's
MAX_NAME_CHARS = 256
MAX_CATEGORY_CHARS = 128
MAX_PRICE = Decimal(10_000_000)
MAX_FILE_BYTES = 64 * 1024 * 1024


class CatalogError(ValueError):
    """The catalogue file cannot be loaded; the message names the file, row and reason."""


@dataclass(frozen=True)
class CatalogProduct:
    product_id: str
    name: str
    category: str | None
    price: Decimal | None


@dataclass(frozen=True)
class CatalogLoad:
    products: int
    inserted: int
    updated: int
    dates_requeued: int

    def as_dict(self) -> dict[str, int]:
        return {
            "products": self.products,
            "inserted": self.inserted,
            "updated": self.updated,
            "dates_requeued": self.dates_requeued,
        }


def _text(value: Any, field: str, where: str, limit: int, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CatalogError(f"{where}: {field} is missing")
        return None
    if not isinstance(value, str):
        raise CatalogError(f"{where}: {field} must be text, not {type(value).__name__}")
    value = value.strip()
    if "\x00" in value:
        raise CatalogError(f"{where}: {field} holds a NUL character")
    if len(value) > limit:
        raise CatalogError(f"{where}: {field} is longer than {limit} characters")
    return value


def _price(value: Any, where: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CatalogError(f"{where}: price must be a number")
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise CatalogError(f"{where}: price {value!r} is not a number") from error
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        raise CatalogError(f"{where}: price {value!r} must be between 0 and {MAX_PRICE}")
    return price


def _product(row: Any, where: str) -> CatalogProduct:
    if not isinstance(row, dict):
        raise CatalogError(f"{where}: expected an object with product_id, name, category, price")
    raw_id = row.get("product_id", row.get("id"))
    product_id = _text(raw_id, "product_id", where, 64, required=True)
    assert product_id is not None
    if not PRODUCT_ID_PATTERN.match(product_id):
        raise CatalogError(
            f"{where}: product_id {product_id!r} must be 1-64 of A-Z a-z 0-9 . _ : / -"
            " (as in events)"
        )
    name = _text(row.get("name"), "name", where, MAX_NAME_CHARS, required=True)
    assert name is not None
    category = _text(row.get("category"), "category", where, MAX_CATEGORY_CHARS, required=False)
    return CatalogProduct(product_id, name, category, _price(row.get("price"), where))


def parse_catalog(path: Path) -> list[CatalogProduct]:
    """Read and validate a CSV or JSON catalogue; raise CatalogError on anything wrong."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CatalogError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise CatalogError(f"{path}: cannot read ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path}: not UTF-8 text ({error.reason})") from error
    stripped = text.lstrip()
    if not stripped:
        raise CatalogError(f"{path}: the file is empty")
    is_json = path.suffix.lower() == ".json" or (
        path.suffix.lower() != ".csv" and stripped[0] in "[{"
    )
    rows: list[tuple[str, Any]]
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CatalogError(
                f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            ) from error
        if isinstance(data, dict) and isinstance(data.get("products"), list):
            data = data["products"]
        if not isinstance(data, list):
            raise CatalogError(
                f"{path}: JSON must be an array of products or {{'products': [...]}}"
            )
        rows = [(f"{path}: product {index + 1}", row) for index, row in enumerate(data)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        header = [name.strip() for name in (reader.fieldnames or [])]
        if not ({"product_id", "id"} & set(header)) or "name" not in header:
            raise CatalogError(
                f"{path}: the CSV header must name product_id (or id), name, category, price;"
                f" found {', '.join(header) or 'nothing'}"
            )
        reader.fieldnames = header
        rows = []
        for index, row in enumerate(reader):
            where = f"{path}: line {index + 2}"
            if None in row:
                raise CatalogError(f"{where}: more fields than the header names")
            rows.append((where, row))
    products = [_product(row, where) for where, row in rows]
    if not products:
        raise CatalogError(f"{path}: no products in the file")
    seen: set[str] = set()
    for (where, _), product in zip(rows, products, strict=True):
        if product.product_id in seen:
            raise CatalogError(f"{where}: product_id {product.product_id!r} appears twice")
        seen.add(product.product_id)
    return products


UPSERT_SQL = """
with incoming as (
    select * from unnest(%s::text[], %s::text[], %s::text[], %s::numeric[])
        as i(product_id, name, category, price)
),
before as (
    select d.product_id, d.category from dim_product as d
    inner join incoming as i on i.product_id = d.product_id
),
upserted as (
    insert into dim_product (product_id, name, category, catalog_price, last_price, in_catalog,
        catalog_updated_at)
    select product_id, name, category, price, price, true, now() from incoming
    on conflict (product_id) do update set
        name = excluded.name,
        category = coalesce(excluded.category, dim_product.category),
        catalog_price = excluded.catalog_price,
        last_price = coalesce(dim_product.last_price, excluded.catalog_price),
        in_catalog = true,
        catalog_updated_at = excluded.catalog_updated_at
    returning product_id, category, (xmax = 0) as inserted
),
-- Aggregates carry each product's category: re-queue the dates of products whose
-- category changed, so the next ETL run recomputes them.
requeued as (
    insert into etl_dirty_dates (date_day)
    select distinct a.date_day
    from agg_product_daily as a
    inner join upserted as u on u.product_id = a.product_id
    where a.category is distinct from coalesce(u.category, '(none)')
    on conflict do nothing
    returning date_day
)
select
    count(*) filter (where inserted),
    count(*) filter (where not inserted),
    (select count(*) from requeued)
from upserted
"""


def load_catalog(conn: connection, products: list[CatalogProduct]) -> CatalogLoad:
    """Upsert the products into dim_product in one transaction."""
    try:
        with conn.cursor() as cur:
            cur.execute(
                UPSERT_SQL,
                (
                    [p.product_id for p in products],
                    [p.name for p in products],
                    [p.category for p in products],
                    [p.price for p in products],
                ),
            )
            inserted, updated, requeued = cur.fetchone()
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return CatalogLoad(len(products), int(inserted), int(updated), int(requeued))


def load_file(database_url: str, path: Path) -> CatalogLoad:
    from clickstream.etl import bookkeeping

    products = parse_catalog(path)
    conn = bookkeeping.connect(database_url, application_name="clickstream-catalog")
    try:
        return load_catalog(conn, products)
    finally:
        conn.close()


def register(subparsers: argparse._SubParsersAction) -> None:
    catalog = subparsers.add_parser("catalog", help="the product catalogue (dim_product)")
    actions = catalog.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    load = actions.add_parser(
        "load", help="upsert products from a CSV or JSON file (product_id, name, category, price)"
    )
    load.add_argument("file", type=Path, help="catalogue file, .csv or .json")
    load.add_argument(
        "--state-dir", type=Path, default=Path(".local"), help="local stack state (stack.env)"
    )
    load.add_argument("--database-url", help="overrides DATABASE_URL")
    load.set_defaults(handler=_load)


def _load(args: argparse.Namespace) -> int:
    from clickstream.etl.bookkeeping import WarehouseUnavailable
    from clickstream.etl.commands import _environment
    from clickstream.etl.config import ConfigError, _ssm_secret

    env = _environment(args.state_dir)
    try:
        url = args.database_url or env.get("DATABASE_URL")
        if not url and env.get("DATABASE_URL_PARAM"):
            url = _ssm_secret(env["DATABASE_URL_PARAM"], None)
        if not url:
            raise ConfigError("set DATABASE_URL (or DATABASE_URL_PARAM) or pass --database-url")
        result = load_file(url, args.file)
    except (CatalogError, ConfigError, WarehouseUnavailable) as error:
        print(f"error: {error}")
        return 2 if not isinstance(error, WarehouseUnavailable) else 1
    print(json.dumps(result.as_dict(), indent=2))
    return 0
