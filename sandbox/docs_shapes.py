"""Answers shaped like the example answers in MOCO's markdown docs (`answer_shape="docs"`).

The sandbox's records follow MOCO's OpenAPI document; real accounts answer like the docs'
examples, which differ: `"id": "2"` for an integer, `99` for a string, compact nested objects.
`docs_examples.json` (written by `scripts/mine_docs_examples.py`) lists those differences per
resource as field paths; `DocsShaper` rewrites a copy of each served record accordingly, so the
suite sees both shapes from one data set. Stored records are never changed: `expected()` and
the store keep the OpenAPI shape, and only the HTTP answer differs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

FACTS_PATH = Path(__file__).with_name("docs_examples.json")
NUMERIC = re.compile(r"-?\d+(\.\d+)?")

Rewrite = Callable[[Any], Any]


def _as_string(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return str(value)


def _as_number(value: Any) -> Any:
    if isinstance(value, str) and NUMERIC.fullmatch(value):
        return float(value) if "." in value else int(value)
    return value


def _compact(keys: list[str]) -> Rewrite:
    def compact(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: value[key] for key in keys if key in value}
        return value

    return compact


def _at(path: str, rewrite: Rewrite) -> Callable[[dict[str, Any]], None]:
    """Apply `rewrite` in place at a dotted path (`items[].vat`) of a record copy."""
    parts = path.replace("[]", ".[]").split(".")

    def walk(node: Any, rest: list[str]) -> Any:
        if not rest:
            return rewrite(node)
        head, tail = rest[0], rest[1:]
        if head == "[]":
            return [walk(item, tail) for item in node] if isinstance(node, list) else node
        if isinstance(node, dict) and head in node:
            node = dict(node)
            node[head] = walk(node[head], tail)
        return node

    def apply(record: dict[str, Any]) -> None:
        record.update(walk(record, parts))

    return apply


class DocsShaper:
    """Rewrites records of each resource the way the docs' examples show them."""

    def __init__(self, facts: dict[str, Any] | None = None) -> None:
        """Compile the rewrites per resource (deepest paths first, so compaction comes last)."""
        if facts is None:
            facts = json.loads(FACTS_PATH.read_text(encoding="utf-8"))
        self.rewrites: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        for resource, shown in facts.items():
            steps = [(path, _as_string) for path in shown.get("strings", [])]
            steps += [(path, _as_number) for path in shown.get("numbers", [])]
            steps.sort(key=lambda step: -step[0].count("."))
            compacts = sorted(shown.get("objects", {}).items(), key=lambda item: -len(item[0]))
            steps += [(path, _compact(keys)) for path, keys in compacts]
            if steps:
                self.rewrites[resource] = [_at(path, rewrite) for path, rewrite in steps]

    def __call__(self, resource: str, record: Any) -> Any:
        """A reshaped copy of `record` (a dict); anything else unchanged."""
        steps = self.rewrites.get(resource)
        if not steps or not isinstance(record, dict):
            return record
        copy = dict(record)
        for step in steps:
            step(copy)
        return copy
