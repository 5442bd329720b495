# One command runs the course (make lab), one passes the tests (make test).
# Each creates .venv and installs what it needs by itself.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PORT   ?= 8888

.PHONY: lab test lint bench notebooks demo kind-test clean help

help:
	@echo "make lab        open the course in JupyterLab (creates .venv on first run)"
	@echo "make test       run the whole test suite (creates .venv with test extras)"
	@echo "make bench      run the benchmarks and print their figures"
	@echo "make notebooks  regenerate notebooks/ (student releases) from solutions/"
	@echo "make demo       grade the embedded sample class and print a score table"
	@echo "make kind-test  run the live checks against a real kind cluster"

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "pod-course needs Python 3.11 or newer: set PYTHON=python3.11 (or newer)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.lab-installed: pyproject.toml $(VENV)/.python-ok
	$(PY) -m pip install --quiet -e '.[lab]'
	@touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.python-ok
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.lab-installed

lab: $(VENV)/.lab-installed
	$(BIN)/jupyter lab --notebook-dir=notebooks --port=$(PORT)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(VENV)/.test-installed
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

notebooks: $(VENV)/.test-installed
	$(PY) tools/release.py

demo: $(VENV)/.test-installed
	$(PY) tools/demo.py

kind-test: $(VENV)/.test-installed
	$(BIN)/pytest -m kind tests/kind

clean:
	rm -rf $(VENV) .nbgrader demo-out test-artifacts
