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

MEMBERS := contracts libs/eventstore libs/ticketfeed libs/web services/tickets services/query services/notifications services/attachments
PYPROJECTS := pyproject.toml $(addsuffix /pyproject.toml,$(MEMBERS)) constraints.txt

.PHONY: env run test lint fmt bench schemas token clean engines-up engines-down engines-status

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
