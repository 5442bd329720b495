# One command runs the course (make lab), one passes the tests (make test).
# Each creates .venv and installs what it needs by itself.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PORT   ?= 8888

.PHONY: lab test lint bench notebooks demo cluster-test cluster-lifecycle-test cluster-up cluster-down clean help

help:
	@echo "make lab        open the course in JupyterLab (creates .venv on first run)"
	@echo "make test       run the whole test suite (creates .venv with test extras)"
	@echo "make bench      run the benchmarks and print their figures"
	@echo "make notebooks  regenerate notebooks/ (student releases) from solutions/"
	@echo "make demo       grade the embedded sample class and print a score table"
	@echo "make cluster-up    start the local course cluster (root, Linux; builds Kubernetes once)"
	@echo "make cluster-test  run the real-cluster suite on the course cluster that is up (kind or local)"
	@echo "make cluster-down  stop the local course cluster and remove everything it made"

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

# As root (containers, cloud shells) course.lab adds --allow-root; it opens chapter 1, prints the URL
# with its token, and turns off the Jupyter news question (course/data/jupyterlab/overrides.json).
lab: $(VENV)/.lab-installed
	$(PY) -m course.lab --notebook-dir=notebooks --port=$(PORT)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(VENV)/.test-installed
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

notebooks: $(VENV)/.lab-installed
	$(PY) tools/release.py

demo: $(VENV)/.lab-installed
	$(PY) tools/demo.py

cluster-test: $(VENV)/.test-installed
	$(BIN)/pytest -m cluster tests/cluster

cluster-lifecycle-test: $(VENV)/.test-installed
	$(BIN)/pytest -m lifecycle tests/cluster -s

cluster-up: $(VENV)/.test-installed
	$(BIN)/pod-course cluster up --engine local

cluster-down: $(VENV)/.test-installed
	$(BIN)/pod-course cluster down --engine local

clean:
	rm -rf $(VENV) .nbgrader demo-out test-artifacts
