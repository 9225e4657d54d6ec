"""catalog.json is exactly `tap-moco --discover`, and meltano.yml matches the settings."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from sandbox.runner import ROOT, discovered_catalog, tap_output
from tap_moco.settings import CONFIG_SCHEMA
from tap_moco.streams import STREAM_SPECS

MELTANO_KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "array": "array",
}


def test_catalog_json_is_discover_output() -> None:
    fresh = discovered_catalog()
    assert json.loads(fresh) == json.loads((ROOT / "catalog.json").read_text())


def test_catalog_lists_every_stream_with_keys_and_replication() -> None:
    catalog = json.loads((ROOT / "catalog.json").read_text())
    entries = {entry["tap_stream_id"]: entry for entry in catalog["streams"]}
    assert set(entries) == {spec.name for spec in STREAM_SPECS}
    for spec in STREAM_SPECS:
        entry = entries[spec.name]
        root = next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])
        assert entry["key_properties"] == list(spec.primary_keys)
        assert entry["replication_method"] == (
            "INCREMENTAL" if spec.replication_key else "FULL_TABLE"
        )
        assert root.get("replication-key") == spec.replication_key
        assert root["selected-by-default"] == spec.selected_by_default


def test_meltano_settings_match_the_tap() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    extractor = project["plugins"]["extractors"][0]
    assert extractor["name"] == "tap-moco"
    assert extractor["namespace"] == "tap_moco"
    declared = {setting["name"]: setting for setting in extractor["settings"]}
    properties = CONFIG_SCHEMA["properties"]
    assert set(declared) == set(properties)
    for name, prop in properties.items():
        setting = declared[name]
        json_type = next(t for t in prop["type"] if t != "null")
        expected_kind = "date_iso8601" if name == "start_date" else MELTANO_KINDS[json_type]
        assert setting["kind"] == expected_kind, name
        assert setting.get("label") and setting.get("description"), name
        assert setting.get("sensitive", False) == bool(prop.get("secret")), name
        if "default" in prop:
            assert setting.get("value") == prop["default"], name


def test_meltano_plugins_name_their_package() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    for kind in ("extractors", "loaders"):
        for plugin in project["plugins"][kind]:
            assert plugin.get("pip_url"), plugin["name"]
            assert plugin.get("namespace"), plugin["name"]


def test_readme_tables_are_current() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/readme_tables.py", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout


def test_about_markdown_lists_every_setting() -> None:
    about = tap_output("--about", "--format=markdown")
    for name in CONFIG_SCHEMA["properties"]:
        assert f"| {name} " in about or f"`{name}`" in about, name


def test_discover_and_about_without_a_config_print_nothing_on_stderr() -> None:
    """They need no settings: no 'Config validation failed' WARNING for an absent config."""
    for flag in ("--discover", "--about"):
        done = subprocess.run(
            [sys.executable, "-m", "tap_moco", flag],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        # Python's own warnings (the SDK's end-of-life notice on Python 3.10) are not logs
        logged = [line for line in done.stderr.splitlines() if " | " in line]
        assert not logged, (flag, logged)
        assert "Config validation failed" not in done.stderr
