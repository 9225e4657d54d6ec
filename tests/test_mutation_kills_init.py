"""tap_moco/__init__.py's promise: a source tree that is not installed reports `0+unknown`."""

from __future__ import annotations

import subprocess
import sys

UNINSTALLED = """
import importlib.metadata

def not_installed(name):
    raise importlib.metadata.PackageNotFoundError(name)

importlib.metadata.version = not_installed
import tap_moco
print(tap_moco.__version__)
"""


def test_a_tree_that_is_not_installed_reports_an_unknown_version() -> None:
    out = subprocess.run(
        [sys.executable, "-c", UNINSTALLED], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "0+unknown"


def test_an_installed_tree_reports_its_distribution_version() -> None:
    import importlib.metadata

    import tap_moco

    assert tap_moco.__version__ == importlib.metadata.version("tap-moco")
