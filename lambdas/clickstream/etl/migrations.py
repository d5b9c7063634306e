"""Ordered, re-runnable SQL migrations (dbmate layout: `-- migrate:up` / `-- migrate:down`).

Files in sql/migrations are named `<timestamp>_<what>.sql`; each section runs in its
own transaction and `schema_migrations` records the applied versions, so running
`clickstream migrate` twice is a no-op. A session advisory lock keeps two migrators
from interleaving.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from psycopg2.extensions import connection

from clickstream.etl import locks
from clickstream.observability import get_logger

logger = get_logger("migrate")

UP_MARKER = "-- migrate:up"
DOWN_MARKER = "-- migrate:down"
FILE_PATTERN = re.compile(r"^(?P<version>\d{14})_(?P<name>[a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """A migration file is malformed or its SQL failed; the message names the file."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    up_sql: str
    down_sql: str


def migrations_dir() -> Path:
    override = os.environ.get("CLICKSTREAM_SQL_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "sql" / "migrations"


def parse_migration(path: Path) -> Migration:
    match = FILE_PATTERN.match(path.name)
    if not match:
        raise MigrationError(f"{path.name}: name must be <14-digit timestamp>_<snake_case>.sql")
    text = path.read_text(encoding="utf-8")
    if text.count(UP_MARKER) != 1 or text.count(DOWN_MARKER) != 1:
        raise MigrationError(f"{path.name}: needs exactly one {UP_MARKER} and one {DOWN_MARKER}")
    up_start = text.index(UP_MARKER) + len(UP_MARKER)
    down_start = text.index(DOWN_MARKER)
    if down_start < up_start:
        raise MigrationError(f"{path.name}: {DOWN_MARKER} must follow {UP_MARKER}")
    return Migration(
        version=match["version"],
        name=match["name"],
        up_sql=text[up_start:down_start].strip(),
        down_sql=text[down_start + len(DOWN_MARKER) :].strip(),
    )


def load_migrations(directory: Path | None = None) -> list[Migration]:
    directory = directory or migrations_dir()
    if not directory.is_dir():
        raise MigrationError(f"migrations directory {directory} does not exist")
    return [parse_migration(path) for path in sorted(directory.glob("*.sql"))]


def _ensure_table(conn: connection) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "create table if not exists schema_migrations ("
            " version text primary key, name text not null,"
            " applied_at timestamptz not null default now())"
        )
    conn.commit()


def applied_versions(conn: connection) -> list[str]:
    _ensure_table(conn)
    with conn.cursor() as cur:
        cur.execute("select version from schema_migrations order by version")
        return [row[0] for row in cur.fetchall()]


def migrate_up(conn: connection, directory: Path | None = None) -> list[str]:
    """Apply every pending migration in order; return the versions applied."""
    migrations = load_migrations(directory)
    conn.autocommit = False
    with conn.cursor() as cur:
        locks.lock_migrations(cur)
    conn.commit()
    try:
        done = set(applied_versions(conn))
        applied = []
        for migration in migrations:
            if migration.version in done:
                continue
            try:
                with conn.cursor() as cur:
                    cur.execute(migration.up_sql)
                    cur.execute(
                        "insert into schema_migrations (version, name) values (%s, %s)",
                        (migration.version, migration.name),
                    )
                conn.commit()
            except Exception as error:
                conn.rollback()
                raise MigrationError(
                    f"migration {migration.version}_{migration.name} failed: {error}".strip()
                ) from error
            logger.info("migration applied", version=migration.version, migration=migration.name)
            applied.append(migration.version)
        return applied
    finally:
        with conn.cursor() as cur:
            locks.unlock_migrations(cur)
        conn.commit()


def migrate_down(conn: connection, steps: int = 1, directory: Path | None = None) -> list[str]:
    """Revert the newest `steps` applied migrations; return the versions reverted."""
    by_version = {m.version: m for m in load_migrations(directory)}
    conn.autocommit = False
    reverted = []
    for version in reversed(applied_versions(conn)[-steps:] if steps > 0 else []):
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(f"applied migration {version} has no file to revert it")
        try:
            with conn.cursor() as cur:
                cur.execute(migration.down_sql)
                cur.execute("delete from schema_migrations where version = %s", (version,))
            conn.commit()
        except Exception as error:
            conn.rollback()
            raise MigrationError(f"reverting {version}_{migration.name} failed: {error}") from error
        logger.info("migration reverted", version=version, migration=migration.name)
        reverted.append(version)
    return reverted
