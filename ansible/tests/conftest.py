"""testinfra checks of the warehouse host, run by `make test-host` after the playbook.

`pytest --hosts=local:// ansible/tests/` checks the machine the playbook was applied
to. The settings below are the local inventory's (inventories/local/group_vars).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import yaml

ANSIBLE_DIR = Path(__file__).resolve().parents[1]
LOCAL_VARS = yaml.safe_load(
    (ANSIBLE_DIR / "inventories/local/group_vars/warehouse.yml").read_text()
)
PG_PORT = int(LOCAL_VARS["postgresql_port"])
NGINX = f"https://{LOCAL_VARS['nginx_listen_address']}:{LOCAL_VARS['nginx_listen_port']}"
PASSWORD_FILE = Path("/etc/clickstream/db-passwords.json")
STANZA = "clickstream"


@pytest.fixture(scope="session")
def passwords() -> dict[str, str]:
    data: dict[str, str] = json.loads(PASSWORD_FILE.read_text())
    return data


def connect(role: str, password: str, **kwargs: Any) -> Any:
    """A TCP connection to the warehouse on loopback, TLS required unless overridden."""
    params = {
        "host": "127.0.0.1",
        "port": PG_PORT,
        "dbname": "clickstream",
        "user": role,
        "password": password,
        "sslmode": "require",
        "connect_timeout": 10,
    }
    params.update(kwargs)
    return psycopg2.connect(**params)


@pytest.fixture()
def reader(passwords: dict[str, str]) -> Iterator[Any]:
    conn = connect("clickstream_reader", passwords["reader"])
    yield conn
    conn.close()


@pytest.fixture()
def etl(passwords: dict[str, str]) -> Iterator[Any]:
    conn = connect("clickstream_etl", passwords["etl"])
    yield conn
    conn.close()


def as_postgres(host: Any, command: str) -> Any:
    """Run a shell command as the postgres OS user (peer authentication)."""
    return host.run("runuser -u postgres -- sh -c %s", command)
