# The README's two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS ?= sim,web,ray,dev

.PHONY: run test install install-dev lint typecheck pytest bench clean shipped

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[$(EXTRAS)]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, build the database from the shipped data, print the national summary.
run: install
	$(BIN)/sharemap build
	$(BIN)/sharemap stats
	$(BIN)/sharemap agency "Canadian County Sheriff's Office" --state OK

## make test: install test dependencies, then ruff, mypy and pytest.
test: install-dev lint typecheck pytest

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest -n 2

bench: install-dev
	$(BIN)/python benchmarks/run_all.py

## Rebuild the shipped ledger from ICE's raw files in ../shared/reference (maintainers only).
shipped: install
	$(BIN)/sharemap build --from-reference --write-shipped

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
