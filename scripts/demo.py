"""`make demo`: the sandbox, a real Meltano pipeline into DuckDB, and a row count per stream.

Starts the MOCO sandbox on port 8765 (where meltano.yml's `sandbox` environment points),
installs the plugins, runs `meltano run tap-moco target-duckdb` from scratch, then prints the
rows of every table next to what the sandbox holds for the same settings. Exits 1 on any
mismatch.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from sandbox import Sandbox, SandboxConfig  # noqa: E402
from sandbox.expected import expected_keys  # noqa: E402
from tap_moco.streams import STREAM_SPECS  # noqa: E402

DATABASE = ROOT / "output" / "moco.duckdb"
START = dt.date(2021, 1, 1)  # the sandbox environment's start_date in meltano.yml


def meltano(*args: str) -> None:
    """Run Meltano in the project, failing loudly."""
    binary = os.environ.get("MELTANO_BIN", str(ROOT / ".venv-meltano" / "bin" / "meltano"))
    subprocess.run([binary, *args], cwd=ROOT, check=True)


def main() -> int:
    """Run the pipeline and compare."""
    DATABASE.parent.mkdir(exist_ok=True)
    DATABASE.unlink(missing_ok=True)
    with Sandbox(SandboxConfig(port=8765, api_key="sandbox")) as sandbox:
        print(f"MOCO sandbox at {sandbox.base_url}")
        meltano("install")
        meltano("--environment=sandbox", "run", "--full-refresh", "tap-moco", "target-duckdb")
        connection = duckdb.connect(str(DATABASE), read_only=True)
        mismatches = 0
        print(f"\n{'stream':<32} {'rows in DuckDB':>14} {'in the sandbox':>14}")
        for spec in STREAM_SPECS:
            if not spec.selected_by_default:
                continue
            table = f'moco.moco."{spec.name}"'
            rows = connection.execute(f"select count(*) from {table}").fetchone()[0]
            expected = len(expected_keys(sandbox, spec.name, START))
            mismatches += rows != expected
            verdict = "OK" if rows == expected else "MISMATCH"
            print(f"{spec.name:<32} {rows:>14} {expected:>14}  {verdict}")
    summary = f"{mismatches} mismatches" if mismatches else "every stream matches the sandbox"
    print(f"\n{DATABASE.relative_to(ROOT)}: {summary}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
