"""The peer client: moco-py, pinned, in its own venv `.venv-bench/`, run against the sandbox.

moco-py (PyPI) is the most modern MOCO client; the bench exports the same `activities`
through it, against the same sandbox, to put tap-moco's figures next to a peer's. It lives in
its own venv, created here on first use, so its dependencies (httpx, pydantic) never mix
with the tap's. The export itself is `bench/moco_py_export.py`, run by that venv's Python.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any

from bench.harness import KEY, ROOT

MOCO_PY_VERSION = "1.2.0"
VENV = ROOT / ".venv-bench"
EXPORT_SCRIPT = Path(__file__).resolve().parent / "moco_py_export.py"


UV = ROOT / ".venv" / "bin" / "uv"
"""The uv that `make install` brings (as the suite's target venvs use it): it installs in a second
what pip takes several for, and a venv it fills needs no pip of its own (`ensurepip` alone
costs seconds of CPU)."""


def peer_python() -> Path:
    """The venv's interpreter with moco-py at the pinned version, installed if missing."""
    python = VENV / "bin" / "python"
    probe = "import importlib.metadata as m; print(m.version('moco-py'))"
    if python.exists():
        found = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
        if found.stdout.strip() == MOCO_PY_VERSION:
            return python
    else:
        venv.EnvBuilder(with_pip=not UV.is_file(), clear=True).create(VENV)
        # git ignores the venv from inside, like Python 3.13's venv does on its own
        (VENV / ".gitignore").write_text("*\n")
    print(f"... installing moco-py=={MOCO_PY_VERSION} into {VENV}", file=sys.stderr, flush=True)
    requirement = f"moco-py=={MOCO_PY_VERSION}"
    if UV.is_file():
        # bytecode at install, as pip writes it: the export's timed runs must not compile
        command = [str(UV), "pip", "install", "--quiet", "--compile-bytecode"]
        command += ["--python", str(python), requirement]
    else:
        command = [str(python), "-m", "pip", "install", "--quiet", requirement]
    install = subprocess.run(command, capture_output=True, text=True, check=False)
    if install.returncode != 0:  # the installer's own warnings are noise unless it failed
        sys.stderr.write(install.stderr)
        msg = f"could not install {requirement} into {VENV}"
        raise RuntimeError(msg)
    return python


def export_activities(base_url: str) -> dict[str, Any]:
    """Export every activity through moco-py; what it reports plus its wall time."""
    python = peer_python()  # installing it is not part of its time
    started = time.perf_counter()
    done = subprocess.run(
        [python, EXPORT_SCRIPT, base_url, KEY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    return result
