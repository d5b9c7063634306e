# The one entry point for people and CI. `make help` lists the targets and options.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Options, set after the target (make plan ENV=dev); `make help` lists the `## NAME` lines.
## VENV        Python virtualenv of the package, its tests and linters (.venv).
VENV        ?= .venv
## PYTHON      Interpreter that creates the virtualenvs (python3).
PYTHON      ?= python3
## ENV         Environment of plan, apply, edge-package, warehouse, dashboard-tunnel: prod (default) or dev.
ENV         ?= prod
## PYTEST_ARGS Extra pytest arguments of test-fast and test-python, e.g. PYTEST_ARGS='-k ingest'.
PYTEST_ARGS ?=
## CHECK       warehouse: CHECK=1 runs the playbook in check mode and shows diffs.
CHECK       ?=
## EVENTS_PER_REQUEST cost: events the SDK sends per request, for the cost per million events (default: the measured figure in scripts/prices.toml).
EVENTS_PER_REQUEST ?=
PY          := $(VENV)/bin/python
PIP_STAMP   := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
# The controller's Ansible, ansible-lint, yamllint and testinfra (pinned in
# ansible/requirements.txt; the `ansible` package bundles the collections).
ANSIBLE_VENV  := .venv-ansible
ANSIBLE_STAMP := $(ANSIBLE_VENV)/.installed-$(shell cat ansible/requirements.txt | md5sum | cut -c1-12)

# Debian packages the local stack and the tests use; installed only when missing.
APT_PACKAGES := postgresql postgresql-15-hll chromium fonts-liberation util-linux
# The R Shiny dashboards' packages (also read by Ansible's shiny role).
APT_PACKAGES += $(shell grep -v '^\s*\#' shiny/apt-packages.txt)

.PHONY: help setup apt venv sdk-deps shiny-deps edge-deps demo up test test-fast test-python test-sdk \
        test-edge test-terraform lint lint-r screenshots bench plan apply package edge-package \
        dashboard-tunnel cost ansible-venv warehouse test-host clean

help: ## List the targets and options.
	@echo 'Targets:'
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'
	@echo 'Options (NAME=value after the target):'
	@grep -hE '^## [A-Z_]+ ' $(MAKEFILE_LIST) | sed -E 's/^## ([A-Z_]+) +/\1\t/' | awk -F'\t' '{printf "  %-20s %s\n", $$1, $$2}'

setup: apt venv sdk-deps shiny-deps edge-deps ## Install everything the stack and tests need (idempotent).

apt: ## Install missing Debian packages (needs root or sudo).
	@bash scripts/apt-install.sh $(APT_PACKAGES)

venv: $(PIP_STAMP) ## Build .venv: the package and its dev tools (pyproject.toml); redone when that changes.
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

shiny-deps: ## Vendor the dashboards' plotly.js 2.x and bootstrap-datepicker (shiny/package-lock.json).
	@command -v npm >/dev/null || bash scripts/apt-install.sh nodejs npm
	@cd shiny && if [ ! -f node_modules/plotly.js-dist-min/plotly.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

edge-deps: sdk-deps ## Install the edge sign-in's npm packages from its lock file.
	@cd lambdas/edge-auth && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

demo: setup ## Run the whole local stack with simulated shoppers; prints the URLs.
	$(VENV)/bin/clickstream up --demo --etl-interval 15

up: setup ## Run the local stack without simulated shoppers.
	$(VENV)/bin/clickstream up

test: setup lint test-python test-sdk test-edge test-terraform ## Every test and the linters (what CI runs).

test-fast: venv ## Only the fast unit tests.
	$(VENV)/bin/pytest -q -m "not slow" tests/unit $(PYTEST_ARGS)

test-python: venv ## The whole pytest suite, slow tests included (PYTEST_ARGS narrows it).
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

test-sdk: sdk-deps ## SDK build, unit tests (vitest) and size budget.
	cd sdk && npm test

test-edge: edge-deps ## Unit tests of the Lambda@Edge sign-in (node:test).
	cd lambdas/edge-auth && npm test

test-terraform: ## Offline Terraform checks: fmt, validate, terraform test, checkov.
	bash terraform/tests/run.sh

lint: venv sdk-deps edge-deps lint-r ## One lint command for every language.
	$(VENV)/bin/ruff check lambdas tests bench ansible/tests scripts/cost.py scripts/lambda_files.py
	$(VENV)/bin/ruff format --check lambdas tests bench ansible/tests scripts/cost.py scripts/lambda_files.py
	$(VENV)/bin/mypy lambdas/clickstream scripts/cost.py scripts/lambda_files.py
	$(VENV)/bin/sqlfluff lint --disable-progress-bar lambdas/clickstream/sql sql/queries sql/migrations
	cd sdk && npm run lint
	cd lambdas/edge-auth && npm run lint
	@if command -v terraform >/dev/null; then TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive terraform; \
	else echo "!!! terraform not found: HCL formatting NOT checked (make test-terraform falls back to parsing)"; fi

lint-r: ## lintr on the Shiny app (parse-only when r-cran-lintr is missing).
	Rscript shiny/tests/lint.R

screenshots: setup ## Regenerate docs/screenshots/*.png of every dashboard module with demo data.
	$(PY) scripts/dashboard_screenshots.py --out docs/screenshots

bench: venv ## Run the benchmarks (prints rates and ratios).
	$(PY) bench/ingest.py
	$(PY) bench/etl.py --events 200000
	$(PY) bench/dashboard.py --events 1000000
	bash bench/sdk_size.sh
	$(PY) bench/sdk_batching.py

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

ansible-venv: $(ANSIBLE_STAMP) ## Build .venv-ansible: the controller's Ansible, ansible-lint, testinfra.
$(ANSIBLE_STAMP): ansible/requirements.txt
	@test -x $(ANSIBLE_VENV)/bin/python || $(PYTHON) -m venv $(ANSIBLE_VENV)
	$(ANSIBLE_VENV)/bin/python -m pip install -q --upgrade pip==25.3
	$(ANSIBLE_VENV)/bin/python -m pip install -q -r ansible/requirements.txt
	@rm -f $(ANSIBLE_VENV)/.installed-* && touch $@

warehouse: ansible-venv shiny-deps ## Configure the warehouse host of ENV over SSM (CHECK=1: check mode, diff).
	@mkdir -p build
	terraform -chdir=terraform/envs/$(ENV) output -json | \
	  $(ANSIBLE_VENV)/bin/python -c 'import json,sys; print(json.dumps({"terraform_outputs": {k: v["value"] for k, v in json.load(sys.stdin).items()}}))' \
	  > build/terraform-outputs-$(ENV).json
	cd ansible && AWS_REGION=$$(../$(ANSIBLE_VENV)/bin/python -c 'import json; print(json.load(open("../build/terraform-outputs-$(ENV).json"))["terraform_outputs"]["aws_region"])') \
	  WAREHOUSE_ENV=$(ENV) ../$(ANSIBLE_VENV)/bin/ansible-playbook -i inventories/prod \
	  -e @../build/terraform-outputs-$(ENV).json playbooks/warehouse.yml $(if $(CHECK),--check --diff)

test-host: ansible-venv shiny-deps ## Apply the host playbook to THIS machine twice, testinfra, restore drill (CI only).
	@mkdir -p build
	bash ansible/tests/run.sh

dashboard-tunnel: ## Break-glass: SSM port forwards to ENV's dashboard (localhost:8080) and PostgreSQL (localhost:15432).
	bash scripts/dashboard-tunnel.sh $(ENV)

cost: venv ## Fixed monthly cost per deployment profile and cost per million events, from the plan.
	$(PY) scripts/cost.py $(if $(EVENTS_PER_REQUEST),--events-per-request $(EVENTS_PER_REQUEST))

clean: ## Remove local state, builds and caches.
	rm -rf .local build sdk/dist .pytest_cache .hypothesis
