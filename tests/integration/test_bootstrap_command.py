"""`clickstream bootstrap`, as the warehouse host's Ansible role runs it: the roles,
database and grants of roles.bootstrap_database, reporting whether anything changed,
so a second Ansible run reports no change and a new password in SSM is applied.

Runs against a cluster of its own: it changes the cluster-wide role passwords that
the shared test cluster relies on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import psycopg2
import pytest

from clickstream.etl.roles import (
    ETL_ROLE,
    OWNER_ROLE,
    READER_ROLE,
    database_url,
    scram_verifier_matches,
)
from clickstream.local.postgres import LocalCluster
from clickstream.local.settings import LOOPBACK, free_port

pytestmark = pytest.mark.slow

FIRST = {"owner": "owner-pw-1", "etl": "etl-pw-1", "reader": "reader-pw-1"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    cluster = LocalCluster(free_port())
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def bootstrap(cluster: LocalCluster, passwords: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env.update({f"CLICKSTREAM_{role.upper()}_PASSWORD": pw for role, pw in passwords.items()})
    env["SUPERUSER_DATABASE_URL"] = cluster.superuser_url()
    return subprocess.run(
        [sys.executable, "-m", "clickstream.cli", "bootstrap"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def can_login(cluster: LocalCluster, role: str, password: str) -> bool:
    try:
        psycopg2.connect(
            database_url(role, password, LOOPBACK, cluster.port, "clickstream")
        ).close()
    except psycopg2.OperationalError:
        return False
    return True


def test_bootstrap_reports_changes_only_when_something_changed(cluster: LocalCluster) -> None:
    # Given an empty cluster, when bootstrapped, then roles and database are created
    first = bootstrap(cluster, FIRST)
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads(first.stdout)["changed"] is True
    for role, key in ((OWNER_ROLE, "owner"), (ETL_ROLE, "etl"), (READER_ROLE, "reader")):
        assert can_login(cluster, role, FIRST[key])

    # When run again with the same passwords, then nothing changed
    again = bootstrap(cluster, FIRST)
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["changed"] is False

    # When the reader's password changes (a new value in SSM), then it is applied
    rotated = {**FIRST, "reader": "reader-pw-2"}
    third = bootstrap(cluster, rotated)
    assert json.loads(third.stdout)["changed"] is True
    assert can_login(cluster, READER_ROLE, "reader-pw-2")
    assert not can_login(cluster, READER_ROLE, "reader-pw-1")
    assert can_login(cluster, ETL_ROLE, FIRST["etl"])


def test_a_changed_grant_is_put_back_and_reported(cluster: LocalCluster) -> None:
    assert bootstrap(cluster, FIRST).returncode == 0
    conn = psycopg2.connect(cluster.superuser_url())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("revoke connect on database clickstream from clickstream_reader")
    conn.close()
    result = bootstrap(cluster, FIRST)
    assert json.loads(result.stdout)["changed"] is True
    assert can_login(cluster, READER_ROLE, FIRST["reader"])


def test_missing_passwords_are_a_clear_error(cluster: LocalCluster) -> None:
    result = bootstrap(cluster, {"owner": "x", "etl": "y"})
    assert result.returncode == 2
    assert "CLICKSTREAM_READER_PASSWORD" in result.stdout


def test_scram_verifier_check_matches_postgresql(cluster: LocalCluster) -> None:
    assert bootstrap(cluster, FIRST).returncode == 0
    conn = psycopg2.connect(cluster.superuser_url())
    with conn.cursor() as cur:
        cur.execute("select rolpassword from pg_authid where rolname = %s", (ETL_ROLE,))
        verifier = cur.fetchone()[0]
    conn.close()
    assert scram_verifier_matches(verifier, FIRST["etl"])
    assert not scram_verifier_matches(verifier, FIRST["etl"] + "x")
    assert not scram_verifier_matches("md5abcdef", FIRST["etl"])
    assert not scram_verifier_matches(None, FIRST["etl"])
