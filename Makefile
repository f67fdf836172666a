# The two commands of the README: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/huiying

.PHONY: venv demo serve test lint typecheck test-sqlite test-postgres services browser fonts bench screenshots clean

$(BIN)/huiying: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(BIN)/huiying

venv: $(BIN)/huiying

# Sets everything up and runs the product on SQLite with the demo city (Ctrl-C to stop).
demo: venv fonts
	$(BIN)/huiying demo --serve

serve: venv
	$(BIN)/huiying serve

services:
	script/ensure-services

browser:
	script/ensure-browser

# A Chinese font for the PDF of each form (installed with apt when none is found).
fonts: venv
	script/ensure-fonts

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy huiying config bench

test-sqlite: venv
	script/test-suite sqlite

test-postgres: venv services
	script/test-suite postgres

# Sets up and passes the whole suite: lint, types, migrations, pytest on SQLite and PostgreSQL.
test: venv services browser fonts lint typecheck
	$(BIN)/huiying makemigrations --check --dry-run
	script/test-both

# The README's screenshots, written by the browser tests.
screenshots: venv browser fonts
	HUIYING_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots script/test-suite sqlite -m browser

bench: venv services
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var
