#!/usr/bin/env bash
# Offline Terraform checks, as `make test-terraform` (and so `make test`) runs them:
#   1. terraform fmt -check -recursive
#   2. terraform init -backend=false -plugin-dir=<mirror> + terraform validate in every
#      env root and every module
#   3. terraform test (mock_provider "aws" plan-time tests) in every module with tests/,
#      and the whole-stack test per deployment profile (tests/plan_stack.sh)
#   4. checkov (own virtualenv, --skip-download): zero failed checks
# Without a terraform binary or provider mirror, step 2-3 fall back LOUDLY to parsing
# with python-hcl2 and cross-checking references (terraform/tests/hcl_fallback.py).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TF_DIR="$ROOT/terraform"
CHECKOV_VERSION="3.3.30"
CHECKOV_VENV="$ROOT/.venv-checkov"
PYTHON="${PYTHON:-python3}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tf-checks.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# A CLI config of our own: no credentials, no registry, no plugin cache surprises.
: >"$WORK/terraformrc"
export TF_CLI_CONFIG_FILE="$WORK/terraformrc"
export TF_IN_AUTOMATION=1
export TF_INPUT=0
export CHECKPOINT_DISABLE=1

say() { printf '\n==> %s\n' "$*"; }
loud() {
  printf '\n%s\n' "########################################################################" >&2
  printf '### %s\n' "$@" >&2
  printf '%s\n\n' "########################################################################" >&2
}

mapfile -t ENV_DIRS < <(find "$TF_DIR/envs" -mindepth 1 -maxdepth 1 -type d | sort)
mapfile -t MODULE_DIRS < <(find "$TF_DIR/modules" -mindepth 1 -maxdepth 1 -type d | sort)

TERRAFORM="$(command -v terraform || true)"
PLUGIN_DIR=""
for candidate in "${TF_PLUGIN_DIR:-}" /opt/tf-plugins; do
  if [ -n "$candidate" ] && [ -d "$candidate/registry.terraform.io/hashicorp/aws" ]; then
    PLUGIN_DIR="$candidate"
    break
  fi
done

if [ -n "$TERRAFORM" ] && [ -n "$PLUGIN_DIR" ]; then
  say "terraform $("$TERRAFORM" version -json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])'), provider mirror $PLUGIN_DIR"

  say "terraform fmt -check -recursive"
  "$TERRAFORM" fmt -check -recursive -diff "$TF_DIR"

  # One throwaway data dir per configuration, removed as soon as it is checked: each
  # init copies the ~700 MB provider binary, so keeping them all would fill /tmp.
  check_dir() {
    local dir="$1" rel data
    rel="${dir#"$ROOT"/}"
    data="$WORK/data-$(echo "$rel" | tr '/' '_')"
    export TF_DATA_DIR="$data"
    (
      cd "$dir"
      "$TERRAFORM" init -backend=false -plugin-dir="$PLUGIN_DIR" -input=false -no-color >"$WORK/init.log" 2>&1 ||
        { cat "$WORK/init.log"; echo "init failed in $rel" >&2; exit 1; }
      printf '%-40s validate: ' "$rel"
      "$TERRAFORM" validate -no-color | tr -d '\n'
      echo
      if [ -d tests ]; then
        printf '%-40s test:     ' "$rel"
        "$TERRAFORM" test -no-color >"$WORK/test.log" 2>&1 || { echo; cat "$WORK/test.log"; exit 1; }
        tail -n 1 "$WORK/test.log"
      fi
    )
    rm -rf "$data"
    unset TF_DATA_DIR
  }

  say "terraform init + validate (+ test) in every env root and module"
  for dir in "${ENV_DIRS[@]}" "${MODULE_DIRS[@]}"; do
    check_dir "$dir"
  done

  say "terraform test of the whole stack, lean and standard (tests/stack, mock provider)"
  TF_PLUGIN_DIR="$PLUGIN_DIR" bash "$TF_DIR/tests/plan_stack.sh" >"$WORK/stack.log" 2>&1 ||
    { cat "$WORK/stack.log"; echo "stack test failed" >&2; exit 1; }
  grep -E '^  run "|^Success' "$WORK/stack.log"
else
  [ -z "$TERRAFORM" ] && loud "NO terraform BINARY ON PATH: terraform fmt/validate/test ARE NOT RUNNING." \
    "Falling back to parsing with python-hcl2 and cross-checking references."
  [ -n "$TERRAFORM" ] && [ -z "$PLUGIN_DIR" ] && loud "NO hashicorp/aws PROVIDER MIRROR (set TF_PLUGIN_DIR or provide /opt/tf-plugins):" \
    "terraform validate/test ARE NOT RUNNING. Falling back to python-hcl2 parsing and reference checks."
  if [ -n "$TERRAFORM" ]; then
    say "terraform fmt -check -recursive (needs no provider)"
    "$TERRAFORM" fmt -check -recursive -diff "$TF_DIR"
  fi
  FALLBACK_PY="$ROOT/.venv/bin/python"
  [ -x "$FALLBACK_PY" ] || FALLBACK_PY="$PYTHON"
  "$FALLBACK_PY" "$TF_DIR/tests/hcl_fallback.py" "$TF_DIR"
fi

say "checkov $CHECKOV_VERSION (own virtualenv: it pins a python-hcl2 that conflicts with the project's)"
if ! "$CHECKOV_VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  "$PYTHON" -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install -q "checkov==$CHECKOV_VERSION"
fi
# --skip-download: no Bridgecrew platform calls; the built-in policies are all we use.
"$CHECKOV_VENV/bin/checkov" --directory "$TF_DIR" --framework terraform --skip-download \
  --compact --quiet --output cli

say "terraform checks passed"
