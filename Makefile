# The two commands a fresh machine needs: `make demo` and `make test`. Everything installs into ./.venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
BIN := .venv/bin
YEARS ?= 2023 2024 2025
YEAR ?= 2025
PORT ?= 3000
# Respondents per `make bench` row; the national scale: make bench SIZES="1000 100000 1000000".
SIZES ?= 1000 10000 100000
# Items of the bench's questionnaire (the seeded 25 plus added statements): issue 10's goal is 40.
ITEMS ?= 40

DAGSTER_HOME ?= $(CURDIR)/.dagster
export DAGSTER_HOME
# The environment's tools come first: dagster-dbt runs `dbt` from PATH (DbtProject.prepare_if_dev under `dg dev`),
# and `dg` checks that the active environment is the project's.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export VIRTUAL_ENV := $(CURDIR)/.venv
export UV_PYTHON_DOWNLOADS := never
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

MANIFEST := dbt_project/target/manifest.json

.PHONY: install manifest browser demo demo-data release release-run ui test lint bench clean

$(UV):
	@echo "Bootstrapping uv into $(TOOLS)/"
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# Bytecode compiled once at install: every process of a release (dbt, Dagster's run worker, each stage) otherwise
# compiles the libraries it imports again where .pyc files cannot be written (PYTHONDONTWRITEBYTECODE, read-only
# installs). Measured: importing dagster, dagster-dbt, pandas, duckdb and Great Expectations 13.2 -> 6.7 s.
.venv/.installed: pyproject.toml uv.lock | $(UV)
	@echo "Installing the locked environment into .venv/ (uv sync)"
	@$(UV) sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	@touch $@

install: .venv/.installed

# dbt's manifest, which Dagster's dbt assets are built from (never parsed at import), parsed with the release's vars
# and warehouse so the release's dbt build reuses the parse; not parsed again while nothing the parse reads changed.
manifest: install
	@$(BIN)/python -m orchestration.dbt_invocation

# Headless Chromium prints the reports to PDF and runs the browser tests; Debian's package, never a downloaded build.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@chromium --version >/dev/null 2>&1 || { echo "chromium does not start"; exit 1; }

demo-data: install
	@$(BIN)/python -m orchestration.demo_data --landing "$${MEDARBEIDERINDEKS_LANDING:-data/landing}"

# Progress one line per stage and year; Dagster's and dbt's output go to logs/ (VERBOSE=1 shows them live).
# The demo's data is made up, so its releases may use the documented demo pseudonym key.
demo: demo-data manifest browser
	@MEDARBEIDERINDEKS_DEMO=1 $(BIN)/python -m orchestration.cli $(YEARS)

# A release builds its own year and keeps the other years' stored rows; REBUILD=1 rebuilds every loaded year
# (dbt --full-refresh), e.g. after a change of methodology. A year whose release is current (the landing files, code,
# settings and warehouse it was built from are unchanged: orchestration/release_inputs.py) is not released again;
# FORCE=1 (or REBUILD=1) releases it anyway.
release: install
	@if [ -z "$(FORCE)$(REBUILD)" ] && $(BIN)/python -m orchestration.release_inputs $(YEAR); then :; \
	else $(MAKE) --no-print-directory release-run; fi

release-run: manifest browser
	@$(BIN)/python -m orchestration.cli $(if $(filter 1,$(REBUILD)),--rebuild-all-years) $(YEAR)

ui: manifest
	@$(BIN)/python -m orchestration.register_years
	$(BIN)/dg dev -h 127.0.0.1 -p $(PORT)

lint: manifest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests
	$(BIN)/dg check defs
	@# Documentation and ownership of every model, macro and seed, scored by dbt-score (must stay above 9.5).
	cd dbt_project && ../$(BIN)/dbt-score lint --manifest target/manifest.json --fail-project-under 9.5 --show failing-items

# Whole test files go to each worker (--dist loadfile), so a module's built warehouse is built once; the slowest
# tests are listed at the end, to see where CI's time goes.
TEST_WORKERS ?= 2
test: lint browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=25

bench: manifest browser
	$(BIN)/python -m bench.run_bench --respondents $(SIZES) --items $(ITEMS)

clean:
	rm -rf data releases logs .dagster/storage .dagster/history .dagster/schedules .dagster/logs \
		dbt_project/target dbt_project/logs
