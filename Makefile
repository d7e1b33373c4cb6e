# One command to run, one to test; each creates .venv and installs what it needs when missing.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

# First run (or pyproject.toml changed): say what happens, one line per stage, and let pip show its progress.
$(BIN)/.installed: pyproject.toml
	@if [ -d $(VENV) ]; then echo "pyproject.toml changed: updating $(VENV)…"; \
	else echo "First run: creating $(VENV) and installing dependencies (about a minute or two)…"; fi
	@echo "[1/3] virtual environment $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@echo "[2/3] pip"
	@$(BIN)/pip install -q --upgrade pip
	@echo "[3/3] SignalPilot and its dependencies"
	@$(BIN)/pip install -e '.[dev]'
	@touch $@
	@echo "Installed in $(VENV); next time this step is skipped."

.PHONY: install run test lint bench docs
install: $(BIN)/.installed

run: $(BIN)/.installed
	$(BIN)/signalpilot run

test: $(BIN)/.installed
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check engine bot config tests bench

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_backtest.py

docs: $(BIN)/.installed
	$(BIN)/python -m config.docs
