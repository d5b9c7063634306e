"""The `clickstream` operator command.

Each area registers its own subcommands through a `register(subparsers)`
function in the module listed in COMMAND_MODULES, so the areas stay apart.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES: tuple[str, ...] = (
    "clickstream.local.commands",
    "clickstream.ingest.commands",
    "clickstream.etl.commands",
    "clickstream.etl.catalog",
    "clickstream.etl.bootstrap",
)
# The module that registers each subcommand, so `clickstream etl run` imports only its
# own area (tests/unit/test_cli.py checks this against what the modules register).
COMMAND_HOMES: dict[str, str] = {
    "up": "clickstream.local.commands",
    "simulate": "clickstream.local.commands",
    "dlq": "clickstream.ingest.commands",
    "migrate": "clickstream.etl.commands",
    "etl": "clickstream.etl.commands",
    "compact": "clickstream.etl.commands",
    "rebuild": "clickstream.etl.commands",
    "alerts": "clickstream.etl.commands",
    "status": "clickstream.etl.commands",
    "catalog": "clickstream.etl.catalog",
    "bootstrap": "clickstream.etl.bootstrap",
}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickstream", description="Operate the clickstream analytics platform."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in modules:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    # A known subcommand needs only its own module (the others import the local
    # emulator, boto3 and more); anything else (--help, a typo) gets the full parser.
    home = COMMAND_HOMES.get(words[0]) if words else None
    args = build_parser(COMMAND_MODULES if home is None else (home,)).parse_args(words)
    result: int = args.handler(args) or 0
    return result


if __name__ == "__main__":
    sys.exit(main())
