# PromptSentry — `make run` starts the server, `make test` runs the suite.
# Both bootstrap .venv on a fresh machine: `run` installs the service's runtime dependencies
# only; `test` (and bench/lint) add the dev and training extras (pytest, the SDK, CPU torch
# for the fine-tuning test, …).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev

.PHONY: run test venv bench lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	@touch $(RUNTIME_STAMP)

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(DEV_STAMP) $(RUNTIME_STAMP)

venv: $(DEV_STAMP)

run: $(RUNTIME_STAMP)
	$(PY) -m promptsentry serve

test: $(DEV_STAMP)
	$(PY) -m pytest -q

bench: $(DEV_STAMP)
	$(PY) bench/pipeline.py

lint: $(DEV_STAMP)
	$(PY) -m ruff check src tests bench

# Leaves the data directory alone on purpose (the SQLite database with tenants, keys and
# templates, and the audit salt): `serve` names it at start-up; README.md says how to remove it.
clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
	@echo "kept the data directory (default ~/.local/share/promptsentry, or PROMPTSENTRY_DATA_DIR); remove it with: rm -rf ~/.local/share/promptsentry"
