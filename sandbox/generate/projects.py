"""Projects with tasks and contracts, their expenses, instalments and planning."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.generate.reference import (
    EXPENSE_TITLES,
)
from sandbox.generate.world import (
    World,
    project_company,
    project_dates,
    raw_ref,
    shorten,
)
from sandbox.values import (
    COLORS,
    PROJECT_KINDS,
    TASK_NAMES,
    UNITS_OF_MEASURE,
    Ref,
    iso_z,
    money,
)


def make_project_task(
    w: World, parent: int | None = None, *, name: str | None = None
) -> dict[str, Any]:
    """A service (Leistung) of a project."""
    rng = w.rng
    project_id = parent or rng.choice(w.ids("projects"))
    if name is None:
        used = {task["name"] for task in w.rows("project_tasks") if task.get("_p") == project_id}
        name = rng.choice([n for n in TASK_NAMES if n not in used] or list(TASK_NAMES))
    return w.add(
        "project_tasks",
        {
            "name": name,
            "description": None,
            "billable": name != "Reisezeit" and rng.random() < 0.9,
            "active": rng.random() < 0.92,
            "budget": None if rng.random() < 0.6 else float(rng.randrange(1000, 20000, 500)),
            "hourly_rate": float(rng.choice((95, 110, 120, 135, 150))),
            "revenue_category": w.ref("revenue_categories"),
        },
        day=w.gen.date(w.start, w.today - dt.timedelta(days=20)),
        parent=project_id,
    )


def make_project_contract(
    w: World, parent: int | None = None, *, user_id: int | None = None
) -> dict[str, Any]:
    """A staff assignment of a user to a project."""
    rng = w.rng
    project_id = parent or rng.choice(w.ids("projects"))
    taken = {c["user_id"] for c in w.rows("project_contracts") if c.get("_p") == project_id}
    if user_id is None:
        candidates = [u["id"] for u in w.active_users() if u["id"] not in taken]
        user_id = rng.choice(candidates or w.ids("users"))
    user = w.store.table("users")[user_id]
    return w.add(
        "project_contracts",
        {
            "user_id": user_id,
            "firstname": user["firstname"],
            "lastname": user["lastname"],
            "billable": rng.random() < 0.9,
            "active": True,
            "budget": None,
            "hourly_rate": user.get("_rate", 120.0),
            "project": Ref("projects", project_id),
        },
        day=w.gen.date(w.start, w.today - dt.timedelta(days=20)),
        parent=project_id,
    )


def make_project(w: World, parent: int | None = None, *, archived: bool = False) -> dict[str, Any]:
    """A customer project with 2-6 tasks and 1-4 staff contracts."""
    del parent
    rng = w.rng
    customers = [c for c in w.rows("companies") if c["type"] == "customer"] or w.rows("companies")
    company = rng.choice(customers) if customers else None
    start = w.gen.date(w.start, w.today - dt.timedelta(days=45))
    finish = None if rng.random() < 0.3 else start + dt.timedelta(days=rng.randint(60, 540))
    retainer = rng.random() < 0.1
    budget = None if rng.random() < 0.25 else float(rng.randrange(5000, 120000, 1000))
    deals = [
        d["id"]
        for d in w.rows("deals")
        if company and raw_ref(d, "company") == Ref("companies", company["id"])
    ]
    groups = w.ids("project_groups")
    contacts = w.ids("contacts")
    kind = rng.choice(PROJECT_KINDS)
    name = f"{kind} {shorten(company['name'])}" if company else kind
    number = w.sequence("project")
    leader = w.user_ref()
    project = w.add(
        "projects",
        {
            "identifier": f"P{start:%y}{number:03d}",
            "name": name,
            "active": not archived,
            "billable": rng.random() < 0.9,
            "fixed_price": rng.random() < 0.25,
            "retainer": retainer,
            "start_date": start.isoformat(),
            "finish_date": finish.isoformat() if finish else None,
            "currency": (company or {}).get("currency") or "EUR",
            "billing_variant": rng.choice(("project", "task", "user")),
            "billing_address": (company or {}).get("address"),
            "billing_email_to": (company or {}).get("email"),
            "billing_email_cc": None,
            "billing_notes": None,
            "setting_include_time_report": rng.random() < 0.5,
            "budget": budget,
            "budget_monthly": float(rng.randrange(1000, 8000, 500)) if retainer else None,
            "budget_expenses": None,
            "hourly_rate": float(rng.choice((110, 120, 135, 150))),
            "info": None if rng.random() < 0.7 else w.gen.sentence(),
            "retainer_billing_date": rng.randint(1, 28) if retainer else None,
            "retainer_billing_title": "Monatliche Betreuung" if retainer else None,
            "retainer_billing_description": None,
            "color": rng.choice(COLORS),
            "customer_report_url": None,
            "tags": w.tag_names("Project"),
            "labels": [],
            "custom_properties": {"Kostenstelle": f"KST-{rng.randint(100, 999)}"},
            "leader": leader,
            "co_leader": w.user_ref() if rng.random() < 0.3 else None,
            "customer": Ref("companies", company["id"]) if company else None,
            "tasks": [],
            "contracts": [],
            "deal": Ref("deals", rng.choice(deals)) if deals and rng.random() < 0.5 else None,
            "project_group": Ref("project_groups", rng.choice(groups))
            if groups and rng.random() < 0.2
            else None,
            "billing_contact": Ref("contacts", rng.choice(contacts)) if contacts else None,
            "contact": Ref("contacts", rng.choice(contacts)) if contacts else None,
            "secondary_contact": None,
            "archived_on": None,
        },
        day=start - dt.timedelta(days=rng.randint(0, 20)),
    )
    project["labels"] = list(project["tags"])
    if archived:
        project["archived_on"] = iso_z(project["_u"])
    names = rng.sample(TASK_NAMES, rng.randint(2, 6))
    tasks = [make_project_task(w, project["id"], name=name) for name in names]
    owner = w.store.owner_id
    members = [u["id"] for u in w.active_users() if u["id"] != owner]
    chosen = rng.sample(members, min(rng.randint(1, 4), len(members)))
    if owner and (number == 1 or rng.random() < 0.35 or not chosen):
        chosen = [owner, *chosen[:3]]
    contracts = [make_project_contract(w, project["id"], user_id=uid) for uid in chosen]
    project["tasks"] = [Ref("project_tasks", task["id"]) for task in tasks]
    project["contracts"] = [Ref("project_contracts", contract["id"]) for contract in contracts]
    return project


def make_project_group(w: World, parent: int | None = None) -> dict[str, Any]:
    """A group of projects of one customer."""
    del parent
    company = w.pick("companies")
    name = shorten(company["name"]) if company else "Intern"
    return w.add(
        "project_groups",
        {
            "name": f"Rahmenvertrag {name}",
            "user": w.user_ref(),
            "company": Ref("companies", company["id"]) if company else None,
            "budget": float(w.rng.randrange(20000, 200000, 5000)),
            "currency": "EUR",
            "info": None,
            "custom_properties": {},
            "customer_report_url": None,
            "projects": [],
        },
    )


def make_project_expense(
    w: World, parent: int | None = None, *, project: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An additional service (Zusatzleistung) booked on a project."""
    rng = w.rng
    if project is None:
        project = w.store.table("projects").get(parent or 0) or w.pick("projects") or {}
    start, finish = project_dates(project, w.today) if project else (w.start, w.today)
    day = w.gen.date(start, finish)
    quantity = float(rng.randint(1, 10))
    unit_price = float(rng.choice((25, 49, 99, 150, 300, 850)))
    unit_cost = money(unit_price * rng.uniform(0.4, 0.9))
    return w.add(
        "project_expenses",
        {
            "date": day.isoformat(),
            "title": rng.choice(EXPENSE_TITLES),
            "description": None,
            "quantity": quantity,
            "unit": rng.choice(UNITS_OF_MEASURE),
            "unit_price": unit_price,
            "unit_cost": unit_cost,
            "price": money(quantity * unit_price),
            "cost": money(quantity * unit_cost),
            "currency": project.get("currency", "EUR"),
            "budget_relevant": rng.random() < 0.7,
            "billable": rng.random() < 0.8,
            "billed": False,
            "purchase_assignment_locked": False,
            "cost_total_planned": 0.0,
            "planned_purchase_date": None,
            "invoice_id": None,
            "service_period": None,
            "service_period_from": None,
            "service_period_to": None,
            "recurring_expense_id": None,
            "file_url": None,
            "custom_properties": {},
            "company": project_company(project),
            "project": Ref("projects", project["id"]) if project else None,
            "group": None,
            "purchase_items": [],
            "user": w.user_ref(),
            "revenue_category": w.ref("revenue_categories"),
        },
        day=day,
    )


def make_recurring_expense(w: World, parent: int | None = None) -> dict[str, Any]:
    """A periodically billed expense such as hosting."""
    rng = w.rng
    project = w.store.table("projects").get(parent or 0) or w.pick("projects") or {}
    start = w.gen.date(w.start, w.today - dt.timedelta(days=30))
    price = float(rng.choice((19, 49, 99, 250, 490)))
    return w.add(
        "project_recurring_expenses",
        {
            "start_date": start.isoformat(),
            "finish_date": None,
            "recur_next_date": (w.today + dt.timedelta(days=rng.randint(1, 30))).isoformat(),
            "period": rng.choice(("monthly", "monthly", "quarterly", "annual")),
            "title": rng.choice(("Hosting", "Wartungspauschale", "Domain", "Lizenz")),
            "description": None,
            "quantity": 1.0,
            "unit": "Monat",
            "unit_price": price,
            "unit_cost": money(price * 0.5),
            "price": price,
            "cost": money(price * 0.5),
            "currency": "EUR",
            "budget_relevant": False,
            "billable": True,
            "purchase_assignment_locked": False,
            "service_period_direction": rng.choice(("none", "forward", "backward")),
            "custom_properties": {},
            "project": Ref("projects", project["id"]) if project else None,
            "user": w.user_ref(),
            "revenue_category": w.ref("revenue_categories"),
        },
        day=start,
    )


def make_payment_schedule(w: World, parent: int | None = None) -> dict[str, Any]:
    """An instalment of a fixed-price project."""
    rng = w.rng
    projects = [p for p in w.rows("projects") if p.get("fixed_price")] or w.rows("projects")
    project = w.store.table("projects").get(parent or 0) or rng.choice(projects)
    start, finish = project_dates(project, w.plan_until)
    day = w.gen.date(start, finish)
    return w.add(
        "project_payment_schedules",
        {
            "date": day.isoformat(),
            "title": rng.choice(("1. Abschlag", "2. Abschlag", "Schlussrechnung", "Anzahlung")),
            "net_total": float(rng.randrange(1000, 25000, 250)),
            "checked": day < w.today and rng.random() < 0.7,
            "billed": day < w.today and rng.random() < 0.6,
            "description": None,
            "project": Ref("projects", project["id"]),
        },
        day=min(day, w.today),
    )


def make_planning_entry(w: World, parent: int | None = None) -> dict[str, Any]:
    """Planned hours of a user on a project (or a deal) over a few days."""
    del parent
    rng = w.rng
    start = w.gen.weekday(w.start, w.plan_until)
    project = w.pick("projects") if rng.random() < 0.9 else None
    tasks = [r for r in w.rows("project_tasks") if project and r.get("_p") == project["id"]]
    task = rng.choice(tasks) if tasks else None
    return w.add(
        "planning_entries",
        {
            "title": task["name"] if task else "Akquise",
            "starts_on": start.isoformat(),
            "ends_on": (start + dt.timedelta(days=rng.randint(0, 4))).isoformat(),
            "hours_per_day": float(rng.choice((2, 4, 4, 6, 8))),
            "comment": None,
            "symbol": None,
            "color": rng.choice(COLORS),
            "read_only": False,
            "user": w.user_ref(),
            "project": Ref("projects", project["id"]) if project else None,
            "task": Ref("project_tasks", task["id"]) if task else None,
            "deal": None if project else w.ref("deals"),
            "series_id": None,
            "tentative": rng.random() < 0.15,
            "series_repeat": None,
        },
        day=start,
    )


def build_projects(w: World) -> None:
    """Project groups, projects (about 10% archived) with tasks/contracts, and their money."""
    rng = w.rng
    for _ in range(w.count("project_groups")):
        make_project_group(w)
    archived = w.archived_indexes(w.count("projects"))
    for index in range(w.count("projects")):
        make_project(w, archived=index in archived)
    projects = w.rows("projects")
    by_company: dict[int, list[int]] = {}
    for project in projects:
        customer = project.get("customer")
        if isinstance(customer, Ref):
            by_company.setdefault(customer.id, []).append(project["id"])
    for company in w.rows("companies"):
        company["projects"] = [Ref("projects", pid) for pid in by_company.get(company["id"], [])]
    for group in w.rows("project_groups"):
        members = [
            p["id"]
            for p in projects
            if p.get("project_group") == Ref("project_groups", group["id"])
        ]
        group["projects"] = [Ref("projects", pid) for pid in members]
    for _ in range(w.count("project_expenses")):
        make_project_expense(w, project=rng.choice(projects))
    for _ in range(w.count("project_recurring_expenses")):
        make_recurring_expense(w)
    for _ in range(w.count("project_payment_schedules")):
        make_payment_schedule(w)
    for _ in range(w.count("planning_entries")):
        make_planning_entry(w)
