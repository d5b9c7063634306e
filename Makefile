# The one entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
PYTHON      ?= python3
PY          := $(VENV)/bin/python
PIP_STAMP   := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
ENV         ?= prod
PYTEST_ARGS ?=

# Debian packages the local stack and the tests use; installed only when missing.
APT_PACKAGES := postgresql chromium fonts-liberation util-linux

.PHONY: help setup apt venv sdk-deps edge-deps demo up test test-fast test-python test-sdk test-edge \
        test-terraform lint bench plan apply package edge-package dashboard-tunnel cost test-host clean

help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: apt venv sdk-deps edge-deps ## Install everything the stack and tests need (idempotent).

apt: ## Install missing Debian packages (needs root or sudo).
	@bash scripts/apt-install.sh $(APT_PACKAGES)

venv: $(PIP_STAMP)
$(PIP_STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || bash scripts/apt-install.sh python3-venv
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==25.3
	$(PY) -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

sdk-deps: ## Install the SDK's npm packages from its lock file.
	@command -v node >/dev/null || bash scripts/apt-install.sh nodejs npm
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || \
	  { echo "Node.js 20 or newer is needed for the SDK (found $$(node --version)); install it and re-run." >&2; exit 1; }
	@cd sdk && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

edge-deps: sdk-deps ## Install the edge sign-in's npm packages from its lock file.
	@cd lambdas/edge-auth && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

demo: setup ## Run the whole local stack with simulated shoppers; prints the URLs.
	$(VENV)/bin/clickstream up --demo --etl-interval 15

up: setup ## Run the local stack without simulated shoppers.
	$(VENV)/bin/clickstream up

test: setup lint test-python test-sdk test-edge test-terraform ## Every test and the linters (what CI runs).

test-fast: venv ## Only the fast unit tests.
	$(VENV)/bin/pytest -q -m "not slow" tests/unit $(PYTEST_ARGS)

test-python: venv
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

test-sdk: sdk-deps
	cd sdk && npm test

test-edge: edge-deps ## Unit tests of the Lambda@Edge sign-in (node:test).
	cd lambdas/edge-auth && npm test

test-terraform: ## Offline Terraform checks: fmt, validate, terraform test, checkov.
	bash terraform/tests/run.sh

lint: venv sdk-deps edge-deps ## One lint command for every language.
	$(VENV)/bin/ruff check lambdas tests bench scripts/cost.py
	$(VENV)/bin/ruff format --check lambdas tests bench scripts/cost.py
	$(VENV)/bin/mypy lambdas/clickstream scripts/cost.py
	cd sdk && npm run lint
	cd lambdas/edge-auth && npm run lint
	@if command -v terraform >/dev/null; then TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive terraform; \
	else echo "!!! terraform not found: HCL formatting NOT checked (make test-terraform falls back to parsing)"; fi

bench: venv ## Run the benchmarks (prints rates and ratios).
	$(PY) bench/ingest.py
	$(PY) bench/etl.py --events 200000
	bash bench/sdk_size.sh

package: venv ## Build the Lambda zips for arm64 into build/.
	bash scripts/package-lambdas.sh

edge-package: edge-deps ## Build build/edge-auth-$(ENV).zip with ENV's admin pool baked in.
	bash scripts/package-edge-auth.sh $(ENV)

plan: package edge-deps ## terraform plan for ENV (prod or dev).
	cd terraform/envs/$(ENV) && terraform init
	bash scripts/package-edge-auth.sh $(ENV)
	cd terraform/envs/$(ENV) && terraform plan -out=tfplan

apply: ## terraform apply of the plan made by `make plan`.
	cd terraform/envs/$(ENV) && terraform apply tfplan

dashboard-tunnel: ## Break-glass: SSM port forwards to ENV's dashboard (localhost:8080) and PostgreSQL (localhost:15432).
	bash scripts/dashboard-tunnel.sh $(ENV)

cost: venv ## Fixed monthly cost per deployment profile and cost per million events, from the plan.
	$(PY) scripts/cost.py --events-per-request $(or $(EVENTS_PER_REQUEST),10)

clean: ## Remove local state, builds and caches.
	rm -rf .local build sdk/dist .pytest_cache .hypothesis
