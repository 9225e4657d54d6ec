"""The generation context: counts, the store, and helpers shared by all builders."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sandbox.generate.reference import TAGS
from sandbox.values import ACTIVITY_TEXTS, TASK_NAMES, Ref, money

if TYPE_CHECKING:
    from sandbox.store import Store

DEFAULT_COUNTS = {
    "users": 25,
    "companies": 120,
    "contacts": 150,
    "projects": 80,
    "activities": 1500,
    "invoices": 150,
    "offers": 80,
    "deals": 60,
    "project_groups": 8,
    "schedules": 300,
    "presences": 600,
    "planning_entries": 200,
    "comments": 200,
    "project_expenses": 120,
    "project_recurring_expenses": 20,
    "project_payment_schedules": 40,
    "purchases": 120,
    "purchase_drafts": 10,
    "purchase_bookkeeping_exports": 6,
    "invoice_bookkeeping_exports": 8,
    "planned_purchases": 12,
    "receipts": 60,
    "user_work_time_adjustments": 20,
    "user_absence_requests": 30,
    "approvals": 25,
    "todos": 40,
}
"""Record counts at scale 1 of the resources whose volume grows with `scale`."""

FIXED_COUNTS = {
    "fixed_costs": 8,
    "web_hooks": 4,
    "letter_papers": 3,
    "task_templates": 8,
    "catalog_services": 5,
    "expense_templates": 6,
}
"""Record counts of small settings tables (not scaled, but `counts` may override)."""


PLAN_AHEAD_DAYS = 240
"""Planned absences, planning entries and instalments reach this far beyond today (into next
year, as MOCO accounts plan ahead)."""


def shorten(name: str) -> str:
    """The distinctive first word of a company name, for project and deal titles."""
    return name.split(" ", maxsplit=1)[0]


def last_day_of_month(day: dt.date) -> dt.date:
    """The month's last day."""
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


class World:
    """Generation context: the store plus helpers to pick and create related records."""

    def __init__(self, store: Store) -> None:
        """Bind to a store whose tables the builders fill."""
        self.store = store
        self.rng = store.rng
        self.gen = store.gen
        self.today = store.today
        self.start = store.start
        self._item_id = 500_000
        self._sequences: dict[str, int] = {}

    def count(self, resource: str) -> int:
        """How many records of a volume resource to generate."""
        config = self.store.config
        if resource in config.counts:
            return max(int(config.counts[resource]), 0)
        if resource in FIXED_COUNTS:
            return FIXED_COUNTS[resource]
        return max(round(DEFAULT_COUNTS[resource] * config.scale), 1)

    def archived_indexes(self, count: int, keep: int = 1) -> set[int]:
        """Which of `count` records to archive: `archived_share` of them, never the first `keep`.

        An exact share (at least one when possible) rather than a coin flip per record, so
        that every seed has archived companies, projects and users to hide.
        """
        candidates = list(range(keep, count))
        share = self.store.config.archived_share
        if not candidates or share <= 0:
            return set()
        wanted = min(max(round(count * share), 1), len(candidates))
        return set(self.rng.sample(candidates, wanted))

    def plan_day(self) -> dt.date:
        """When next year's plans (entitlements, budgets) were entered: this December so far,
        as offices do at year end, or within the last month before December."""
        today = self.today
        first = dt.date(today.year, 12, 1) if today.month == 12 else today - dt.timedelta(days=30)
        return self.gen.date(first, today)

    @property
    def plan_until(self) -> dt.date:
        """How far ahead planned records (absences, planning, instalments) reach."""
        return self.today + dt.timedelta(days=PLAN_AHEAD_DAYS)

    def rows(self, resource: str) -> list[dict[str, Any]]:
        """All records of a table."""
        return list(self.store.table(resource).values())

    def ids(self, resource: str) -> list[int]:
        """All ids of a table."""
        return list(self.store.table(resource))

    def pick(self, resource: str) -> dict[str, Any] | None:
        """A random record of a table, or None when it is empty."""
        table = self.store.table(resource)
        if not table:
            return None
        return table[self.rng.choice(list(table))]

    def ref(self, resource: str) -> Ref | None:
        """A reference to a random record, or None when the table is empty."""
        record = self.pick(resource)
        return Ref(resource, record["id"]) if record else None

    def item_id(self) -> int:
        """A fresh id for embedded line items (unique across all documents)."""
        self._item_id += self.rng.randint(1, 4)
        return self._item_id

    def sequence(self, name: str) -> int:
        """The next number of a document sequence (invoice numbers, identifiers...)."""
        self._sequences[name] = self._sequences.get(name, 0) + 1
        return self._sequences[name]

    def add(
        self,
        resource: str,
        record: dict[str, Any],
        *,
        day: dt.date | None = None,
        parent: int | None = None,
    ) -> dict[str, Any]:
        """Store a record created around `day` (past days) or some time ago (future days)."""
        created = None
        if day is not None:
            if day <= self.today:
                created = self.gen.epoch(day)
            else:
                created = self.store.anchor - self.rng.randint(3600, 60 * 86400)
        return self.store.add(resource, record, created=created, parent=parent)

    def tag_names(self, context: str, upto: int = 2) -> list[str]:
        """0..upto tag names of a context (Company, Project...)."""
        names = [name for name, tag_context in TAGS if tag_context == context]
        return self.rng.sample(names, self.rng.randint(0, min(upto, len(names))))

    def active_users(self) -> list[dict[str, Any]]:
        """Users that are not archived (falls back to all users)."""
        users = self.rows("users")
        return [user for user in users if user.get("active")] or users

    def user_ref(self) -> Ref | None:
        """A reference to a random active user."""
        users = self.active_users()
        return Ref("users", self.rng.choice(users)["id"]) if users else None

    def vat_sales(self, tax: float) -> Ref | None:
        """The sales VAT code with this rate."""
        for record in self.rows("vat_code_sales"):
            if record["tax"] == tax:
                return Ref("vat_code_sales", record["id"])
        return self.ref("vat_code_sales")

    def vat_purchases(self, tax: float) -> Ref | None:
        """The purchase VAT code with this rate."""
        for record in self.rows("vat_code_purchases"):
            if record["tax"] == tax:
                return Ref("vat_code_purchases", record["id"])
        return self.ref("vat_code_purchases")

    def line_items(self, *, offer: bool) -> list[dict[str, Any]]:
        """2-5 invoice/offer line items with unique ids; most are priced `item` lines."""
        rng = self.rng
        items: list[dict[str, Any]] = []
        count = rng.randint(2, 5)
        for index in range(count):
            kind = "title" if index == 0 and count > 3 else "item"
            task = rng.choice(TASK_NAMES)
            quantity = float(rng.randint(1, 40)) if kind == "item" else None
            unit_price = float(rng.choice((95, 110, 120, 135, 150))) if kind == "item" else None
            net = money((quantity or 0) * (unit_price or 0))
            item: dict[str, Any] = {
                "id": self.item_id(),
                "type": kind,
                "title": task if kind == "item" else "Leistungen",
                "revenue_category": self.ref("revenue_categories") if kind == "item" else None,
                "description": rng.choice(ACTIVITY_TEXTS) if kind == "item" else None,
                "quantity": quantity,
                "unit": "h" if kind == "item" else None,
                "unit_price": unit_price,
                "net_total": net,
                "optional": kind == "item" and rng.random() < 0.05,
                "service_type": "service",
                "expense_ids": None if offer else [],
                "subtotal_type": None,
            }
            if offer:
                item["unit_cost"] = money(unit_price * 0.55) if unit_price else None
            items.append(item)
        return items


def project_dates(project: dict[str, Any], today: dt.date) -> tuple[dt.date, dt.date]:
    """The days a project can carry work: from its start to its finish (or today)."""
    start = dt.date.fromisoformat(project["start_date"])
    finish = dt.date.fromisoformat(project["finish_date"]) if project["finish_date"] else today
    finish = min(finish, today)
    return start, max(start, finish)


def raw_ref(record: dict[str, Any], name: str) -> Ref | None:
    """A reference field of a raw (still `Ref`) or already rendered record."""
    value = record.get("_refs", {}).get(name) or record.get(name)
    return value if isinstance(value, Ref) else None


def project_company(project: dict[str, Any]) -> Ref | None:
    """The customer reference of a raw or rendered project."""
    return raw_ref(project, "customer")
