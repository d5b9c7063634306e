"""The package's dependency edges point one way: the Lambda code never reaches the
local emulator, the shopper simulation or the operator CLI (none of them ship in
the zips, and an import of one would fail on AWS)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "lambdas" / "clickstream"
LAMBDA_AREAS = ("etl", "ingest", "contract")


def load_lambda_files() -> ModuleType:
    path = PACKAGE.parents[1] / "scripts" / "lambda_files.py"
    spec = importlib.util.spec_from_file_location("lambda_files", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lambda_files"] = module
    spec.loader.exec_module(module)
    return module


# The same import walk and the same never-shipped list `make package` uses.
lambda_files = load_lambda_files()


def test_lambda_code_imports_nothing_from_local_simulation_or_cli() -> None:
    # Given every Python file of the areas that run in Lambda
    files = [f for area in LAMBDA_AREAS for f in sorted((PACKAGE / area).rglob("*.py"))]
    assert len(files) > 20  # the walk really found the code
    # When their imports are read, Then none reaches the local-only parts
    offending = [
        f"{f.relative_to(PACKAGE.parent)} imports {module}"
        for f in files
        for module in sorted(lambda_files.imports_of(f))
        if lambda_files.never_shipped(module)
    ]
    assert offending == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from clickstream.local.stack import x", True),
        ("import clickstream.simulation", True),
        ("def f():\n    from clickstream import cli\n", True),
        ("from clickstream import simulation as s", True),
        ("from clickstream.envfile import read_env_file", False),
        ("from clickstream.localization import x", False),
        ("from ..local import stack", True),
        ("from . import records", False),
    ],
)
def test_the_check_sees_every_import_form(source: str, expected: bool) -> None:
    # Given a source as if it were a file of etl/ (so relative imports resolve)
    path = PACKAGE / "etl" / "probe.py"
    # When its imports are checked, Then the verdict matches
    modules = lambda_files.imports_in(source, path)
    assert any(lambda_files.never_shipped(module) for module in modules) is expected


def test_each_zip_manifest_is_its_area_the_contract_and_what_they_import() -> None:
    # Given the import walk of scripts/package-lambdas.sh
    # When it lists both functions' files
    ingest, etl = lambda_files.files_for("ingest"), lambda_files.files_for("etl")
    # Then each has its handler, the contract and the shared modules it imports
    for files, handler in ((ingest, "ingest/handler.py"), (etl, "etl/handler.py")):
        assert {
            "clickstream/__init__.py",
            f"clickstream/{handler}",
            "clickstream/contract/event.schema.json",
            "clickstream/observability.py",
        } <= set(files)
        assert not [
            f for f in files if f.startswith(("clickstream/local/", "clickstream/simulation/"))
        ]
        assert "clickstream/cli.py" not in files
    assert not [f for f in ingest if f.startswith("clickstream/etl/")]
    assert not [f for f in etl if f.startswith("clickstream/ingest/")]


def test_the_walk_refuses_lambda_code_that_imports_the_emulator(tmp_path: Path) -> None:
    # Given a package whose ingest lazily imports the local stack
    package = tmp_path / "clickstream"
    for folder in ("ingest", "contract", "local"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "shared.py").write_text("X = 1\n")
    (package / "ingest" / "handler.py").write_text(
        "from clickstream import shared\n\ndef f():\n    from ..local import stack\n"
    )
    # When its ingest zip is listed, Then the walk names the offending import
    with pytest.raises(
        lambda_files.ForbiddenImport, match=r"handler\.py imports clickstream\.local"
    ):
        lambda_files.files_for("ingest", tmp_path)
    # And without that import, the shared module it uses is shipped
    (package / "ingest" / "handler.py").write_text("from clickstream import shared\n")
    assert "clickstream/shared.py" in lambda_files.files_for("ingest", tmp_path)
