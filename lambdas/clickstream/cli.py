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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickstream", description="Operate the clickstream analytics platform."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.handler(args) or 0
    return result


if __name__ == "__main__":
    sys.exit(main())
