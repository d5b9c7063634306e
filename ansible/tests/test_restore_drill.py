"""Restore drill: back up, write more rows, restore to a scratch cluster at a point in
time between the two batches, and compare counts.

Exercises exactly what docs/warehouse-host.md tells an operator to run: pgBackRest's
`restore --type=time` into another directory, replaying WAL from the repository.
The scratch cluster listens on a socket in its own directory only (no TCP port) and
is stopped and removed afterwards; the warehouse cluster is never touched.
"""

from __future__ import annotations

import shlex
import tempfile
import time
from pathlib import Path
from typing import Any

from conftest import PG_PORT, STANZA, as_postgres

PG_BIN = "/usr/lib/postgresql/15/bin"
DRILL_DB = "restore_drill"
SCRATCH_PORT = 5999  # only names the socket file inside the scratch directory


def _sql(
    host: Any,
    sql: str,
    port: int = PG_PORT,
    socket_dir: str = "/var/run/postgresql",
    db: str = DRILL_DB,
) -> str:
    out = as_postgres(
        host,
        f"psql -X -v ON_ERROR_STOP=1 -h {socket_dir} -p {port} -d {db} -Atc {shlex.quote(sql)}",
    )
    assert out.rc == 0, out.stderr
    return str(out.stdout).strip()


def _ok(host: Any, command: str) -> str:
    out = as_postgres(host, command)
    assert out.rc == 0, f"{command}\n{out.stdout}\n{out.stderr}"
    return str(out.stdout)


def test_point_in_time_restore_to_a_scratch_cluster(host: Any) -> None:
    # Given a table with a first batch, and a backup holding it
    _sql(host, f"drop database if exists {DRILL_DB}", db="postgres")
    _sql(host, f"create database {DRILL_DB}", db="postgres")
    _sql(host, "create table drill (id bigint generated always as identity, batch text not null)")
    _sql(host, "insert into drill (batch) select 'in_backup' from generate_series(1, 100)")
    _ok(host, f"pgbackrest --stanza={STANZA} --type=incr backup")

    # When more rows are written, a point in time noted, and more rows written after it
    _sql(host, "insert into drill (batch) select 'after_backup' from generate_series(1, 50)")
    time.sleep(1.1)
    target = _sql(host, "select now()::text")
    time.sleep(1.1)
    _sql(host, "insert into drill (batch) select 'after_target' from generate_series(1, 70)")
    # `check` switches WAL and waits until the segment is in the repository.
    _ok(host, f"pgbackrest --stanza={STANZA} check")

    scratch = Path(tempfile.mkdtemp(prefix="restore-drill-", dir="/var/lib/postgresql"))
    data = scratch / "data"
    assert host.run(f"chown postgres:postgres {scratch}").rc == 0
    try:
        # ... and the backup is restored to the scratch directory up to that time
        _ok(
            host,
            f"pgbackrest --stanza={STANZA} --pg1-path={data} --type=time "
            f"--target={shlex.quote(target)} --target-action=promote --archive-mode=off restore",
        )
        # Debian keeps the configuration in /etc: the scratch cluster gets its own.
        _ok(
            host,
            f"printf '%s\\n' \"port = {SCRATCH_PORT}\" \"listen_addresses = ''\" "
            f'"unix_socket_directories = \'{scratch}\'" "shared_buffers = 32MB" '
            f'"archive_mode = off" "ssl = off" > {data}/postgresql.conf && '
            f"printf 'local all postgres peer\\n' > {data}/pg_hba.conf && "
            f"touch {data}/pg_ident.conf",
        )
        _ok(host, f"{PG_BIN}/pg_ctl -D {data} -l {scratch}/log -w -t 180 start")
        # Then, once promoted, it holds the backup and the rows written before the target only
        deadline = time.monotonic() + 120
        while _sql(host, "select pg_is_in_recovery()", SCRATCH_PORT, str(scratch)) != "f":
            assert time.monotonic() < deadline, "scratch cluster never finished recovery"
            time.sleep(1)
        restored = _sql(
            host,
            "select batch, count(*) from drill group by batch order by batch",
            SCRATCH_PORT,
            str(scratch),
        )
        assert restored.splitlines() == ["after_backup|50", "in_backup|100"]
        # while the warehouse cluster kept everything
        live = _sql(host, "select count(*) from drill")
        assert live == "220"
    finally:
        as_postgres(host, f"{PG_BIN}/pg_ctl -D {data} -m fast -w stop")
        host.run(f"rm -rf {scratch}")
        _sql(host, f"drop database if exists {DRILL_DB}", db="postgres")
