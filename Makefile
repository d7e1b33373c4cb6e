# One command to run, one to test; each creates .venv and installs what it needs when missing.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

.PHONY: install run test lint bench
install: $(BIN)/.installed

run: $(BIN)/.installed
	$(BIN)/signalpilot run

test: $(BIN)/.installed
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check engine bot config tests bench

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_backtest.py
