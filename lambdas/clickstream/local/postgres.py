"""A throwaway PostgreSQL cluster on 127.0.0.1 for the local stack and the tests.

initdb and pg_ctl refuse to run as root, so as root they run through
`runuser -u postgres --`, and the cluster lives in a fresh directory owned by
postgres (the stack's state dir may sit under a 0700 root directory that the
postgres user cannot traverse).

pg_ctl detaches the server from the stack's process, so a stack that dies without
stopping it (SIGKILL, a crash) would leave it running. The stack's cluster is
therefore recorded in `<state dir>/postgres.cluster` while it exists, and the next
`clickstream up` with that state dir stops whatever the record still names.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import psycopg2

from clickstream.etl import migrations
from clickstream.etl.roles import (
    DEFAULT_DATABASE,
    ETL_ROLE,
    LOCAL_PASSWORDS,
    OWNER_ROLE,
    READER_ROLE,
    bootstrap_database,
    database_url,
)
from clickstream.local.settings import LOOPBACK, StackSettings
from clickstream.observability import get_logger

logger = get_logger("local-postgres")

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "local-only-superuser-password"  # noqa: S105 - loopback-only throwaway cluster
SERVICE_USER = "postgres"
CLUSTER_DIR_PREFIX = "clickstream-pg-"
CLUSTER_RECORD = "postgres.cluster"


def pg_bin_dir() -> Path:
    override = os.environ.get("PG_BIN_DIR")
    candidates = [override] if override else []
    candidates += list(PG_BIN_CANDIDATES)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL binaries not found: install the postgresql package (make apt)")


def _as_service_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVICE_USER, "--", *command]
    return command


class LocalCluster:
    """initdb + pg_ctl start on 127.0.0.1:<port>; `stop()` removes every trace."""

    def __init__(self, port: int, fast_unsafe: bool = True) -> None:
        self.port = port
        self.fast_unsafe = fast_unsafe
        self.base_dir: Path | None = None

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "data"

    def superuser_url(self, database: str = "postgres") -> str:
        return database_url(SUPERUSER, SUPERUSER_PASSWORD, LOOPBACK, self.port, database)

    def start(self, on_created: Callable[[LocalCluster], None] | None = None) -> None:
        """initdb + start. `on_created` runs once the directory exists, before any
        server can: the moment after which this cluster may outlive its owner."""
        bin_dir = pg_bin_dir()
        self.base_dir = Path(tempfile.mkdtemp(prefix=CLUSTER_DIR_PREFIX))
        if on_created is not None:
            on_created(self)
        password_file = self.base_dir / "superuser.pw"
        password_file.write_text(SUPERUSER_PASSWORD + "\n", encoding="utf-8")
        if os.geteuid() == 0:
            shutil.chown(self.base_dir, SERVICE_USER, SERVICE_USER)
            shutil.chown(password_file, SERVICE_USER, SERVICE_USER)
        self._run(
            [
                str(bin_dir / "initdb"),
                "-D", str(self.data_dir),
                "-U", SUPERUSER,
                "--pwfile", str(password_file),
                "--auth", "scram-sha-256",
                "-E", "UTF8",
                "--locale", "C",
                "--no-instructions",
            ]
        )  # fmt: skip
        password_file.unlink()
        self._start_server()
        logger.info("postgres started", port=self.port, data_dir=str(self.data_dir))

    def _start_server(self) -> None:
        assert self.base_dir is not None
        options = [
            f"-c listen_addresses={LOOPBACK}",
            f"-p {self.port}",
            f"-c unix_socket_directories={self.data_dir}",
            "-c max_connections=60",
        ]
        if self.fast_unsafe:
            # A throwaway cluster: durability buys nothing, speed buys faster tests.
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            [
                str(pg_bin_dir() / "pg_ctl"), "-D", str(self.data_dir),
                "-l", str(self.base_dir / "log"), "-o", " ".join(options),
                "-w", "-t", "60", "start",
            ]
        )  # fmt: skip

    def stop(self) -> None:
        if self.base_dir is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            self._run(
                [
                    str(pg_bin_dir() / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ],
                check=False,
            )
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None

    def halt(self) -> None:
        """Stop the server but keep its data, to simulate a dead database."""
        self._run(
            [str(pg_bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]
        )

    def resume(self) -> None:
        self._start_server()

    def log_tail(self) -> str:
        log = self.base_dir / "log" if self.base_dir else None
        return log.read_text(errors="replace")[-3000:] if log and log.exists() else ""

    def _run(self, command: list[str], check: bool = True) -> None:
        result = subprocess.run(  # noqa: S603 - fixed binaries, no shell
            _as_service_user(command), capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{Path(command[0]).name} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}\n{self.log_tail()}"
            )


def provision_warehouse(cluster: LocalCluster, database: str = DEFAULT_DATABASE) -> dict[str, str]:
    """Create roles and database, apply the migrations; return the three role URLs."""
    bootstrap_database(cluster.superuser_url(), LOCAL_PASSWORDS, database)
    urls = {
        "DATABASE_URL": database_url(
            OWNER_ROLE, LOCAL_PASSWORDS.owner, LOOPBACK, cluster.port, database
        ),
        "ETL_DATABASE_URL": database_url(
            ETL_ROLE, LOCAL_PASSWORDS.etl, LOOPBACK, cluster.port, database
        ),
        "DASHBOARD_DATABASE_URL": database_url(
            READER_ROLE, LOCAL_PASSWORDS.reader, LOOPBACK, cluster.port, database
        ),
    }
    conn = psycopg2.connect(urls["DATABASE_URL"])
    try:
        migrations.migrate_up(conn)
    finally:
        conn.close()
    return urls


class StackAlreadyRunning(RuntimeError):
    """Another live stack owns the cluster recorded in this state dir."""


def process_alive(pid: int) -> bool:
    """True while `pid` runs. A zombie (exited, not yet reaped: common under a container
    init that does not reap) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _is_stack_process(pid: int) -> bool:
    """A live `clickstream up` (`python -m clickstream.cli up` or the console script),
    not a process that happens to have the recorded pid now."""
    if pid == os.getpid() or not process_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # alive, and nothing proves it is someone else: do not touch its cluster
    args = cmdline.split(b"\0")
    names_clickstream = any(
        a == b"clickstream.cli" or Path(os.fsdecode(a)).name == "clickstream" for a in args
    )
    return names_clickstream and b"up" in args


def record_cluster(state_dir: Path, cluster: LocalCluster) -> None:
    """Name the cluster in the state dir before it can outlive this process."""
    assert cluster.base_dir is not None
    record = state_dir / CLUSTER_RECORD
    record.parent.mkdir(parents=True, exist_ok=True)
    tmp = record.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"base_dir": str(cluster.base_dir), "port": cluster.port, "pid": os.getpid()}),
        encoding="utf-8",
    )
    tmp.replace(record)


def forget_cluster(state_dir: Path) -> None:
    (state_dir / CLUSTER_RECORD).unlink(missing_ok=True)


def stop_stale_cluster(state_dir: Path) -> Path | None:
    """Stop and remove the cluster a dead stack left behind in `state_dir`; return its
    directory, or None when there was none. Refuses while the recording stack lives."""
    record = state_dir / CLUSTER_RECORD
    if not record.exists():
        return None
    try:
        info = json.loads(record.read_text(encoding="utf-8"))
        base_dir = Path(str(info["base_dir"]))
        port = int(info["port"])
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RuntimeError(f"{record} is unreadable ({error}); remove it by hand") from error
    if _is_stack_process(pid):
        raise StackAlreadyRunning(
            f"a local stack (pid {pid}) is still running with state dir {state_dir}; "
            "stop it first (Ctrl-C or kill -TERM), or use another --state-dir"
        )
    # Only ever a directory this module created: the record is a file anyone can edit.
    temp_root = Path(tempfile.gettempdir()).resolve()
    if base_dir.resolve().parent != temp_root or not base_dir.name.startswith(CLUSTER_DIR_PREFIX):
        raise RuntimeError(
            f"{record} names {base_dir}, not a local-stack cluster; remove it by hand"
        )
    stale = LocalCluster(port)
    stale.base_dir = base_dir
    if base_dir.exists():
        logger.warning(
            "stopping the PostgreSQL cluster a previous stack left running",
            data_dir=str(stale.data_dir),
            port=port,
            stack_pid=pid,
        )
        stale.stop()
    record.unlink(missing_ok=True)
    return base_dir


class PostgresComponent:
    """Local-stack component: a migrated warehouse on 127.0.0.1:settings.pg_port."""

    name = "postgres"

    def __init__(self) -> None:
        self.cluster: LocalCluster | None = None
        self.state_dir: Path | None = None

    def start(self, settings: StackSettings, env: dict[str, str]) -> dict[str, str]:
        self.state_dir = settings.state_dir
        stop_stale_cluster(settings.state_dir)
        self.cluster = LocalCluster(settings.pg_port)
        try:
            self.cluster.start(on_created=lambda c: record_cluster(settings.state_dir, c))
            urls = provision_warehouse(self.cluster)
        except BaseException:
            # The stack only stops components that started; this one must clean up itself.
            self.stop()
            raise
        return {
            **urls,
            "PG_PORT": str(settings.pg_port),
            "PG_DATA_DIR": str(self.cluster.data_dir),
            "PG_DATABASE": quote(DEFAULT_DATABASE),
        }

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
        if self.state_dir is not None:
            forget_cluster(self.state_dir)
