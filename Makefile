# Strategy Canvas: what a developer and CI run. From a fresh clone, a machine needs only
# Python 3.11+, make and apt-get (as root, or with sudo); everything else is installed
# by these targets, each of them safe to run again.
#
#   make run     the app on http://localhost:$(PORT) (migrates, seeds the demo canvas
#                into an empty database)
#   make team    a team server on this machine: PostgreSQL, two app processes and nginx
#                in front on http://127.0.0.1:8600 (scripts/team.sh); `make team-stop`
#   make test    the whole test suite, on SQLite and on a throwaway PostgreSQL
#   make lint    ruff (lint and format) and mypy
#   make bench   the benchmarks
#   make lock    rewrite requirements.lock from .venv after changing dependencies
#   make clean   caches and the test database server; `make distclean` also drops .venv
#
# .venv is built from requirements.lock (exact pins of every runtime and dev dependency)
# and is re-installed only when requirements.lock, pyproject.toml or the Python changed
# (scripts/ensure-venv.sh keeps a stamp in .venv).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k migrations -x"`.
PYTEST_ARGS ?= --durations=15
LINT_PATHS := $(wildcard src tests app.py pages bench)

.PHONY: help venv run team team-stop test lint bench lock clean distclean pg-start pg-stop

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

venv:
	@PYTHON=$(PYTHON) VENV=$(VENV) scripts/ensure-venv.sh

run: venv
	$(BIN)/strategy-canvas migrate
	$(BIN)/strategy-canvas demo --if-empty
	$(BIN)/streamlit run app.py --server.address localhost --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# SC_TEAM_ADDRESS=0.0.0.0 to serve the network; STRATEGY_CANVAS_ADMIN_PASSCODE to list
# the canvases (a team server runs in shared mode). The data stays in db/team/postgres.
team: venv
	@scripts/team.sh start

team-stop:
	@scripts/team.sh stop

# scripts/run-tests.sh: ensure-chromium.sh (CHROMIUM_PATH), ensure-postgres.sh start
# (TEST_DATABASE_URL), pytest on every CPU for all but the browser journeys, then the browser
# journeys one at a time, and ensure-postgres.sh stop on the way out, even on failure.
test: venv
	scripts/run-tests.sh $(PYTEST_ARGS)

lint: venv
	@status=0; \
	$(BIN)/ruff check $(LINT_PATHS) || status=1; \
	$(BIN)/ruff format --check $(LINT_PATHS) || status=1; \
	$(BIN)/mypy src || status=1; \
	exit $$status

# The benchmarks are modules of the bench package, run from the project root:
# `python -m bench.run_all` if bench/run_all.py exists, else `python -m bench` if
# bench/__main__.py does, else every bench/bench_*.py in turn (`python -m bench.bench_x`).
# Each prints its measurements against the budgets in docs/ARCHITECTURE.md; a failing one fails the
# target after the others have run.
bench: venv
	@if [ -f bench/run_all.py ]; then \
		$(BIN)/python -m bench.run_all; \
	elif [ -f bench/__main__.py ]; then \
		$(BIN)/python -m bench; \
	else \
		shopt -s nullglob; files=(bench/bench_*.py); \
		if [ $${#files[@]} -eq 0 ]; then echo "no bench/bench_*.py to run" >&2; exit 1; fi; \
		status=0; \
		for f in "$${files[@]}"; do \
			module=$${f%.py}; module=$${module//\//.}; \
			echo "== $(BIN)/python -m $$module"; \
			$(BIN)/python -m "$$module" || status=1; \
		done; \
		exit $$status; \
	fi

lock: venv
	@{ sed -n '/^#/p' requirements.lock; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -viE '^strategy[-_]canvas([=@ ]|$$)'; \
	} > requirements.lock.new
	@mv requirements.lock.new requirements.lock
	@echo "requirements.lock rewritten from $(VENV); review it with git diff"

# A PostgreSQL server for running pytest by hand:
#   make pg-start && export TEST_DATABASE_URL=$(scripts/ensure-postgres.sh url)
pg-start:
	@scripts/ensure-postgres.sh start

pg-stop:
	@scripts/ensure-postgres.sh stop

clean:
	scripts/ensure-postgres.sh stop
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .test-artifacts build dist
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -prune \
		-exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
