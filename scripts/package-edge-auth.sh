#!/usr/bin/env bash
# Builds build/edge-auth-<env>.zip, the Lambda@Edge sign-in of the dashboard, with the
# admin pool's ids of that environment baked in (Lambda@Edge has no environment
# variables): `make edge-package ENV=prod`, and `make plan` runs it.
# The ids come from `terraform output -json edge_auth_config` of terraform/envs/<env>.
# Before the first apply there is no such output: the bundle is then built unconfigured
# and answers every request with 503 until the next `make plan && make apply`.
set -euo pipefail

ENV_NAME="${1:?usage: package-edge-auth.sh <env>}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ENV_DIR="$ROOT/terraform/envs/$ENV_NAME"
[ -d "$ENV_DIR" ] || { echo "no environment $ENV_NAME (terraform/envs/$ENV_NAME)" >&2; exit 2; }
TERRAFORM="${TERRAFORM:-terraform}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}" # terraform/envs/<env> reads it from the repository's build/

WORK="$(mktemp -d "${TMPDIR:-/tmp}/edge-package.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if "$TERRAFORM" -chdir="$ENV_DIR" output -json edge_auth_config >"$WORK/config.json" 2>"$WORK/err" &&
  [ "$(head -c1 "$WORK/config.json")" = "{" ]; then
  echo "edge-auth: configuration from terraform/envs/$ENV_NAME state"
else
  echo "edge-auth: no edge_auth_config output in terraform/envs/$ENV_NAME yet (first deployment?):" >&2
  echo "           building an UNCONFIGURED bundle that answers 503; run make plan/apply again after this apply." >&2
  echo '{}' >"$WORK/config.json"
fi
node "$ROOT/lambdas/edge-auth/scripts/build.mjs" --config "$WORK/config.json" --out "$BUILD_DIR/edge-auth-$ENV_NAME.zip"
