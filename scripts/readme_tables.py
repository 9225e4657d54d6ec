"""Render the streams and settings references (docs/) from the tap's own declarations.

`python scripts/readme_tables.py` rewrites the tables between their markers in
docs/streams.md and docs/settings.md; `--check` exits 1 when either is out of date (the test
suite runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.runner import tap_output  # noqa: E402
from tap_moco.cli.plan import CostRule, cost_rule, duration  # noqa: E402
from tap_moco.client.throttle import RateLimiter  # noqa: E402
from tap_moco.settings import MAX_PER_PAGE, PLAN_LIMITS  # noqa: E402
from tap_moco.spec import Replication, Shape, StreamSpec, Window  # noqa: E402
from tap_moco.streams import STREAM_SPECS  # noqa: E402

TABLES = {
    "streams": ROOT / "docs" / "streams.md",
    "about": ROOT / "docs" / "settings.md",
    "permissions": ROOT / "README.md",
    "first-sync": ROOT / "README.md",
}
"""Which file holds the table between each marker pair."""

_WINDOW_UNITS = {Window.MONTH: "month", Window.YEAR: "year"}


def _singular(name: str) -> str:
    return name[:-1].replace("_", " ")


def describe(rule: CostRule, per_page: int = 100) -> tuple[str, str]:
    """A stream's cost rule (`tap_moco.cli.plan`) in words: (first sync, daily run)."""
    page = f"1 request per {per_page} records"
    if rule.fan_out:
        first = f"{page} of {rule.fan_out} resources + 1 request per record"
        return first, "as a first sync"
    units = []
    if rule.parent:
        units.append(_singular(rule.parent))
    if rule.window in _WINDOW_UNITS:
        units.append(_WINDOW_UNITS[rule.window])
    unit = " and ".join(units)
    since = " since `start_date`" if rule.window in _WINDOW_UNITS else ""
    if not unit:
        first = page if rule.paged else "1 request"
    elif rule.paged:
        first = f"{page} of each {unit}{since}"
    else:
        first = f"1 request per {unit}{since}"
    if rule.parent and rule.changed_parents_only:
        return first, f"1 request per changed {_singular(rule.parent)}"
    if rule.replication is Replication.WINDOW and rule.window in _WINDOW_UNITS:
        return first, first.replace(since, " in the last `report_lookback_days`")
    if rule.quiet_day_is_one_request:
        return first, f"1 request per {unit}{since}" if unit else "1 request"
    return first, "as a first sync"


def _replication(spec: StreamSpec) -> str:
    text = spec.replication.summary
    if spec.reference:
        text += "; whole on a first run"
    elif spec.window and spec.replication.replication_key is None:
        text += "; every year window each run"
    return text


def streams_table() -> str:
    """One row per stream: how it is read, keyed, replicated and what it costs.

    The cost columns are `tap_moco.cli.plan`'s rules in words (`describe`), the ones
    `tap-moco --plan` counts.
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


def permissions_table() -> str:
    """Which MOCO permission each group of streams needs (from the declarations)."""
    groups: dict[str, list[str]] = {}
    for spec in STREAM_SPECS:
        groups.setdefault(spec.permission or "", []).append(spec.name)
    rows = ["| MOCO permission the key's user needs | streams |", "|---|---|"]
    for permission in sorted(groups, key=lambda name: (name != "", name)):
        label = f"**{permission}**" if permission else "none beyond an API key"
        names = groups[permission]
        shown = ", ".join(f"`{name}`" for name in names) if permission else f"{len(names)} others"
        rows.append(f"| {label} | {shown} |")
    return "\n".join(rows)


def first_sync_table() -> str:
    """How long a first sync's list requests take at each plan's rate limits (the bound)."""
    plans = {name: RateLimiter(windows) for name, windows in PLAN_LIMITS.items()}
    head = " | ".join(f"`moco_plan: {name}`" for name in plans)
    rows = [f"| records in the account | requests | {head} |", "|---" * (2 + len(plans)) + "|"]
    for records in (10_000, 100_000, 1_000_000):
        requests = -(-records // MAX_PER_PAGE)
        times = " | ".join(duration(limiter.bound_seconds(requests)) for limiter in plans.values())
        rows.append(f"| {records:,} | {requests:,} | {times} |")
    return "\n".join(rows)


def about_markdown() -> str:
    """`tap-moco --about --format=markdown` without its title (the page has its own)."""
    about = tap_output("--about", "--format=markdown")
    lines = [line for line in about.strip().splitlines() if not line.startswith("# ")]
    return "\n".join(lines).strip()


def render(text: str, marker: str, table: str) -> str:
    """`text` with the table between the `marker` pair replaced."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    head, found, rest = text.partition(start)
    if not found:
        msg = f"{start} is missing"
        raise ValueError(msg)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{table}\n{end}{tail}"


def main() -> int:
    """Rewrite or check the generated tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a table is stale")
    args = parser.parse_args()
    stale = []
    tables = (
        ("streams", streams_table()),
        ("about", about_markdown()),
        ("permissions", permissions_table()),
        ("first-sync", first_sync_table()),
    )
    for marker, table in tables:
        path = TABLES[marker]
        current = path.read_text()
        fresh = render(current, marker, table)
        if fresh != current:
            stale.append(str(path.relative_to(ROOT)))
            if not args.check:
                path.write_text(fresh)
    if args.check and stale:
        print(f"{', '.join(stale)} stale: run `python scripts/readme_tables.py`")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
