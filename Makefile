# The secretaries' course platform. `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
BACKUP_DIR ?= backups

.DEFAULT_GOAL := help

.PHONY: help install messages migrate static seed run serve test browser-check test-sqlite test-postgres lint format bench \
	backup restore backup-drill

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned requirements

# Compiled with Babel (no gettext needed), and only when the .po changed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -i $< -o $@

messages: $(MO_FILES) ## Compile the translations (.po -> .mo)

migrate: install ## Apply database migrations
	$(MANAGE) migrate --noinput -v1

# With the production settings, so the manifest holds every name production asks for; collecting
# needs no real secret, hence a build-only key when none is set.
static: install ## Collect static files for whitenoise (production manifest)
	DJANGO_SETTINGS_MODULE=school.settings.production SECRET_KEY="$${SECRET_KEY:-build-only-not-for-serving}" \
		$(MANAGE) collectstatic --noinput -v0

seed: migrate ## Load the demo course, regions and users (idempotent)
	$(MANAGE) seed_demo_content
	$(MANAGE) seed_demo_mentorships
	$(MANAGE) seed_demo_progress

# One process: migrates, loads the demo the first time, serves, and prints the logins with the address.
run: messages ## Set up everything and serve the demo at http://127.0.0.1:8000/ (HOST=, PORT= to change)
	$(MANAGE) rundemo --noreload $(HOST):$(PORT)

# The production stack on this machine: production settings, PostgreSQL and gunicorn. Plain HTTP, so
# the HTTPS redirect and secure-only cookies are off; HSTS is still sent on requests that arrive
# with X-Forwarded-Proto: https. No proxy in front, so login throttling uses the peer address
# (TRUSTED_PROXY_COUNT=0). A random SECRET_KEY per run unless one is set (logins end on restart).
serve: export DJANGO_SETTINGS_MODULE = school.settings.production
serve: export DATABASE_URL ?= $(PG_URL)
serve: export ALLOWED_HOSTS ?= 127.0.0.1,localhost
serve: export SECURE_SSL_REDIRECT ?= false
serve: export SECURE_COOKIES ?= false
serve: export TRUSTED_PROXY_COUNT ?= 0
serve: export HOST := $(HOST)
serve: export PORT := $(PORT)
serve: export SECRET_KEY ?= $(shell $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))")
serve: messages migrate static seed ## Production stack locally: gunicorn + PostgreSQL (DATABASE_URL, default PG_URL)
	@echo "Serving the production stack at http://$(HOST):$(PORT)/ (Ctrl+C stops)"
	$(VENV)/bin/gunicorn -c gunicorn.conf.py school.wsgi

lint: install ## ruff check, ruff format --check, Django checks, missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) check
	DJANGO_SETTINGS_MODULE=school.settings.test $(MANAGE) makemigrations --check --dry-run --noinput

format: install ## Format and fix with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: browser-check lint messages test-sqlite test-postgres ## The whole suite: lint, SQLite, then PostgreSQL when it answers

# The browser tests drive Debian's Chromium, which pip cannot install: say so at once, in one line.
browser-check:
	@command -v chromium >/dev/null || [ -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" ] || \
		{ echo "make test needs Chromium for the browser tests: run 'sudo apt-get install chromium' (or 'bash .ci/run', which installs it and runs the tests)."; exit 1; }

test-sqlite: install
	$(VENV)/bin/pytest

test-postgres: install
	@if $(PY) -c "import psycopg, sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL answers: running the suite on it"; \
		DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest; \
	else \
		echo "PostgreSQL does not answer at $(PG_URL): suite ran on SQLite only"; \
	fi

bench: install messages ## Large data set in PostgreSQL "bench", then per-page figures from gunicorn (SCALE=small, FRESH=1)
	DJANGO_SETTINGS_MODULE=bench.settings $(MANAGE) collectstatic --noinput -v0
	$(PY) -m bench seed --scale $(or $(SCALE),full)$(if $(FRESH), --fresh)
	$(PY) -m bench run $(BENCH_ARGS)

# The database of DATABASE_URL (PostgreSQL) and MEDIA_ROOT, as the site sees them; README: "Backups".
backup: install ## Dump the database and archive the media into BACKUP_DIR/<UTC time>/ (default backups/)
	$(MANAGE) backup --directory $(BACKUP_DIR)

restore: install ## Restore BACKUP=backups/<UTC time> into an empty database and MEDIA_ROOT (FORCE=1 replaces them)
	@test -n "$(BACKUP)" || { echo "Name the backup: make restore BACKUP=$(BACKUP_DIR)/<UTC time> (FORCE=1 to replace a non-empty database)"; exit 2; }
	$(MANAGE) restore "$(BACKUP)"$(if $(filter 1 yes true,$(FORCE)), --force)

backup-drill: install ## Demo data into a scratch PostgreSQL database, back up, restore into another, compare (PG_URL's server)
	$(MANAGE) backup_drill --server-url $(PG_URL)
