"""The sandbox is an oracle of its own: it imports nothing of the tap, and it answers MOCO's
window parameters (`year`, `years`, `from`/`to`) the way MOCO documents them, defaulting to
the current year, with data for the past, this year and next year's plans."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import requests

from sandbox.catalog import load_catalog

SANDBOX = Path(__file__).resolve().parents[1] / "sandbox"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            names.update(arg.value for arg in node.args if isinstance(arg, ast.Constant))
    return names


def test_no_sandbox_module_imports_the_tap():
    offenders = {
        str(path.relative_to(SANDBOX)): sorted(
            n for n in _imports(path) if n.split(".")[0] == "tap_moco"
        )
        for path in sorted(SANDBOX.rglob("*.py"))
    }
    assert not {name: mods for name, mods in offenders.items() if mods}


def _get(sandbox, path, **params):
    response = requests.get(
        f"{sandbox.base_url}{path}",
        params=params,
        headers={"Authorization": f"Token token={sandbox.config.api_key}"},
        timeout=30,
    )
    assert response.status_code == 200, (path, params, response.text)
    return response


def test_year_lists_default_to_the_current_year_and_hold_next_year(sandbox):
    year = sandbox.today.year
    for path in ("/users/holidays", "/purchases/budgets"):
        assert {r["year"] for r in _get(sandbox, path).json()} == {year}, path
        ahead = _get(sandbox, path, year=year + 1).json()
        assert ahead and {r["year"] for r in ahead} == {year + 1}, path
        before = _get(sandbox, path, year=year - 1).json()
        assert before and {r["year"] for r in before} == {year - 1}, path
    costs = _get(sandbox, "/account/fixed_costs", year=year + 1).json()
    assert {c["year"] for cost in costs for c in cost["costs"]} == {year + 1}
    assert all(len(cost["costs"]) == 12 for cost in costs)  # next year's plan, every month


def test_next_years_entitlements_were_entered_in_december(sandbox):
    year = sandbox.today.year
    ahead = _get(sandbox, "/users/holidays", year=year + 1).json()
    if sandbox.today.month == 12:
        assert all(r["created_at"][:7] == f"{year}-12" for r in ahead)
    assert all(r["created_at"][:10] <= sandbox.today.isoformat() for r in ahead)


def test_years_lists_the_requested_years_and_defaults_to_this_one(sandbox):
    year = sandbox.today.year
    rates = _get(sandbox, "/account/internal_hourly_rates").json()
    assert {r["year"] for user in rates for r in user["rates"]} == {year}
    both = _get(sandbox, "/account/internal_hourly_rates", years=f"{year},{year + 1}").json()
    assert {r["year"] for user in both for r in user["rates"]} == {year, year + 1}


def test_year_objects_default_to_this_year(sandbox):
    year = sandbox.today.year
    mine = _get(sandbox, "/profile/performance_report").json()
    assert mine["annually"]["year"] == year
    ahead = _get(sandbox, "/profile/performance_report", year=year + 1).json()
    assert ahead["annually"]["year"] == year + 1 and len(ahead["monthly"]) == 12
    absences = _get(sandbox, "/report/absences").json()
    ahead_absences = _get(sandbox, "/report/absences", year=year + 1).json()
    assert len(absences) == len(ahead_absences) > 0
    assert sum(r["total_vacation_days"] for r in ahead_absences) > 0  # next year's entitlements


def test_reports_default_to_this_year_and_answer_any_window(sandbox):
    year = sandbox.today.year
    first = _get(sandbox, "/report/utilization")
    assert min(r["date"] for r in first.json()) == f"{year}-01-01"
    days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    assert int(first.headers["X-Total"]) == days * len(sandbox.expected("users"))
    month = {"from": f"{year + 1}-03-01", "to": f"{year + 1}-03-31"}
    march = _get(sandbox, "/report/utilization", **month).json()
    assert {r["date"][:7] for r in march} == {f"{year + 1}-03"}
    default_rows = int(_get(sandbox, "/report/cashflow").headers["X-Total"])
    explicit = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
    assert default_rows == int(_get(sandbox, "/report/cashflow", **explicit).headers["X-Total"])


def test_planned_months_ahead_of_today(sandbox):
    """Planned hours and scheduled instalments fill months after today."""
    year = sandbox.today.year + 1
    window = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
    planned = _get(sandbox, "/report/planned_vs_tracked", **window).json()
    assert planned and all(r["tracked_hours"] == 0 for r in planned)
    assert any(r["planned_hours"] > 0 for r in planned)
    cashflow = _get(sandbox, "/report/cashflow", **window).json()
    assert cashflow and {r["kind"] for r in cashflow} == {"payment_schedule"}
    entries = sandbox.expected("planning_entries")
    assert max(r["starts_on"] for r in entries) > f"{year}-01-01"


def test_the_oracles_windows_follow_the_catalogue():
    """Which resources take which window comes from the catalogue built from MOCO's docs."""
    from sandbox.expected import windows

    catalog = load_catalog()
    kinds = {name: r.window_default for name, r in catalog.items() if r.window_default}
    assert kinds["user_holidays"] == kinds["purchase_budgets"] == kinds["fixed_costs"] == "year"
    assert kinds["internal_hourly_rates"] == "years"
    assert kinds["report_cashflow"] == "from_to"
    today = dt.date(2026, 12, 2)
    years = windows("year", dt.date(2024, 6, 1), today)
    assert [w.params["year"] for w in years] == ["2024", "2025", "2026", "2027"]
    months = windows("from_to", dt.date(2026, 11, 15), today)
    assert months[0].params == {"from": "2026-11-01", "to": "2026-11-30"}
    assert months[-1].params == {"from": "2027-12-01", "to": "2027-12-31"}
    assert windows("years", dt.date(2025, 1, 1), today)[0].params == {"years": "2025,2026,2027"}
