"""Database and role bootstrap: the owner, the ETL writer and the read-only dashboard reader.

Roles are cluster-wide and need a superuser (or CREATEROLE), so they are created here,
once per cluster, and not by the migrations, which run as the database owner and only
grant privileges to these roles. Production runs the same statements from Ansible.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import cursor

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


def scram_verifier_matches(verifier: str | None, password: str) -> bool:
    """True when a pg_authid SCRAM-SHA-256 verifier was made from `password`.

    Lets the bootstrap leave a role alone when its password is already right: `alter
    role ... password` salts anew each time, so re-setting it would look like a change
    on every Ansible run.
    """
    if not verifier or not verifier.startswith("SCRAM-SHA-256$"):
        return False
    try:
        header, keys = verifier[len("SCRAM-SHA-256$") :].split("$", 1)
        iterations, salt = header.split(":", 1)
        stored_key, server_key = keys.split(":", 1)
        salted = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), base64.b64decode(salt), int(iterations)
        )
    except (ValueError, TypeError):
        return False
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    expected_stored = base64.b64encode(hashlib.sha256(client_key).digest()).decode()
    expected_server = base64.b64encode(hmac.new(salted, b"Server Key", "sha256").digest()).decode()
    return hmac.compare_digest(expected_stored, stored_key) and hmac.compare_digest(
        expected_server, server_key
    )


def _ensure_role(cur: cursor, role: str, password: str) -> None:
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    exists = cur.fetchone() is not None
    if exists:
        # pg_authid is readable by superusers only; a CREATEROLE bootstrap just re-sets.
        cur.execute("select rolsuper from pg_roles where rolname = current_user")
        if cur.fetchone()[0]:
            cur.execute(
                "select rolpassword, rolcanlogin from pg_authid where rolname = %s", (role,)
            )
            verifier, can_login = cur.fetchone()
            if can_login and scram_verifier_matches(verifier, password):
                return
    verb = "alter" if exists else "create"
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
    grant_schema_usage(_with_database(superuser_dsn, database))


def _with_database(dsn: str, database: str) -> str:
    """The same DSN (URL form, query string kept) pointing at `database`."""
    base, _, query = dsn.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + quote(database)
    return f"{base}?{query}" if query else base


def cluster_state(superuser_dsn: str, database: str = DEFAULT_DATABASE) -> dict[str, Any]:
    """What the bootstrap sets, read back: compared before and after to report a change."""
    conn = psycopg2.connect(superuser_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select rolname, rolpassword, rolcanlogin, rolsuper, rolcreaterole,"
                " rolcreatedb from pg_authid where rolname = any(%s) order by rolname",
                ([OWNER_ROLE, ETL_ROLE, READER_ROLE],),
            )
            roles = [list(row) for row in cur.fetchall()]
            cur.execute(
                "select pg_get_userbyid(datdba), datacl::text from pg_database where datname = %s",
                (database,),
            )
            row = cur.fetchone()
    finally:
        conn.close()
    state: dict[str, Any] = {"roles": roles, "database": list(row) if row else None}
    if row:
        conn = psycopg2.connect(_with_database(superuser_dsn, database))
        try:
            with conn.cursor() as cur:
                cur.execute("select nspacl::text from pg_namespace where nspname = 'public'")
                state["schema_acl"] = cur.fetchone()
                cur.execute("select extname, extversion from pg_extension order by extname")
                state["extensions"] = [list(r) for r in cur.fetchall()]
        finally:
            conn.close()
    return state


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
