"""Generate `sandbox/resources.json`, the resource catalogue the MOCO sandbox serves.

The sandbox must run from a fresh clone, where the team's reference material
(`resources.json`, `openapi.json` of MOCO's API) is not available. This script trims that
material down to what the sandbox needs: per resource its path, parent, filters, response
kind, typed fields, primary key, `updated_after` support, archived behaviour and the
default window of year- or date-filtered endpoints. Detail endpoints (`/invoices/{id}`,
`/offers/{id}`) and `/session` take their fields from the OpenAPI document.

Usage:
    python scripts/generate_sandbox_resources.py [--source DIR] [--output FILE] [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

DEFAULT_SOURCE = Path("/work/shared/moco-api")
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "sandbox" / "resources.json"

DETAIL_ENDPOINTS = {"invoices": "/invoices/{id}", "offers": "/offers/{id}"}
"""Resources whose single-record GET adds fields (an `items` array among them)."""

REPORT_WINDOW_RESOURCES = (
    "report_cashflow",
    "report_finance",
    "report_planned_vs_tracked",
    "report_utilization",
)
"""Reports whose `from`/`to` default to the current calendar year."""

DATE_FIELD_CANDIDATES = ("date", "starts_on", "from", "start_date")
"""Record field that `from`/`to`/`date_from`/`date_to` filter on, first match wins."""


def load_json(path: Path) -> Any:
    """Read one JSON file."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _with_null(spec: dict[str, Any], nullable: bool) -> dict[str, Any]:
    """Mark a structured spec nullable where the schema says so."""
    if nullable:
        spec["nullable"] = True
    return spec


def oas_to_notation(schema: dict[str, Any]) -> Any:
    """Convert an OpenAPI schema into the type notation of `resources.json` (inventory §8)."""
    nullable = bool(schema.get("nullable"))
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        merged.pop("allOf", None)
        merged["nullable"] = nullable or merged.get("nullable", False)
        return oas_to_notation(merged)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return {"oneOf": [oas_to_notation(option) for option in schema[key]]}
    kind = schema.get("type")
    structured: dict[str, Any] | None = None
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        structured = {"type": "object", "additionalProperties": True}
        if properties:
            converted = {name: oas_to_notation(sub) for name, sub in properties.items()}
            structured = {"type": "object", "properties": converted}
    elif kind == "array":
        structured = {"type": "array", "items": oas_to_notation(schema.get("items", {}))}
    elif "enum" in schema:
        structured = {"type": "string", "enum": list(schema["enum"])}
    if structured is not None:
        return _with_null(structured, nullable)
    scalar = {"date": "date", "date-time": "date-time"}.get(schema.get("format", ""), kind)
    scalar = scalar or "any"
    return f"{scalar}|null" if nullable else scalar


def oas_response_fields(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    """Fields of the JSON object answered by `GET path` with status 200."""
    operation = openapi["paths"][path]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    notation = oas_to_notation(schema)
    return dict(notation["properties"])


def clean_keys(keys: list[str]) -> list[str]:
    """Drop the prose that `resources.json` appends to some key names."""
    cleaned: list[str] = []
    for key in keys:
        for part in key.split(","):
            name = re.sub(r"\s*\(.*?\)", "", part).strip()
            if name:
                cleaned.append(name)
    return cleaned


def archived_behaviour(resource: dict[str, Any]) -> dict[str, str] | None:
    """How archived records are hidden: which parameter shows them, and on what."""
    filters = resource["filters"]
    fields = resource["fields"]
    if "include_archived" in filters and "active" in fields:
        spec = {"param": "include_archived", "scope": "records", "flag": "active"}
        if "archived_on" in fields:
            spec["date_field"] = "archived_on"
        return spec
    if "include_archived_users" in filters:
        return {"param": "include_archived_users", "scope": "users"}
    if "include_archived" in filters:
        return {"param": "include_archived", "scope": "users"}
    return None


def window_default(name: str, resource: dict[str, Any]) -> str | None:
    """Which window MOCO applies when the caller omits it (the current calendar year)."""
    filters = resource["filters"]
    if name in REPORT_WINDOW_RESOURCES:
        return "from_to"
    if "year" in filters:
        return "year"
    if "years" in filters:
        return "years"
    return None


def date_field(resource: dict[str, Any]) -> str | None:
    """The record field that date-range filters compare against."""
    for candidate in DATE_FIELD_CANDIDATES:
        spec = resource["fields"].get(candidate)
        if isinstance(spec, str) and spec.split("|")[0] == "date":
            return candidate
    return None


def response_kind(resource: dict[str, Any]) -> str:
    """`array`, `object` or `strings` (a JSON array of plain strings)."""
    return "strings" if resource["response"] == "array of strings" else resource["response"]


def trim_resource(name: str, resource: dict[str, Any], openapi: dict[str, Any]) -> dict[str, Any]:
    """The sandbox's view of one resource."""
    fields = resource["fields"]
    if name == "session":
        fields = oas_response_fields(openapi, "/session")
    entry: dict[str, Any] = {
        "path": resource["path"],
        "alt_paths": list(resource.get("alt_paths") or []),
        "detail_path": resource.get("detail_path"),
        "parent": resource.get("parent"),
        "response": response_kind(resource),
        "paginated": bool(resource.get("paginated")),
        "filters": list(resource["filters"]),
        "sort_by": bool(resource.get("sort_by_listed")),
        "updated_after": bool(resource.get("updated_after")),
        "has_created_at": bool(resource.get("has_created_at")),
        "has_updated_at": bool(resource.get("has_updated_at")),
        "primary_key": clean_keys(resource.get("primary_key") or []),
        "archived": archived_behaviour(resource),
        "window_default": window_default(name, resource),
        "date_field": date_field(resource),
        "fields": fields,
    }
    if name in DETAIL_ENDPOINTS:
        detail = oas_response_fields(openapi, DETAIL_ENDPOINTS[name])
        extra = {key: spec for key, spec in detail.items() if key not in fields}
        entry["detail_path"] = DETAIL_ENDPOINTS[name]
        entry["detail_fields"] = {**fields, **extra}
    return entry


def build(source: Path) -> dict[str, Any]:
    """The complete catalogue written to `sandbox/resources.json`."""
    resources = load_json(source / "resources.json")
    openapi = load_json(source / "openapi.json")
    return {
        "_generated_by": "scripts/generate_sandbox_resources.py (do not edit by hand)",
        "resources": {
            name: trim_resource(name, resource, openapi) for name, resource in resources.items()
        },
    }


def render(catalogue: dict[str, Any]) -> str:
    """Stable JSON text, so that regeneration produces no diff."""
    return json.dumps(catalogue, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the catalogue, or with `--check` report whether the committed file is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the output is stale")
    args = parser.parse_args(argv)
    text = render(build(args.source))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    count = len(json.loads(text)["resources"])
    print(f"wrote {count} resources to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
