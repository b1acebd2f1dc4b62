# A fresh clone needs only python3 (3.11+) and make. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: bench test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Quick start 1: install and run the main job on the embedded defaults (no download, no network).
bench: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/python -m bench

# Quick start 2: install with the test extras and run the whole test suite (ruff, then pytest).
test: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(BIN)/python
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
