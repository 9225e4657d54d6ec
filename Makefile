# tap-moco: two commands on a fresh machine (Python 3.10+, make): `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano
MELTANO_VERSION := 4.4.1
PYTHON_VERSIONS := 3.10 3.11 3.12 3.13
MAIN_PYTHON_VERSION = $(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
MATRIX_OTHERS = $(filter-out $(MAIN_PYTHON_VERSION),$(PYTHON_VERSIONS))

.PHONY: install install-meltano test test-suite test-lint test-beside lint demo bench schemas catalog clean matrix plugin-settings mutants soak mutation

UV := $(VENV)/bin/uv

# uv installs in seconds what pip takes minutes for; pip only brings uv itself. The venv gets
# no pip of its own (`ensurepip` costs 5 s): the outer Python's pip installs uv into it
# (`pip --python`, pip 22.3+), or, where that Python has none, the venv's after all.
$(PY):
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(PY) install --quiet uv 2>/dev/null || \
	  { $(PY) -m ensurepip --default-pip > /dev/null && $(PY) -m pip install --quiet uv; }

$(VENV)/.installed: $(PY) pyproject.toml
	$(UV) pip install --quiet --python $(PY) -e '.[dev]'
	touch $@

# Bytecode once, here: uv installs none, and where PYTHONDONTWRITEBYTECODE is set every one of
# the suite's hundreds of tap and Meltano processes would compile its imports again (1-3 s each).
# A file that does not compile is compiled at import, as before.
COMPILE = -m compileall -qq -j 0

$(VENV)/.bytecode: $(VENV)/.installed
	$(PY) $(COMPILE) $(VENV)/lib || true
	touch $@

install: $(VENV)/.installed $(VENV)/.bytecode

# No pip in Meltano's venv: uv installs into it (`ensurepip` alone costs about 6 s of CPU).
$(MELTANO): $(PY)
	$(PYTHON) -m venv --without-pip $(MELTANO_VENV)
	$(UV) pip install --quiet --python $(MELTANO_VENV)/bin/python 'meltano==$(MELTANO_VERSION)'

$(MELTANO_VENV)/.bytecode: $(MELTANO)
	$(MELTANO_VENV)/bin/python $(COMPILE) $(MELTANO_VENV)/lib || true
	touch $@

install-meltano: $(MELTANO) $(MELTANO_VENV)/.bytecode

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# `make test`: both venvs (side by side), then at once the whole suite (eight workers, a file
# per worker, the slow files first: tests/conftest.py), lint and, at a lower priority, the
# matrix for the Pythons other than the main venv's (which ran everything). The suite's tests
# mostly wait (rate windows, latency, kills, Meltano): on two cores four workers left a third
# of the CPU idle; with eight the eight slowest files run side by side and the README
# walkthrough, one chain of commands, sets the length.
# The output of lint ($(LINT_LOG)) and of the matrix ($(BESIDE_LOG)) follows the suite's;
# `make test` fails if any of the three failed.
# The slower tier, not run here nor on CI: `make mutants` (the planted defects, a regression
# list of the tests' strength, about as much CPU as the suite) and `make mutation`.
BESIDE_LOG := $(VENV)/test-beside.log
LINT_LOG := $(VENV)/test-lint.log

test:
	@$(MAKE) --no-print-directory -j 2 install install-meltano
	@rm -f $(BESIDE_LOG) $(LINT_LOG)
	@$(MAKE) --no-print-directory -j 3 test-suite test-lint test-beside; status=$$?; \
	echo "== lint ($(LINT_LOG)):"; cat $(LINT_LOG); \
	echo "== matrix ($(BESIDE_LOG)):"; cat $(BESIDE_LOG); exit $$status

test-lint:
	@$(MAKE) --no-print-directory lint > $(LINT_LOG) 2>&1

test-suite:
	MELTANO_BIN=$(abspath $(MELTANO)) $(VENV)/bin/pytest -n 8 --dist loadfile

test-beside:
	@echo "the matrix on $(MATRIX_OTHERS): beside the suite (nice 5)"
	@PYTHON_VERSIONS="$(MATRIX_OTHERS)" nice -n 5 scripts/python_matrix.sh > $(BESIDE_LOG) 2>&1

demo: install install-meltano
	MELTANO_BIN=$(abspath $(MELTANO)) $(PY) scripts/demo.py

bench: install
	$(PY) -m bench

# Plant each defect of scripts/mutants.toml alone in a copy of the repository; its tests must fail.
mutants: install
	$(PY) scripts/mutants.py

# An honest score: a seeded sample of cosmic-ray's mutants over tap_moco/, each run against the
# tests coverage saw executing its line (scripts/mutation_sample.py; report in .mutation/).
SEED ?= 1
PER_MODULE ?= 8
mutation: install
	nice -n 19 $(PY) scripts/mutation_sample.py --seed $(SEED) --per-module $(PER_MODULE)

# The chaos soak of tests/test_soak.py, longer: `make soak SEEDS=N` runs seeds 1..N (default
# 10), each with RUNS chaos runs (default 8) before the clean run; a failure prints its seed.
SEEDS ?= 10
RUNS ?= 8
soak: install
	SOAK_SEEDS=$(SEEDS) SOAK_RUNS=$(RUNS) $(VENV)/bin/pytest tests/test_soak.py --timeout=1800

# MOCO's OpenAPI document is not in this repository: `make schemas OPENAPI=/path/openapi.json`
# (without OPENAPI the generator looks for ../shared/moco-api/openapi.json and says where to get it).
schemas: install
	$(PY) scripts/generate_schemas.py $(if $(OPENAPI),--openapi $(OPENAPI))

catalog: install
	$(VENV)/bin/tap-moco --discover > catalog.json

# The settings lists of the Hub definition and meltano.yml, from `tap-moco --about`.
plugin-settings: install
	$(PY) scripts/plugin_settings.py

# The fast subset of the suite on Python 3.10 to 3.13, one venv each in .venv-matrix/.
matrix:
	PYTHON_VERSIONS="$(PYTHON_VERSIONS)" scripts/python_matrix.sh

clean:
	rm -rf $(VENV) $(MELTANO_VENV) .venv-matrix .meltano output *.duckdb dist
