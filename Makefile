# Chirp: the two commands a newcomer needs are `make run` and `make test`.
#
# With nothing configured, everything runs embedded (SQLite, in-process cache and channel
# layer, Celery tasks run eagerly). Set DATABASE_URL and REDIS_URL (see .env.example) to
# run the same code on PostgreSQL and Redis, with `make worker` and `make beat` alongside.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# One stamp per requirements file: `make run` installs what serving needs only; the first
# `make test`, `make lint` or `make bench` adds the dev tools (requirements-dev.txt) once.
SERVE_STAMP := $(VENV)/.requirements-serve
DEV_STAMP := $(VENV)/.requirements-dev
# --no-compile: Python compiles what it imports, on first import, instead of every module now.
PIP := $(BIN)/python -m pip install --disable-pip-version-check --no-compile

HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# Development defaults. Settings refuse to start with DEBUG off and the default secret, and
# plain-HTTP daphne cannot follow an HTTPS redirect. Anything already set in the environment wins.
export DJANGO_DEBUG ?= true
export DJANGO_SECURE_SSL_REDIRECT ?= false

.PHONY: help venv install install-serve run migrate seed worker beat test lint format bench bench-serve clean

help:
	@echo "make run      install what serving needs, migrate, load demo data, serve HTTP + WebSocket on $(HOST):$(PORT)"
	@echo "make test     run the test suite (extra pytest arguments: PYTEST_ARGS=...)"
	@echo "make lint     ruff check, ruff format --check, makemigrations --check, manage.py check, import layers"
	@echo "make format   apply ruff's fixes and formatting"
	@echo "make worker   Celery worker (needs REDIS_URL or CELERY_BROKER_URL; refuses to start without)"
	@echo "make beat     Celery beat, the periodic scheduler (needs a broker too; schedule in .run/)"
	@echo "make bench    every figure of the feed, fan-out and sockets in one run, table + charts (docs/benchmarks.md)"
	@echo "make bench-serve  the production servers vs make run's under 64 clients (needs wrk)"
	@echo "make venv     create .venv and install everything (requirements-dev.txt)"
	@echo "make clean    remove .venv, the SQLite database, media, collected static files and .run"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed since the last successful install.
$(SERVE_STAMP): requirements.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	@touch $(SERVE_STAMP)

# requirements-dev.txt includes requirements.txt: installed after it, pip adds only the tools.
$(DEV_STAMP): requirements-dev.txt $(SERVE_STAMP)
	$(PIP) -r requirements-dev.txt
	@touch $(DEV_STAMP)

install-serve: $(SERVE_STAMP)

venv install: $(DEV_STAMP)

migrate: install-serve
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

# Both refuse to start without a broker (config/celery.py): without one, `make run` runs
# tasks and the periodic schedule in its own process. Beat keeps its schedule file in .run/.
worker: install-serve
	$(BIN)/celery -A config worker -l info

beat: install-serve
	$(BIN)/celery -A config beat -l info

# pytest exits 5 when it collected nothing: that is a failure too (a filter or a path is wrong).
test: install
	@rc=0; $(BIN)/pytest -n auto $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$rc

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every figure of issue 12 in one run on the production arrangement (bench/run.py): a table,
# bench/results/latest.json and the charts in docs/benchmarks/. Drops and recreates its own
# database (DATABASE_URL, default .../chirp_bench; the name must contain "bench"); Redis from
# REDIS_URL (default redis://127.0.0.1:6379/0). Needs wrk and nginx. BENCH_ARGS=--help.
bench: install
	@for tool in wrk nginx; do command -v $$tool >/dev/null || [ -x /usr/sbin/$$tool ] || { \
		echo "make bench needs $$tool: apt-get install wrk nginx-light (Debian/Ubuntu)" >&2; exit 1; }; done
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The production serving arrangement (docker-compose.yml's gunicorn + daphne) and make run's
# daphne, each under 64 clients for 60 s per path; same database and Redis rules as `bench`.
bench-serve: install
	@command -v wrk >/dev/null || { echo "make bench-serve needs wrk, the HTTP load generator:" \
		"apt-get install wrk (Debian/Ubuntu) or brew install wrk (macOS)" >&2; exit 1; }
	$(BIN)/python bench/serving.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .run
