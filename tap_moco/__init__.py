"""tap-moco: a Singer tap for MOCO, the agency ERP and time-tracking SaaS.

`__version__` comes from the installed distribution's metadata, so `pyproject.toml` is its
only source; a source tree that is not installed reports `0+unknown`.
"""

from __future__ import annotations

import importlib.metadata

try:
    __version__ = importlib.metadata.version("tap-moco")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare tree
    __version__ = "0+unknown"
