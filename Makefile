# One entry point for people and CI. Every target builds or refreshes the environment itself.
# `make` alone (or `make help`) lists the targets: each public one says what it does in a
# `## ` comment on its own line, which `help` prints.
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export TICKETING_DATA_DIR ?= ./var

MEMBERS := contracts libs/eventstore libs/sqlite libs/ticketfeed libs/ticketmodel libs/web services/tickets services/query services/notifications services/attachments services/panel
PYPROJECTS := pyproject.toml $(addsuffix /pyproject.toml,$(MEMBERS)) constraints.txt

.PHONY: help env run test test-integration fuzz lint fmt bench schemas clean engines-up \
	engines-down engines-status run-distributed up down
.DEFAULT_GOAL := help

help: ## list these targets, one line each (what `make` alone does)
	@awk 'BEGIN { FS = ":[^#]*## " } /^[a-z][a-z-]*:.*## / { printf "  make %-17s %s\n", $$1, $$2 }' $(firstword $(MAKEFILE_LIST))

env: $(STAMP) ## create or refresh the Python environment (.venv, uv in .tools)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(STAMP): $(PYPROJECTS) | $(UV)
	test -x $(PY) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(PY) -c constraints.txt \
		$(addprefix -e ,$(MEMBERS)) -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) ## serve the embedded mode (HOST=127.0.0.1 PORT=8000); prints the panel's URL
	$(VENV)/bin/ticketing run --host $(HOST) --port $(PORT)

test: $(STAMP) ## run the whole test suite
	$(PY) -m pytest

# The suites on the real engines (started here if they are not up) and the distributed e2e;
# an engine that does not answer fails them instead of skipping.
test-integration: $(STAMP) engines-up ## start the engines if needed; run the suites marked integration
	TICKETING_REQUIRE_ENGINES=$${TICKETING_REQUIRE_ENGINES:-kafka,mongodb,s3} \
		$(PY) -m pytest -m integration

# The fuzz targets of our own parsers (tests/fuzz) for TICKETING_FUZZ_SECONDS in all (`make test`
# runs the same targets for a few seconds).
fuzz: $(STAMP) ## run the fuzz targets of our own parsers for TICKETING_FUZZ_SECONDS (default 180)
	TICKETING_FUZZ_SECONDS=$${TICKETING_FUZZ_SECONDS:-180} $(PY) -m pytest tests/fuzz -q -p no:cacheprovider -o timeout=0

lint: $(STAMP) ## ruff, ruff format --check, mypy strict
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: $(STAMP) ## format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

schemas: $(STAMP) ## regenerate contracts/schemas/ and contracts/asyncapi.json
	$(PY) -m ticketing_contracts.generate

# Starts the engines the relay and distributed benches need when they are not up, and stops only
# what it started. `make bench BENCH=http` runs one benchmark.
bench: $(STAMP) ## run the benchmarks (figures in bench/results/; starts missing engines)
	bash deploy/local/with-engines.sh $(PY) -m bench.run $(BENCH)

clean: ## remove .venv and .tools
	rm -rf $(VENV) $(TOOLS)

# Real engines (Kafka, FerretDB, MinIO or s3proxy) as local processes on 127.0.0.1: deploy/local/README.md
engines-up: ## start Kafka, FerretDB and MinIO as local processes (built once, cached)
	bash deploy/local/engines.sh up

engines-down: ## stop the engines engines-up started
	bash deploy/local/engines.sh down

engines-status: ## what engines run, and whether they answer
	bash deploy/local/engines.sh status

# The four services, the relay and the gateway as separate processes on the local engines.
run-distributed: $(STAMP) ## the relay, four services and gateway as processes on the engines
	bash deploy/local/run-distributed.sh

# The whole topology in containers, where a container engine exists (deploy/README.md).
up: ## the whole topology in containers (deploy/compose.yaml; needs a container engine)
	docker compose -f deploy/compose.yaml up -d --build

down: ## stop the containers of `make up`
	docker compose -f deploy/compose.yaml down
