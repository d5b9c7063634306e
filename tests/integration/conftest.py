"""Real parts for the warehouse tests: a throwaway PostgreSQL cluster and a moto S3 server.

The cluster (initdb as the postgres user, since CI runs as root) starts once per
session with a migrated template database; every test gets a fresh copy of the
template, so tests never see each other's rows. moto runs as a real HTTP server
on 127.0.0.1 so that subprocesses (the SIGKILL test, the CLI) reach the same S3.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import psycopg2
import pytest
from moto.server import ThreadedMotoServer
from psycopg2 import sql

from clickstream.etl import migrations
from clickstream.etl.config import EtlSettings
from clickstream.etl.roles import (
    ETL_ROLE,
    LOCAL_PASSWORDS,
    OWNER_ROLE,
    READER_ROLE,
    bootstrap_database,
    database_url,
    grant_schema_usage,
)
from clickstream.local.postgres import LocalCluster
from clickstream.local.settings import LOOPBACK, free_port

TEMPLATE_DB = "clickstream_template"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    cluster = LocalCluster(free_port())
    cluster.start()
    try:
        bootstrap_database(cluster.superuser_url(), LOCAL_PASSWORDS, TEMPLATE_DB)
        conn = psycopg2.connect(
            database_url(OWNER_ROLE, LOCAL_PASSWORDS.owner, LOOPBACK, cluster.port, TEMPLATE_DB)
        )
        try:
            migrations.migrate_up(conn)
        finally:
            conn.close()
        yield cluster
    finally:
        cluster.stop()


@dataclass
class Warehouse:
    """One fresh, migrated database and the URLs of its three roles."""

    cluster: LocalCluster
    name: str

    def url(self, role: str = OWNER_ROLE) -> str:
        password = {
            OWNER_ROLE: LOCAL_PASSWORDS.owner,
            ETL_ROLE: LOCAL_PASSWORDS.etl,
            READER_ROLE: LOCAL_PASSWORDS.reader,
        }[role]
        return database_url(role, password, LOOPBACK, self.cluster.port, self.name)

    @property
    def owner_url(self) -> str:
        return self.url(OWNER_ROLE)

    @property
    def etl_url(self) -> str:
        return self.url(ETL_ROLE)

    @property
    def reader_url(self) -> str:
        return self.url(READER_ROLE)

    def query(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        conn = psycopg2.connect(self.owner_url)
        try:
            with conn.cursor() as cur:
                cur.execute("set time zone 'UTC'")
                cur.execute(statement, params)
                rows: list[tuple[Any, ...]] = cur.fetchall()
            return rows
        finally:
            conn.close()

    def scalar(self, statement: str, params: Any = None) -> Any:
        return self.query(statement, params)[0][0]


def create_database_from_template(cluster: LocalCluster, name: str) -> None:
    conn = psycopg2.connect(cluster.superuser_url())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("create database {} template {} owner {}").format(
                    sql.Identifier(name), sql.Identifier(TEMPLATE_DB), sql.Identifier(OWNER_ROLE)
                )
            )
            cur.execute(
                sql.SQL("grant connect, temporary on database {} to {}, {}").format(
                    sql.Identifier(name), sql.Identifier(ETL_ROLE), sql.Identifier(READER_ROLE)
                )
            )
    finally:
        conn.close()
    grant_schema_usage(cluster.superuser_url(name))


@pytest.fixture
def warehouse_db(pg_cluster: LocalCluster) -> Iterator[Warehouse]:
    name = "test_" + uuid.uuid4().hex[:12]
    create_database_from_template(pg_cluster, name)
    yield Warehouse(pg_cluster, name)
    conn = psycopg2.connect(pg_cluster.superuser_url())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
    finally:
        conn.close()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    endpoint = f"http://{LOOPBACK}:{port}"
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
        )
    }
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    try:
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def raw_bucket(moto_endpoint: str) -> tuple[Any, str]:
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = "clickstream-local-raw-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    return s3, bucket


@pytest.fixture
def etl_settings(warehouse_db: Warehouse, raw_bucket: tuple[Any, str]) -> EtlSettings:
    return EtlSettings(
        raw_bucket=raw_bucket[1],
        database_url=warehouse_db.etl_url,
        database_url_param=None,
        sns_topic_arn=None,
    )


@pytest.fixture
def run_etl(etl_settings: EtlSettings, raw_bucket: tuple[Any, str]) -> Any:
    """Run one ETL batch in-process against the test warehouse and S3; returns the summary."""
    from clickstream.etl import loader
    from clickstream.etl.dependencies import build_dependencies

    def run(mode: str = "run", now: Any = None, **request: Any) -> loader.RunSummary:
        deps = build_dependencies(etl_settings, s3=raw_bucket[0])
        if now is not None:
            deps.now = lambda: now
        return loader.run_etl(loader.RunRequest(mode=mode, **request), deps)

    return run


WAREHOUSE_FINGERPRINT_SQL = {
    "fact_events": "select md5(string_agg(t::text, '|' order by event_id)) from"
    " (select event_id, event_type, event_at, session_id, anonymous_id, product_id, price, qty,"
    " order_id, is_bot, props, impression_items from fact_events) as t",
    "fact_sessions": "select md5(string_agg(t::text, '|' order by session_id)) from"
    " (select session_id, session_date, started_at, ended_at, duration_ms, event_count,"
    " page_views, is_bounce, landing_page, exit_page, has_purchase, revenue, is_bot"
    " from fact_sessions) as t",
    **{
        table: f"select md5(string_agg(t::text, '|' order by t::text)) from {table} as t"
        for table in (
            "agg_traffic_daily",
            "agg_traffic_hourly",
            "agg_page_daily",
            "agg_page_transition_daily",
            "agg_funnel_daily",
            "agg_category_funnel_daily",
            "agg_product_daily",
            "agg_search_daily",
            "agg_acquisition_daily",
        )
    },
    "dim_product": "select md5(string_agg(t::text, '|' order by product_id)) from"
    " (select product_id, category, last_price, first_seen_at, last_seen_at from dim_product) t",
    "counts": "select (select count(*) from fact_events)::text || '/' ||"
    " (select count(*) from fact_sessions)::text",
}


def warehouse_fingerprint(db: Warehouse) -> dict[str, Any]:
    """Content hashes of every curated table: equal fingerprints = identical warehouse."""
    return {name: db.scalar(statement) for name, statement in WAREHOUSE_FINGERPRINT_SQL.items()}


@pytest.fixture
def second_warehouse(pg_cluster: LocalCluster) -> Iterator[Warehouse]:
    """Another fresh database, for 'identical to a clean run' comparisons."""
    name = "test_" + uuid.uuid4().hex[:12]
    create_database_from_template(pg_cluster, name)
    yield Warehouse(pg_cluster, name)
    conn = psycopg2.connect(pg_cluster.superuser_url())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
    finally:
        conn.close()


def run_against(
    db: Warehouse, s3: Any, bucket: str, now: Any, mode: str = "run", **options: Any
) -> Any:
    """One in-process ETL run against any test database (for clean-run comparisons)."""
    from clickstream.etl import loader
    from clickstream.etl.dependencies import build_dependencies

    settings = EtlSettings(
        raw_bucket=bucket, database_url=db.etl_url, database_url_param=None, sns_topic_arn=None
    )
    deps = build_dependencies(settings, s3=s3)
    deps.now = lambda: now
    return loader.run_etl(loader.RunRequest(mode=mode, **options), deps)


REPO_ROOT_FOR_TESTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def is_page_view(event: dict[str, Any]) -> bool:
    """docs/event-contract.md, computed apart from the ETL's SQL: product views and list
    impressions are `view` events too, but not page views."""
    ecom = event.get("ecom") or {}
    return event["event_type"] == "view" and "product_id" not in ecom and "items" not in ecom
