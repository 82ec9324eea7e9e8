# pipbench — every target sets itself up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all install demo test lint typecheck bench lab clean

all: test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/pipbench demo --out reports/demo

test: $(STAMP)
	$(BIN)/ruff check pipbench tests
	$(BIN)/ruff format --check pipbench tests
	$(BIN)/mypy pipbench
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check pipbench tests
	$(BIN)/ruff format --check pipbench tests

typecheck: $(STAMP)
	$(BIN)/mypy pipbench

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --allow-root --no-browser

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache .mypy_cache
