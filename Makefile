# tap-moco: two commands on a fresh machine (Python 3.10+, make): `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano
MELTANO_VERSION := 4.4.1

.PHONY: install install-meltano test lint demo bench schemas catalog clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

$(MELTANO):
	$(PYTHON) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/pip install --quiet 'meltano==$(MELTANO_VERSION)'

install-meltano: $(MELTANO)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: install install-meltano lint
	MELTANO_BIN=$(abspath $(MELTANO)) $(VENV)/bin/pytest

demo: install install-meltano
	MELTANO_BIN=$(abspath $(MELTANO)) $(PY) scripts/demo.py

bench: install
	$(PY) -m bench

schemas: install
	$(PY) scripts/generate_schemas.py

catalog: install
	$(VENV)/bin/tap-moco --discover > catalog.json

clean:
	rm -rf $(VENV) $(MELTANO_VENV) .meltano output *.duckdb
