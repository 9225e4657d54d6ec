"""tap.py's `--plan` reads settings from the environment only when told to (`--config ENV`),
as a sync does: a `TAP_MOCO_*` variable left in the shell does not change a plan run from a
config file, and with `--config ENV` it does."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

import pytest

from sandbox.runner import base_config
from tap_moco.tap import TapMoco


def units_only(url: str) -> str:
    """The discovered catalog with `units` alone selected."""
    catalog = TapMoco(config=base_config(url), setup_mapper=False).catalog_dict
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == "units"
    return json.dumps(catalog)


def plan(url: str, catalog: str, *, parse_env: bool) -> None:
    TapMoco.print_plan(
        config=SimpleNamespace(config=base_config(url), parse_env=parse_env),
        state=None,
        catalog=io.StringIO(catalog),
        about_format=None,
    )


def test_the_plan_reads_the_environment_only_with_config_env(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = sandbox_factory()
    catalog = units_only(sandbox.base_url)
    monkeypatch.setenv("TAP_MOCO_API_KEY", "not-the-key")
    plan(sandbox.base_url, catalog, parse_env=False)
    assert "units" in capsys.readouterr().out
    assert all(entry.status != 401 for entry in sandbox.request_log)
    with pytest.raises(Exception, match="401"):
        plan(sandbox.base_url, catalog, parse_env=True)
