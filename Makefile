# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help install run test test-fast test-postgres test-strict lint bench bench-control-plane minio up down clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[postgres,test,dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the gateway with test and dev tools

run: $(STAMP)  ## local S3 (MinIO if installed, else moto) + the gateway on SQLite, at :8000
	PATH="$(CURDIR)/$(BIN):$$PATH" bash deploy/dev/run.sh

test: $(STAMP)  ## the whole suite against moto running as a server, on SQLite
	$(BIN)/python -m pytest -m "not strict" $(PYTEST_ARGS)

test-fast: $(STAMP)  ## unit tests only
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-postgres: $(STAMP)  ## integration + e2e suites on a throwaway PostgreSQL (deploy/dev/postgres.sh)
	exports=$$(bash deploy/dev/postgres.sh start) || exit 1; eval "$$exports"; \
	  GATEWAY_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -m "not strict" tests/integration tests/e2e $(PYTEST_ARGS); \
	  status=$$?; bash deploy/dev/postgres.sh stop; exit $$status

test-strict: $(STAMP)  ## integration + strict tests against a throwaway Ceph RGW
	bash deploy/ceph/rgw.sh install
	bash deploy/ceph/rgw.sh start
	eval "$$(bash deploy/ceph/rgw.sh env)" && $(BIN)/python -m pytest tests/integration $(PYTEST_ARGS); \
	  status=$$?; bash deploy/ceph/rgw.sh stop; exit $$status

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)  ## benchmarks (medians and ratios against an in-run baseline)
	$(BIN)/python -m bench.initiate
	$(BIN)/python -m bench.proxy
	$(BIN)/python -m bench.upload
	$(BIN)/python -m bench.browser_upload
	$(BIN)/python -m bench.control_plane
	$(BIN)/python -m bench.inspect_cpu

bench-control-plane: $(STAMP)  ## inspect and re-sign req/s on SQLite and PostgreSQL vs a bare Flask app
	$(BIN)/python -m bench.control_plane

minio:  ## a local MinIO on :9000 (needs a minio binary or Docker)
	bash deploy/dev/minio.sh

up:  ## docker compose: gateway + MinIO + PostgreSQL
	@docker compose version >/dev/null 2>&1 || { echo "make up needs Docker with its compose plugin (docker compose)" >&2; exit 1; }
	docker compose -f deploy/docker-compose.yml up --build -d

down:  ## stop the compose stack
	@docker compose version >/dev/null 2>&1 || { echo "make down needs Docker with its compose plugin (docker compose)" >&2; exit 1; }
	docker compose -f deploy/docker-compose.yml down

clean:  ## remove the venv, local state and caches
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache *.egg-info
