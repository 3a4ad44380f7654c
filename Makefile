# The README's two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS ?= sim,web,ray,dev

.PHONY: run test install install-dev browser lint typecheck pytest bench clean shipped

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[web,sim]'
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[$(EXTRAS)]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, build the database from the shipped data, print the national summary and one
## agency, then serve the web app on http://127.0.0.1:8000 (Ctrl-C to stop).
run: install
	$(BIN)/sharemap build
	$(BIN)/sharemap stats
	$(BIN)/sharemap agency "Canadian County Sheriff's Office" --state OK
	$(BIN)/sharemap serve

## make test: install test dependencies (Debian's Chromium for the browser tests), then ruff, mypy, pytest.
test: install-dev browser lint typecheck pytest

## Debian's Chromium (Playwright drives it) and Pango (WeasyPrint's PDF), installed when missing.
browser:
	@command -v chromium >/dev/null 2>&1 && ldconfig -p | grep -q libpango-1.0 || \
	  (DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver libpango-1.0-0 libpangoft2-1.0-0) || \
	  echo "warning: could not install chromium/pango with apt-get; browser and PDF tests will be skipped"

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
