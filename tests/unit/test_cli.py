"""The operator command's entry: each subcommand is registered by the module
COMMAND_HOMES names, so a run imports only that module."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

from clickstream.cli import COMMAND_HOMES, COMMAND_MODULES, build_parser

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"


def test_every_subcommand_is_homed_in_the_module_that_registers_it() -> None:
    # Given what each command module registers on a parser of its own
    registered: dict[str, str] = {}
    for module_name in COMMAND_MODULES:
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        importlib.import_module(module_name).register(subparsers)
        registered.update(dict.fromkeys(subparsers.choices, module_name))
    # Then COMMAND_HOMES names exactly those commands and modules
    assert COMMAND_HOMES == registered


def test_a_subcommand_parses_the_same_with_only_its_home_module() -> None:
    argv = ["etl", "run"]
    full = build_parser().parse_args(argv)
    alone = build_parser((COMMAND_HOMES["etl"],)).parse_args(argv)
    assert vars(full) == vars(alone)


def test_an_etl_run_does_not_import_boto3_or_the_local_emulator() -> None:
    # When the CLI parses an ETL run (its --help stops before any work)
    code = (
        "import sys\n"
        "from clickstream import cli\n"
        "try:\n"
        "    cli.main(['etl', 'run', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m in ('boto3', 'clickstream.local.commands')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(LAMBDAS), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Then neither boto3 nor the local emulator was imported
    assert out.strip().splitlines()[-1] == "[]"
