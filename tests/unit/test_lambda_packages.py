"""`make package` builds Lambda zips that Terraform can deploy to arm64 as they are."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from clickstream.contract import layout

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
ELF_MACHINE_AARCH64 = 183


def module_path(handler: str) -> str:
    return handler.rsplit(".", 1)[0].replace(".", "/") + ".py"


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
