#!/usr/bin/env bash
# make test-host: lint, apply the playbook to this machine twice (the second run must
# change nothing), then testinfra and the restore drill. Installs and starts services
# on the machine it runs on: for CI's disposable machine, not a laptop.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(cd .. && pwd)"
BIN="$ROOT/.venv-ansible/bin"
export PATH="$BIN:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
LOG_DIR="$ROOT/build/test-host"
mkdir -p "$LOG_DIR"
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(($(date +%s) - start))"; }

step "yamllint"
yamllint --strict .
step "ansible-lint (production profile)"
ansible-lint --profile production --offline

step "apply the playbook (local inventory)"
ansible-playbook -i inventories/local playbooks/warehouse.yml | tee "$LOG_DIR/apply-1.log"

step "apply again: nothing may change"
ansible-playbook -i inventories/local playbooks/warehouse.yml | tee "$LOG_DIR/apply-2.log"
if ! grep -qE '^localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$LOG_DIR/apply-2.log"; then
  echo "second run was not idempotent:" >&2
  grep -B2 -E '^changed:' "$LOG_DIR/apply-2.log" >&2 || true
  exit 1
fi

step "check mode against the applied host changes nothing either"
ansible-playbook -i inventories/local playbooks/warehouse.yml --check | tee "$LOG_DIR/check.log"
grep -qE '^localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$LOG_DIR/check.log"

step "testinfra and the restore drill"
pytest -p no:cacheprovider -q --hosts=local:// tests/

step "test-host passed in $(($(date +%s) - start)) s"
