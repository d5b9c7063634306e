"""`clickstream bootstrap`: the roles, database and grants of `roles.bootstrap_database`,
run by a superuser. The local stack calls the same function; the warehouse host's
Ansible role runs this command, so the roles and grants have one source.

Passwords come from the environment (never the command line, which `ps` shows):
CLICKSTREAM_OWNER_PASSWORD, CLICKSTREAM_ETL_PASSWORD, CLICKSTREAM_READER_PASSWORD.
Prints JSON with `changed` (whether anything was created or altered), so a re-run
with the same passwords reports no change and a new password is applied.
"""

from __future__ import annotations

import argparse
import json
import os

import psycopg2

from clickstream.etl import roles

PASSWORD_ENV = {
    "owner": "CLICKSTREAM_OWNER_PASSWORD",
    "etl": "CLICKSTREAM_ETL_PASSWORD",
    "reader": "CLICKSTREAM_READER_PASSWORD",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bootstrap", help="create or update the warehouse roles, database and grants (superuser)"
    )
    parser.add_argument(
        "--superuser-url",
        default=os.environ.get("SUPERUSER_DATABASE_URL"),
        help="superuser DSN in URL form, e.g. postgresql:///postgres?host=/var/run/postgresql"
        " (default: SUPERUSER_DATABASE_URL)",
    )
    parser.add_argument("--database", default=roles.DEFAULT_DATABASE)
    parser.set_defaults(handler=_bootstrap)


def _bootstrap(args: argparse.Namespace) -> int:
    if not args.superuser_url:
        print("error: pass --superuser-url or set SUPERUSER_DATABASE_URL")
        return 2
    missing = [name for name in PASSWORD_ENV.values() if not os.environ.get(name)]
    if missing:
        print(f"error: set {', '.join(missing)} (role passwords are read from the environment)")
        return 2
    passwords = roles.RolePasswords(**{k: os.environ[v] for k, v in PASSWORD_ENV.items()})
    try:
        before = roles.cluster_state(args.superuser_url, args.database)
        roles.bootstrap_database(args.superuser_url, passwords, args.database)
        after = roles.cluster_state(args.superuser_url, args.database)
    except psycopg2.Error as error:
        print(f"error: {str(error).strip()}")
        return 1
    print(
        json.dumps(
            {
                "changed": before != after,
                "database": args.database,
                "roles": [roles.OWNER_ROLE, roles.ETL_ROLE, roles.READER_ROLE],
                "extensions": [row[0] for row in after.get("extensions", [])],
            }
        )
    )
    return 0
