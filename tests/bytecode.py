"""Bytecode for every Python the suite starts, compiled once instead of at every start.

The suite starts hundreds of processes (the tap, Meltano, the loaders), and each compiles
what it imports from source when there is no `.pyc`: about a second of CPU for the tap, three
for Meltano. uv installs no bytecode, and where PYTHONDONTWRITEBYTECODE is set Python never
writes any, so without this every start pays again. `make install` compiles the venvs; this
compiles the project's own packages at the start of a session and the Meltano plugins' venvs
after an install. Checked-hash `.pyc` files are validated against the source's hash at every
import, so an edit (or a planted defect, `scripts/mutants.py`) is never hidden by a stale one.
"""

from __future__ import annotations

import importlib.util
import py_compile
import subprocess
from pathlib import Path

SOURCES = ("tap_moco", "sandbox", "bench", "tests")
"""The project's packages that the suite's subprocesses import."""
MAGIC = importlib.util.MAGIC_NUMBER
CHECKED = (3).to_bytes(4, "little")
"""A `.pyc` header's flags for checked-hash bytecode (PEP 552)."""


def compile_sources(root: Path) -> None:
    """Checked-hash bytecode for the project's packages under `root`, where it is not current."""
    for name in SOURCES:
        for source in sorted((root / name).rglob("*.py")):
            cached = Path(importlib.util.cache_from_source(str(source)))
            try:
                with cached.open("rb") as pyc:
                    header = pyc.read(16)
            except OSError:
                header = b""
            current = MAGIC + CHECKED + importlib.util.source_hash(source.read_bytes())
            if header != current:
                py_compile.compile(
                    str(source),
                    cfile=str(cached),
                    invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
                    quiet=2,
                )


def compile_venv(venv: Path) -> None:
    """Bytecode for everything installed in `venv`, by its own Python (skips what is current)."""
    python = venv / "bin" / "python"
    if python.exists():
        subprocess.run(
            [str(python), "-m", "compileall", "-qq", "-j", "0", str(venv / "lib")],
            capture_output=True,
            check=False,  # a file that does not compile is compiled at import, as before
        )
