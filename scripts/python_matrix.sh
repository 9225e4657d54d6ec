#!/usr/bin/env bash
# `make matrix`: the fast subset of the suite on every Python that pyproject.toml claims.
#
# One venv per version under .venv-matrix/ (kept between runs; reinstalled when
# pyproject.toml changes), the project installed editable with its test extras by the main
# venv's uv (`make install` brings it; plain pip where it is missing), then the unit
# tests and one end-to-end sync against the sandbox. The full suite runs on the main venv's
# Python (`make test`); this proves the others import, parse settings, build schemas, throttle
# and sync. Versions: PYTHON_VERSIONS="3.10 3.11 3.12 3.13" (the default). An interpreter is
# found as pythonX.Y on PATH or under pyenv's versions; a missing one fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSIONS=${PYTHON_VERSIONS:-"3.10 3.11 3.12 3.13"}
SUBSET=(
  tests/test_settings.py
  tests/test_throttle.py
  tests/test_conform.py
  tests/test_schemas.py
  tests/test_catalog.py
  "tests/test_sync.py::test_second_run_returns_only_changes"
)

find_python() {
  local version=$1 candidate
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version"; do
    if [[ -x $candidate ]]; then echo "$candidate"; return; fi
  done
  if candidate=$(command -v "python$version") && "$candidate" -c '' 2>/dev/null; then
    echo "$candidate"; return
  fi
  echo "no python$version found (pyenv install $version, or put python$version on PATH)" >&2
  return 1
}

mkdir -p .venv-matrix
echo "*" > .venv-matrix/.gitignore   # git ignores the venvs without a .gitignore entry

failed=()
for version in $VERSIONS; do
  python=$(find_python "$version")
  venv=.venv-matrix/py$version
  start=$SECONDS
  if [[ ! -x $venv/bin/python ]]; then
    if [[ -x .venv/bin/uv ]]; then   # uv installs: no pip (ensurepip costs about 6 CPU-s)
      "$python" -m venv --without-pip "$venv"
    else
      "$python" -m venv "$venv"
    fi
  fi
  if [[ ! -f $venv/.installed || pyproject.toml -nt $venv/.installed ]]; then
    if [[ -x .venv/bin/uv ]]; then
      .venv/bin/uv pip install --quiet --python "$venv/bin/python" -e '.[test]'
    else
      "$venv/bin/python" -m pip install --quiet -e '.[test]'
    fi
    touch "$venv/.installed"
    rm -f "$venv/.bytecode"
  fi
  # bytecode once after an install (tests/bytecode.py says why): the project is installed
  # editable, so nothing under the venv changes until the next install
  if [[ ! -f $venv/.bytecode ]]; then
    "$venv/bin/python" -m compileall -qq -j 0 "$venv/lib" || true
    touch "$venv/.bytecode"
  fi
  echo "== Python $version ($("$venv/bin/python" -V 2>&1))"
  if "$venv/bin/python" -m pytest -q -p no:cacheprovider "${SUBSET[@]}"; then
    echo "== Python $version: passed in $((SECONDS - start)) s"
  else
    echo "== Python $version: FAILED"
    failed+=("$version")
  fi
done

if (( ${#failed[@]} )); then
  echo "matrix failed on: ${failed[*]}"
  exit 1
fi
echo "matrix passed on: $VERSIONS"
