"""`make package` builds Lambda zips that Terraform can deploy to arm64 as they are."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from clickstream.contract import layout

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
ELF_MACHINE_AARCH64 = 183


def module_path(handler: str) -> str:
    return handler.rsplit(".", 1)[0].replace(".", "/") + ".py"


def package_files(archive: zipfile.ZipFile) -> set[str]:
    return {name for name in archive.namelist() if name.startswith("clickstream/")}


def elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF"
    return int.from_bytes(data[18:20], "little")


@pytest.fixture(scope="module")
def packages() -> dict[str, zipfile.ZipFile]:
    subprocess.run(
        ["bash", "scripts/package-lambdas.sh"], cwd=REPO, check=True, capture_output=True
    )
    return {name: zipfile.ZipFile(REPO / "build" / f"{name}.zip") for name in ("ingest", "etl")}


def test_each_zip_holds_its_handlers_the_contract_and_arm64_binaries(
    packages: dict[str, zipfile.ZipFile],
) -> None:
    expected = {
        "ingest": [layout.INGEST_HANDLER],
        "etl": [layout.ETL_HANDLER, layout.COMPACT_HANDLER],
    }
    for name, handlers in expected.items():
        names = set(packages[name].namelist())
        assert {module_path(handler) for handler in handlers} <= names
        assert "clickstream/contract/event.schema.json" in names
        [validator] = [n for n in names if n.startswith("jsonschema_rs/") and n.endswith(".so")]
        assert elf_machine(packages[name].read(validator)[:20]) == ELF_MACHINE_AARCH64
    assert not any(n.startswith("psycopg2") for n in packages["ingest"].namelist())
    assert any(n.startswith("psycopg2") for n in packages["etl"].namelist())


def test_an_unchanged_tree_gives_byte_identical_zips(packages: dict[str, zipfile.ZipFile]) -> None:
    before = {name: (REPO / "build" / f"{name}.zip").read_bytes() for name in packages}
    subprocess.run(
        ["bash", "scripts/package-lambdas.sh"], cwd=REPO, check=True, capture_output=True
    )
    after = {name: (REPO / "build" / f"{name}.zip").read_bytes() for name in packages}
    assert before == after


SHARED = {
    "clickstream/__init__.py",
    "clickstream/observability.py",
    "clickstream/ssm.py",
    "clickstream/contract/__init__.py",
    "clickstream/contract/layout.py",
    "clickstream/contract/event.schema.json",
}


def test_each_zip_ships_only_its_own_area_and_what_it_imports(
    packages: dict[str, zipfile.ZipFile],
) -> None:
    # Given the two built zips
    for name, area in (("ingest", "clickstream/ingest/"), ("etl", "clickstream/etl/")):
        files = package_files(packages[name])
        # Then each holds the shared modules and its own area, whole
        assert files >= SHARED
        area_files = {
            f"clickstream/{p.relative_to(REPO / 'lambdas' / 'clickstream').as_posix()}"
            for p in (REPO / "lambdas" / area).rglob("*.py")
        }
        assert area_files <= files
        # And nothing of the laptop-only parts or of the other function
        other = "clickstream/etl/" if name == "ingest" else "clickstream/ingest/"
        assert not [f for f in files if f.startswith(other)]
        assert not [
            f
            for f in files
            if f.startswith(("clickstream/local/", "clickstream/simulation/"))
            or f == "clickstream/cli.py"
        ]
    etl_sql = {p.name for p in (REPO / "lambdas" / "clickstream" / "sql").glob("*.sql")}
    assert {f.rsplit("/", 1)[-1] for f in package_files(packages["etl"]) if f.endswith(".sql")} == (
        etl_sql
    )


@pytest.mark.parametrize(
    ("name", "handlers"),
    [
        ("ingest", [layout.INGEST_HANDLER]),
        ("etl", [layout.ETL_HANDLER, layout.COMPACT_HANDLER]),
    ],
)
def test_each_handler_imports_from_its_unpacked_zip_alone(
    packages: dict[str, zipfile.ZipFile], tmp_path: Path, name: str, handlers: list[str]
) -> None:
    # Given only the package files of one zip, unpacked (its third-party wheels are
    # arm64, so this machine's site-packages stand in for them)
    archive = packages[name]
    for member in package_files(archive):
        archive.extract(member, tmp_path)
    # When each handler module is imported in a fresh interpreter that cannot see the
    # source tree (-S: no .pth files, so no editable install of clickstream)
    for handler in handlers:
        module, function = handler.rsplit(".", 1)
        check = (
            f"import {module} as m, clickstream; "
            f"assert clickstream.__file__.startswith({str(tmp_path)!r}), clickstream.__file__; "
            f"assert callable(m.{function})"
        )
        result = subprocess.run(
            [sys.executable, "-S", "-c", check],
            env={
                "PYTHONPATH": f"{tmp_path}:{sysconfig.get_paths()['purelib']}",
                "AWS_DEFAULT_REGION": "us-east-1",
                "PATH": "/usr/bin:/bin",
            },
            capture_output=True,
            text=True,
            check=False,
        )
        # Then it imports: everything it needs is in the zip
        assert result.returncode == 0, f"{handler}: {result.stderr[-2000:]}"
