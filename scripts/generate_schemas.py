"""Generate `tap_moco/schemas/<stream>.json`, one Singer JSON schema per stream.

The tap must not need MOCO's OpenAPI document at run time, so the schemas are generated
once from it and committed. The stream list is the tap's own `STREAM_SPECS`, so a stream
and its schema cannot drift apart. Where the OpenAPI response is free-form or missing, the
record fields come from `resources.json` (the same resources as data, inventory §8), which
also adds the fields that only MOCO's markdown docs show (e.g. `custom_properties.updated_at`).

Conversion, Singer-flavoured: every property is nullable except primary keys and parent ids;
only `date`/`date-time` formats survive, and no enums (a status MOCO adds next month must not
become invalid); `allOf` is merged; `oneOf`/`anyOf` become one shape (object properties
united, numbers preferred over the decimal strings MOCO sometimes sends), except that a
reference offered compact or full (`projects.customer`: `{id, name}`, or a whole company with
`include_company=true`, which the tap never sends) is typed compact; free-form objects such
as `custom_properties` stay open. Every string field named `*_date` or `*_on` is a `date`
(MOCO sends days there, whatever OpenAPI says). Every nested reference object (an object
property with an `id`) gets a flat `<name>_id` column beside it unless the record has one,
so warehouse joins need no JSON functions; the tap stamps it from `<name>.id`. Output is
`json.dumps(indent=2)` in OpenAPI field order, so it is deterministic.

MOCO's OpenAPI document is not in this repository: pass a dereferenced JSON copy with
`--openapi` (`make schemas OPENAPI=path`), with the inventory's `resources.json` next to it.

Usage:
    python scripts/generate_schemas.py [--openapi FILE] [--resources FILE] [--out DIR]
    python scripts/generate_schemas.py --check   # exit 1 if committed schemas are stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft7Validator  # type: ignore[import-untyped,unused-ignore]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped,unused-ignore]

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The checkout; put on sys.path so the stream declarations import without installing."""
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tap_moco.spec import Shape  # noqa: E402
from tap_moco.streams import STREAM_SPECS  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from tap_moco.spec import StreamSpec

Schema = dict[str, Any]

DEFAULT_OPENAPI = REPO_ROOT.parent / "shared" / "moco-api" / "openapi.json"
DEFAULT_OUT = REPO_ROOT / "tap_moco" / "schemas"
RESOURCES_NAME = "resources.json"
MISSING_SOURCES = (
    "MOCO's OpenAPI document is not part of this repository. Pass a dereferenced JSON copy\n"
    "of it (MOCO publishes the YAML at https://docs.mocoapp.com/api/docs/v1.yaml) with\n"
    "`make schemas OPENAPI=/path/openapi.json` or `--openapi`, and the inventory's\n"
    f"{RESOURCES_NAME} next to it (or `--resources`). The committed schemas need neither."
)

SCALARS = ("integer", "number", "boolean", "string")
"""OpenAPI scalar types, kept as they are."""

KEPT_FORMATS = ("date", "date-time")
"""String formats targets understand; `uri`, `email`, ... are dropped."""

OPEN_OBJECT_NAMES = ("custom_properties",)
"""Maps whose keys are chosen by each MOCO account, never a fixed property list."""

NUMERIC_PREFERENCE = ("number", "integer")
"""Where sources disagree between a number and a (decimal) string, the number wins."""


def open_object() -> Schema:
    """A nullable object with free keys."""
    return {"type": ["object", "null"], "additionalProperties": True}


@dataclass
class Notes:
    """What the generator had to decide on its own, printed for the reviewer."""

    lines: list[str] = field(default_factory=list)

    def add(self, stream: str, message: str) -> None:
        """Record one decision about `stream`."""
        self.lines.append(f"note: {stream}: {message}")


# --- OpenAPI -> Singer -------------------------------------------------------------------


def merge_all_of(node: Schema) -> Schema:
    """Fold `allOf` parts into one node: properties united, first scalar keyword wins."""
    if "allOf" not in node:
        return node
    merged: Schema = {key: value for key, value in node.items() if key != "allOf"}
    for part in node["allOf"]:
        flat = merge_all_of(part)
        for key, value in flat.items():
            if key == "properties":
                props = merged.setdefault("properties", {})
                for name, prop in value.items():
                    props[name] = (
                        merge_all_of({"allOf": [props[name], prop]}) if name in props else prop
                    )
            elif key == "nullable":
                merged["nullable"] = bool(merged.get("nullable")) or bool(value)
            else:
                merged.setdefault(key, value)
    return merged


def _types_of(schema: Schema) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _is_textual(node: Schema) -> bool:
    """Whether an untyped OpenAPI node shows that it holds text."""
    return any(key in node for key in ("format", "pattern", "maxLength", "minLength")) or (
        isinstance(node.get("example"), str)
    )


class Converter:
    """Turns OpenAPI schema nodes into lean, nullable Singer schema nodes."""

    def __init__(self, stream: str, notes: Notes) -> None:
        """Remember which stream is converted so that guesses can be reported."""
        self.stream = stream
        self.notes = notes

    def convert(self, node: Schema, path: str) -> Schema:
        """One property (always nullable); `path` is its dotted name, for notes."""
        node = merge_all_of(node)
        alternatives = node.get("oneOf") or node.get("anyOf")
        if alternatives:
            return self._combine([self.convert(alt, path) for alt in alternatives], path)
        declared = node.get("type")
        if declared is None and "properties" in node:
            declared = "object"
        if declared == "object":
            return self._object(node, path)
        if declared == "array":
            return self._array(node, path)
        if declared in SCALARS:
            return self._scalar(node, declared)
        return self._untyped(node, path)

    def properties(self, node: Schema, prefix: str = "") -> dict[str, Schema]:
        """The converted properties of an object node, in OpenAPI order."""
        return {
            name: self.convert(prop, f"{prefix}{name}")
            for name, prop in merge_all_of(node).get("properties", {}).items()
        }

    def _object(self, node: Schema, path: str) -> Schema:
        name = path.rsplit(".", 1)[-1].removesuffix("[]")
        if (
            not node.get("properties")
            or "additionalProperties" in node
            or name in OPEN_OBJECT_NAMES
        ):
            return open_object()
        return {"type": ["object", "null"], "properties": self.properties(node, f"{path}.")}

    def _array(self, node: Schema, path: str) -> Schema:
        items = node.get("items")
        if not isinstance(items, dict):
            self.notes.add(self.stream, f"{path}: array without items, items left open")
            items = {}
        return {"type": ["array", "null"], "items": self.convert(items, f"{path}[]")}

    def _untyped(self, node: Schema, path: str) -> Schema:
        """A node without a type: text if its keywords say so, else an open object."""
        if _is_textual(node):
            self.notes.add(self.stream, f"{path}: untyped, guessed string from its keywords")
            return {"type": ["string", "null"]}
        self.notes.add(self.stream, f"{path}: untyped, guessed open object")
        return open_object()

    @staticmethod
    def _scalar(node: Schema, declared: str) -> Schema:
        out: Schema = {"type": [declared, "null"]}
        if declared != "string":
            return out
        if node.get("format") in KEPT_FORMATS:
            out["format"] = node["format"]
        return out

    def _combine_objects(self, options: Sequence[Schema], path: str) -> Schema:
        """Object alternatives: the compact shape of a reference, else properties united."""
        if any("properties" not in option for option in options):
            return open_object()
        compact = compact_reference(options)
        if compact is not None:
            self.notes.add(self.stream, f"{path}: compact reference {list(compact['properties'])}")
            return compact
        props: dict[str, Schema] = {}
        for option in options:
            for name, prop in option["properties"].items():
                props[name] = (
                    self._combine([props[name], prop], f"{path}.{name}") if name in props else prop
                )
        return {"type": ["object", "null"], "properties": props}

    def _combine(self, options: Sequence[Schema], path: str) -> Schema:
        """One schema accepting what `oneOf`/`anyOf` alternatives describe."""
        if all(option == options[0] for option in options):
            return options[0]
        if all("object" in _types_of(option) for option in options):
            return self._combine_objects(options, path)
        types = {t for option in options for t in _types_of(option) if t != "null"}
        if len(types) == 1:
            only = types.pop()
            if only in ("object", "array"):
                return options[0]
            formats = {option.get("format") for option in options}
            combined: Schema = {"type": [only, "null"]}
            if len(formats) == 1 and None not in formats:
                combined["format"] = formats.pop()
            return combined
        if "string" in types and types & set(NUMERIC_PREFERENCE):
            types.discard("string")
        if types == {"number", "integer"}:
            types = {"number"}
        if types & {"object", "array"}:
            self.notes.add(self.stream, f"{path}: alternatives mix containers and scalars")
        ordered = [t for t in ("object", "array", *SCALARS) if t in types]
        if len(ordered) > 1:
            self.notes.add(self.stream, f"{path}: kept alternatives {ordered}")
        return {"type": [*ordered, "null"]}


def compact_reference(options: Sequence[Schema]) -> Schema | None:
    """The compact one of a reference's shapes: has `id`, and its properties are in all others."""
    shapes = sorted(options, key=lambda option: len(option["properties"]))
    smallest = shapes[0]
    names = set(smallest["properties"])
    if "id" not in names or len(names) == len(shapes[-1]["properties"]):
        return None
    if all(names <= set(option["properties"]) for option in shapes):
        return smallest
    return None


DATE_SUFFIXES = ("_date", "_on")
"""String fields whose name ends so hold a day (`finish_date`, `archived_on`)."""


def dates_are_dates(props: dict[str, Schema]) -> None:
    """Give every string `*_date`/`*_on` property, at any depth, the `date` format."""
    for name, prop in props.items():
        node = prop
        while "items" in node:
            node = node["items"]
        if "properties" in node:
            dates_are_dates(node["properties"])
        if name.endswith(DATE_SUFFIXES) and "string" in _types_of(node):
            node["format"] = "date"


def reference_id_columns(props: dict[str, Schema]) -> dict[str, Schema]:
    """`props` with a flat `<name>_id` beside every nested reference object lacking one."""
    out: dict[str, Schema] = {}
    for name, prop in props.items():
        out[name] = prop
        nested_id = prop.get("properties", {}).get("id")
        flat = f"{name}_id"
        if nested_id is None or flat in props or "object" not in _types_of(prop):
            continue
        kinds = [t for t in _types_of(nested_id) if t != "null"] or ["integer"]
        out[flat] = {"type": [*kinds, "null"]}
    return out


# --- resources.json notation -> OpenAPI-ish nodes ----------------------------------------


def notation_to_oas(spec: Any) -> Schema:
    """Rewrite a `resources.json` field spec (inventory §8) as an OpenAPI node."""
    if isinstance(spec, str):
        parts = [part for part in spec.split("|") if part != "null"]
        nodes = [_notation_scalar(part) for part in parts]
        return nodes[0] if len(nodes) == 1 else {"oneOf": nodes}
    if "oneOf" in spec:
        return {"oneOf": [notation_to_oas(option) for option in spec["oneOf"]]}
    kind = spec.get("type")
    if kind == "object":
        node: Schema = {"type": "object"}
        if "additionalProperties" in spec:
            node["additionalProperties"] = spec["additionalProperties"]
        if "properties" in spec:
            node["properties"] = {
                name: notation_to_oas(sub) for name, sub in spec["properties"].items()
            }
        return node
    if kind == "array":
        return {"type": "array", "items": notation_to_oas(spec.get("items", "any"))}
    return {key: value for key, value in spec.items() if key != "nullable"}


def _notation_scalar(part: str) -> Schema:
    if part in KEPT_FORMATS:
        return {"type": "string", "format": part}
    if part in SCALARS:
        return {"type": part}
    return {}  # `any`: left to the converter's untyped rule


def add_missing(target: dict[str, Schema], extra: dict[str, Schema], path: str = "") -> list[str]:
    """Add properties of `extra` that `target` lacks, recursing into typed objects."""
    added: list[str] = []
    for name, prop in extra.items():
        if name not in target:
            target[name] = prop
            added.append(f"{path}{name}")
            continue
        mine, theirs = target[name], prop
        while "items" in mine and "items" in theirs:
            mine, theirs = mine["items"], theirs["items"]
        if "properties" in mine and "properties" in theirs:
            added += add_missing(mine["properties"], theirs["properties"], f"{path}{name}.")
    return added


# --- one stream --------------------------------------------------------------------------


def _template(path: str) -> str:
    """A path with its placeholder names erased, since the spec and OpenAPI name them apart."""
    return re.sub(r"\{[^}]*\}", "{}", path)


@dataclass
class Sources:
    """The reference data the generator reads: MOCO's OpenAPI and `resources.json`."""

    openapi: Schema
    resources: dict[str, Any]
    paths: dict[str, Schema] = field(init=False)

    def __post_init__(self) -> None:
        """Index the OpenAPI paths by template."""
        self.paths = {_template(path): item for path, item in self.openapi["paths"].items()}

    def response(self, path: str) -> Schema | None:
        """The GET 200 `application/json` schema of `path`, if OpenAPI has one."""
        item = self.paths.get(_template(path), {})
        content = item.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        return schema if isinstance(schema, dict) else None


def record_node(spec: StreamSpec, response: Schema) -> Schema | None:
    """The OpenAPI node describing one record of `spec`, per its shape."""
    node = merge_all_of(response)
    if spec.shape is Shape.LIST:
        return merge_all_of(node["items"]) if node.get("type") == "array" else None
    if spec.shape is Shape.DETAIL_ITEMS:
        container = node.get("properties", {}).get(spec.items_key or "", {})
        items = merge_all_of(container).get("items")
        return merge_all_of(items) if isinstance(items, dict) else None
    return node


def payload_properties(spec: StreamSpec, sources: Sources, notes: Notes) -> dict[str, Schema]:
    """Converted payload properties: OpenAPI first, `resources.json` for what it lacks."""
    if spec.shape is Shape.STRINGS:
        return {}
    converter = Converter(spec.name, notes)
    response = sources.response(spec.schema_source_path)
    node = record_node(spec, response) if response is not None else None
    resource = sources.resources.get(spec.name)
    fallback: dict[str, Schema] = {}
    if resource is not None:
        fallback = converter.properties(
            {"properties": {k: notation_to_oas(v) for k, v in resource["fields"].items()}}
        )
    if response is None:
        notes.add(spec.name, f"no OpenAPI GET 200 JSON for {spec.schema_source_path}")
    elif node is None:
        notes.add(
            spec.name, f"OpenAPI response of {spec.schema_source_path} is not {spec.shape.value}"
        )
    if node is None or not node.get("properties"):
        if not fallback:
            msg = f"{spec.name}: no record schema in OpenAPI or {RESOURCES_NAME}"
            raise SystemExit(msg)
        if node is not None:
            notes.add(spec.name, "OpenAPI record schema is free-form")
        notes.add(spec.name, f"all fields from {RESOURCES_NAME}")
        return fallback
    props = converter.properties(node)
    added = add_missing(props, fallback)
    if added:
        notes.add(spec.name, f"docs-only fields from {RESOURCES_NAME}: {', '.join(added)}")
    return props


def non_null(schema: Schema) -> Schema:
    """A key property: never null, and never an enum a new MOCO value could break."""
    out = {key: value for key, value in schema.items() if key != "enum"}
    out["type"] = [t for t in _types_of(schema) if t != "null"]
    return out


def stream_schema(spec: StreamSpec, sources: Sources, notes: Notes) -> Schema:
    """The full Singer schema of one stream: payload, then the properties the tap stamps."""
    props = payload_properties(spec, sources, notes)
    dates_are_dates(props)
    props = reference_id_columns(props)
    for name, extra in spec.extra_properties().items():
        if name in props:
            notes.add(spec.name, f"stamped property {name!r} replaces the payload field")
        if name in spec.primary_keys or name == spec.parent_key:
            props[name] = non_null(extra)
        else:
            props[name] = {**extra, "type": [*_types_of(extra), "null"]}
    for key in spec.primary_keys:
        if key in props:
            props[key] = non_null(props[key])
    schema: Schema = {"type": "object", "properties": props}
    required = [key for key in spec.primary_keys if key in props]
    if required:
        schema["required"] = required
    return schema


def sanity_problems(spec: StreamSpec, schema: Schema) -> list[str]:
    """Why a generated schema would break the tap or a target, if it would."""
    problems: list[str] = []
    try:
        Draft7Validator.check_schema(schema)
    except SchemaError as error:
        problems.append(f"{spec.name}: {error.message}")
    props = schema["properties"]
    keys = [*spec.primary_keys, *([spec.replication_key] if spec.replication_key else [])]
    problems += [f"{spec.name}: key {key!r} is not a property" for key in keys if key not in props]
    return problems


# --- files -------------------------------------------------------------------------------


def render(schema: Schema) -> str:
    """The committed text of a schema."""
    return json.dumps(schema, indent=2) + "\n"


def generate(sources: Sources, specs: Iterable[StreamSpec], notes: Notes) -> dict[str, str]:
    """File name -> text for every stream; exits if any schema fails its sanity checks."""
    files: dict[str, str] = {}
    problems: list[str] = []
    for spec in specs:
        schema = stream_schema(spec, sources, notes)
        problems += sanity_problems(spec, schema)
        files[f"{spec.name}.json"] = render(schema)
        print(f"{spec.name}: {len(schema['properties'])} properties")
    if problems:
        raise SystemExit("\n".join(["schema sanity checks failed:", *problems]))
    return files


def stale(files: dict[str, str], out: Path) -> list[str]:
    """Streams whose file in `out` differs from `files`, is missing, or is extra."""
    on_disk = {path.name for path in out.glob("*.json")}
    report = [
        f"{name}: {'differs' if name in on_disk else 'missing'}"
        for name, text in files.items()
        if name not in on_disk or (out / name).read_text(encoding="utf-8") != text
    ]
    report += [f"{name}: extra" for name in sorted(on_disk - files.keys())]
    return report


def write(files: dict[str, str], out: Path) -> None:
    """Write every schema into `out` and remove schemas of streams that no longer exist."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = out / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    for path in sorted(out.glob("*.json")):
        if path.name not in files:
            print(f"removed {path.name}: no such stream")
            path.unlink()


def load_json(path: Path) -> Any:
    """Read one JSON file."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--openapi", type=Path, default=DEFAULT_OPENAPI, help="MOCO OpenAPI JSON")
    parser.add_argument(
        "--resources",
        type=Path,
        default=None,
        help=f"MOCO {RESOURCES_NAME} (default: next to the OpenAPI file)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="schema directory")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if files in --out are stale"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (or check) every stream's schema."""
    args = parse_args(argv)
    resources_path: Path = args.resources or args.openapi.parent / RESOURCES_NAME
    for path in (args.openapi, resources_path):
        if not path.is_file():
            print(f"error: {path} not found.\n{MISSING_SOURCES}", file=sys.stderr)
            return 2
    sources = Sources(load_json(args.openapi), load_json(resources_path))
    notes = Notes()
    files = generate(sources, STREAM_SPECS, notes)
    for line in notes.lines:
        print(line)
    if args.check:
        report = stale(files, args.out)
        for line in report:
            print(f"stale: {line}", file=sys.stderr)
        if report:
            print("run: python scripts/generate_schemas.py", file=sys.stderr)
            return 1
        print(f"{len(files)} schemas up to date in {args.out}")
        return 0
    write(files, args.out)
    print(f"{len(files)} schemas written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
