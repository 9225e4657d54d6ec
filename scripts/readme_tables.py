"""Render the README's streams and settings tables from the tap's own declarations.

`python scripts/readme_tables.py` rewrites the tables between their markers in README.md;
`--check` exits 1 when README.md is out of date (the test suite runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.runner import tap_output  # noqa: E402
from tap_moco.plan import cost_rule, describe  # noqa: E402
from tap_moco.settings import MAX_PER_PAGE  # noqa: E402
from tap_moco.spec import Shape, StreamSpec  # noqa: E402
from tap_moco.streams import STREAM_SPECS  # noqa: E402

README = ROOT / "README.md"


def _replication(spec: StreamSpec) -> str:
    text = spec.replication.summary
    if spec.reference:
        text += "; whole on a first run"
    elif spec.window and spec.replication.filters_by_change:
        text += "; per year window"
    return text


def streams_table() -> str:
    """One row per stream: how it is read, keyed, replicated and what it costs.

    The cost columns are `tap_moco.plan`'s rules in words, the ones `tap-moco --plan` counts.
    """
    rows = [
        "| stream | endpoint | replication | primary key | parent | cost of a first sync | "
        "daily run | default | permission |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for spec in STREAM_SPECS:
        endpoint = f"`GET {spec.path}`"
        if spec.shape is Shape.DETAIL_ITEMS:
            endpoint += f" → `{spec.items_key}[]`"
        keys = ", ".join(f"`{key}`" for key in spec.primary_keys) or "—"
        first, daily = describe(cost_rule(spec), MAX_PER_PAGE)
        rows.append(
            f"| `{spec.name}` | {endpoint} | {_replication(spec)} | {keys} | "
            f"{spec.parent or '—'} | {first} | {daily} | "
            f"{'yes' if spec.selected_by_default else 'no'} | {spec.permission or '—'} |"
        )
    return "\n".join(rows)


def about_markdown() -> str:
    """`tap-moco --about --format=markdown`, its headings moved below the README's."""
    about = tap_output("--about", "--format=markdown")
    lines = [line for line in about.strip().splitlines() if not line.startswith("# ")]
    return "\n".join(f"#{line}" if line.startswith("## ") else line for line in lines).strip()


def render(text: str) -> str:
    """`text` with every table between its markers replaced."""
    for marker, table in (("streams", streams_table()), ("about", about_markdown())):
        start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = f"{head}{start}\n{table}\n{end}{tail}"
    return text


def main() -> int:
    """Rewrite or check README.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if README.md is stale")
    args = parser.parse_args()
    current = README.read_text()
    fresh = render(current)
    if args.check:
        if fresh != current:
            print("README.md tables are stale: run `python scripts/readme_tables.py`")
            return 1
        return 0
    README.write_text(fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
