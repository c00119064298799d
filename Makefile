# Returns Portal — `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo $(VENV)/.uv/bin/uv)
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install vendor migrate seed serve stack worker beat bench lint fmt clean browsers

$(UV):
	@$(PY) -m venv $(VENV)/.uv && $(VENV)/.uv/bin/pip install -q uv

$(BIN)/python: pyproject.toml uv.lock | $(UV)
	@$(UV) sync --frozen --python $(PY)
	@touch $(BIN)/python

install: $(BIN)/python vendor

# Front-end libraries from the npm registry, pinned in package-lock.json, served locally.
VENDOR_FILES := static/vendor/htmx.min.js static/vendor/chart.umd.min.js static/vendor/chart.umd.min.js.map

$(VENDOR_FILES) &: package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p static/vendor
	@cp node_modules/htmx.org/dist/htmx.min.js static/vendor/
	@cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/

vendor: $(VENDOR_FILES)

migrate: install
	@$(MANAGE) migrate --noinput

seed: migrate
	@$(MANAGE) seed_demo

run: seed
	@$(MANAGE) demo_logins
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	@$(MANAGE) runserver $(HOST):$(PORT)

test: install
	@$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	@$(BIN)/ruff check . && $(BIN)/ruff format --check .

fmt: install
	@$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# The full stack, natively: PostgreSQL + Redis from DATABASE_URL / CELERY_BROKER_URL,
# gunicorn + one Celery worker + Celery beat, all stopped together with Ctrl-C.
stack: install
	@test -n "$$DATABASE_URL" || (echo "set DATABASE_URL=postgres://…" && exit 2)
	@test -n "$$CELERY_BROKER_URL" || (echo "set CELERY_BROKER_URL=redis://…" && exit 2)
	@$(MANAGE) migrate --noinput && $(MANAGE) collectstatic --noinput -v0 && $(MANAGE) seed_demo
	@$(MANAGE) demo_logins
	@trap 'kill 0' EXIT INT TERM; \
	  $(BIN)/celery -A returns_portal worker --loglevel=INFO --concurrency=2 & \
	  $(BIN)/celery -A returns_portal beat --loglevel=INFO & \
	  $(BIN)/gunicorn returns_portal.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile - & \
	  wait

bench: install
	@$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
