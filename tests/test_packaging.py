"""What a user installs: the wheel and sdist, and the Meltano plugin definitions.

The wheel is built, checked by `twine check`, installed into a fresh venv (no editable
checkout, no dev extras) and run against the sandbox. The Hub definition must be complete
and list exactly the settings `tap-moco --about` declares, as meltano.yml does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from typing import TYPE_CHECKING

import pytest
import yaml

from sandbox.runner import ROOT, SECRET_KEY, base_config, catalog_selecting

if TYPE_CHECKING:
    from pathlib import Path

UV = ROOT / ".venv" / "bin" / "uv"
"""The uv that `make install` brings: it installs the build and the wheel's dependencies in
seconds, where pip takes minutes; pip where it is missing."""
HUB_DEFINITION = ROOT / "plugins" / "extractors" / "tap-moco--moco.yml"
LOADERS = sorted((ROOT / "plugins" / "loaders").glob("*.yml"))
PYPROJECT_TEXT = (ROOT / "pyproject.toml").read_text()
VERSION = re.search(r'^version = "([^"]+)"', PYPROJECT_TEXT, re.MULTILINE).group(1)
NAME = re.search(r'^name = "([^"]+)"', PYPROJECT_TEXT, re.MULTILINE).group(1)


def test_plugin_settings_are_the_taps_about_settings():
    result = subprocess.run(
        [sys.executable, "scripts/plugin_settings.py", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hub_definition_matches_meltano_yml():
    hub = yaml.safe_load(HUB_DEFINITION.read_text())
    extractor = yaml.safe_load((ROOT / "meltano.yml").read_text())["plugins"]["extractors"][0]
    for key in ("name", "namespace", "executable", "capabilities", "settings", "select"):
        assert hub[key] == extractor[key], key
    assert hub["settings_group_validation"] == extractor["settings_group_validation"]


def test_hub_definition_is_complete():
    hub = yaml.safe_load(HUB_DEFINITION.read_text())
    for key in ("label", "description", "domain_url", "docs", "repo", "pip_url", "keywords"):
        assert hub.get(key), key
    assert hub["maintenance_status"] in {"active", "beta", "development"}
    assert hub["pip_url"] == NAME
    # not public yet: the URLs must be visibly placeholders, not plausible dead links
    for key in ("docs", "repo"):
        assert hub[key].startswith("https://github.com/OWNER/tap-moco"), key
    assert "OWNER" in HUB_DEFINITION.read_text().split("name:")[0]  # the comment says so
    settings = {setting["name"] for setting in hub["settings"]}
    groups = hub["settings_group_validation"]
    assert ["api_key", "domain"] in groups and ["api_key", "api_url"] in groups
    assert all(set(group) <= settings for group in groups)


@pytest.mark.parametrize("path", LOADERS, ids=[path.stem for path in LOADERS])
def test_loader_definitions_pin_their_package(path: Path):
    loader = yaml.safe_load(path.read_text())
    assert loader["namespace"] and loader["executable"] and loader["variant"]
    assert "==" in loader["pip_url"], "loaders are pinned to the tested versions"
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())["plugins"]["loaders"]
    same = next(plugin for plugin in project if plugin["name"] == loader["name"])
    assert same["pip_url"] == loader["pip_url"]
    assert same["namespace"] == loader["namespace"]


def test_make_schemas_says_where_the_openapi_document_comes_from(tmp_path):
    result = subprocess.run(
        ["make", "-s", "-o", "install", "schemas", f"OPENAPI={tmp_path / 'missing.json'}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode != 0
    assert "OPENAPI" in result.stderr + result.stdout
    assert "mocoapp.com" in result.stderr + result.stdout


# -- the wheel and the sdist --------------------------------------------------------------------


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    installer = ["--installer", "uv"] if UV.is_file() else []  # the isolated build env
    subprocess.run(
        [sys.executable, "-m", "build", *installer, "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


def test_wheel_and_sdist_contents(dist: Path):
    wheel = next(dist.glob(f"tap_moco-{VERSION}-py3-none-any.whl"))
    sdist = next(dist.glob(f"tap_moco-{VERSION}.tar.gz"))
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    names = zipfile.ZipFile(wheel).namelist()
    assert "tap_moco/py.typed" in names
    assert "tap_moco/settings.json" in names, "the settings' schema is package data"
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert any(name.startswith("tap_moco/schemas/") and name.endswith(".json") for name in names)
    assert not any(name.startswith(("sandbox/", "tests/")) for name in names)
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    for name in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "tap_moco/py.typed"):
        assert f"tap_moco-{VERSION}/{name}" in members, name


def test_wheel_in_a_fresh_venv_syncs_from_the_sandbox(dist: Path, sandbox, tmp_path):
    wheel = next(dist.glob("*.whl"))
    env_dir = tmp_path / "venv"
    bindir = env_dir / "bin"
    if UV.is_file():  # the wheel and its declared dependencies, resolved afresh
        venv.create(env_dir)
        install = [str(UV), "pip", "install", "--quiet", "--python", str(bindir / "python")]
    else:
        venv.create(env_dir, with_pip=True)
        install = [str(bindir / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, timeout=600)
    tap = str(bindir / "tap-moco")
    about = json.loads(
        subprocess.run(
            [tap, "--about", "--format=json"],
            check=True,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        ).stdout
    )
    assert about["version"] == VERSION

    config = tmp_path / "config.json"
    config.write_text(json.dumps(base_config(sandbox.base_url)))
    catalog = json.loads(
        subprocess.run(
            [tap, "--config", str(config), "--discover"],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    for stream in catalog["streams"]:
        root = next(entry for entry in stream["metadata"] if entry["breadcrumb"] == [])
        root["metadata"]["selected"] = stream["tap_stream_id"] == "units"
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    sync = subprocess.run(
        [tap, "--config", str(config), "--catalog", str(tmp_path / "catalog.json")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert sync.returncode == 0, sync.stderr[-2000:]
    assert SECRET_KEY not in sync.stdout + sync.stderr
    records = [
        message
        for message in map(json.loads, sync.stdout.splitlines())
        if message["type"] == "RECORD"
    ]
    assert {message["stream"] for message in records} == {"units"}
    assert len(records) == len(sandbox.expected("units"))
    # the installed package is the wheel, not this checkout
    location = subprocess.run(
        [str(bindir / "python"), "-I", "-c", "import tap_moco; print(tap_moco.__file__)"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert location.startswith(str(env_dir))


def test_tap_module_runs_as_a_script(sandbox, tmp_path):
    """`python tap_moco/tap.py` syncs: the `__main__` block stands below every name it uses."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(base_config(sandbox.base_url)))
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_selecting({"units"})))
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tap_moco" / "tap.py"),
            "--config",
            str(config),
            "--catalog",
            str(catalog),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"type":"RECORD"' in done.stdout.replace(" ", "")
