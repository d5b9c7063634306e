#!/usr/bin/env bash
# Plans the whole stack (modules/platform) once per deployment profile against the
# mock provider and prints terraform test's verbose output (the plan of every run):
#   bash terraform/tests/plan_stack.sh [extra terraform test args]
# terraform/tests/run.sh runs it as a test; scripts/cost.py parses its plans.
# It works on a copy of terraform/modules in which modules/secrets is replaced by
# tests/stack/secrets_stub (mock providers cannot run ephemeral resources).
# Needs terraform and the hashicorp/aws provider mirror (TF_PLUGIN_DIR or /opt/tf-plugins).
set -euo pipefail

TF_DIR="$(cd "$(dirname "$0")/.." && pwd)"
TERRAFORM="${TERRAFORM:-$(command -v terraform || true)}"
PLUGIN_DIR=""
for candidate in "${TF_PLUGIN_DIR:-}" /opt/tf-plugins; do
  if [ -n "$candidate" ] && [ -d "$candidate/registry.terraform.io/hashicorp/aws" ]; then
    PLUGIN_DIR="$candidate"
    break
  fi
done
if [ -z "$TERRAFORM" ] || [ -z "$PLUGIN_DIR" ]; then
  echo "plan_stack.sh needs a terraform binary and the hashicorp/aws provider mirror (TF_PLUGIN_DIR)" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/plan-stack.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cp -r "$TF_DIR/modules" "$WORK/modules"
find "$WORK/modules" -name '.terraform*' -prune -exec rm -rf {} +
rm -rf "$WORK/modules/secrets"
cp -r "$TF_DIR/tests/stack/secrets_stub" "$WORK/modules/secrets"
mkdir -p "$WORK/modules/platform/tests"
cp "$TF_DIR/tests/stack/stack.tftest.hcl" "$WORK/modules/platform/tests/"

: >"$WORK/terraformrc"
export TF_CLI_CONFIG_FILE="$WORK/terraformrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export TF_DATA_DIR="$WORK/data"
cd "$WORK/modules/platform"
"$TERRAFORM" init -backend=false -plugin-dir="$PLUGIN_DIR" -input=false -no-color >"$WORK/init.log" 2>&1 ||
  { cat "$WORK/init.log" >&2; exit 1; }
"$TERRAFORM" test -no-color -verbose "$@"
