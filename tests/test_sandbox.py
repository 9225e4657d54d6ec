"""The MOCO sandbox behaves like MOCO's API v1, checked over real sockets with `requests`."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox import FAULT_KINDS, Sandbox, SandboxConfig
from sandbox import server as sandbox_server
from sandbox.catalog import load_catalog
from sandbox.generate import make_one, populate
from sandbox.generate.snapshots import generated
from sandbox.query import INDEXED_ROWS, select
from sandbox.runner import SECRET_KEY
from sandbox.store import HISTORY_DAYS, Store
from sandbox.validate import record_problems

AUTH = {"Authorization": f"Token token={SECRET_KEY}"}
ROOT = Path(__file__).resolve().parent.parent


def get(sb: Sandbox, path: str, session: Any = requests, **params: Any) -> requests.Response:
    """GET below the base URL with the default key."""
    return session.get(f"{sb.base_url}{path}", params=params, headers=AUTH, timeout=30)


def parse_ts(text: str) -> dt.datetime:
    """Any ISO 8601 form the sandbox sends, as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def sample_request(sb: Sandbox, name: str) -> tuple[str, dict[str, str]]:
    """A concrete path (and window) for a resource, chosen so that it has data."""
    resource = load_catalog()[name]
    params: dict[str, str] = {}
    if resource.window_default == "from_to":
        last_year = sb.today.year - 1
        params = {"from": f"{last_year}-01-01", "to": f"{last_year}-12-31"}
    if name == "taggings":
        tagged = sb.expected("taggings")[0]
        return f"/taggings/{tagged['entity']}/{tagged['entity_id']}", params
    if not resource.path_param:
        return resource.path, params
    records = sb.expected(name)
    parent_id = records[0][resource.path_param]
    return resource.path.replace(f"{{{resource.path_param}}}", str(parent_id)), params


# --- authentication ------------------------------------------------------------------------


def test_token_and_bearer_headers_are_accepted(sandbox: Sandbox) -> None:
    for header in (
        f"Token token={SECRET_KEY}",
        f"Bearer {SECRET_KEY}",
        f'Token token="{SECRET_KEY}"',
    ):
        response = requests.get(
            f"{sandbox.base_url}/session", headers={"Authorization": header}, timeout=10
        )
        assert response.status_code == 200, header
        assert response.json() == {"id": sandbox.owner_id, "uuid": response.json()["uuid"]}


@pytest.mark.parametrize("header", [None, "Token token=wrong", "Bearer nope", "Basic abc"])
def test_wrong_or_missing_key_is_401(sandbox: Sandbox, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{sandbox.base_url}/projects", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid API key."}


def test_unknown_subdomain_is_401_for_every_request(sandbox_factory: Any) -> None:
    sb = sandbox_factory(unknown_subdomain=True)
    for path in ("/session", "/projects", "/nowhere"):
        response = get(sb, path)
        assert response.status_code == 401
        assert response.json() == {"message": "Subdomain does not exist."}


def test_custom_api_key(sandbox_factory: Any) -> None:
    sb = sandbox_factory(api_key="s3cret")
    assert get(sb, "/session").status_code == 401
    response = requests.get(
        f"{sb.base_url}/session", headers={"Authorization": "Bearer s3cret"}, timeout=10
    )
    assert response.status_code == 200


# --- pagination ----------------------------------------------------------------------------


def test_pagination_headers_and_link_carry_only_page(sandbox: Sandbox) -> None:
    total = len(sandbox.expected("activities"))
    last = (total + 99) // 100
    first = get(sandbox, "/activities", billable="true", per_page=100)
    assert first.headers["X-Page"] == "1"
    assert first.headers["X-Per-Page"] == "100"
    billable_total = int(first.headers["X-Total"])
    assert 0 < billable_total < total
    link = first.headers["Link"]
    assert link == f'<{sandbox.base_url}/activities?page=2>; rel="next"'
    assert "billable" not in link
    assert "per_page" not in link
    final = get(sandbox, "/activities", page=last)
    assert final.headers["X-Page"] == str(last)
    assert "Link" not in final.headers
    assert len(final.json()) == total - (last - 1) * 100


def test_following_links_yields_every_record_once(sandbox: Sandbox) -> None:
    session = requests.Session()
    url: str | None = f"{sandbox.base_url}/companies"
    ids: list[int] = []
    while url:
        response = session.get(url, headers=AUTH, params={"include_archived": "true"}, timeout=10)
        ids.extend(record["id"] for record in response.json())
        match = re.search(r"<([^>]+)>; rel=\"next\"", response.headers.get("Link", ""))
        url = match.group(1) if match else None
    assert ids == sorted(ids)
    assert ids == [record["id"] for record in sandbox.expected("companies")]


def test_per_page_is_clamped_to_100(sandbox: Sandbox) -> None:
    response = get(sandbox, "/activities", per_page=1000)
    assert response.headers["X-Per-Page"] == "100"
    assert len(response.json()) == 100
    small = get(sandbox, "/activities", per_page=7)
    assert small.headers["X-Per-Page"] == "7"
    assert len(small.json()) == 7


def test_empty_result_has_zero_total_and_no_link(sandbox: Sandbox) -> None:
    response = get(sandbox, "/activities", ids="1,2,3")
    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["X-Total"] == "0"
    assert "Link" not in response.headers


def test_default_order_is_id_ascending_and_sort_by_works(sandbox: Sandbox) -> None:
    ids = [record["id"] for record in get(sandbox, "/projects").json()]
    assert ids == sorted(ids)
    by_name = [r["name"] for r in get(sandbox, "/projects", sort_by="name desc").json()]
    assert by_name == sorted(by_name, reverse=True)


def test_concurrent_page_fetching_over_keep_alive(sandbox: Sandbox) -> None:
    sessions = [requests.Session() for _ in range(4)]

    def fetch(page: int) -> list[int]:
        response = get(sandbox, "/activities", sessions[page % 4], page=page)
        return [record["id"] for record in response.json()]

    with ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(fetch, range(1, 16)))
    ids = [record_id for page in pages for record_id in page]
    assert len(ids) == len(set(ids)) == 1500
    connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=10)
    for _ in range(3):
        connection.request("GET", "/api/v1/session", headers=AUTH)
        response = connection.getresponse()
        assert response.status == 200
        assert int(response.getheader("Content-Length")) == len(response.read())
    connection.close()


# --- filters -------------------------------------------------------------------------------


def test_updated_after_is_strict(sandbox: Sandbox) -> None:
    records = sandbox.expected("activities")
    moments = sorted(parse_ts(r["updated_at"]) for r in records)
    pivot = moments[len(moments) // 2].replace(microsecond=0)
    stamp = pivot.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    returned = sandbox.expected("activities", updated_after=stamp)
    assert all(parse_ts(r["updated_at"]) > pivot for r in returned)
    assert len(returned) == sum(1 for moment in moments if moment > pivot)
    at_pivot = [r for r in records if parse_ts(r["updated_at"]) == pivot]
    assert at_pivot, "the pivot record itself exists"
    assert not {r["id"] for r in at_pivot} & {r["id"] for r in returned}


def test_updated_after_accepts_offsets_and_rejects_garbage(sandbox: Sandbox) -> None:
    ok = get(sandbox, "/projects", updated_after="2025-01-01T01:00:00+01:00")
    same = get(sandbox, "/projects", updated_after="2025-01-01T00:00:00Z")
    assert ok.status_code == 200
    assert ok.headers["X-Total"] == same.headers["X-Total"]
    bad = get(sandbox, "/projects", updated_after="yesterday")
    assert bad.status_code == 400
    assert "message" in bad.json()


def test_about_ten_percent_of_updated_at_are_not_in_z_form(sandbox: Sandbox) -> None:
    records = [
        r for name in ("activities", "presences", "companies") for r in sandbox.expected(name)
    ]
    odd = [
        r["updated_at"] for r in records if not re.fullmatch(r".*T\d\d:\d\d:\d\dZ", r["updated_at"])
    ]
    assert 0.05 < len(odd) / len(records) < 0.15
    assert any("+0" in value for value in odd)
    assert any("." in value for value in odd)


def test_ids_filter(sandbox: Sandbox) -> None:
    wanted = [r["id"] for r in sandbox.expected("contacts")[5:8]]
    response = get(sandbox, "/contacts/people", ids=",".join(map(str, wanted)))
    assert [r["id"] for r in response.json()] == wanted


@pytest.mark.parametrize(
    ("path", "resource"),
    [("/companies", "companies"), ("/projects", "projects"), ("/users", "users")],
)
def test_archived_records_hidden_unless_include_archived(
    sandbox: Sandbox, path: str, resource: str
) -> None:
    everything = sandbox.expected(resource)
    archived = [r for r in everything if not r["active"]]
    assert archived
    assert len(archived) / len(everything) < 0.25
    if "archived_on" in everything[0]:
        assert all(r["archived_on"] for r in archived)
    default = get(sandbox, path, per_page=100)
    assert int(default.headers["X-Total"]) == len(everything) - len(archived)
    shown = get(sandbox, path, include_archived="true")
    assert int(shown.headers["X-Total"]) == len(everything)


def test_include_archived_users_on_hourly_rates(sandbox: Sandbox) -> None:
    users = sandbox.expected("users")
    active = get(sandbox, "/account/hourly_rates").json()["users"]
    everyone = get(sandbox, "/account/hourly_rates", include_archived_users="true").json()
    assert len(active) == sum(1 for u in users if u["active"])
    assert len(everyone["users"]) == len(users)


def test_year_parameters_default_to_the_current_year(sandbox: Sandbox) -> None:
    year = sandbox.today.year
    holidays = get(sandbox, "/users/holidays").json()
    assert holidays and {h["year"] for h in holidays} == {year}
    older = get(sandbox, "/users/holidays", year=year - 2).json()
    assert older and {h["year"] for h in older} == {year - 2}
    costs = get(sandbox, "/account/fixed_costs").json()
    assert {c["year"] for cost in costs for c in cost["costs"]} == {year}
    budgets = get(sandbox, "/purchases/budgets", year=year - 1).json()
    assert {b["year"] for b in budgets} == {year - 1}
    rates = get(sandbox, "/account/internal_hourly_rates").json()
    assert {r["year"] for user in rates for r in user["rates"]} == {year}
    two = get(sandbox, "/account/internal_hourly_rates", years=f"{year - 1},{year}").json()
    assert {r["year"] for user in two for r in user["rates"]} == {year - 1, year}
    report = get(sandbox, f"/users/{sandbox.owner_id}/performance_report").json()
    assert report["annually"]["year"] == year
    assert get(sandbox, "/profile/performance_report", year=1999).status_code == 400


def test_reports_default_to_the_current_calendar_year(sandbox: Sandbox) -> None:
    year = sandbox.today.year
    rows = sandbox.expected(
        "report_utilization", **{"from": f"{year}-01-01", "to": f"{year}-12-31"}
    )
    first = get(sandbox, "/report/utilization")
    assert int(first.headers["X-Total"]) == len(rows)
    assert {r["date"][:4] for r in first.json()} == {str(year)}
    window = get(
        sandbox, "/report/utilization", **{"from": f"{year - 2}-03-01", "to": f"{year - 2}-03-31"}
    )
    dates = {r["date"] for r in window.json()}
    assert min(dates) == f"{year - 2}-03-01"
    for path in ("/report/cashflow", "/report/finance", "/report/planned_vs_tracked"):
        older = get(sandbox, path, **{"from": f"{year - 2}-01-01", "to": f"{year - 2}-12-31"})
        assert int(older.headers["X-Total"]) > 0, path


def test_history_spans_several_years(sandbox: Sandbox) -> None:
    years = {r["date"][:4] for r in sandbox.expected("activities")}
    assert len(years) >= 3
    assert max(r["date"] for r in sandbox.expected("activities")) <= sandbox.today.isoformat()


def test_history_days_sets_the_span_and_the_default_is_unchanged(sandbox_factory: Any) -> None:
    default = sandbox_factory(counts={"activities": 50})
    assert default.store.start == default.today - dt.timedelta(days=HISTORY_DAYS)
    days = 15 * 365 + 4
    sb = sandbox_factory(counts={"activities": 3_000, "projects": 200}, history_days=days)
    start = sb.today - dt.timedelta(days=days)
    assert sb.store.start == start
    dates = [r["date"] for r in sb.expected("activities")]
    assert min(dates) >= start.isoformat()
    assert max(dates) <= sb.today.isoformat()
    assert len({date[:4] for date in dates}) >= 12  # spread over the span, not the default 3
    with pytest.raises(ValueError, match="history_days"):
        SandboxConfig(history_days=0)


def test_long_lists_answer_alike_through_the_index(sandbox_factory: Any) -> None:
    """A long list is narrowed by its index: the same rows, in the same order, as a scan."""
    sb = sandbox_factory(counts={"activities": INDEXED_ROWS + 700})
    api = sb.app.api
    route = api.router.resolve("/activities")
    assert route is not None
    rows = sb.store.table("activities")
    some = sorted(rows)[::997][:6]
    moment = sorted(row["_u"] for row in rows.values())[len(rows) * 3 // 4]
    stamp = dt.datetime.fromtimestamp(moment, dt.timezone.utc).isoformat()
    year = sb.today.year - 1
    queries: list[dict[str, str]] = [
        {},
        {"from": f"{year}-03-01", "to": f"{year}-03-31"},
        {"from": f"{year}-03-01"},
        {"to": f"{year}-01-05", "sort_by": "date desc"},
        {"from": f"{year}-05-02", "to": f"{year}-05-01"},
        {"updated_after": stamp},
        {"updated_after": stamp, "from": f"{year}-01-01", "to": f"{year}-06-30"},
        {"ids": ",".join(str(key) for key in [*some, 1])},
        {"ids": ",".join(str(key) for key in some), "from": f"{year}-01-01", "to": f"{year}-12-31"},
        {"user_id": str(next(iter(rows.values()))["user"]["id"]), "from": f"{year}-02-01"},
    ]

    def agree() -> None:
        for params in queries:
            scanned = select(route.resource, api.source(route), params, sb.today)
            assert api.rows(route, params) == scanned, params
            assert api._index(route) is not None

    agree()
    victim = sorted(rows)[len(rows) // 2]
    sb.delete("activities", victim)
    moved = sorted(rows)[10]
    sb.update("activities", moved, date=f"{year}-03-15")
    agree()
    assert victim not in {row["id"] for row in api.rows(route, queries[0])}
    march = {row["id"] for row in api.rows(route, queries[1])}
    assert moved in march
    # the index follows changes in place (no rebuild): creates, more deletes, moves back
    index = api._index(route)
    created = sb.create("activities")["id"]
    sb.delete("activities", sorted(rows)[len(rows) // 3])
    sb.delete("activities", some[1])
    sb.update("activities", moved, date=f"{year}-05-01")
    agree()
    assert api._index(route) is index
    assert created in {row["id"] for row in api.rows(route, {"updated_after": stamp})}
    assert moved not in {row["id"] for row in api.rows(route, queries[1])}


def test_from_to_and_relation_filters(sandbox: Sandbox) -> None:
    year = sandbox.today.year - 1
    window = sandbox.expected("activities", **{"from": f"{year}-04-01", "to": f"{year}-04-30"})
    assert window
    assert all(f"{year}-04-01" <= r["date"] <= f"{year}-04-30" for r in window)
    user_id = window[0]["user"]["id"]
    mine = sandbox.expected("activities", user_id=user_id)
    assert mine and all(r["user"]["id"] == user_id for r in mine)
    project_id = window[0]["project"]["id"]
    response = get(sandbox, "/activities", project_id=project_id)
    assert all(r["project"]["id"] == project_id for r in response.json())


# --- rate limits and permissions -----------------------------------------------------------


def test_rate_limit_answers_429_within_the_window(sandbox_factory: Any) -> None:
    sb = sandbox_factory(rate_limit=(5, 1.5))
    session = requests.Session()
    statuses = [get(sb, "/session", session).status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 3
    rejected = get(sb, "/session", session)
    assert rejected.json() == {"message": "Too many requests"}
    assert "Retry-After" not in rejected.headers
    time.sleep(1.6)
    assert get(sb, "/session", session).status_code == 200
    admitted = [e.time for e in sb.request_log if e.status != 429]
    for index, moment in enumerate(admitted):
        assert sum(1 for other in admitted[index:] if other - moment < 1.5) <= 5


def test_rate_limit_can_send_retry_after(sandbox_factory: Any) -> None:
    sb = sandbox_factory(rate_limit="2/10", retry_after=True)
    for _ in range(2):
        get(sb, "/session")
    rejected = get(sb, "/session")
    assert rejected.status_code == 429
    assert 1 <= int(rejected.headers["Retry-After"]) <= 10


def test_forbidden_paths_answer_403(sandbox_factory: Any) -> None:
    sb = sandbox_factory(forbidden_paths={"/invoices", "/invoices/{invoice_id}/timesheet"})
    invoice_id = sb.expected("invoices")[0]["id"]
    assert get(sb, "/invoices").status_code == 403
    assert get(sb, "/invoices").json() == {"message": "Forbidden"}
    assert get(sb, f"/invoices/{invoice_id}/timesheet").status_code == 403
    assert get(sb, "/invoices/payments").status_code == 200
    sb.config.update(forbidden_paths={"/purchases*"})
    assert get(sb, "/invoices").status_code == 200
    assert get(sb, "/purchases/payments").status_code == 403


# --- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_kind(sandbox_factory: Any, kind: str) -> None:
    sb = sandbox_factory(fault_rate=1.0, fault_kinds=(kind,), stall_seconds=2.0)
    url = f"{sb.base_url}/projects"
    if kind == "stall":
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(url, headers=AUTH, timeout=0.5)
    elif kind in ("close", "truncate"):
        with pytest.raises(
            requests.exceptions.ConnectionError
            if kind == "close"
            else requests.exceptions.RequestException
        ):
            requests.get(url, headers=AUTH, timeout=5)
    else:
        response = requests.get(url, headers=AUTH, timeout=5)
        if kind == "429":
            assert response.status_code == 429
            assert response.json() == {"message": "Too many requests"}
        elif kind == "html200":
            assert response.status_code == 200
            assert response.headers["Content-Type"].startswith("text/html")
            with pytest.raises(ValueError, match="Expecting value"):
                response.json()
        else:
            assert response.status_code == int(kind)
            assert response.text.startswith("<html>")
    deadline = time.monotonic() + 5
    while not sb.request_log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sb.request_log[-1].fault == kind


def test_faults_can_be_limited_to_lists_and_switched_off(sandbox_factory: Any) -> None:
    sb = sandbox_factory(fault_rate=1.0, fault_kinds=("503",), faults_on_lists_only=True)
    assert get(sb, "/profile").status_code == 200
    assert get(sb, "/projects").status_code == 503
    sb.config.update(fault_rate=0.0)
    assert get(sb, "/projects").status_code == 200


def test_partial_fault_rate_is_seeded(sandbox_factory: Any) -> None:
    outcomes = []
    for _ in range(2):
        sb = sandbox_factory(fault_rate=0.3, fault_kinds=("500", "502"))
        session = requests.Session()
        outcomes.append([get(sb, "/units", session).status_code for _ in range(30)])
    assert outcomes[0] == outcomes[1]
    assert 200 in outcomes[0]
    assert {500, 502} & set(outcomes[0])


def test_latency_is_added(sandbox_factory: Any) -> None:
    sb = sandbox_factory(latency=0.3)
    started = time.monotonic()
    get(sb, "/session")
    assert time.monotonic() - started >= 0.3


# --- mutations -----------------------------------------------------------------------------


def test_mutations_are_visible(sandbox_factory: Any) -> None:
    sb = sandbox_factory(counts={"projects": 10, "activities": 50})
    before = {r["id"] for r in sb.expected("projects")}
    latest = max(parse_ts(r["updated_at"]) for r in sb.expected("projects"))
    stamp = latest.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    created = sb.create("projects", name="Neues Projekt")
    assert created["id"] > max(before)
    assert created["name"] == "Neues Projekt"
    assert parse_ts(created["updated_at"]) > latest
    activity = sb.create("activities")
    assert parse_ts(activity["created_at"]) > latest
    assert activity["id"] in {r["id"] for r in get(sb, "/activities", updated_after=stamp).json()}
    task = sb.create("project_tasks", project_id=created["id"])
    tasks = get(sb, f"/projects/{created['id']}/tasks").json()
    assert task["id"] in {t["id"] for t in tasks}
    target = min(before)
    sb.update("projects", target)
    changed = {
        r["id"] for r in get(sb, "/projects", include_archived="true", updated_after=stamp).json()
    }
    assert {created["id"], target} <= changed
    victim = sorted(before)[1]
    sb.delete("projects", victim)
    assert victim not in {r["id"] for r in sb.expected("projects")}
    assert get(sb, f"/projects/{victim}").status_code == 404
    kinds = [(m.kind, m.resource, m.id) for m in sb.mutation_log]
    assert ("create", "projects", created["id"]) in kinds
    assert ("update", "projects", target) in kinds
    assert ("delete", "projects", victim) in kinds
    with pytest.raises(ValueError, match="not a stored resource"):
        sb.create("report_finance")


def test_injected_changes_are_logged(sandbox_factory: Any) -> None:
    sb = sandbox_factory(change_rate=1.0, change_kinds=("delete",))
    start_ids = {r["id"] for r in sb.expected("deals")}
    session = requests.Session()
    for _ in range(3):
        get(sb, "/deals", session)
    deleted = {m.id for m in sb.mutation_log if m.kind == "delete" and m.resource == "deals"}
    assert len(deleted) == 3
    assert all(m.injected for m in sb.mutation_log)
    survivors = start_ids - deleted
    assert {r["id"] for r in sb.expected("deals")} == survivors
    sb.config.update(change_rate=1.0, change_kinds=("create", "update"))
    get(sb, "/deals", session)
    assert len(sb.mutation_log) == 4


# --- data ----------------------------------------------------------------------------------


def test_same_seed_same_data_other_seed_other_data(sandbox_factory: Any) -> None:
    day = dt.date(2026, 5, 4)
    first = sandbox_factory(seed=7, today=day)
    second = sandbox_factory(seed=7, today=day)
    third = sandbox_factory(seed=8, today=day)
    for name in ("activities", "invoices", "offers", "report_finance"):
        assert first.expected(name) == second.expected(name), name
    assert first.expected("companies") != third.expected("companies")


def test_default_volumes_scale_and_counts(sandbox: Sandbox, sandbox_factory: Any) -> None:
    volumes = {
        name: len(sandbox.expected(name))
        for name in (
            "users",
            "companies",
            "contacts",
            "projects",
            "activities",
            "invoices",
            "offers",
        )
    }
    assert volumes == {
        "users": 25,
        "companies": 120,
        "contacts": 150,
        "projects": 80,
        "activities": 1500,
        "invoices": 150,
        "offers": 80,
    }
    per_project = {}
    for task in sandbox.expected("project_tasks"):
        per_project[task["project_id"]] = per_project.get(task["project_id"], 0) + 1
    assert set(per_project.values()) <= set(range(2, 7))
    small = sandbox_factory(scale=0.1, counts={"activities": 12})
    assert len(small.expected("activities")) == 12
    assert len(small.expected("companies")) == 12


@pytest.mark.parametrize("name", sorted(load_catalog()))
def test_every_resource_answers_200_with_typed_data(sandbox: Sandbox, name: str) -> None:
    path, params = sample_request(sandbox, name)
    response = get(sandbox, path, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body, f"{name} answered empty"
    resource = load_catalog()[name]
    if resource.response == "strings":
        assert all(isinstance(tag, str) for tag in body)
        return
    records = body if isinstance(body, list) else [body]
    for record in records:
        assert record_problems(record, resource.fields) == [], name


def test_references_are_consistent(sandbox: Sandbox) -> None:
    users = {r["id"] for r in sandbox.expected("users")}
    projects = {r["id"]: r for r in sandbox.expected("projects")}
    companies = {r["id"] for r in sandbox.expected("companies")}
    tasks = {(t["project_id"], t["id"]) for t in sandbox.expected("project_tasks")}
    invoices = {r["id"]: r for r in sandbox.expected("invoices")}
    for activity in sandbox.expected("activities"):
        project_id = activity["project"]["id"]
        assert activity["user"]["id"] in users
        assert (project_id, activity["task"]["id"]) in tasks
        assert activity["customer"]["id"] == projects[project_id]["customer"]["id"]
        if activity["invoice_id"]:
            assert invoices[activity["invoice_id"]]["project_id"] == project_id
    for invoice in invoices.values():
        assert invoice["customer_id"] in companies
        assert invoice["project_id"] in projects
    for contact in sandbox.expected("contacts"):
        assert contact["company"] is None or contact["company"]["id"] in companies


def test_decimal_strings_where_types_say_number_or_string(sandbox: Sandbox) -> None:
    payment = sandbox.expected("invoice_payments")[0]
    assert re.fullmatch(r"-?\d+\.\d\d", payment["paid_total"])
    template = sandbox.expected("expense_templates")[0]
    assert isinstance(template["unit_price"], str)


def test_invoice_and_offer_details_carry_unique_items(sandbox: Sandbox) -> None:
    seen: set[int] = set()
    for name in ("invoices", "offers"):
        resource = load_catalog()[name]
        for record in sandbox.expected(name)[:40]:
            detail = get(sandbox, f"/{name}/{record['id']}").json()
            assert record_problems(detail, resource.detail_fields or {}) == []
            assert 2 <= len(detail["items"]) <= 5
            item_ids = {item["id"] for item in detail["items"]}
            assert not item_ids & seen
            seen |= item_ids
    assert get(sandbox, "/invoices/1").status_code == 404
    items = sandbox.expected("invoice_items")
    assert len({item["id"] for item in items}) == len(items)
    assert {item["invoice_id"] for item in items} == {r["id"] for r in sandbox.expected("invoices")}
    assert all("offer_id" in item for item in sandbox.expected("offer_items"))


def test_customer_approval_exists_for_about_half_the_offers(sandbox: Sandbox) -> None:
    offers = sandbox.expected("offers")
    statuses = [get(sandbox, f"/offers/{o['id']}/customer_approval").status_code for o in offers]
    assert set(statuses) == {200, 404}
    assert 0.3 < statuses.count(200) / len(offers) < 0.7
    missing = statuses.index(404)
    assert get(sandbox, f"/offers/{offers[missing]['id']}/customer_approval").json() == {
        "message": "Not found"
    }


def test_taggings_session_profile_and_not_found(sandbox: Sandbox) -> None:
    company = next(c for c in sandbox.expected("companies") if c["tags"])
    assert get(sandbox, f"/taggings/Company/{company['id']}").json() == company["tags"]
    assert get(sandbox, "/taggings/Company/1").status_code == 404
    assert get(sandbox, "/profile").json()["id"] == get(sandbox, "/session").json()["id"]
    for path in ("/nothing", "/projects/999999999/tasks", "/api/v2/projects"):
        response = get(sandbox, path)
        assert response.status_code == 404
        assert response.json() == {"message": "Not found"}


def test_expected_windows_follow_window_years(sandbox: Sandbox) -> None:
    users = len(sandbox.expected("users"))
    years = [2018, 2019, *sandbox.years]
    assert len(sandbox.expected("report_absences", window_years=years)) == users * len(years)
    assert len(sandbox.expected("report_absences", year=2024)) == users
    old = sandbox.expected("fixed_costs", window_years=[2018])
    assert old and all(cost["costs"] == [] for cost in old)


def test_expected_stamps_parent_ids(sandbox: Sandbox) -> None:
    """Each nested record carries the id of the parent whose URL actually serves it."""
    projects = sandbox.expected("projects")
    reports = sandbox.expected("project_reports")
    assert sorted(report["project_id"] for report in reports) == sorted(p["id"] for p in projects)
    for report in reports[:5]:
        served = get(sandbox, f"/projects/{report['project_id']}/report").json()
        assert {**served, "project_id": report["project_id"]} == report
    timesheets = sandbox.expected("invoice_timesheets")
    assert timesheets and all(t["billed"] for t in timesheets)
    stamped = {(t["invoice_id"], t["id"]) for t in timesheets}
    served_pairs = set()
    for invoice_id in sorted({invoice_id for invoice_id, _ in stamped})[:5]:
        answer = get(sandbox, f"/invoices/{invoice_id}/timesheet", per_page=100).json()
        assert answer, invoice_id
        served_pairs |= {(invoice_id, entry["id"]) for entry in answer}
    assert served_pairs and served_pairs <= stamped
    assert {pair for pair in stamped if pair[0] in {i for i, _ in served_pairs}} == served_pairs


def test_large_volume_is_generated_and_served(sandbox_factory: Any) -> None:
    """100,000 time entries, paged (how fast is the bench's business, never a test's)."""
    sb = sandbox_factory(counts={"activities": 100_000})
    session = requests.Session()
    seen: set[int] = set()
    for page in range(1, 51):
        answer = get(sb, "/activities", session, page=page)
        assert answer.headers["X-Total"] == "100000"
        records = answer.json()
        assert len(records) == 100
        seen.update(int(record["id"]) for record in records)
    assert len(seen) == 5000


# --- command line --------------------------------------------------------------------------


def test_command_line_prints_base_url_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--seed",
            "3",
            "--rate-limit",
            "100/60",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1", line)
        cli_auth = {"Authorization": "Token token=sandbox"}  # the command line's default key
        response = requests.get(f"{line}/session", headers=cli_auth, timeout=10)
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_generated_catalogue_is_committed_and_readable() -> None:
    catalogue = json.loads((ROOT / "sandbox" / "resources.json").read_text("utf-8"))
    assert set(catalogue["resources"]) == set(load_catalog())
    assert "items" in catalogue["resources"]["invoices"]["detail_fields"]


@pytest.mark.parametrize(
    "fields",
    [{}, {"seed": 7, "scale": 0.1}, {"counts": {"activities": 40}, "history_days": 90}],
)
def test_a_copied_account_is_the_account_generated_afresh(fields: dict[str, Any]) -> None:
    """`sandbox.generate.snapshots`: a copy holds what `populate` makes, and goes on the same.

    Compared with a store generated by `populate` itself: the records, the hidden times, the
    next ids and the random sequence that later creates and changes draw from. Two copies
    are independent of each other and of the first.
    """
    config = SandboxConfig(api_key=SECRET_KEY, **fields)
    fresh = Store(config)
    fresh_world = populate(fresh)
    first, _ = generated(config)
    copy, world = generated(SandboxConfig(api_key=SECRET_KEY, **fields))
    other, _ = generated(config)
    assert copy is not first and copy.tables is not first.tables
    assert copy.tables == fresh.tables and first.tables == fresh.tables
    assert copy.rng.getstate() == fresh.rng.getstate()
    assert world.store is copy and world.rng is copy.rng and copy.config is not config
    made = make_one(world, "companies")
    assert made == make_one(fresh_world, "companies")  # same ids and draws afterwards
    assert made["id"] not in other.table("companies")
    other.lock.acquire()  # each copy its own lock
    try:
        assert copy.lock.acquire(blocking=False)
        copy.lock.release()
    finally:
        other.lock.release()


def test_a_read_of_the_log_holds_every_request_answered_before_it(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler logs after writing its answer; a client reading the log at once finds it.

    Making the entry is slowed down here, so that the client holds the answer well before the
    entry exists (a tap stream read in the test's own thread does this, by a hair).
    """
    sandbox = sandbox_factory(counts={"companies": 3})
    real_entry = sandbox_server.LogEntry

    def slow_entry(*args: Any) -> Any:
        time.sleep(0.3)
        return real_entry(*args)

    monkeypatch.setattr(sandbox_server, "LogEntry", slow_entry)
    response = requests.get(f"{sandbox.base_url}/companies", headers=AUTH, timeout=10)
    assert response.status_code == 200
    assert [entry.path for entry in sandbox.request_log] == ["/companies"]
