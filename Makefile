# DataMed back office: the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: run test install install-dev lint format messages check-messages lock clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 est requis"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: installs, migrates, loads the demo, starts the web server and a worker.
run: install
	@bash scripts/run.sh

## make test: the whole suite, on DATABASE_URL / CELERY_BROKER_URL if set, else on
## the embedded default (SQLite + filesystem broker).
test: install-dev
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	PYTHONPATH=. $(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Regenerate locale/fr after changing user-facing strings (needs GNU gettext).
messages: install
	$(MANAGE) makemessages --locale fr --no-location --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'static/*' --ignore '*/demo_data/*'
	$(MANAGE) makemessages --locale fr --no-location --no-obsolete -d djangojs --ignore '.venv/*' --ignore 'var/*' --ignore 'static/*' --ignore '*/demo_data/*'
	$(MANAGE) compilemessages --locale fr --ignore '.venv/*'

## Fails when a user-facing string has no up-to-date French translation.
check-messages: install-dev
	PY=$(BIN)/python bash scripts/check_messages.sh

## Regenerate the locks from the .in files in a scratch virtualenv.
lock:
	rm -rf var/lockenv && $(PYTHON) -m venv var/lockenv
	var/lockenv/bin/pip install --quiet -r requirements.in
	(echo "# Lock of requirements.in (pip freeze in a clean Python 3.11 venv). Regenerate with: make lock"; var/lockenv/bin/pip freeze) > requirements.txt
	var/lockenv/bin/pip install --quiet -r requirements-dev.in
	(echo "# Lock of requirements-dev.in + requirements.in (pip freeze in a clean Python 3.11 venv). Regenerate with: make lock"; var/lockenv/bin/pip freeze) > requirements-dev.txt
	rm -rf var/lockenv

clean:
	rm -rf $(VENV) var/broker var/test-* static
