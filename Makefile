# Werkgeverscrm. `make run` starts everything on this machine; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app crm:create_app
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format translations messages migrate demo install clean

run: install translations migrate demo  ## start web, worker and beat (embedded default)
	$(BIN)/python -m crm.embedded

test: install translations  ## run the whole test suite (CRM_TEST_DATABASE_URL picks the database)
	$(BIN)/pytest

lint: install  ## ruff (lint and format) and mypy (crm, tasks, config.py: see pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install  ## bring the database to the newest schema and load the reference lists
	$(BIN)/alembic upgrade head
	$(FLASK) crm load-reference

demo: install  ## load the demo partnership once (nothing happens when there are users)
	$(FLASK) crm seed-demo --if-empty

translations: install  ## compile the catalogues (extract/update: see crm/translations/README.md)
	@$(BIN)/pybabel compile -d crm/translations > /dev/null

messages: install  ## extract new Dutch strings and update the English catalogue (then translate them)
	$(BIN)/pybabel extract -F crm/translations/babel.cfg -k _l -k lazy_gettext --ignore-dirs=".*" --no-location --sort-output \
		--project=werkgeverscrm -o crm/translations/messages.pot crm templates
	$(BIN)/pybabel update -i crm/translations/messages.pot -d crm/translations --ignore-obsolete --ignore-pot-creation-date

install: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
