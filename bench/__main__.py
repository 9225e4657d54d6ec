"""`make bench`: every figure in one run, printed next to its goal and written as JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

from bench.figures import FIGURES, SCALES
from bench.readme import PUBLISHED, ROOT, write_readme

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    """Run the selected figures and report them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--only", choices=sorted(FIGURES), action="append")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument(
        "--write-readme",
        nargs="?",
        const=PUBLISHED,
        type=Path,
        metavar="RESULTS",
        help=(
            f"render RESULTS (default {PUBLISHED.relative_to(ROOT)}) into docs/performance.md, "
            "run nothing"
        ),
    )
    args = parser.parse_args()
    if args.write_readme:
        write_readme(args.write_readme)
        return 0
    scale = SCALES[args.scale]
    rows = []
    for name in args.only or list(FIGURES):
        print(f"... {name}", file=sys.stderr, flush=True)
        rows.extend(FIGURES[name](scale))
    machine = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    print(
        f"tap-moco bench, scale {scale.name}, {machine['cores']} cores, Python {machine['python']}"
    )
    print(f"{'figure':<62} {'value':>8}  {'goal':<16} {'met':<4} detail")
    for item in rows:
        detail = {k: v for k, v in item.items() if k not in {"figure", "value", "goal", "met"}}
        met = "yes" if item["met"] else "NO"
        print(f"{item['figure']:<62} {item['value']:>8}  {item['goal']:<16} {met:<4} {detail}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "scale": scale.name,
                "date": str(dt.datetime.now(dt.UTC).date()),
                "machine": machine,
                "figures": rows,
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
