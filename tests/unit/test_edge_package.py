"""make edge-package: the Lambda@Edge bundle gets the pool of terraform output, or is
built unconfigured (fails closed) before the first apply. A fake terraform on PATH
answers `output -json edge_auth_config`; node and esbuild are real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "package-edge-auth.sh"
EDGE = REPO_ROOT / "lambdas" / "edge-auth"
CONFIG = {
    "region": "eu-west-1",
    "userPoolId": "eu-west-1_Dev123",
    "userPoolAppId": "devclient1",
    "userPoolDomain": "dev-admin.auth.eu-west-1.amazoncognito.com",
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("node") is None or not (EDGE / "node_modules" / "esbuild").is_dir(),
        reason="needs node and lambdas/edge-auth/node_modules (make edge-deps)",
    ),
]


def run(tmp_path: Path, answer: str | None) -> subprocess.CompletedProcess[str]:
    """package-edge-auth.sh dev, building into tmp_path/build."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "terraform"
    if answer is None:
        fake.write_text('#!/bin/sh\necho "No outputs found" >&2\nexit 1\n')
    else:
        (tmp_path / "answer.json").write_text(answer)
        fake.write_text(f'#!/bin/sh\ncat "{tmp_path / "answer.json"}"\n')
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "BUILD_DIR": str(tmp_path / "build"),
    }
    return subprocess.run(
        ["bash", str(SCRIPT), "dev"], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def clean_build(tmp_path: Path) -> Path:
    return tmp_path / "build" / "edge-auth-dev.zip"


def test_bundle_carries_the_pool_of_terraform_output(tmp_path: Path, clean_build: Path) -> None:
    done = run(tmp_path, json.dumps(CONFIG))
    assert done.returncode == 0, done.stderr
    sidecar = json.loads(clean_build.with_suffix("").with_suffix(".config.json").read_text())
    assert sidecar == CONFIG
    with zipfile.ZipFile(clean_build) as bundle:
        assert bundle.namelist() == ["index.mjs"]
        assert CONFIG["userPoolId"] in bundle.read("index.mjs").decode()


def test_before_the_first_apply_the_bundle_fails_closed(tmp_path: Path, clean_build: Path) -> None:
    done = run(tmp_path, None)
    assert done.returncode == 0, done.stderr
    assert "UNCONFIGURED" in done.stderr
    sidecar = json.loads(clean_build.with_suffix("").with_suffix(".config.json").read_text())
    assert set(sidecar.values()) == {""}


def test_a_broken_output_is_refused(tmp_path: Path, clean_build: Path) -> None:
    done = run(tmp_path, json.dumps({**CONFIG, "userPoolId": "us-east-1_Other"}))
    assert done.returncode != 0
    assert "is not a user pool of eu-west-1" in done.stderr
    assert not clean_build.exists()
