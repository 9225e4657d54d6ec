"""Time entries: fast enough for 200k records, billed ones linked to invoices."""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

from sandbox.generate.world import (
    World,
    project_company,
    project_dates,
)
from sandbox.values import (
    ACTIVITY_TEXTS,
    Ref,
    iso_variant,
    iso_z,
)


class ActivityFactory:
    """Fast activity generation: 200k time entries must take seconds, not minutes."""

    def __init__(self, w: World) -> None:
        """Precompute per-project choices and invoice dates once."""
        self.w = w
        self.projects = w.rows("projects")
        tasks: dict[int, list[dict[str, Any]]] = {}
        for task in w.rows("project_tasks"):
            tasks.setdefault(task["_p"], []).append(task)
        self.tasks = tasks
        contracts: dict[int, list[int]] = {}
        for contract in w.rows("project_contracts"):
            contracts.setdefault(contract["_p"], []).append(contract["user_id"])
        self.contracts = contracts
        invoices: dict[int, list[tuple[str, int]]] = {}
        for invoice in w.rows("invoices"):
            if invoice.get("project_id") and invoice["status"] != "draft":
                invoices.setdefault(invoice["project_id"], []).append(
                    (invoice["date"], invoice["id"])
                )
        self.invoices = {pid: sorted(rows) for pid, rows in invoices.items()}
        self.ranges = {p["id"]: project_dates(p, w.today) for p in self.projects}
        self.users = w.ids("users")
        self.billing_cutoff = w.today - dt.timedelta(days=20)
        self.fields = w.store.catalog["activities"].fields
        self._field = {"projects": "project", "project_tasks": "task", "users": "user"}
        self._rendered: dict[tuple[Ref, str], Any] = {}

    def make(self, project: dict[str, Any] | None = None) -> dict[str, Any]:
        """One time entry on a project task by a project member, rendered in place.

        The hot path avoids `Store.conform`: references are rendered once per target and
        shared, random numbers come from `random()` arithmetic, timestamps from `iso_z`.
        """
        w = self.w
        store = w.store
        rnd = w.rng.random
        project = project or self.projects[int(rnd() * len(self.projects))]
        pid = project["id"]
        start, finish = self.ranges.get(pid) or project_dates(project, w.today)
        day = start + dt.timedelta(days=int(rnd() * ((finish - start).days + 1)))
        if day.weekday() >= 5 and rnd() < 0.9:
            day = max(day - dt.timedelta(days=day.weekday() - 4), start)
        iso = day.isoformat()
        tasks = self.tasks.get(pid)
        task = tasks[int(rnd() * len(tasks))] if tasks else None
        members = self.contracts.get(pid) or self.users
        user_id = members[int(rnd() * len(members))]
        hours = (1 + int(rnd() * 24)) / 4
        billable = bool(project.get("billable") and (task or {}).get("billable", True))
        invoice_id = None
        if billable and day < self.billing_cutoff:
            candidates = self.invoices.get(pid)
            if candidates:
                index = bisect.bisect_left(candidates, (iso, 0))
                if index < len(candidates) and rnd() < 0.9:
                    invoice_id = candidates[index][1]
        remote = rnd() < 0.1
        seconds = int(hours * 3600)
        record = {
            "id": store.new_id("activities"),
            "date": iso,
            "hours": hours,
            "description": ACTIVITY_TEXTS[int(rnd() * len(ACTIVITY_TEXTS))],
            "billed": invoice_id is not None,
            "billable": billable,
            "invoice_id": invoice_id,
            "tag": None,
            "remote_service": "jira" if remote else None,
            "remote_id": f"AG-{100 + int(rnd() * 9000)}" if remote else None,
            "remote_url": "https://agentur.atlassian.example/browse/AG" if remote else None,
            "project": self.rendered("projects", pid),
            "task": self.rendered("project_tasks", task["id"]) if task else None,
            "customer": self.rendered_ref(project_company(project), "customer"),
            "user": self.rendered("users", user_id),
            "deal": None,
            "hourly_rate": project.get("hourly_rate", 120.0) if billable else 0.0,
            "seconds": seconds,
            "worked_seconds": seconds,
            "timer_started_at": None,
        }
        store.stamp(record, w.gen.epoch(day) if day <= w.today else None)
        record["created_at"] = iso_z(record["_c"])
        record["updated_at"] = iso_variant(record["_u"], record["_s"])
        store.table("activities")[record["id"]] = record
        if store.live:
            store.added.append(("activities", record["id"]))
        return record

    def rendered(self, resource: str, record_id: int) -> Any:
        """The embedded object for a reference, rendered once and shared."""
        return self.rendered_ref(Ref(resource, record_id), self._field[resource])

    def rendered_ref(self, ref: Ref | None, field: str) -> Any:
        """Render a reference with the activity field spec of that name (cached)."""
        if ref is None:
            return None
        key = (ref, field)
        cached = self._rendered.get(key)
        if cached is None:
            cached = self.w.store.render(ref, self.fields[field])
            self._rendered[key] = cached
        return cached


def make_activity(w: World, parent: int | None = None) -> dict[str, Any]:
    """One time entry (used for single creations; bulk uses `ActivityFactory`)."""
    project = w.store.table("projects").get(parent or 0)
    return ActivityFactory(w).make(project)


def build_activities(w: World) -> None:
    """Time entries over the history, billed ones linked to an invoice of their project."""
    if not w.store.table("projects"):
        return
    factory = ActivityFactory(w)
    for _ in range(w.count("activities")):
        factory.make()
    w.store.prebuilt.add("activities")
    owner = w.store.owner_id
    mine = [a for a in w.rows("activities") if (a["user"] or {}).get("id") == owner]
    if mine:
        latest = max(mine, key=lambda a: a["date"])
        latest["timer_started_at"] = iso_z(w.store.anchor - 1800)
    for expense in w.rows("project_expenses"):
        pid = expense["project"].id if expense.get("project") else None
        candidates = factory.invoices.get(pid or 0)
        if expense["billable"] and candidates and w.rng.random() < 0.6:
            index = bisect.bisect_left(candidates, (expense["date"], 0))
            if index < len(candidates):
                expense["invoice_id"] = candidates[index][1]
                expense["billed"] = True
