"""Write the tap's settings into the Meltano plugin definitions, from `tap-moco --about`.

The Hub definition (`plugins/extractors/tap-moco--moco.yml`) and the extractor in
`meltano.yml` list every setting the tap declares, with its kind, default, label (the
setting's title) and description. This script replaces their `settings:` lists with what
`tap-moco --about --format=json` says, leaving the rest of each file (comments included)
untouched. `--check` exits 1 when a file is stale (tests/test_packaging.py runs it).

    python scripts/plugin_settings.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.runner import tap_output  # noqa: E402

HUB = ROOT / "plugins" / "extractors" / "tap-moco--moco.yml"
PROJECT = ROOT / "meltano.yml"
SDK_SETTINGS = {
    "stream_maps",
    "stream_map_config",
    "faker_config",
    "flattening_enabled",
    "flattening_max_depth",
    "flattening_max_key_length",
    "flattening_separator",
    "batch_config",
}
KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


def about() -> dict[str, Any]:
    """The tap's own description of itself, from the installed command line."""
    result: dict[str, Any] = json.loads(tap_output("--about", "--format=json"))
    return result


def meltano_settings(about_json: dict[str, Any]) -> list[dict[str, Any]]:
    """Meltano setting definitions for the tap's settings (the SDK's built-ins left out)."""
    settings = []
    for name, prop in about_json["settings"]["properties"].items():
        if name in SDK_SETTINGS:
            continue
        json_type = next(t for t in prop["type"] if t != "null")
        kind = "date_iso8601" if prop.get("format") == "date-time" else KINDS[json_type]
        setting: dict[str, Any] = {"name": name, "kind": kind}
        if "default" in prop:
            setting["value"] = prop["default"]
        setting["label"] = prop.get("title") or name
        setting["description"] = prop.get("description", "")
        if prop.get("secret"):
            setting["sensitive"] = True
        settings.append(setting)
    return settings


def render(settings: list[dict[str, Any]], indent: int) -> str:
    """The `settings:` block as YAML, indented to sit at `indent` in its file."""
    text = yaml.safe_dump({"settings": settings}, sort_keys=False, allow_unicode=True, width=100)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def replace_block(text: str, indent: int, new_block: str) -> str:
    """Swap the `settings:` block at `indent` for `new_block`, up to the next sibling key."""
    lines = text.splitlines(True)
    pad = " " * indent
    start = next(i for i, line in enumerate(lines) if line == f"{pad}settings:\n")
    end = start + 1
    while end < len(lines):
        line = lines[end]
        stripped = line.lstrip(" ")
        depth = len(line) - len(stripped)
        if stripped.strip() and depth <= indent and not stripped.startswith("- "):
            break
        if stripped.strip() and depth < indent:
            break
        end += 1
    return "".join(lines[:start]) + new_block + "".join(lines[end:])


def updated_files() -> dict[Path, str]:
    """Each definition file's text with its settings list regenerated."""
    settings = meltano_settings(about())
    return {
        HUB: replace_block(HUB.read_text(), 0, render(settings, 0)),
        PROJECT: replace_block(PROJECT.read_text(), 6, render(settings, 6)),
    }


def main() -> int:
    """Rewrite stale files, or with `--check` only report them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args()
    stale = []
    for path, text in updated_files().items():
        if path.read_text() != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(text)
    if args.check and stale:
        print("stale (run python scripts/plugin_settings.py):", *stale)
        return 1
    for path in stale:
        print("updated", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
