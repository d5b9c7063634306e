"""make dashboard-tunnel: the two SSM port forwards it opens, with a fake aws and
terraform on PATH that record their arguments."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "dashboard-tunnel.sh"


def fake_tools(tmp_path: Path, instance_id: str = "i-0abc123def4567890") -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    (bin_dir / "terraform").write_text(
        "#!/bin/sh\n"
        'case "$*" in\n'
        f'  *warehouse_instance_id*) printf %s "{instance_id}" ;;\n'
        '  *warehouse_private_ip*) printf %s "10.40.128.10" ;;\n'
        "  *) exit 1 ;;\n"
        "esac\n"
    )
    # Each fake session records itself, then stays up until both have started, as real
    # sessions do; the script closes both as soon as one ends.
    (bin_dir / "aws").write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        "i=0\n"
        f'while [ "$(wc -l < "{log}")" -lt 2 ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n'
    )
    for tool in ("terraform", "aws"):
        (bin_dir / tool).chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(log)}


def test_tunnel_forwards_dashboard_and_postgres_through_ssm(tmp_path: Path) -> None:
    env = fake_tools(tmp_path)
    done = subprocess.run(
        ["bash", str(SCRIPT), "prod"], env=env, capture_output=True, text=True, timeout=30
    )
    calls = sorted(Path(env["CALLS"]).read_text().splitlines())
    assert done.returncode == 0, done.stderr
    expected = "ssm start-session --target i-0abc123def4567890 --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters host=10.40.128.10,portNumber={},localPortNumber={}"
    assert calls == sorted([expected.format(80, 8080), expected.format(5432, 15432)])
    assert "http://localhost:8080/" in done.stdout


def test_tunnel_refuses_an_unknown_environment(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(SCRIPT), "nowhere"],
        env=fake_tools(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "no environment nowhere" in done.stderr


def test_tunnel_refuses_a_bad_instance_id(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(SCRIPT), "prod"],
        env=fake_tools(tmp_path, instance_id="not-an-id"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1 and "not an instance id" in done.stderr
    assert not (tmp_path / "calls.log").exists()
