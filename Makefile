# One entry point for people and CI. Every target builds or refreshes the environment itself.
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export TICKETING_DATA_DIR ?= ./var

MEMBERS := contracts libs/eventstore libs/ticketfeed libs/web services/tickets services/query services/notifications services/attachments services/panel
PYPROJECTS := pyproject.toml $(addsuffix /pyproject.toml,$(MEMBERS)) constraints.txt

.PHONY: env run test test-integration lint fmt bench schemas token clean engines-up engines-down \
	engines-status run-distributed up down

env: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(STAMP): $(PYPROJECTS) | $(UV)
	test -x $(PY) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(PY) -c constraints.txt \
		$(addprefix -e ,$(MEMBERS)) -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/ticketing run --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest

# The suites on the real engines (started here if they are not up) and the distributed e2e;
# an engine that does not answer fails them instead of skipping.
test-integration: $(STAMP) engines-up
	TICKETING_REQUIRE_ENGINES=$${TICKETING_REQUIRE_ENGINES:-kafka,mongodb,s3} \
		$(PY) -m pytest -m integration

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

schemas: $(STAMP)
	$(PY) -m ticketing_contracts.generate

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) $(TOOLS)

# Real engines (Kafka, FerretDB, MinIO or s3proxy) as local processes on 127.0.0.1: deploy/local/README.md
engines-up:
	bash deploy/local/engines.sh up

engines-down:
	bash deploy/local/engines.sh down

engines-status:
	bash deploy/local/engines.sh status

# The four services, the relay and the gateway as separate processes on the local engines.
run-distributed: $(STAMP)
	bash deploy/local/run-distributed.sh

# The whole topology in containers, where a container engine exists (deploy/README.md).
up:
	docker compose -f deploy/compose.yaml up -d --build

down:
	docker compose -f deploy/compose.yaml down
