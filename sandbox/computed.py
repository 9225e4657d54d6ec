"""Endpoints MOCO computes rather than stores: reports, rates, profile, per-parent views.

Everything here is derived from the stored tables, so the numbers agree with the records
a tap syncs (utilisation sums the same activities, absences count the same schedules).
Aggregates over activities are indexed once per data version: the tap asks for many
monthly windows and each must answer quickly even with 200k activities.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sandbox.catalog import TAGGING_ENTITIES
from sandbox.query import QueryError, int_set, parse_bool, parse_date, parse_int, str_set
from sandbox.values import money

if TYPE_CHECKING:
    from collections.abc import Callable

    from sandbox.store import Store

Row = dict[str, Any]


class NotFoundError(Exception):
    """The path names a record that does not exist (MOCO answers 404)."""


def user_ref(user: Row) -> Row:
    """The minimal user object `{id, firstname, lastname}`."""
    return {"id": user["id"], "firstname": user["firstname"], "lastname": user["lastname"]}


class Indexes:
    """Aggregates over activities, schedules and employments, rebuilt per data version."""

    def __init__(self, store: Store) -> None:
        """Scan the tables once."""
        self.store = store
        self.version = store.version
        self.by_user_day: dict[tuple[Any, str], list[int]] = defaultdict(lambda: [0, 0])
        self.by_day: dict[str, list[tuple[Any, Any, float]]] = defaultdict(list)
        self.by_project: dict[Any, list[Row]] = defaultdict(list)
        self.by_invoice: dict[int, list[Row]] = defaultdict(list)
        for activity in store.table("activities").values():
            user_id = (activity.get("user") or {}).get("id")
            project_id = (activity.get("project") or {}).get("id")
            billable = 0 if activity.get("billable") else 1
            self.by_user_day[(user_id, activity["date"])][billable] += activity["seconds"]
            self.by_day[activity["date"]].append((user_id, project_id, activity["hours"]))
            self.by_project[project_id].append(activity)
            if activity.get("invoice_id"):
                self.by_invoice[activity["invoice_id"]].append(activity)
        self.expenses_by_invoice: dict[int, list[Row]] = defaultdict(list)
        for expense in store.table("project_expenses").values():
            if expense.get("invoice_id"):
                self.expenses_by_invoice[expense["invoice_id"]].append(expense)
        self.absences: dict[Any, list[Row]] = defaultdict(list)
        for schedule in store.table("schedules").values():
            user_id = (schedule.get("user") or {}).get("id")
            self.absences[user_id].append(schedule)
        self.employments: dict[Any, list[Row]] = defaultdict(list)
        for employment in store.table("user_employments").values():
            user_id = (employment.get("user") or {}).get("id")
            self.employments[user_id].append(employment)

    def daily_target(self, user_id: int, day: dt.date) -> float:
        """Target hours of a user on a day from the employment pattern in force."""
        if day.weekday() >= 5:
            return 0.0
        iso = day.isoformat()
        for employment in self.employments.get(user_id, ()):
            if employment["from"] <= iso and (employment["to"] is None or iso <= employment["to"]):
                pattern = employment["pattern"]
                return float(pattern["am"][day.weekday()] + pattern["pm"][day.weekday()])
        return 0.0


class Computed:
    """The computed endpoints of one store."""

    def __init__(self, store: Store) -> None:
        """Bind to the store; indexes are built lazily."""
        self.store = store
        self._indexes: Indexes | None = None

    @property
    def indexes(self) -> Indexes:
        """Current aggregates (rebuilt after any mutation)."""
        if self._indexes is None or self._indexes.version != self.store.version:
            self._indexes = Indexes(self.store)
        return self._indexes

    # --- windows -------------------------------------------------------------------------

    def year_param(self, params: dict[str, str]) -> int:
        """`year`, defaulting to the current year like MOCO; 400 outside 2000..2100."""
        year = parse_int(params.get("year", str(self.store.today.year)), "year")
        if not 2000 <= year <= 2100:
            msg = "year must be between 2000 and 2100"
            raise QueryError(msg)
        return year

    def window(self, params: dict[str, str]) -> tuple[dt.date, dt.date]:
        """`from`/`to`, each defaulting to the current calendar year's bounds like MOCO."""
        year = self.store.today.year
        low = parse_date(params["from"], "from") if "from" in params else dt.date(year, 1, 1)
        high = parse_date(params["to"], "to") if "to" in params else dt.date(year, 12, 31)
        if high < low:
            msg = "from must not be after to"
            raise QueryError(msg, status=422)
        return low, high

    # --- per-parent views ----------------------------------------------------------------

    def invoice_timesheet(self, invoice_id: int) -> list[Row]:
        """Activities billed on an invoice."""
        return list(self.indexes.by_invoice.get(invoice_id, ()))

    def invoice_expenses(self, invoice_id: int) -> list[Row]:
        """Project expenses billed on an invoice, with the legacy purchase id fields."""
        return [
            {
                **{key: value for key, value in expense.items() if key[0] != "_"},
                "purchase_id": expense.get("_purchase_id", 0),
                "purchase_item_id": expense.get("_purchase_item_id", 0),
            }
            for expense in self.indexes.expenses_by_invoice.get(invoice_id, ())
        ]

    def taggings(self, entity: str, entity_id: int) -> list[str]:
        """The tag names of one record."""
        resource = TAGGING_ENTITIES.get(entity)
        record = self.store.table(resource).get(entity_id) if resource else None
        if record is None:
            raise NotFoundError
        return list(record.get("tags") or [])

    def projects_assigned(self, params: dict[str, str]) -> list[Row]:
        """Projects the key owner has a contract on, in MOCO's compact shape."""
        store = self.store
        owner = store.owner_id
        active = parse_bool(params["active"]) if "active" in params else None
        contracts = {
            contract["_p"]: contract
            for contract in store.table("project_contracts").values()
            if contract["user_id"] == owner
        }
        tasks: dict[int, list[Row]] = defaultdict(list)
        for task in store.table("project_tasks").values():
            tasks[task["_p"]].append(task)
        rows = []
        for project in store.table("projects").values():
            contract = contracts.get(project["id"])
            if contract is None or (active is not None and project["active"] is not active):
                continue
            customer = project.get("customer") or {}
            rows.append(
                {
                    "id": project["id"],
                    "identifier": project["identifier"],
                    "name": project["name"],
                    "active": project["active"],
                    "billable": project["billable"],
                    "customer": {"id": customer.get("id"), "name": customer.get("name")},
                    "tasks": [
                        {k: t[k] for k in ("id", "name", "active", "billable")}
                        for t in tasks[project["id"]]
                    ],
                    "contract": {"user_id": owner, "active": contract["active"]},
                }
            )
        return rows

    # --- single objects ------------------------------------------------------------------

    def owner(self) -> Row:
        """The user the API key belongs to."""
        return self.store.table("users")[self.store.owner_id]

    def session(self) -> Row:
        """`GET /session`: id and uuid of the key owner."""
        return {"id": self.store.owner_id, "uuid": self.store.session_uuid}

    def profile(self) -> Row:
        """`GET /profile`: the key owner in the profile's own field names."""
        user = self.owner()
        return {
            "id": user["id"],
            "email": user["email"],
            "full_name": f"{user['firstname']} {user['lastname']}",
            "first_name": user["firstname"],
            "last_name": user["lastname"],
            "active": user["active"],
            "external": user["extern"],
            "avatar_url": user["avatar_url"],
            "unit": user["unit"],
            "created_at": user["created_at"],
            "updated_at": user["updated_at"],
        }

    def performance_report(self, user_id: int, params: dict[str, str]) -> Row:
        """Target vs tracked hours of a user for one year (default: the current year)."""
        store = self.store
        if user_id not in store.table("users"):
            raise NotFoundError
        year = self.year_param(params)
        indexes = self.indexes
        absences: dict[str, float] = {}
        for schedule in indexes.absences.get(user_id, ()):
            absences[schedule["date"]] = (0.5 if schedule["am"] else 0) + (
                0.5 if schedule["pm"] else 0
            )
        monthly = []
        totals: dict[str, float] = defaultdict(float)
        until_today = 0.0
        for month in range(1, 13):
            day = dt.date(year, month, 1)
            employment = target = tracked = billable = 0.0
            while day.month == month:
                hours = indexes.daily_target(user_id, day)
                iso = day.isoformat()
                employment += hours
                target += hours * (1 - absences.get(iso, 0.0))
                unbillable_s, billable_s = 0, 0
                seconds = indexes.by_user_day.get((user_id, iso))
                if seconds:
                    billable_s, unbillable_s = seconds
                tracked += (billable_s + unbillable_s) / 3600
                billable += billable_s / 3600
                if day <= store.today:
                    until_today += (billable_s + unbillable_s) / 3600 - hours * (
                        1 - absences.get(iso, 0.0)
                    )
                day += dt.timedelta(days=1)
            monthly.append(
                {
                    "year": year,
                    "month": month,
                    "target_hours": round(target, 2),
                    "hours_tracked_total": round(tracked, 2),
                    "variation": round(tracked - target, 2),
                    "hours_billable_total": round(billable, 2),
                }
            )
            totals["employment"] += employment
            totals["target"] += target
            totals["tracked"] += tracked
            totals["billable"] += billable
        annually = {
            "year": year,
            "employment_hours": round(totals["employment"], 2),
            "target_hours": round(totals["target"], 2),
            "hours_tracked_total": round(totals["tracked"], 2),
            "variation": round(totals["tracked"] - totals["target"], 2),
            "variation_until_today": round(until_today, 2) if year >= store.today.year else None,
            "hours_billable_total": round(totals["billable"], 2),
        }
        return {"annually": annually, "monthly": monthly}

    def project_report(self, project_id: int) -> Row:
        """Budget, hours and costs of one project."""
        store = self.store
        project = store.table("projects").get(project_id)
        if project is None:
            raise NotFoundError
        activities = self.indexes.by_project.get(project_id, ())
        hours_total = sum(a["hours"] for a in activities)
        hours_billable = sum(a["hours"] for a in activities if a["billable"])
        by_task: dict[Any, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for activity in activities:
            task = activity.get("task") or {}
            entry = by_task[task.get("id")]
            entry[0] += activity["hours"]
            entry[1] += activity["hours"] * 55.0
        expenses = [
            e
            for e in store.table("project_expenses").values()
            if (e.get("project") or {}).get("id") == project_id
        ]
        invoiced = sum(
            i["net_total"]
            for i in store.table("invoices").values()
            if i.get("project_id") == project_id
        )
        budget = project.get("budget") or 0.0
        used = hours_billable * (project.get("hourly_rate") or 0) + sum(
            e["price"] for e in expenses
        )
        tasks = {t["id"]: t["name"] for t in store.table("project_tasks").values()}
        rate = project.get("hourly_rate") or 1
        return {
            "budget_total": budget,
            "budget_progress_in_percentage": round(used / budget * 100, 1) if budget else 0.0,
            "budget_remaining": money(budget - used),
            "invoiced_total": money(invoiced),
            "currency": project.get("currency") or "EUR",
            "hours_total": round(hours_total, 2),
            "hours_billable": round(hours_billable, 2),
            "hours_remaining": round(budget / rate - hours_total, 2) if budget else 0.0,
            "costs_expenses": money(sum(e["cost"] for e in expenses)),
            "costs_activities": money(hours_total * 55.0),
            "costs_by_task": [
                {
                    "id": task_id,
                    "name": tasks.get(task_id, ""),
                    "hours_total": round(values[0], 2),
                    "total_costs": money(values[1]),
                }
                for task_id, values in by_task.items()
                if task_id is not None
            ],
        }

    def hourly_rates(self, params: dict[str, str]) -> Row:
        """Sales rates: account defaults, per task template and per user (per customer)."""
        store = self.store
        factor = 1.0
        if "company_id" in params:
            company_id = parse_int(params["company_id"], "company_id")
            if company_id not in store.table("companies"):
                raise NotFoundError
            factor = 1.0 + (company_id % 5) * 0.05
        include = parse_bool(params.get("include_archived_users", "false"))

        def rates(base: float) -> list[Row]:
            return [
                {"currency": "EUR", "hourly_rate": money(base * factor)},
                {"currency": "CHF", "hourly_rate": money(base * factor * 1.05)},
            ]

        users = [u for u in store.table("users").values() if include or u["active"]]
        return {
            "defaults_rates": rates(120.0),
            "tasks": [
                {"id": t["id"], "name": t["name"], "rates": rates(110.0 + (t["id"] % 4) * 10)}
                for t in store.table("task_templates").values()
            ],
            "users": [
                {
                    "id": u["id"],
                    "full_name": f"{u['firstname']} {u['lastname']}",
                    "rates": rates(u.get("_rate", 120.0)),
                }
                for u in users
            ],
        }

    # --- arrays with windows -------------------------------------------------------------

    def internal_hourly_rates(self, params: dict[str, str]) -> list[Row]:
        """Internal cost rates per user for the requested years (default: current year)."""
        years = sorted(int_set(params.get("years", str(self.store.today.year)), "years")) or [
            self.store.today.year
        ]
        include = parse_bool(params.get("include_archived", "false"))
        unit = parse_int(params["unit_id"], "unit_id") if "unit_id" in params else None
        rows = []
        for user in self.store.table("users").values():
            if not include and not user["active"]:
                continue
            if unit is not None and (user.get("unit") or {}).get("id") != unit:
                continue
            internal = user.get("_internal", {})
            rows.append(
                {
                    "id": user["id"],
                    "full_name": f"{user['firstname']} {user['lastname']}",
                    "rates": [{"year": y, "rate": internal.get(y, 55.0)} for y in years],
                }
            )
        return rows

    def fixed_costs(self, rows: list[Row], params: dict[str, str]) -> list[Row]:
        """Fixed costs with `costs[]` limited to the requested year (default: current).

        Months before a cost was entered carry no entry, so years before the history have
        empty `costs[]`; the current year lists all twelve months (the plan).
        """
        year = self.year_param(params)
        out = []
        for row in rows:
            since = dt.datetime.fromtimestamp(row["_c"], tz=dt.timezone.utc).date()
            first = since.month if since.year == year else (1 if since.year < year else 13)
            costs = [
                {"year": year, "month": month, "amount": row.get("_amount", 100.0)}
                for month in range(first, 13)
            ]
            out.append({**{k: v for k, v in row.items() if k != "_json"}, "costs": costs})
        return out

    def report_absences(self, params: dict[str, str]) -> list[Row]:
        """Vacation entitlement and use, and sick days, per user for a year."""
        store = self.store
        year = self.year_param(params)
        only_active = parse_bool(params.get("active", "false"))
        entitlement: dict[Any, float] = defaultdict(float)
        for holiday in store.table("user_holidays").values():
            if holiday["year"] == year:
                entitlement[(holiday.get("user") or {}).get("id")] += holiday["days"]
        rows = []
        prefix = str(year)
        today = store.today.isoformat()
        for user in store.table("users").values():
            if only_active and not user["active"]:
                continue
            used = planned = sick = 0.0
            for schedule in self.indexes.absences.get(user["id"], ()):
                if not schedule["date"].startswith(prefix):
                    continue
                days = (0.5 if schedule["am"] else 0) + (0.5 if schedule["pm"] else 0)
                code = schedule.get("_code")
                if code == 4 and schedule["date"] <= today:
                    used += days
                elif code == 4:
                    planned += days
                elif code == 3:
                    sick += days
            rows.append(
                {
                    "user": user_ref(user),
                    "total_vacation_days": entitlement.get(user["id"], 0.0),
                    "used_vacation_days": used,
                    "planned_vacation_days": planned,
                    "sickdays": sick,
                }
            )
        return rows

    def report_utilization(self, params: dict[str, str]) -> list[Row]:
        """Target, billable and unbillable hours per user per day in the window."""
        low, high = self.window(params)
        indexes = self.indexes
        users = list(self.store.table("users").values())
        rows = []
        day = low
        while day <= high:
            iso = day.isoformat()
            for user in users:
                seconds = indexes.by_user_day.get((user["id"], iso))
                billable, unbillable = seconds or (0, 0)
                rows.append(
                    {
                        "date": iso,
                        "user_id": user["id"],
                        "target_hours": indexes.daily_target(user["id"], day),
                        "billable_hours": round(billable / 3600, 2),
                        "unbillable_hours": round(unbillable / 3600, 2),
                        "billable_seconds": billable,
                        "unbillable_seconds": unbillable,
                    }
                )
            day += dt.timedelta(days=1)
        return rows

    def report_planned_vs_tracked(self, params: dict[str, str]) -> list[Row]:
        """Tracked (activities) against planned (planning entries) hours per user and project."""
        store = self.store
        low, high = self.window(params)
        users_filter = int_set(params["user_ids"], "user_ids") if params.get("user_ids") else None
        project_filter = (
            parse_int(params["project_id"], "project_id") if "project_id" in params else None
        )
        tracked: dict[tuple[int, int], float] = defaultdict(float)
        day = low
        while day <= high:
            for user_id, project_id, hours in self.indexes.by_day.get(day.isoformat(), ()):
                tracked[(user_id, project_id)] += hours
            day += dt.timedelta(days=1)
        planned: dict[tuple[int, int], float] = defaultdict(float)
        for entry in store.table("planning_entries").values():
            project = entry.get("project")
            user = entry.get("user")
            if not project or not user:
                continue
            start = max(dt.date.fromisoformat(entry["starts_on"]), low)
            end = min(dt.date.fromisoformat(entry["ends_on"]), high)
            while start <= end:
                if start.weekday() < 5:
                    planned[(user["id"], project["id"])] += entry["hours_per_day"]
                start += dt.timedelta(days=1)
        users = store.table("users")
        projects = store.table("projects")
        rows = []
        for key in sorted(set(tracked) | set(planned), key=lambda k: (k[0] or 0, k[1] or 0)):
            user_id, project_id = key
            if users_filter is not None and user_id not in users_filter:
                continue
            if project_filter is not None and project_id != project_filter:
                continue
            user, project = users.get(user_id), projects.get(project_id)
            if user is None or project is None:
                continue
            done, plan = round(tracked[key], 2), round(planned[key], 2)
            customer = project.get("customer") or {}
            rows.append(
                {
                    "user_id": user_id,
                    "project_id": project_id,
                    "tracked_hours": done,
                    "planned_hours": plan,
                    "delta": round(done - plan, 2),
                    "quota": round(done / plan * 100, 1) if plan else 0.0,
                    "user": {
                        "id": user_id,
                        "firstname": user["firstname"],
                        "name": user["lastname"],
                        "initials": f"{user['firstname'][0]}{user['lastname'][0]}",
                        "color": "#3498db",
                        "unit": user.get("unit"),
                    },
                    "project": {
                        "id": project_id,
                        "identifier": project["identifier"],
                        "name": project["name"],
                        "company": {"id": customer.get("id"), "name": customer.get("name")},
                    },
                }
            )
        return rows

    def _money_rows(
        self,
        params: dict[str, str],
        sources: tuple[tuple[str, str, Callable[[Row], Row | None]], ...],
        amount_key: str,
    ) -> list[Row]:
        """Rows of the finance/cashflow reports from several record tables."""
        low, high = self.window(params)
        low_iso, high_iso = low.isoformat(), high.isoformat()
        kinds = str_set(params.get("kinds", "")) or None
        term = params.get("term", "").strip().lower()
        company_filter = (
            parse_int(params["company_id"], "company_id") if "company_id" in params else None
        )
        rows = []
        for kind, resource, describe in sources:
            if kinds is not None and kind not in kinds:
                continue
            for record in self.store.table(resource).values():
                if not low_iso <= record["date"] <= high_iso:
                    continue
                details = describe(record)
                if details is None:
                    continue
                if term and term not in details["description"].lower():
                    continue
                if company_filter is not None and details["company_id"] != company_filter:
                    continue
                rows.append(
                    {
                        "record_id": record["id"],
                        "company_id": details["company_id"],
                        "description": details["description"],
                        "user_id": details["user_id"],
                        amount_key: details["amount"],
                        "kind": kind,
                        "date": record["date"],
                        "company": details["company"],
                        "user": details["user"],
                    }
                )
        rows.sort(key=lambda row: (row["date"], row["kind"], row["record_id"]))
        return rows

    def _company(self, company_id: int | None) -> Row | None:
        """`{id, name}` of a company, or None."""
        company = self.store.table("companies").get(company_id or 0)
        return {"id": company["id"], "name": company["name"]} if company else None

    def _user(self, user: Row | None) -> Row | None:
        """`{id, firstname, lastname}` of an embedded user, or None."""
        return user_ref(user) if user else None

    def report_cashflow(self, params: dict[str, str]) -> list[Row]:
        """Money in (invoice payments) and out (purchase payments) in the window, and the
        planned income of instalments not yet due (so months ahead of today have rows)."""
        invoices = self.store.table("invoices")
        purchases = self.store.table("purchases")

        def incoming(payment: Row) -> Row | None:
            invoice = invoices.get(payment.get("_invoice_id") or 0)
            company_id = invoice["customer_id"] if invoice else None
            return {
                "company_id": company_id,
                "company": self._company(company_id),
                "description": f"Zahlung {invoice['identifier']}" if invoice else "Zahlung",
                "user_id": ((invoice or {}).get("user") or {}).get("id"),
                "user": self._user((invoice or {}).get("user")),
                "amount": money(float(payment["paid_total"])),
            }

        def outgoing(payment: Row) -> Row | None:
            purchase = purchases.get(payment.get("_purchase_id") or 0)
            company = (purchase or {}).get("company")
            company_id = company["id"] if company else None
            return {
                "company_id": company_id,
                "company": self._company(company_id),
                "description": f"Ausgabe {purchase['title']}" if purchase else "Ausgabe",
                "user_id": ((purchase or {}).get("user") or {}).get("id"),
                "user": self._user((purchase or {}).get("user")),
                "amount": -money(float(payment["total"])),
            }

        projects = self.store.table("projects")
        today = self.store.today.isoformat()

        def planned(schedule: Row) -> Row | None:
            if schedule.get("billed") or schedule["date"] <= today:
                return None
            project = projects.get((schedule.get("project") or {}).get("id") or 0) or {}
            company_id = (project.get("customer") or {}).get("id")
            leader = project.get("leader")
            return {
                "company_id": company_id,
                "company": self._company(company_id),
                "description": f"Geplant: {schedule['title']}",
                "user_id": (leader or {}).get("id"),
                "user": self._user(leader),
                "amount": money(float(schedule["net_total"])),
            }

        sources = (
            ("invoice_payment", "invoice_payments", incoming),
            ("purchase_payment", "purchase_payments", outgoing),
            ("payment_schedule", "project_payment_schedules", planned),  # planned income
        )
        return self._money_rows(params, sources, "amount_in_account_currency")

    def report_finance(self, params: dict[str, str]) -> list[Row]:
        """Revenue (invoices) and costs (purchases) by document date in the window."""

        def revenue(invoice: Row) -> Row | None:
            if invoice["status"] == "draft":
                return None
            return {
                "company_id": invoice["customer_id"],
                "company": self._company(invoice["customer_id"]),
                "description": invoice["title"],
                "user_id": (invoice.get("user") or {}).get("id"),
                "user": self._user(invoice.get("user")),
                "amount": invoice["net_total"],
            }

        def cost(purchase: Row) -> Row | None:
            company = purchase.get("company")
            company_id = company["id"] if company else None
            return {
                "company_id": company_id,
                "company": self._company(company_id),
                "description": purchase["title"] or "",
                "user_id": (purchase.get("user") or {}).get("id"),
                "user": self._user(purchase.get("user")),
                "amount": -purchase["net_total"],
            }

        sources = (("invoice", "invoices", revenue), ("purchase", "purchases", cost))
        return self._money_rows(params, sources, "net_amount_in_account_currency")
