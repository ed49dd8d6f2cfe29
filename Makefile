# Two entry points, each doing all the set-up a fresh Debian 12 machine needs:
#   make run   the service on http://$WANGGE_HOST:$WANGGE_PORT with an embedded PostGIS
#   make test  ruff, mypy and pytest against a real PostGIS the tests start themselves
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# chromium and fonts-noto-cjk: the browser tests (tests/test_browser_*.py) and their screenshots;
# gdal-bin: ogrinfo reads /ogc in tests/test_ogc.py, as QGIS and GDAL users would
# haproxy and pgbouncer: make run-cluster (wangge cluster) and tests/test_cluster.py
APT_PACKAGES := postgresql-15 postgresql-15-postgis-3 chromium fonts-noto-cjk gdal-bin haproxy \
	pgbouncer
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run run-cluster test setup system-deps lint typecheck pytest sample-data clean

help:
	@echo "make run    start the service with an embedded PostGIS and the sample data"
	@echo "make run-cluster  the same as WORKERS processes (default 2) behind HAProxy"
	@echo "make test   lint, type-check and run the test suite"
	@echo "make bench  measure the hot paths against their baselines into bench/RESULTS.md (bench-quick: < 5 min)"

run: setup
	$(BIN)/wangge run

# WORKERS service processes on consecutive ports after WANGGE_PORT, HAProxy on WANGGE_PORT;
# PGBOUNCER=1 puts PgBouncer (transaction pooling) in front of the database
WORKERS ?= 2
run-cluster: setup
	$(BIN)/wangge cluster --workers $(WORKERS) $(if $(PGBOUNCER),--pgbouncer)

test: setup lint typecheck pytest

setup: system-deps $(VENV)/.installed node_modules/.installed

# Debian packages, installed only when missing; node and npm may come from elsewhere.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	{ command -v node && command -v npm; } >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml constraints.txt
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	@touch $@

# The page assets served from /static/vendor/ (maps/assets.py), exactly as package-lock.json says.
node_modules/.installed: package.json package-lock.json .npmrc
	npm ci --no-audit --no-fund
	@touch $@

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest

sample-data: setup
	$(BIN)/python -m sample_data.generate

clean:
	rm -rf $(VENV) bench/.venv-tipg var node_modules test-artifacts .mypy_cache .pytest_cache .ruff_cache *.egg-info

# Benchmarks (bench/README in bench/__init__.py): every hot path as a ratio against its raw
# baseline, written to bench/RESULTS.md. tipg pins its own FastAPI, so it gets its own venv.
TIPG_VENV := bench/.venv-tipg
BENCH_DEPS := setup $(TIPG_VENV)/.installed

.PHONY: bench bench-quick

bench: $(BENCH_DEPS)
	$(BIN)/python -m bench run

bench-quick: $(BENCH_DEPS)
	$(BIN)/python -m bench run --quick

$(TIPG_VENV)/.installed:
	@[ -x $(TIPG_VENV)/bin/python ] || $(PYTHON) -m venv $(TIPG_VENV)
	$(TIPG_VENV)/bin/python -m pip install -q --disable-pip-version-check 'tipg==1.6.1' 'uvicorn==0.54.0'
	@touch $@
