"""Database and role bootstrap: the owner, the ETL writer and the read-only dashboard reader.

Roles are cluster-wide and need a superuser (or CREATEROLE), so they are created here,
once per cluster, and not by the migrations, which run as the database owner and only
grant privileges to these roles. Production runs the same statements from Ansible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import psycopg2
from psycopg2 import sql

OWNER_ROLE = "clickstream_owner"
ETL_ROLE = "clickstream_etl"
READER_ROLE = "clickstream_reader"
DEFAULT_DATABASE = "clickstream"


@dataclass(frozen=True)
class RolePasswords:
    owner: str
    etl: str
    reader: str


# Obviously local: the throwaway cluster only listens on 127.0.0.1.
LOCAL_PASSWORDS = RolePasswords(
    owner="local-only-owner-password",
    etl="local-only-etl-password",
    reader="local-only-reader-password",
)


def database_url(role: str, password: str, host: str, port: int, database: str) -> str:
    return f"postgresql://{quote(role)}:{quote(password, safe='')}@{host}:{port}/{quote(database)}"


def _ensure_role(cur: Any, role: str, password: str) -> None:
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    verb = "alter" if cur.fetchone() else "create"
    cur.execute(
        sql.SQL(verb + " role {} login password %s").format(sql.Identifier(role)), (password,)
    )


def bootstrap_database(
    superuser_dsn: str, passwords: RolePasswords, database: str = DEFAULT_DATABASE
) -> None:
    """Create (or update) the three roles and the database owned by the owner role."""
    conn = psycopg2.connect(superuser_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            _ensure_role(cur, OWNER_ROLE, passwords.owner)
            _ensure_role(cur, ETL_ROLE, passwords.etl)
            _ensure_role(cur, READER_ROLE, passwords.reader)
            cur.execute("select 1 from pg_database where datname = %s", (database,))
            if not cur.fetchone():
                cur.execute(
                    sql.SQL("create database {} owner {}").format(
                        sql.Identifier(database), sql.Identifier(OWNER_ROLE)
                    )
                )
            cur.execute(
                sql.SQL("revoke all on database {} from public").format(sql.Identifier(database))
            )
            cur.execute(
                sql.SQL("grant connect, temporary on database {} to {}, {}").format(
                    sql.Identifier(database), sql.Identifier(ETL_ROLE), sql.Identifier(READER_ROLE)
                )
            )
    finally:
        conn.close()
    grant_schema_usage(superuser_dsn.rsplit("/", 1)[0] + "/" + quote(database))


def grant_schema_usage(database_dsn: str) -> None:
    """As a superuser, inside the database: schema grants and the extensions it needs."""
    conn = psycopg2.connect(database_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("grant usage on schema public to {}, {}").format(
                    sql.Identifier(ETL_ROLE), sql.Identifier(READER_ROLE)
                )
            )
            cur.execute("revoke create on schema public from public")
            # HyperLogLog sketches for unique visitors over any date range (the dashboard
            # aggregates); not a trusted extension, so only a superuser can create it.
            cur.execute("create extension if not exists hll")
    finally:
        conn.close()
