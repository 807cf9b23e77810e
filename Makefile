# Two commands for people: `make run` and `make test`. Everything else is plumbing for them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test install lint format migrate seed clean regions screenshots messages

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/flask --app app forum upgrade

seed: migrate
	$(BIN)/flask --app app forum seed --if-empty

run: seed
	$(BIN)/python app.py

# pytest exits with 5 when it collects no tests; that is not a failure of the project.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS) || test $$? -eq 5

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# After adding or changing interface text: re-extract it into forum/translations/*.po, then translate the
# new Korean entries (tests/test_i18n.py fails while any is missing).
messages: install
	$(BIN)/python -m forum.i18n

# After editing templates/live/regions/*.html (needs Node; the output is committed, so `make run` does not).
regions:
	node static/js/live/compile-regions.mjs

# Current pictures of the product in docs/screenshots/, taken with the system's Chromium (see the script).
screenshots: install
	$(BIN)/python docs/screenshots/take.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
