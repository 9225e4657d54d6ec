"""`make bench`: every figure in one run, printed next to its goal and written as JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

from bench.figures import FIGURES, SCALES

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    """Run the selected figures and report them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--only", choices=sorted(FIGURES), action="append")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
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
        json.dumps({"scale": scale.name, "machine": machine, "figures": rows}, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
