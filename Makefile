# Two commands set everything up on a fresh machine with python3 and pip:
#   make demo   -> runs the demo (the main job)
#   make demo-web -> the two-user web demo in your browser (prints its URL)
#   make test   -> installs what the tests need, runs lint, types and the tests
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo demo-web test install-dev lint typecheck pytest bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[all]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/mcp-gateway-tools demo

demo-web: $(VENV)/.installed-demo
	$(BIN)/mcp-gateway-tools demo --web

install-dev: $(VENV)/.installed-dev

lint: install-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: install-dev
	$(BIN)/mypy --strict src

pytest: install-dev
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: install-dev
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
