# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test system-deps lint bench mutants serve clean messages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/shieldwall demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy src tests benchmarks tools
	$(BIN)/lint-imports

# Debian's chromium and postgresql first: installed if missing and we may, else stop at once.
system-deps:
	@bash scripts/system-deps

# Two worker processes (pytest-xdist), a test file to each at a time: each worker starts its
# own PostgreSQL cluster and its own databases, so they share nothing.
test: system-deps lint
	$(BIN)/pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/ledger_summary.py

# Mutation testing of the rules modules against the fast rule tests (minutes; not part of
# `make test`): prints `mutation score: K/N killed (P%)` and fails under 90%.
mutants: $(STAMP)
	$(BIN)/python tools/mutation_score.py

serve: $(STAMP)
	$(BIN)/shieldwall serve

clean:
	rm -rf $(VENV) var build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis \
	  .schemathesis .import_linter_cache test-results mutants

# Bring the French and Ukrainian catalogues up to date with the source; says what is left to
# translate (tests/test_catalogues.py fails until nothing is).
messages: $(STAMP)
	$(BIN)/python tools/messages.py
