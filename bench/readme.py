"""The Performance table (docs/performance.md), rendered from a results file the bench wrote.

`python -m bench --write-readme` renders `bench/full.json` (the committed `--scale full`
run) between the `bench:start`/`bench:end` markers of docs/performance.md, so the table is
never typed by hand; tests/test_bench.py checks the page matches that file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "docs" / "performance.md"
"""The page that holds the table (the name is kept for the bench's `--write-readme`)."""
PUBLISHED = Path(__file__).resolve().parent / "full.json"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _goal(goal: str) -> str:
    return goal.replace("<=", "≤")


def _met(item: dict[str, Any]) -> str:
    if item["goal"] in ("baseline", "reported"):
        return "(no goal)" if "would_meet" in item else ""
    met = "yes" if item["met"] else "**no**"
    return f"{met} (429s: {item['http_429']})" if "http_429" in item else met


def _tap_rate(item: dict[str, Any]) -> tuple[str, str]:
    label = (
        f"tap-moco, {item['plan']} plan ({item['limits']}, "
        f"{item['latency_s'] * 1000:.0f} ms latency), {item['stream']}, "
        f"{item['requests']} requests: elapsed / bound"
    )
    digits = 1 if item["bound_s"] >= 10 else 2
    shown = (
        f"{item['value']:.3f} ({item['elapsed_s']:.{digits}f} s / {item['bound_s']:.{digits}f} s)"
    )
    return label, shown


def _peer(item: dict[str, Any]) -> tuple[str, str]:
    name = item["figure"].split(",")[0]
    label = (
        f"{name}, {item['plan']} plan ({item['limits']}, "
        f"{item['latency_s'] * 1000:.0f} ms latency), activities: wall time"
    )
    outcome = (
        "finished"
        if item["finished"]
        else f"gave up ({item['error']}) after {item['records']:,} of "
        f"{item['records_expected']:,} records"
    )
    shown = (
        f"{item['value']:.1f} s, {outcome}, {item['requests']} requests, 429s: {item['http_429']}"
    )
    return label, shown


def _plans(item: dict[str, Any]) -> str:
    return f"{item['standard_plan_s']:g} s standard / {item['unlimited_plan_s']:g} s unlimited plan"


def _deletes(item: dict[str, Any]) -> str | None:
    """A time entries' row of the `deletes` figure (bench/deletes.py)."""
    if "per_run" in item:
        return (
            f"{item['value']:,.0f} B ({item['projects']} projects, "
            f"{item['last_two_months_per_day']}/day in the last two months; first run "
            f"{item['first_run_requests']:,} requests, {item['first_run_s']:g} s)"
        )
    if "kinds" not in item:
        return None
    kinds = ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in item["kinds"].items())
    shown = f"{item['value']:g} ({kinds}; {_plans(item)})"
    if "marked_deleted" in item:
        named = "exactly the deleted" if item["marked_exactly_the_deleted"] else "**not** exact"
        shown += f"; {item['marked_deleted']} marked `_sdc_deleted_at`, {named}"
        if item.get("missing_in_state"):
            shown += f", {item['missing_in_state']} left in the state"
    return shown


def _shown(item: dict[str, Any]) -> str | None:
    """The value with what it was computed from, for the figures the bench knows."""
    value = item["value"]
    deletes = _deletes(item)
    if deletes is not None:
        return deletes
    if "cpu_s_per_10k" in item:
        return f"{value:.2f}x ({item['cpu_s_per_10k']:.3f} s / 10k records)"
    if item["goal"] == "baseline":
        return f"{value:.3f} s"
    if "minimum" in item:
        full_table = item.get("full_table_requests")
        extra = f"; + {full_table} full-table" if full_table is not None else ""
        return f"{value:.2f} ({item['requests']} / {item['minimum']}{extra})"
    if "small_mib" in item:
        return f"{value:.2f} ({item['large_mib']} / {item['small_mib']} MiB)"
    return None


def _generic(item: dict[str, Any]) -> tuple[str, str]:
    shown = _shown(item)
    if shown is not None:
        return item["figure"], shown
    detail = {k: v for k, v in item.items() if k not in ("figure", "value", "goal", "met")}
    extra = ", ".join(f"{k} {v}" for k, v in detail.items())
    return item["figure"], f"{item['value']:g}" + (f" ({extra})" if extra else "")


def render(results: dict[str, Any]) -> str:
    """The markdown between the markers: the table and the run it came from."""
    machine = results["machine"]
    lines = [
        f"Measured {results['date']}, `--scale {results['scale']}`, on {machine['cores']} "
        f"cores shared with other work, Python {machine['python']}:",
        "",
        "| figure | value | goal | met |",
        "|---|---|---|---|",
    ]
    for item in results["figures"]:
        if "bound_s" in item:
            label, shown = _tap_rate(item)
        elif "finished" in item:
            label, shown = _peer(item)
        else:
            label, shown = _generic(item)
        lines.append(f"| {label} | {shown} | {_goal(item['goal'])} | {_met(item)} |")
    return "\n".join(lines)


def rendered_readme(text: str, results: dict[str, Any]) -> str:
    """`text` (docs/performance.md) with the table between the markers replaced."""
    head, _, rest = text.partition(START)
    _, found, tail = rest.partition(END)
    if not found:
        msg = f"docs/performance.md lacks the {START} ... {END} markers"
        raise ValueError(msg)
    return f"{head}{START}\n{render(results)}\n{END}{tail}"


def write_readme(results_path: Path = PUBLISHED) -> None:
    """Render `results_path` into docs/performance.md."""
    results = json.loads(results_path.read_text())
    README.write_text(rendered_readme(README.read_text(), results))
