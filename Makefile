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

DAGSTER_HOME ?= $(CURDIR)/.dagster
export DAGSTER_HOME
# The environment's tools come first: dagster-dbt runs `dbt` from PATH (DbtProject.prepare_if_dev under `dagster dev`).
export PATH := $(CURDIR)/$(BIN):$(PATH)
export UV_PYTHON_DOWNLOADS := never
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

MANIFEST := dbt_project/target/manifest.json
RELEASE_CMD = $(BIN)/dagster job execute -m orchestration.definitions -j yearly_index_release \
	--tags '{"dagster/partition": "$(1)"}'

.PHONY: install manifest browser demo demo-data release ui test lint bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: .venv/.installed

# dbt's manifest, which Dagster's dbt assets are built from (never parsed at import).
manifest: install
	cd dbt_project && ../$(BIN)/dbt parse --quiet

# Headless Chromium prints the reports to PDF and runs the browser tests; Debian's package, never a downloaded build.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@chromium --version

demo-data: install
	$(BIN)/python -m orchestration.demo_data --landing "$${MEDARBEIDERINDEKS_LANDING:-data/landing}"

# The demo's data is made up, so its releases may use the documented demo pseudonym key.
demo: demo-data manifest
	@for year in $(YEARS); do MEDARBEIDERINDEKS_DEMO=1 $(MAKE) --no-print-directory release YEAR=$$year || exit 1; done
	@$(BIN)/python -m orchestration.show_releases

release: manifest
	$(BIN)/python -m orchestration.register_years
	$(call RELEASE_CMD,$(YEAR))

ui: manifest
	$(BIN)/python -m orchestration.register_years
	$(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p $(PORT)

lint: manifest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

test: lint browser
	$(BIN)/pytest

bench: manifest
	$(BIN)/python -m bench.run_bench

clean:
	rm -rf data releases .dagster/storage .dagster/history .dagster/schedules .dagster/logs \
		dbt_project/target dbt_project/logs
