"""The warehouse host as the playbook left it (local inventory): packages, PostgreSQL
(addresses, TLS, pg_hba, roles and grants), Nginx and the dashboard, backups,
maintenance, units, and secrets that nobody else can read."""

from __future__ import annotations

import socket
import ssl
import stat
import urllib.request
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import errors

from conftest import LOCAL_VARS, NGINX, PG_PORT, STANZA, as_postgres, connect

PG_CONF_DIR = Path("/etc/postgresql/15/main")


def _tls_context() -> ssl.SSLContext:
    # The host's certificate is self-signed (the AWS front door re-encrypts to it).
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _get(path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(NGINX + path, context=_tls_context(), timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# ---- packages and base -------------------------------------------------------------


@pytest.mark.parametrize(
    "package",
    [
        "postgresql-15",
        "postgresql-15-hll",
        "pgbackrest",
        "nginx",
        "r-base-core",
        "r-cran-shiny",
        "chrony",
        "unattended-upgrades",
    ],
)
def test_package_is_installed(host: Any, package: str) -> None:
    assert host.package(package).is_installed


def test_unattended_security_upgrades_are_enabled(host: Any) -> None:
    config = host.file("/etc/apt/apt.conf.d/20auto-upgrades")
    assert config.contains('APT::Periodic::Unattended-Upgrade "1"')


def test_time_sync_uses_only_the_amazon_time_sync_service(host: Any) -> None:
    assert host.file("/etc/chrony/conf.d/clickstream.conf").contains(
        "^server 169.254.169.123 prefer iburst"
    )
    main = host.file("/etc/chrony/chrony.conf").content_string
    assert not [line for line in main.splitlines() if line.startswith(("pool ", "server "))]


# ---- PostgreSQL --------------------------------------------------------------------


def test_postgresql_listens_only_on_the_configured_addresses(host: Any) -> None:
    listening = [
        line.split()[3]
        for line in host.check_output("ss -Hltnp").splitlines()
        if '"postgres"' in line
    ]
    expected = {f"{address}:{PG_PORT}" for address in LOCAL_VARS["postgresql_listen_addresses"]}
    # Other engineers' throwaway clusters may run here too: only ours (this port) counts.
    ours = {address for address in listening if address.endswith(f":{PG_PORT}")}
    assert ours == expected


def test_memory_settings_follow_the_configured_memory(reader: Any) -> None:
    with reader.cursor() as cur:
        cur.execute("select setting::int * 8 / 1024 from pg_settings where name = 'shared_buffers'")
        assert cur.fetchone()[0] == int(LOCAL_VARS["postgresql_memory_mb"]) // 4


def test_tcp_connections_use_tls(reader: Any) -> None:
    assert reader.info.ssl_in_use
    with reader.cursor() as cur:
        cur.execute("show ssl")
        assert cur.fetchone()[0] == "on"


def test_a_connection_without_tls_is_refused(passwords: dict[str, str]) -> None:
    with pytest.raises(psycopg2.OperationalError, match=r"no encryption|pg_hba\.conf"):
        connect("clickstream_reader", passwords["reader"], sslmode="disable")


def test_a_wrong_password_is_refused() -> None:
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        connect("clickstream_reader", "not-the-password")


def test_pg_hba_allows_tcp_only_with_tls_and_scram(host: Any) -> None:
    rules = [
        line.split()
        for line in host.file(str(PG_CONF_DIR / "pg_hba.conf")).content_string.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules, "pg_hba.conf has no rules"
    for rule in rules:
        assert rule[0] in {"local", "hostssl"}, rule
        assert rule[-1] in {"peer", "scram-sha-256"}, rule
    etl_rules = [r for r in rules if r[0] == "hostssl" and r[2] == "clickstream_etl"]
    assert [r[3] for r in etl_rules] == LOCAL_VARS["postgresql_hba_etl_cidrs"]
    assert ["local", "all", "postgres", "peer"] in rules
    assert [
        "local",
        "clickstream",
        "clickstream_owner,clickstream_reader",
        "scram-sha-256",
    ] in rules


def test_the_reader_can_read_the_dashboard_tables(reader: Any) -> None:
    with reader.cursor() as cur:
        cur.execute("select count(*) from agg_traffic_daily")
        assert cur.fetchone()[0] >= 0
        cur.execute("select * from etl_freshness")


@pytest.mark.parametrize(
    "statement",
    [
        "insert into etl_watermark (pipeline, partition_hour) values ('x', now())",
        "delete from fact_events",
        "create table public.sneaky (id int)",
        "update dim_product set category = 'x'",
    ],
)
def test_the_reader_cannot_write(reader: Any, statement: str) -> None:
    with pytest.raises(errors.InsufficientPrivilege), reader.cursor() as cur:
        cur.execute(statement)


def test_the_etl_can_load_but_not_create_roles_or_change_the_schema(etl: Any) -> None:
    with etl.cursor() as cur:
        cur.execute(
            "insert into etl_watermark (pipeline, partition_hour) values ('testinfra', now())"
        )
    etl.rollback()
    for statement in (
        "create role intruder",
        "drop table fact_events",
        "create table public.x (i int)",
    ):
        with pytest.raises(errors.InsufficientPrivilege), etl.cursor() as cur:
            cur.execute(statement)
        etl.rollback()


def test_the_migrations_and_the_hll_extension_are_in_place(host: Any) -> None:
    out = as_postgres(
        host,
        f'psql -p {PG_PORT} -d clickstream -Atc "select (select count(*) from schema_migrations),'
        " (select count(*) from pg_extension where extname = 'hll')\"",
    )
    assert out.rc == 0, out.stderr
    migrations, hll = (int(x) for x in out.stdout.strip().split("|"))
    on_disk = len(list((Path(__file__).resolve().parents[2] / "sql/migrations").glob("*.sql")))
    assert migrations == on_disk
    assert hll == 1


def test_rewritten_tables_have_tight_autovacuum_settings(reader: Any) -> None:
    with reader.cursor() as cur:
        cur.execute("select reloptions from pg_class where relname = 'fact_sessions'")
        options = cur.fetchone()[0]
    assert "autovacuum_vacuum_scale_factor=0.02" in options
    assert "autovacuum_analyze_scale_factor=0.02" in options


# ---- Nginx and the dashboard -------------------------------------------------------


def test_nginx_configuration_is_valid(host: Any) -> None:
    result = host.run("nginx -t")
    assert result.rc == 0, result.stderr


def test_nginx_listens_only_on_the_front_door_address(host: Any) -> None:
    listening = {
        line.split()[3] for line in host.check_output("ss -Hltnp").splitlines() if '"nginx"' in line
    }
    assert listening == {f"{LOCAL_VARS['nginx_listen_address']}:{LOCAL_VARS['nginx_listen_port']}"}


def test_shiny_listens_on_loopback_only(host: Any) -> None:
    assert host.socket("tcp://127.0.0.1:3838").is_listening
    assert not host.socket("tcp://0.0.0.0:3838").is_listening


def test_healthz_answers_without_login() -> None:
    status, headers, _ = _get("/healthz")
    assert status == 200
    assert headers.get("X-Content-Type-Options") == "nosniff"


def test_the_dashboard_is_served_through_nginx_over_tls() -> None:
    status, headers, body = _get("/")
    assert status == 200, body[:500]
    assert b"shiny" in body.lower()
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert "nginx/" not in headers.get("Server", "")


def test_the_websocket_upgrade_reaches_shiny() -> None:
    host, port = LOCAL_VARS["nginx_listen_address"], int(LOCAL_VARS["nginx_listen_port"])
    with socket.create_connection((host, port), timeout=30) as raw:
        with _tls_context().wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(
                b"GET /websocket/ HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n"
            )
            answer = tls.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 101"), answer
    assert "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in answer  # RFC 6455's accept for that key


def test_the_dashboard_runs_as_its_own_user_with_the_reader_role(host: Any) -> None:
    env = host.file("/etc/clickstream/dashboard.env")
    assert env.contains('^PGUSER="clickstream_reader"$')
    # Other R processes may run on a shared machine: take the one listening for Nginx.
    line = next(
        line for line in host.check_output("ss -Hltnp").splitlines() if "127.0.0.1:3838 " in line
    )
    pid = int(line.split("pid=")[1].split(",")[0])
    assert host.process.get(pid=pid).user == "shiny"


# ---- backups, maintenance, units ---------------------------------------------------


def test_a_backup_is_in_the_repository(host: Any) -> None:
    import json

    out = as_postgres(host, f"pgbackrest --stanza={STANZA} --output=json info")
    assert out.rc == 0, out.stderr
    info = json.loads(out.stdout)[0]
    assert info["status"]["code"] == 0, info["status"]
    assert [b for b in info["backup"] if b["type"] == "full"]


def test_wal_is_archived_continuously(reader: Any) -> None:
    with reader.cursor() as cur:
        cur.execute(
            "select name, setting from pg_settings where name in ('archive_mode', 'archive_timeout')"
        )
        settings = dict(cur.fetchall())
    assert settings == {"archive_mode": "on", "archive_timeout": "300"}


@pytest.mark.parametrize("script", ["vacuum-nightly.sh", "retention-monthly.sh"])
def test_the_maintenance_scripts_run(host: Any, script: str) -> None:
    result = as_postgres(host, f"/usr/local/lib/clickstream/{script}")
    assert result.rc == 0, result.stderr


def test_the_jobs_are_scheduled(host: Any) -> None:
    names = [
        "clickstream-backup-full",
        "clickstream-backup-diff",
        "clickstream-vacuum",
        "clickstream-retention",
    ]
    # What Ansible's service_mgr fact looks at: systemd as PID 1 creates this directory.
    if host.file("/run/systemd/system").is_directory:
        for name in names:
            assert host.service(f"{name}.timer").is_enabled
    else:
        cron = host.check_output(
            "cat /etc/cron.d/clickstream-backups /etc/cron.d/clickstream-maintenance"
        )
        for name in names:
            assert f"#Ansible: {name}" in cron


def test_the_unit_files_are_valid(host: Any, tmp_path: Path) -> None:
    units = sorted(
        str(p)
        for p in Path("/etc/systemd/system").glob("clickstream-*")
        if p.suffix in {".service", ".timer"}
    )
    assert len(units) == 9, units  # 4 jobs x (service + timer) + the dashboard
    result = host.run("systemd-analyze verify " + " ".join(units))
    assert result.rc == 0, result.stderr
    # The check can fail: a unit with a bad directive is refused.
    broken = tmp_path / "clickstream-broken.service"
    broken.write_text("[Service]\nType=oneshot\nExecStart=relative/path\n")
    assert host.run(f"systemd-analyze verify {broken}").rc != 0


# ---- secrets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "mode", "owner", "group"),
    [
        ("/etc/clickstream/db-passwords.json", 0o600, "root", "root"),
        ("/etc/clickstream/dashboard.env", 0o640, "root", "shiny"),
        ("/etc/ssl/clickstream/host.key", 0o640, "root", "ssl-cert"),
        ("/etc/pgbackrest.conf", 0o640, "postgres", "postgres"),
    ],
)
def test_secret_files_are_not_world_readable(
    host: Any, path: str, mode: int, owner: str, group: str
) -> None:
    secret = host.file(path)
    assert secret.exists
    assert secret.mode == mode
    assert (secret.user, secret.group) == (owner, group)


def test_no_world_readable_file_holds_a_role_password(passwords: dict[str, str]) -> None:
    leaks = []
    for root in ("/etc", "/opt/clickstream", "/srv", "/var/log/clickstream", "/var/log/postgresql"):
        for path in Path(root).rglob("*"):
            try:
                if not path.is_file() or path.is_symlink():
                    continue
                if not path.stat().st_mode & stat.S_IROTH or path.stat().st_size > 5_000_000:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            leaks += [f"{path} ({role})" for role, pw in passwords.items() if pw.encode() in data]
    assert not leaks
