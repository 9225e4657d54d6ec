"""Mine MOCO's markdown docs for how its example answers differ from the declared types.

MOCO's docs (the repository `everii-Group/mocoapp-api-docs`) show an example answer under each
endpoint; those examples are what real accounts send more often than the OpenAPI document
admits: ids and amounts as strings (`"id": "2"`), codes as numbers, compact nested objects.
This script reads a checkout of that repository and writes `sandbox/docs_examples.json`, facts
only (field paths and JSON types, never the docs' prose or values), per stream:

- `strings`: fields the example shows as a numeric string where the schema says integer/number;
- `numbers`: fields the example shows as a number where the schema says string;
- `objects`: nested objects (and objects in arrays, `tasks[]`) with the keys the example shows,
  where it shows fewer than the schema declares.

The declared types are the committed stream schemas (generated from MOCO's OpenAPI document).
Which example belongs to a stream: the example under `GET <the stream's path>` (the list);
else the detail `GET <path>/{id}`; else the file's "Attributes" representation. Lists are
preferred because the tap reads lists; where the docs only show the detail form, its extra
fields are harmless (the shape switch only changes fields the schema declares).

Usage: python scripts/mine_docs_examples.py CHECKOUT [--out sandbox/docs_examples.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tap_moco.spec import Shape  # noqa: E402
from tap_moco.streams import STREAM_SPECS  # noqa: E402

SCHEMA_DIR = REPO_ROOT / "tap_moco" / "schemas"
DEFAULT_OUT = REPO_ROOT / "sandbox" / "docs_examples.json"
HEADING = re.compile(r"^(#{2,4})\s+(.*)$")
GET = re.compile(r"GET\s+(/\S+)")
FENCE = re.compile(r"^```(\w*)\s*$")
NUMERIC = re.compile(r"-?\d+(\.\d+)?")


def template(path: str) -> str:
    """A path with placeholders erased (`/projects/{project_id}/tasks` = `/projects/{}/tasks`)."""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?", maxsplit=1)[0].rstrip("/"))


def parse_json(text: str) -> Any:
    """A docs code block as JSON, tolerating comments and trailing commas; None if it is not."""
    cleaned = re.sub(r"(^|\s)//[^\"\n]*$", "", text, flags=re.MULTILINE)
    cleaned = re.sub(r",(\s*[}\]])", r"\1", cleaned)
    try:
        return json.loads(cleaned)
    except json.JSONDecodeError:
        return None


def examples(markdown: str) -> dict[str, list[Any]]:
    """JSON examples per section: `GET <template>` keys, and `attributes` for the representation."""
    found: dict[str, list[Any]] = {}
    section = ""
    block: list[str] | None = None
    skipping = False
    for line in markdown.splitlines():
        fence = FENCE.match(line.strip())
        if skipping:
            skipping = fence is None
            continue
        if block is not None:
            if fence:
                value = parse_json("\n".join(block))
                if value is not None and section:
                    found.setdefault(section, []).append(value)
                block = None
            else:
                block.append(line)
            continue
        if fence and fence.group(1) in ("json", ""):
            block = []
            continue
        if fence:  # another language (bash...): skip to its end
            skipping = True
            continue
        heading = HEADING.match(line)
        if heading and heading.group(1) == "##":
            title = heading.group(2)
            get = GET.search(title)
            if get:
                section = f"GET {template(get.group(1))}"
            elif "attribute" in title.lower():
                section = "attributes"
            else:
                section = ""
    return found


def record_examples(value: Any) -> list[dict[str, Any]]:
    """The records an example shows (a list's elements, or the object itself)."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return [value] if isinstance(value, dict) else []


def types(schema: dict[str, Any]) -> set[str]:
    """The declared JSON types of a schema node."""
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


def compare(
    value: Any, schema: dict[str, Any], path: str, facts: dict[str, Any], *, top: bool
) -> None:
    """Add what `value` (from an example) shows that `schema` does not declare."""
    declared = types(schema)
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        if not top and set(value) < set(props):
            facts["objects"][path] = [key for key in props if key in value]
        for key, sub in value.items():
            if key in props:
                compare(sub, props[key], f"{path}.{key}" if path else key, facts, top=False)
        return
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for element in value[:3]:
            compare(element, schema["items"], f"{path}[]", facts, top=False)
        return
    numeric = bool(declared & {"integer", "number"})
    textual = "string" in declared
    if isinstance(value, str) and NUMERIC.fullmatch(value) and numeric and not textual:
        facts["strings"].add(path)
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if is_number and textual and not numeric:
        facts["numbers"].add(path)


def pick(spec: Any, files: dict[str, dict[str, list[Any]]]) -> tuple[str, list[Any]] | None:
    """(source, examples) for a stream: list, else detail, else the Attributes section."""
    path = template(spec.path)
    wanted = [f"GET {path}"] if spec.shape is not Shape.DETAIL_ITEMS else []
    wanted.append(f"GET {path}/{{}}" if spec.shape is not Shape.DETAIL_ITEMS else f"GET {path}")
    for key in wanted:
        for name, sections in files.items():
            if sections.get(key):
                return f"{name}: {key}", sections[key]
    for name, sections in files.items():
        owns = f"GET {path}" in sections or f"GET {path}/{{}}" in sections
        if owns and sections.get("attributes"):
            return f"{name}: attributes", sections["attributes"]
    return None


def mine(checkout: Path) -> dict[str, Any]:
    """Facts per stream from the docs checkout."""
    files = {
        str(path.relative_to(checkout)): examples(path.read_text(encoding="utf-8"))
        for path in sorted((checkout / "sections").rglob("*.md"))
    }
    # Sections without an example (`see attributes`) still tell which file owns a path.
    for name, sections in files.items():
        text = (checkout / name).read_text(encoding="utf-8")
        for match in GET.finditer(text):
            sections.setdefault(f"GET {template(match.group(1))}", [])
    out: dict[str, Any] = {}
    for spec in STREAM_SPECS:
        if spec.shape is Shape.STRINGS:
            continue
        found = pick(spec, files)
        if found is None:
            continue
        source, blocks = found
        schema = json.loads((SCHEMA_DIR / f"{spec.name}.json").read_text(encoding="utf-8"))
        facts: dict[str, Any] = {"strings": set(), "numbers": set(), "objects": {}}
        for block in blocks:
            value = block
            if spec.shape is Shape.DETAIL_ITEMS and isinstance(block, dict):
                value = block.get(spec.items_key or "", [])
            for record in record_examples(value):
                compare(record, schema, "", facts, top=True)
        out[spec.name] = {
            "source": source,
            "strings": sorted(facts["strings"]),
            "numbers": sorted(facts["numbers"]),
            "objects": dict(sorted(facts["objects"].items())),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Mine a checkout and write the facts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("checkout", type=Path, help="a checkout of everii-Group/mocoapp-api-docs")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not (args.checkout / "sections").is_dir():
        print(f"error: {args.checkout} has no sections/ directory", file=sys.stderr)
        return 2
    facts = mine(args.checkout)
    args.out.write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    print(f"{len(facts)} streams written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
