#!/usr/bin/env bash
# Builds the Lambda zips Terraform deploys (`make package`):
#   build/ingest.zip  clickstream/ingest, the contract and the shared modules they import,
#                     + the pinned runtime dependencies
#   build/etl.zip     clickstream/etl, the contract, sql/*.sql and the shared modules they
#                     import, + the same dependencies and psycopg2; serves the ETL and the compactor
# Which package files each zip ships is decided by scripts/lambda_files.py (an import
# walk): never the local emulator, the shopper simulation or the CLI.
# Dependencies are the exact pins of pyproject.toml's [project].dependencies, fetched
# as wheels for the Lambda's platform (arm64 / manylinux2014_aarch64, plus
# manylinux_2_28_aarch64 because jsonschema-rs only ships that tag for arm64) so the
# build works from any x86 laptop or CI runner. manylinux_2_28 needs glibc >= 2.28,
# which is why the functions run on python3.12 (Amazon Linux 2023, glibc 2.34) and not
# python3.11 (Amazon Linux 2, glibc 2.26); the code itself supports 3.11 and later. Zips are deterministic (sorted
# entries, fixed timestamps), so an unchanged tree gives the same filebase64sha256 and
# Terraform does not redeploy.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
LAMBDA_PYTHON_VERSION="3.12"  # runtime = "python3.12" in terraform/modules/{ingest,etl}
# Ingest never talks to PostgreSQL; keeping the driver out trims its cold start.
INGEST_EXCLUDES="psycopg2-binary"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/package-lambdas.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BUILD"

"$PYTHON" - "$ROOT/pyproject.toml" "$WORK" "$INGEST_EXCLUDES" <<'PY'
import re, sys, tomllib
from pathlib import Path
pyproject, work, excludes = sys.argv[1], Path(sys.argv[2]), set(sys.argv[3].split())
deps = tomllib.loads(Path(pyproject).read_text())["project"]["dependencies"]
unpinned = [d for d in deps if "==" not in d]
if unpinned:
    sys.exit(f"every Lambda dependency must be pinned with ==: {unpinned}")
name = lambda d: re.split(r"[=<>!~\[; ]", d, 1)[0].lower()
(work / "etl.txt").write_text("\n".join(deps) + "\n")
(work / "ingest.txt").write_text("\n".join(d for d in deps if name(d) not in excludes) + "\n")
PY

for fn in ingest etl; do
  echo "==> dependencies for $fn (arm64, Python $LAMBDA_PYTHON_VERSION)"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check \
    --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 --implementation cp --python-version "$LAMBDA_PYTHON_VERSION" \
    --only-binary=:all: --no-compile --target "$WORK/$fn" -r "$WORK/$fn.txt"
  # The function code itself: what this function runs, found by an import walk.
  "$PYTHON" "$ROOT/scripts/lambda_files.py" "$fn" > "$WORK/$fn.files"
  while read -r file; do
    mkdir -p "$WORK/$fn/$(dirname "$file")"
    cp "$ROOT/lambdas/$file" "$WORK/$fn/$file"
  done < "$WORK/$fn.files"
done

"$PYTHON" - "$WORK" "$BUILD" <<'PY'
import sys, zipfile
from pathlib import Path
work, build = Path(sys.argv[1]), Path(sys.argv[2])
for fn in ("ingest", "etl"):
    src = work / fn
    target = build / f"{fn}.zip"
    files = sorted(p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(str(path.relative_to(src)), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if path.stat().st_mode & 0o111 else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    size = target.stat().st_size
    if size > 50 * 1024 * 1024:
        sys.exit(f"{target} is {size} bytes: over Lambda's 50 MB direct-upload limit")
    print(f"built {target.relative_to(build.parent)} ({size / 1e6:.1f} MB, {len(files)} files)")
PY
