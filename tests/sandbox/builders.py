"""Deterministic generation of a German agency's MOCO account, resource by resource.

Builders set the fields that carry meaning and keep the data consistent (activities point
at existing users, projects and the project's tasks; invoices at projects and their
customer; billed activities at an invoice of their project...). `Store.conform` then fills
every remaining declared field by type. Each `make_*` function creates one record, so the
same code serves bulk generation, `Sandbox.create()` and injected concurrent changes.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import TYPE_CHECKING, Any

from tests.sandbox.values import (
    ACTIVITY_TEXTS,
    COLORS,
    CURRENCIES,
    PROJECT_KINDS,
    TASK_NAMES,
    UNITS_OF_MEASURE,
    Ref,
    iso_z,
    money,
    refs_uuid,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.sandbox.store import Store

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

VAT_SALES = (
    (19.0, "Umsatzsteuer 19 %", "U19", False, False, "8400"),
    (7.0, "Umsatzsteuer 7 %", "U7", False, False, "8300"),
    (0.0, "Innergemeinschaftliche Leistung", "EU0", True, True, "8336"),
    (0.0, "Nicht steuerbar (Drittland)", "DRITT", False, False, "8338"),
    (20.0, "Umsatzsteuer AT 20 %", "AT20", False, False, "8401"),
    (8.1, "MWST CH 8,1 %", "CH81", False, False, "8402"),
)
VAT_PURCHASES = (
    (19.0, "Vorsteuer 19 %", "V19", False, False),
    (7.0, "Vorsteuer 7 %", "V7", False, False),
    (0.0, "Reverse Charge §13b", "RC", True, True),
    (0.0, "Steuerfrei", "V0", False, False),
    (20.0, "Vorsteuer AT 20 %", "VAT20", False, True),
)
REVENUE_CATEGORIES = (
    ("Beratung", 8400, "tasks_and_expenses"),
    ("Design", 8401, "only_tasks"),
    ("Entwicklung", 8402, "only_tasks"),
    ("Hosting", 8403, "only_expenses"),
    ("Lizenzen", 8404, "only_expenses"),
    ("Reisekosten", 8405, "only_expenses"),
)
USER_ROLES = (
    ("Administration", True, False, "full"),
    ("Projektleitung", False, False, "full"),
    ("Mitarbeitende", False, True, "own"),
    ("Buchhaltung", False, False, "read"),
)
PERMISSION_AREAS = (
    "report", "companies", "contacts", "people", "purchases", "settings", "sales",
    "projects", "calendar", "time_tracking", "invoicing",
)  # fmt: skip
UNITS = ("Geschäftsführung", "Design", "Entwicklung", "Beratung", "Administration")
DEAL_CATEGORIES = (
    ("Erstkontakt", 10),
    ("Bedarfsanalyse", 30),
    ("Angebot", 50),
    ("Verhandlung", 75),
    ("Mündliche Zusage", 90),
)
PURCHASE_CATEGORIES = (
    ("Büromaterial", "4930"),
    ("Software", "4964"),
    ("Hardware", "0650"),
    ("Reisekosten", "4660"),
    ("Bewirtung", "4650"),
    ("Fremdleistungen", "3100"),
    ("Miete", "4210"),
    ("Werbung", "4600"),
)
TAGS = (
    ("VIP", "Company"), ("Neukunde", "Company"), ("Bestandskunde", "Company"),
    ("Partner", "Company"), ("Entscheider", "Contact"), ("Newsletter", "Contact"),
    ("Retainer", "Project"), ("Intern", "Project"), ("Relaunch", "Project"),
    ("Wartung", "Project"), ("Inbound", "Deal"), ("Empfehlung", "Deal"),
    ("Sammelrechnung", "Invoice"), ("Abo", "Purchase"), ("Rahmenvertrag", "Offer"),
    ("Teilzeit", "User"), ("Werkstudent", "User"),
)  # fmt: skip
CUSTOM_PROPERTY_DEFS = (
    ("Branche", "Select", "Company", ["Handel", "Industrie", "Dienstleistung", "Öffentlich"]),
    ("Kundennummer Alt", "String", "Company", []),
    ("Kostenstelle", "String", "Project", []),
    ("Vertragsende", "Date", "Project", []),
    ("Priorität", "Select", "Deal", ["hoch", "mittel", "niedrig"]),
    ("Bestellnummer", "String", "Invoice", []),
    ("Skills", "MultiSelect", "User", ["Design", "Backend", "Frontend", "SEO", "PM"]),
    ("Newsletter", "Boolean", "Contact", []),
)
ABSENCES = {
    1: ("Unplanbare Abwesenheit", "#95a5a6"),
    2: ("Feiertag", "#3498db"),
    3: ("Krankheit", "#e74c3c"),
    4: ("Urlaub", "#2ecc71"),
    5: ("Sonstige Abwesenheit", "#f1c40f"),
}
"""MOCO absence codes -> (name, color)."""
EXPENSE_TITLES = (
    "Hosting", "Softwarelizenz", "Druckkosten", "Reisekosten", "Stockfotos", "Domain",
    "Übersetzung", "Fremdleistung Fotografie",
)  # fmt: skip
PURCHASE_TITLES = (
    "Adobe Creative Cloud", "Büromaterial", "Druckerei Flyer", "Hosting Server",
    "Bahnfahrt Kundentermin", "Notebook", "Google Workspace", "Freelancer Entwicklung",
    "Miete Büro", "Messestand",
)  # fmt: skip
RECEIPT_TITLES = ("Bahnticket", "Hotel", "Taxi", "Bewirtung Kunde", "Parkgebühr", "Flug")
FIXED_COST_TITLES = (
    "Büromiete", "Versicherungen", "Leasing Fahrzeug", "Software-Abos", "Telefon & Internet",
    "Reinigung", "Steuerberatung", "Strom",
)  # fmt: skip


def shorten(name: str) -> str:
    """The distinctive first word of a company name, for project and deal titles."""
    return name.split(" ")[0]


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
                created = self.store.anchor - self.rng.randint(1, 60) * 86400
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


# --- account settings ----------------------------------------------------------------------


def build_settings(w: World) -> None:
    """Small reference tables every account has."""
    rng = w.rng
    for tax, description, code, reverse, intra, account in VAT_SALES:
        w.add(
            "vat_code_sales",
            {
                "tax": tax,
                "description": description,
                "reverse_charge": reverse,
                "intra_eu": intra,
                "print_gross_total": True,
                "notice_tax_exemption": "Steuerschuldnerschaft des Leistungsempfängers"
                if reverse
                else None,
                "notice_tax_exemption_en": "Reverse charge" if reverse else None,
                "notice_tax_exemption_alt": None,
                "active": True,
                "code": code,
                "credit_account": account,
            },
        )
    for tax, description, code, reverse, intra in VAT_PURCHASES:
        w.add(
            "vat_code_purchases",
            {
                "tax": tax,
                "description": description,
                "reverse_charge": reverse,
                "intra_eu": intra,
                "active": True,
                "code": code,
            },
        )
    for name, account, kind in REVENUE_CATEGORIES:
        w.add(
            "revenue_categories",
            {
                "name": name,
                "revenue_account": account,
                "cost_category": str(account - 4000),
                "assignment_kind": kind,
            },
        )
    for name, is_admin, is_default, level in USER_ROLES:
        permission = {area: level for area in PERMISSION_AREAS}
        w.add(
            "user_roles",
            {"name": name, "is_default": is_default, "is_admin": is_admin, "permission": permission},
        )
    for name in UNITS:
        w.add("units", {"name": name, "custom_properties": {}, "users": []})
    for name, probability in DEAL_CATEGORIES:
        w.add("deal_categories", {"name": name, "probability": probability})
    for name, account in PURCHASE_CATEGORIES:
        w.add("purchase_categories", {"name": name, "credit_account": account, "active": True})
    for name, context in TAGS:
        w.add("tags", {"name": name, "color": rng.choice(COLORS), "context": context})
    for name, kind, entity, defaults in CUSTOM_PROPERTY_DEFS:
        w.add(
            "custom_properties",
            {
                "name": name,
                "kind": kind,
                "entity": entity,
                "defaults": defaults,
                "placeholder": None,
                "placeholder_alt": None,
                "print_on_invoice": entity == "Invoice",
                "print_on_offer": False,
                "print_on_timesheet": False,
                "notification_enabled": False,
                "api_only": False,
                "name_alt": name,
            },
        )
    for index in range(w.count("letter_papers")):
        name = ("Standard", "Englisch", "Ohne Logo", "Weihnachten")[index % 4]
        w.add("letter_papers", {"name": name, "active": index < 2, "template": None})
    targets = ("Activity", "Invoice", "Project", "Company", "Offer", "Purchase")
    for index in range(w.count("web_hooks")):
        w.add(
            "web_hooks",
            {
                "target": targets[index % len(targets)],
                "event": ("create", "update", "delete")[index % 3],
                "hook": f"https://hooks.example.com/moco/{index + 1}",
                "disabled": False,
                "disabled_at": None,
            },
        )
    for index in range(w.count("task_templates")):
        w.add(
            "task_templates",
            {
                "name": TASK_NAMES[index % len(TASK_NAMES)],
                "description": None,
                "revenue_category": w.ref("revenue_categories"),
                "billable": index % 5 != 4,
                "project_default": index < 3,
                "index": index + 1,
            },
        )
    for index in range(w.count("catalog_services")):
        items = w.line_items(offer=True)
        for item in items:
            item.update(part=False, additional=False, position_group_display=None)
            item["position_group_items"] = None
            item["created_at"] = item["updated_at"] = iso_z(w.store.anchor - 86400 * 400)
        w.add(
            "catalog_services",
            {"title": f"Paket {PROJECT_KINDS[index % len(PROJECT_KINDS)]}", "items": items},
        )
    for index in range(w.count("expense_templates")):
        price = float(rng.choice((9, 19, 49, 99, 250)))
        w.add(
            "expense_templates",
            {
                "title": EXPENSE_TITLES[index % len(EXPENSE_TITLES)],
                "description": None,
                "unit": rng.choice(UNITS_OF_MEASURE),
                "unit_price": price,
                "unit_cost": money(price * 0.6),
                "currency": "EUR",
                "revenue_category": w.ref("revenue_categories"),
            },
        )
    for _ in range(w.count("fixed_costs")):
        make_fixed_cost(w)


def make_fixed_cost(w: World, parent: int | None = None) -> dict[str, Any]:
    """A monthly fixed cost; `costs[]` per year is derived when served."""
    del parent
    title = FIXED_COST_TITLES[len(w.store.table("fixed_costs")) % len(FIXED_COST_TITLES)]
    return w.add(
        "fixed_costs",
        {
            "title": title,
            "description": None,
            "payment_day": w.rng.choice((1, 1, 15, 28)),
            "_amount": w.gen.amount(80, 6000),
        },
        day=w.start,
    )


# --- people --------------------------------------------------------------------------------


def make_user(w: World, parent: int | None = None, *, archived: bool = False) -> dict[str, Any]:
    """A staff member with unit, role, sales rate and yearly internal cost rates."""
    del parent
    rng = w.rng
    first, last = w.gen.person()
    owner = not w.store.table("users")
    roles = w.ids("user_roles")
    role = roles[0] if owner and roles else (rng.choice(roles) if roles else None)
    record = {
        "firstname": first,
        "lastname": last,
        "active": not archived,
        "extern": not owner and rng.random() < 0.08,
        "email": w.gen.email(first, last, "agentur-nordlicht.example"),
        "mobile_phone": w.gen.phone(),
        "work_phone": w.gen.phone(),
        "home_address": w.gen.address(),
        "info": None,
        "birthday": w.gen.date(dt.date(1962, 1, 1), dt.date(2002, 12, 31)).isoformat(),
        "iban": w.gen.iban(),
        "avatar_url": f"https://avatars.example.com/{rng.randint(10**6, 10**7)}.png",
        "tags": w.tag_names("User", 1),
        "custom_properties": {"Skills": rng.sample(("Design", "Backend", "Frontend", "SEO"), 2)},
        "credit_number": None,
        "role": Ref("user_roles", role) if role else None,
        "unit": w.ref("units"),
        "_rate": float(rng.choice((95, 110, 120, 135, 150))),
        "_internal": {year: float(rng.randint(38, 75)) for year in w.store.years},
    }
    user = w.add("users", record, day=w.gen.date(w.start, w.start + dt.timedelta(days=300)))
    if owner:
        w.store.owner_id = user["id"]
        w.store.session_uuid = refs_uuid(rng)
    return user


def make_user_employment(
    w: World, parent: int | None = None, *, user_id: int | None = None
) -> dict[str, Any]:
    """A weekly working-time model (hours per half day, Monday to Friday)."""
    del parent
    rng = w.rng
    user_id = user_id or w.rng.choice(w.ids("users"))
    am = [4.0] * 5
    pm = rng.choice(([4.0] * 5, [4.0, 4.0, 4.0, 4.0, 0.0], [4.0, 0.0, 4.0, 0.0, 0.0]))
    start = w.start - dt.timedelta(days=rng.randint(0, 900))
    return w.add(
        "user_employments",
        {
            "weekly_target_hours": sum(am) + sum(pm),
            "pattern": {"am": am, "pm": pm},
            "from": start.isoformat(),
            "to": None,
            "user": Ref("users", user_id),
        },
        day=w.start,
    )


def build_people(w: World) -> None:
    """Users (about 10% archived), employments, holidays, absences, presences."""
    rng = w.rng
    share = w.store.config.archived_share
    for index in range(w.count("users")):
        make_user(w, archived=index > 0 and rng.random() < share)
    for user in w.rows("users"):
        employment = make_user_employment(w, user_id=user["id"])
        if rng.random() < 0.25:
            changed = w.gen.date(w.start + dt.timedelta(days=200), w.today - dt.timedelta(days=60))
            employment["to"] = (changed - dt.timedelta(days=1)).isoformat()
            later = make_user_employment(w, user_id=user["id"])
            later["from"] = changed.isoformat()
        for year in w.store.years:
            days = float(rng.choice((28, 30, 30, 25)))
            w.add(
                "user_holidays",
                {
                    "year": year,
                    "title": f"Urlaubsanspruch {year}",
                    "days": days,
                    "hours": days * 8,
                    "user": Ref("users", user["id"]),
                    "creator": Ref("users", w.store.owner_id),
                },
                day=max(dt.date(year, 1, 2), w.start),
            )
    for _ in range(w.count("schedules")):
        make_schedule(w)
    for _ in range(w.count("presences")):
        make_presence(w)
    for _ in range(w.count("user_work_time_adjustments")):
        make_work_time_adjustment(w)
    for _ in range(w.count("user_absence_requests")):
        make_absence_request(w)


def make_schedule(w: World, parent: int | None = None) -> dict[str, Any]:
    """An absence (vacation, sickness, public holiday...) on one day, possibly half a day."""
    del parent
    rng = w.rng
    code = rng.choices((1, 2, 3, 4, 5), weights=(5, 10, 25, 50, 10))[0]
    name, color = ABSENCES[code]
    day = w.gen.weekday(w.start, w.today + dt.timedelta(days=90))
    half = rng.random() < 0.15
    am = not half or rng.random() < 0.5
    return w.add(
        "schedules",
        {
            "date": day.isoformat(),
            "comment": None if rng.random() < 0.7 else w.gen.sentence(),
            "am": am,
            "pm": not half or not am,
            "symbol": None,
            "assignment": {
                "id": 100 + code,
                "name": name,
                "code": str(code),
                "customer_name": None,
                "color": color,
                "type": "Absence",
            },
            "user": w.user_ref(),
            "_code": code,
        },
        day=day,
    )


def make_presence(w: World, parent: int | None = None) -> dict[str, Any]:
    """A working-time block with local clock times."""
    del parent
    rng = w.rng
    day = w.gen.weekday(w.start, w.today)
    begin = rng.choice(("07:45", "08:00", "08:30", "09:00", "09:15", "13:00"))
    end = rng.choice(("12:00", "16:30", "17:00", "17:45", "18:30"))
    if end < begin:
        begin, end = "08:00", "12:00"
    return w.add(
        "presences",
        {
            "date": day.isoformat(),
            "from": begin,
            "to": None if day == w.today else end,
            "is_home_office": rng.random() < 0.35,
            "user": w.user_ref(),
        },
        day=day,
    )


def make_work_time_adjustment(w: World, parent: int | None = None) -> dict[str, Any]:
    """A manual correction of a user's overtime balance."""
    del parent
    rng = w.rng
    day = w.gen.date()
    reasons = ("Überstundenabbau", "Korrektur Zeiterfassung", "Übertrag Vorjahr", "Sonderurlaub")
    return w.add(
        "user_work_time_adjustments",
        {
            "date": day.isoformat(),
            "description": rng.choice(reasons),
            "hours": float(rng.choice((-8, -4, 2, 4, 8, 16))),
            "user": w.user_ref(),
            "creator": Ref("users", w.store.owner_id),
        },
        day=day,
    )


def make_absence_request(w: World, parent: int | None = None) -> dict[str, Any]:
    """A vacation/sickness request covering a few weekdays."""
    del parent
    rng = w.rng
    first = w.gen.weekday(w.start, w.today + dt.timedelta(days=120))
    days = []
    for offset in range(rng.randint(1, 5)):
        day = first + dt.timedelta(days=offset)
        if day.weekday() < 5:
            days.append({"date": day.isoformat(), "am": True, "pm": True})
    status = "approved" if first < w.today or rng.random() < 0.5 else "pending"
    owner = Ref("users", w.store.owner_id)
    record = w.add(
        "user_absence_requests",
        {
            "type": rng.choices(("vacation", "sickness", "other"), weights=(70, 20, 10))[0],
            "status": status,
            "total_days": float(len(days)),
            "days": days,
            "comment": None,
            "user": w.user_ref(),
            "approver": owner if status == "approved" else None,
            "selected_approver": owner,
            "custom_properties": {},
        },
        day=min(first, w.today) - dt.timedelta(days=rng.randint(3, 30)),
    )
    record["approved_at"] = iso_z(record["_u"]) if status == "approved" else None
    return record


# --- CRM -----------------------------------------------------------------------------------


def make_company(
    w: World, parent: int | None = None, *, archived: bool = False, kind: str | None = None
) -> dict[str, Any]:
    """A customer, supplier or organization with address, VAT and bank data."""
    del parent
    rng = w.rng
    kind = kind or rng.choices(("customer", "supplier", "organization"), weights=(75, 15, 10))[0]
    name = w.gen.company_name()
    postcode, city, country = w.gen.city()
    slug = "".join(ch for ch in shorten(name).lower() if ch.isalnum()) or "firma"
    customer, supplier = kind == "customer", kind == "supplier"
    number = w.sequence(f"company-{kind}")
    tax = {"DE": 19.0, "AT": 20.0, "CH": 8.1}.get(country, 0.0)
    tags = w.tag_names("Company")
    record = w.add(
        "companies",
        {
            "type": kind,
            "identifier": f"{'K' if customer else 'L'}{10000 + number}" if kind != "organization" else None,
            "name": name,
            "website": f"https://www.{slug}.example",
            "email": f"info@{slug}.example",
            "billing_email_cc": None,
            "phone": w.gen.phone(),
            "fax": None if rng.random() < 0.7 else w.gen.phone(),
            "address": f"{name}\n{rng.choice(('Hauptstraße', 'Ringstraße'))} {rng.randint(1, 99)}\n{postcode} {city}",
            "country_code": country,
            "vat_identifier": f"{country}{rng.randint(10**8, 10**9 - 1)}" if customer else None,
            "alternative_correspondence_language": country not in ("DE", "AT", "CH"),
            "english_correspondence_language": country not in ("DE", "AT", "CH"),
            "tags": tags,
            "labels": tags,
            "user": w.user_ref(),
            "info": None if rng.random() < 0.6 else w.gen.sentence(),
            "footer": None,
            "custom_properties": {"Branche": rng.choice(CUSTOM_PROPERTY_DEFS[0][3])},
            "active": not archived,
            "archived_on": None,
            "currency": "CHF" if country == "CH" else "EUR",
            "customer_vat": w.vat_sales(tax) if customer else None,
            "supplier_vat": w.vat_purchases(19.0) if supplier else None,
            "default_invoice_due_days": rng.choice((14, 30)) if customer else None,
            "invoice_format": "regular_pdf" if customer else None,
            "default_payment_means": "credit_transfer" if customer else None,
            "projects": [],
            "iban": w.gen.iban() if supplier else None,
            "bank_bic": "COBADEFFXXX" if supplier else None,
            "bank_owner": name if supplier else None,
            "debit_number": 10000 + number if customer else None,
            "credit_number": 70000 + number if supplier else None,
            "intern": False,
            "billing_tax": 0.0,
            "custom_rates": False,
            "include_time_report": rng.random() < 0.4,
            "billing_notes": "",
            "default_discount": 0.0,
            "default_cash_discount": 0.0,
            "default_cash_discount_days": 0,
        },
        day=w.gen.date(w.start - dt.timedelta(days=400), w.today - dt.timedelta(days=30)),
    )
    if archived:
        record["archived_on"] = iso_z(record["_u"])
    return record


def make_contact(w: World, parent: int | None = None) -> dict[str, Any]:
    """A person at a customer company."""
    del parent
    rng = w.rng
    first, last = w.gen.person()
    company = w.pick("companies")
    domain = (company or {}).get("website", "https://www.example.com").split("www.")[-1]
    gender = rng.choice(("F", "M", "U"))
    return w.add(
        "contacts",
        {
            "gender": gender,
            "firstname": first,
            "lastname": last,
            "title": "Dr." if rng.random() < 0.1 else None,
            "job_position": rng.choice(("Geschäftsführung", "Marketingleitung", "Einkauf", "IT")),
            "mobile_phone": w.gen.phone(),
            "work_fax": None,
            "work_phone": w.gen.phone(),
            "work_email": w.gen.email(first, last, domain),
            "work_address": None,
            "home_email": None,
            "home_address": None,
            "birthday": None,
            "salutation": {"F": "Sehr geehrte Frau", "M": "Sehr geehrter Herr"}.get(gender, "Hallo")
            + f" {last}",
            "info": None,
            "avatar_url": None,
            "tags": w.tag_names("Contact", 1),
            "custom_properties": {},
            "company": Ref("companies", company["id"]) if company else None,
            "user": w.user_ref(),
        },
        day=w.gen.date(w.start, w.today - dt.timedelta(days=7)),
    )


def make_deal(w: World, parent: int | None = None) -> dict[str, Any]:
    """A lead: status, value, customer and contact person."""
    del parent
    rng = w.rng
    company = w.pick("companies")
    status = rng.choices(
        ("potential", "pending", "won", "lost", "dropped"), weights=(20, 35, 25, 15, 5)
    )[0]
    day = w.gen.date(w.start, w.today - dt.timedelta(days=3))
    closed = (
        min(day + dt.timedelta(days=rng.randint(5, 90)), w.today)
        if status in ("won", "lost", "dropped")
        else None
    )
    name = company["name"] if company else "Interessent"
    company_ref = Ref("companies", company["id"]) if company else None
    return w.add(
        "deals",
        {
            "name": f"{rng.choice(PROJECT_KINDS)} {shorten(name)}",
            "status": status,
            "reminder_date": (w.today + dt.timedelta(days=rng.randint(1, 40))).isoformat()
            if status == "pending"
            else None,
            "closed_on": closed.isoformat() if closed else None,
            "money": float(rng.randrange(1000, 80000, 500)),
            "currency": "EUR",
            "info": None,
            "tags": w.tag_names("Deal", 1),
            "custom_properties": {"Priorität": rng.choice(("hoch", "mittel", "niedrig"))},
            "user": w.user_ref(),
            "person": w.ref("contacts"),
            "customer": company_ref,
            "company": company_ref,
            "category": w.ref("deal_categories"),
            "service_period_from": None,
            "service_period_to": None,
            "inbox_email_address": None,
        },
        day=day,
    )


def build_crm(w: World) -> None:
    """Companies (about 10% archived), contacts, deals."""
    share = w.store.config.archived_share
    for index in range(w.count("companies")):
        kind = "customer" if index < 3 else None
        make_company(w, archived=index >= 3 and w.rng.random() < share, kind=kind)
    for _ in range(w.count("contacts")):
        make_contact(w)
    for _ in range(w.count("deals")):
        make_deal(w)


# --- projects ------------------------------------------------------------------------------


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


def make_project(  # noqa: C901 - one record with many optional relations
    w: World, parent: int | None = None, *, archived: bool = False
) -> dict[str, Any]:
    """A customer project with 2-6 tasks and 1-4 staff contracts."""
    del parent
    rng = w.rng
    customers = [c for c in w.rows("companies") if c["type"] == "customer"] or w.rows(
        "companies"
    )
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
    start, finish = project_dates(project, w.today + dt.timedelta(days=120))
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
    start = w.gen.weekday(w.start, w.today + dt.timedelta(days=60))
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
    share = w.store.config.archived_share
    for _ in range(w.count("project_groups")):
        make_project_group(w)
    for index in range(w.count("projects")):
        make_project(w, archived=index > 0 and rng.random() < share)
    projects = w.rows("projects")
    by_company: dict[int, list[int]] = {}
    for project in projects:
        customer = project.get("customer")
        if isinstance(customer, Ref):
            by_company.setdefault(customer.id, []).append(project["id"])
    for company in w.rows("companies"):
        company["projects"] = [Ref("projects", pid) for pid in by_company.get(company["id"], [])]
    for group in w.rows("project_groups"):
        members = [p["id"] for p in projects if p.get("project_group") == Ref("project_groups", group["id"])]
        group["projects"] = [Ref("projects", pid) for pid in members]
    for _ in range(w.count("project_expenses")):
        make_project_expense(w, project=rng.choice(projects))
    for _ in range(w.count("project_recurring_expenses")):
        make_recurring_expense(w)
    for _ in range(w.count("project_payment_schedules")):
        make_payment_schedule(w)
    for _ in range(w.count("planning_entries")):
        make_planning_entry(w)


# --- invoicing -----------------------------------------------------------------------------


def invoice_status(rng: Any, day: dt.date, today: dt.date) -> str:
    """A plausible invoice status for the invoice's age."""
    age = (today - day).days
    if age < 10:
        return rng.choice(("draft", "created", "sent"))
    if age < 60:
        return rng.choices(("sent", "overdue", "partially_paid", "paid"), weights=(30, 15, 10, 45))[0]
    return rng.choices(("paid", "overdue", "ignored"), weights=(88, 8, 4))[0]


def make_invoice(w: World, parent: int | None = None) -> dict[str, Any]:
    """An outgoing invoice for a project, with 2-5 line items (detail-only)."""
    del parent
    rng = w.rng
    project = w.pick("projects") or {}
    start, finish = project_dates(project, w.today) if project else (w.start, w.today)
    day = w.gen.date(start, finish)
    company_ref = project_company(project)
    company = w.store.table("companies").get(company_ref.id) if company_ref else None
    tax = 19.0 if (company or {}).get("country_code", "DE") == "DE" else 0.0
    items = w.line_items(offer=False)
    net = money(sum(item["net_total"] for item in items))
    status = invoice_status(rng, day, w.today)
    due_days = (company or {}).get("default_invoice_due_days") or 14
    number = w.sequence(f"invoice-{day.year}")
    period_from = day.replace(day=1)
    contact = raw_ref(project, "leader")
    record = w.add(
        "invoices",
        {
            "customer_id": company_ref.id if company_ref else None,
            "project_id": project.get("id"),
            "offer_id": None,
            "identifier": None if status == "draft" else f"R{day:%y%m}-{number:03d}",
            "date": day.isoformat(),
            "due_date": (day + dt.timedelta(days=due_days)).isoformat(),
            "service_period": f"{day:%m/%Y}",
            "service_period_from": period_from.isoformat(),
            "service_period_to": last_day_of_month(day).isoformat(),
            "status": status,
            "reversed": False,
            "reversal_invoice_id": None,
            "reversal": False,
            "reversed_invoice_id": None,
            "title": f"Rechnung {project.get('name', 'Leistungen')}",
            "recipient_address": (company or {}).get("address"),
            "currency": project.get("currency", "EUR"),
            "net_total": net,
            "tax": tax,
            "vat": w.vat_sales(tax),
            "gross_total": money(net * (1 + tax / 100)),
            "discount": 0.0,
            "cash_discount": 0.0,
            "cash_discount_days": 0.0,
            "creditor_reference": None,
            "debit_number": (company or {}).get("debit_number"),
            "credit_number": None,
            "locked": status != "draft" and (w.today - day).days > 45,
            "custom_properties": {"Bestellnummer": f"PO-{rng.randint(10000, 99999)}"}
            if rng.random() < 0.3
            else {},
            "tags": w.tag_names("Invoice", 1),
            "letter_paper_id": w.ids("letter_papers")[0] if w.ids("letter_papers") else None,
            "without_letter_paper": False,
            "user": contact,
            "file_url": f"https://files.example.com/invoices/{number}.pdf",
            "debt_collection_procedure": None,
            "activity_hours_modified": False,
            "_items": items,
            "_salutation": "Sehr geehrte Damen und Herren,",
            "_footer": "Vielen Dank für Ihren Auftrag.",
            "_contact": contact,
        },
        day=day,
    )
    if status in ("paid", "partially_paid"):
        make_invoice_payments(w, record)
    if status == "overdue":
        make_invoice_reminder(w, record)
    if rng.random() < 0.4:
        make_invoice_attachment(w, record["id"])
    return record


def make_invoice_payments(w: World, invoice: dict[str, Any]) -> None:
    """One or two payments covering a paid invoice (about half of a partially paid one)."""
    rng = w.rng
    day = dt.date.fromisoformat(invoice["date"])
    gross = invoice["gross_total"]
    amounts = [gross] if rng.random() < 0.85 else [money(gross * 0.5), money(gross - money(gross * 0.5))]
    if invoice["status"] == "partially_paid":
        amounts = [money(gross * 0.5)]
    for amount in amounts:
        paid_on = min(day + dt.timedelta(days=rng.randint(3, 40)), w.today)
        w.add(
            "invoice_payments",
            {
                "date": paid_on.isoformat(),
                "invoice": Ref("invoices", invoice["id"]),
                "paid_total": amount,
                "paid_total_in_account_currency": amount,
                "currency": invoice["currency"],
                "description": None,
                "_invoice_id": invoice["id"],
            },
            day=paid_on,
        )


def make_invoice_reminder(w: World, invoice: dict[str, Any]) -> dict[str, Any]:
    """A dunning letter for an overdue invoice."""
    rng = w.rng
    due = dt.date.fromisoformat(invoice["due_date"])
    day = min(due + dt.timedelta(days=rng.randint(5, 20)), w.today)
    return w.add(
        "invoice_reminders",
        {
            "title": "Zahlungserinnerung",
            "text": "Bitte begleichen Sie den offenen Betrag.",
            "fee": float(rng.choice((0, 5, 10))),
            "date": day.isoformat(),
            "due_date": (day + dt.timedelta(days=10)).isoformat(),
            "status": rng.choice(("created", "sent")),
            "file_url": None,
            "invoice": Ref("invoices", invoice["id"]),
            "_invoice_id": invoice["id"],
        },
        day=day,
    )


def make_invoice_attachment(w: World, parent: int | None = None) -> dict[str, Any]:
    """A file attached to an invoice."""
    invoice_id = parent or w.rng.choice(w.ids("invoices"))
    invoice = w.store.table("invoices").get(invoice_id, {})
    day = dt.date.fromisoformat(invoice["date"]) if invoice else w.today
    title = w.rng.choice(("Leistungsnachweis.pdf", "Bestellung.pdf", "Abnahmeprotokoll.pdf"))
    return w.add("invoice_attachments", {"title": title}, day=day, parent=invoice_id)


def make_bookkeeping_export(w: World, resource: str, months_back: int) -> dict[str, Any]:
    """A monthly export of invoices or purchases to the bookkeeping system."""
    first = (w.today.replace(day=1) - dt.timedelta(days=28 * months_back)).replace(day=1)
    last = last_day_of_month(first)
    source = "invoices" if resource == "invoice_bookkeeping_exports" else "purchases"
    ids = [
        r["id"]
        for r in w.rows(source)
        if first.isoformat() <= r["date"] <= last.isoformat()
    ]
    key = "invoice_ids" if source == "invoices" else "purchase_ids"
    return w.add(
        resource,
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            key: ids,
            "comment": f"Export {first:%m/%Y}",
            "user": Ref("users", w.store.owner_id),
            "status": "completed",
        },
        day=min(last + dt.timedelta(days=3), w.today),
    )


def build_invoicing(w: World) -> None:
    """Invoices with payments, reminders, attachments and monthly exports."""
    for _ in range(w.count("invoices")):
        make_invoice(w)
    for _ in range(3):
        day = w.gen.date()
        amount = w.gen.amount(100, 2000)
        w.add(
            "invoice_payments",
            {
                "date": day.isoformat(),
                "invoice": None,
                "paid_total": amount,
                "paid_total_in_account_currency": amount,
                "currency": "EUR",
                "description": "Zahlung ohne Rechnung",
                "_invoice_id": None,
            },
            day=day,
        )
    for months_back in range(w.count("invoice_bookkeeping_exports")):
        make_bookkeeping_export(w, "invoice_bookkeeping_exports", months_back + 1)


# --- time tracking -------------------------------------------------------------------------


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
        self.day_cache: dict[int, str] = {}

    def make(self, project: dict[str, Any] | None = None) -> dict[str, Any]:
        """One time entry on a project task by a project member."""
        w = self.w
        rng = w.rng
        project = project or rng.choice(self.projects)
        pid = project["id"]
        start, finish = self.ranges.get(pid) or project_dates(project, w.today)
        offset = rng.randint(0, (finish - start).days)
        day = start + dt.timedelta(days=offset)
        if day.weekday() >= 5 and rng.random() < 0.9:
            day -= dt.timedelta(days=day.weekday() - 4)
            day = max(day, start)
        iso = day.isoformat()
        task = rng.choice(self.tasks.get(pid) or [{}])
        members = self.contracts.get(pid) or self.users
        user_id = rng.choice(members)
        hours = rng.randint(1, 24) / 4
        billable = bool(project.get("billable") and task.get("billable", True))
        invoice_id = None
        if billable and day < w.today - dt.timedelta(days=20):
            candidates = self.invoices.get(pid)
            if candidates:
                index = bisect.bisect_left(candidates, (iso, 0))
                if index < len(candidates) and rng.random() < 0.9:
                    invoice_id = candidates[index][1]
        remote = rng.random() < 0.1
        seconds = int(hours * 3600)
        record = {
            "date": iso,
            "hours": hours,
            "description": rng.choice(ACTIVITY_TEXTS),
            "billed": invoice_id is not None,
            "billable": billable,
            "invoice_id": invoice_id,
            "tag": None,
            "remote_service": "jira" if remote else None,
            "remote_id": f"AG-{rng.randint(100, 9999)}" if remote else None,
            "remote_url": "https://agentur.atlassian.example/browse/AG" if remote else None,
            "project": Ref("projects", pid),
            "task": Ref("project_tasks", task["id"]) if task else None,
            "customer": project_company(project),
            "user": Ref("users", user_id),
            "deal": None,
            "hourly_rate": project.get("hourly_rate", 120.0) if billable else 0.0,
            "seconds": seconds,
            "worked_seconds": seconds,
            "timer_started_at": None,
        }
        return w.add("activities", record, day=day)


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
    owner = w.store.owner_id
    mine = [a for a in w.rows("activities") if a["user"] == Ref("users", owner)]
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


# --- offers --------------------------------------------------------------------------------


def make_offer(w: World, parent: int | None = None) -> dict[str, Any]:  # noqa: C901
    """A quote with items; about half have an activated customer approval."""
    del parent
    rng = w.rng
    project = w.pick("projects") if rng.random() < 0.6 else None
    company_ref = project_company(project) if project else w.ref("companies")
    company = w.store.table("companies").get(company_ref.id) if company_ref else None
    day = w.gen.date(w.start, w.today - dt.timedelta(days=1))
    status = rng.choices(
        ("created", "sent", "accepted", "partially_billed", "billed", "archived"),
        weights=(15, 25, 25, 10, 15, 10),
    )[0]
    items = w.line_items(offer=True)
    net = money(sum(item["net_total"] for item in items))
    tax = 19.0
    number = w.sequence(f"offer-{day.year}")
    invoice_id = None
    if status in ("billed", "partially_billed") and project:
        own = [i for i in w.rows("invoices") if i.get("project_id") == project["id"]]
        if own:
            invoice = rng.choice(own)
            invoice_id = invoice["id"]
    record = w.add(
        "offers",
        {
            "invoice_id": invoice_id,
            "identifier": f"A{day:%y%m}-{number:03d}",
            "date": day.isoformat(),
            "due_date": (day + dt.timedelta(days=30)).isoformat(),
            "title": f"Angebot {project['name'] if project else rng.choice(PROJECT_KINDS)}",
            "recipient_address": (company or {}).get("address"),
            "currency": "EUR",
            "net_total": net,
            "tax": tax,
            "vat": w.vat_sales(tax),
            "gross_total": money(net * 1.19),
            "discount": 0.0,
            "status": status,
            "tags": w.tag_names("Offer", 1),
            "custom_properties": {},
            "company": company_ref,
            "project": Ref("projects", project["id"]) if project else None,
            "deal": w.ref("deals") if rng.random() < 0.3 else None,
            "user": w.user_ref(),
            "offer_confirmation": None,
            "customer_approval": None,
            "file_url": f"https://files.example.com/offers/{number}.pdf",
            "_items": items,
            "_salutation": "Sehr geehrte Damen und Herren,",
            "_footer": "Wir freuen uns auf die Zusammenarbeit.",
            "_contact": w.user_ref(),
        },
        day=day,
    )
    if invoice_id is not None:
        invoice = w.store.table("invoices")[invoice_id]
        invoice["offer_id"] = record["id"]
        invoice.pop("_json", None)
    if rng.random() < 0.5:
        approval = make_customer_approval(w, record["id"])
        record["customer_approval"] = Ref("offer_customer_approvals", approval["id"])
    if status in ("accepted", "partially_billed", "billed") and rng.random() < 0.7:
        confirmation = make_offer_confirmation(w, offer=record)
        record["offer_confirmation"] = Ref("offer_confirmations", confirmation["id"])
    if rng.random() < 0.4:
        make_offer_attachment(w, record["id"])
    return record


def make_customer_approval(w: World, parent: int | None = None) -> dict[str, Any]:
    """The online approval page of an offer (one per offer at most)."""
    offer_id = parent or w.rng.choice(w.ids("offers"))
    offer = w.store.table("offers").get(offer_id, {})
    signed = offer.get("status") in ("accepted", "partially_billed", "billed")
    first, last = w.gen.person()
    token = refs_uuid(w.rng)
    day = dt.date.fromisoformat(offer["date"]) if offer else w.today
    record = w.add(
        "offer_customer_approvals",
        {
            "approval_url": f"https://agentur.mocoapp.example/offers/approval/{token}",
            "offer_document_url": f"https://agentur.mocoapp.example/offers/{offer_id}.pdf",
            "active": True,
            "customer_full_name": f"{first} {last}" if signed else None,
            "customer_email": w.gen.email(first, last) if signed else None,
            "signature_url": f"https://files.example.com/signatures/{token}.png" if signed else None,
            "signed_at": None,
            "url": f"https://agentur.mocoapp.example/offers/approval/{token}",
        },
        day=day,
        parent=offer_id,
    )
    if signed:
        record["signed_at"] = iso_z(record["_u"])
    return record


def make_offer_confirmation(
    w: World, parent: int | None = None, *, offer: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An order confirmation for an accepted offer."""
    del parent
    offer = offer or w.pick("offers") or {}
    day = dt.date.fromisoformat(offer["date"]) + dt.timedelta(days=w.rng.randint(3, 30))
    day = min(day, w.today)
    return w.add(
        "offer_confirmations",
        {
            "date": day.isoformat(),
            "title": f"Auftragsbestätigung {offer.get('identifier', '')}".strip(),
            "salutation_raw": "Sehr geehrte Damen und Herren,",
            "footer_raw": "Mit freundlichen Grüßen",
            "file_url": f"https://files.example.com/confirmations/{offer.get('id')}.pdf",
            "user": w.user_ref(),
            "offer": Ref("offers", offer["id"]) if offer else None,
        },
        day=day,
    )


def make_offer_attachment(w: World, parent: int | None = None) -> dict[str, Any]:
    """A file attached to an offer."""
    offer_id = parent or w.rng.choice(w.ids("offers"))
    offer = w.store.table("offers").get(offer_id, {})
    day = dt.date.fromisoformat(offer["date"]) if offer else w.today
    title = w.rng.choice(("Leistungsbeschreibung.pdf", "AGB.pdf", "Referenzen.pdf"))
    return w.add("offer_attachments", {"title": title}, day=day, parent=offer_id)


def build_offers(w: World) -> None:
    """Offers with approvals, confirmations and attachments."""
    for _ in range(w.count("offers")):
        make_offer(w)


# --- purchases -----------------------------------------------------------------------------


def make_purchase(w: World, parent: int | None = None) -> dict[str, Any]:
    """An incoming invoice with 1-3 items; paid ones get purchase payments."""
    del parent
    rng = w.rng
    suppliers = [c for c in w.rows("companies") if c["type"] == "supplier"]
    supplier = rng.choice(suppliers) if suppliers and rng.random() < 0.9 else None
    day = w.gen.date()
    items = []
    for _ in range(rng.randint(1, 3)):
        net = w.gen.amount(15, 3000)
        tax = rng.choice((19.0, 19.0, 7.0, 0.0))
        items.append(
            {
                "id": w.item_id(),
                "title": rng.choice(PURCHASE_TITLES),
                "net_total": net,
                "tax_total": money(net * tax / 100),
                "tax": tax,
                "vat": w.vat_purchases(tax),
                "tax_included": False,
                "ksk_relevant": False,
                "gross_total": money(net * (1 + tax / 100)),
                "category": w.ref("purchase_categories"),
                "supplier_credit_number": (supplier or {}).get("credit_number"),
                "expense": None,
                "receipt": None,
            }
        )
    pending = (w.today - day).days < 20 and rng.random() < 0.6
    number = w.sequence(f"purchase-{day.year}")
    record = w.add(
        "purchases",
        {
            "identifier": f"E{day:%y}-{number:04d}",
            "receipt_identifier": f"RE-{rng.randint(10000, 99999)}",
            "title": items[0]["title"],
            "info": None,
            "iban": (supplier or {}).get("iban"),
            "reference": None,
            "date": day.isoformat(),
            "due_date": (day + dt.timedelta(days=14)).isoformat(),
            "service_period_from": None,
            "service_period_to": None,
            "status": "pending" if pending else "archived",
            "partially_paid": False,
            "payment_method": rng.choice(("bank_transfer", "direct_debit", "credit_card", "paypal")),
            "net_total": money(sum(i["net_total"] for i in items)),
            "gross_total": money(sum(i["gross_total"] for i in items)),
            "currency": "EUR",
            "file_url": f"https://files.example.com/purchases/{number}.pdf",
            "custom_properties": {},
            "tags": w.tag_names("Purchase", 1),
            "company": Ref("companies", supplier["id"]) if supplier else None,
            "payments": [],
            "user": w.user_ref(),
            "refund_request": None,
            "approval_status": rng.choice((None, "approved")),
            "credit_card_transaction": None,
            "items": items,
        },
        day=day,
    )
    if not pending and rng.random() < 0.8:
        paid_on = min(day + dt.timedelta(days=rng.randint(1, 20)), w.today)
        payment = w.add(
            "purchase_payments",
            {
                "date": paid_on.isoformat(),
                "purchase": Ref("purchases", record["id"]),
                "total": record["gross_total"],
                "currency": "EUR",
                "remittance_export_id": None,
                "_purchase_id": record["id"],
            },
            day=paid_on,
        )
        record["payments"] = [Ref("purchase_payments", payment["id"])]
    return record


def make_receipt(w: World, parent: int | None = None) -> dict[str, Any]:
    """An employee expense receipt (Spesen)."""
    del parent
    rng = w.rng
    day = w.gen.date()
    gross = w.gen.amount(5, 600)
    project = w.pick("projects") if rng.random() < 0.5 else None
    return w.add(
        "receipts",
        {
            "title": rng.choice(RECEIPT_TITLES),
            "date": day.isoformat(),
            "billable": project is not None and rng.random() < 0.5,
            "pending": (w.today - day).days < 14,
            "gross_total": gross,
            "currency": "EUR",
            "items": [
                {
                    "gross_total": gross,
                    "vat": w.vat_purchases(19.0),
                    "purchase_category": w.ref("purchase_categories"),
                }
            ],
            "project": Ref("projects", project["id"]) if project else None,
            "info": None,
            "user": w.user_ref(),
            "refund_request": None,
            "attachment_url": f"/receipts/{rng.randint(1000, 9999)}/attachment",
        },
        day=day,
    )


def build_purchases(w: World) -> None:
    """Purchases with payments, budgets per year, drafts, exports, planned purchases, receipts."""
    rng = w.rng
    for _ in range(w.count("purchases")):
        make_purchase(w)
    for year in w.store.years:
        for title, category in (("Software", "4964"), ("Hardware", "0650"), ("Marketing", "4600"), ("Reisen", "4660")):
            target = float(rng.randrange(5000, 50000, 1000))
            spent = money(target * rng.uniform(0.2, 1.05)) if year < w.today.year else money(target * rng.uniform(0.1, 0.8))
            planned = money(target * rng.uniform(0, 0.2))
            w.add(
                "purchase_budgets",
                {
                    "year": year,
                    "title": title,
                    "active": True,
                    "cost_category": category,
                    "target": target,
                    "exhaused": spent,
                    "planned": planned,
                    "remaining": money(target - spent - planned),
                },
                day=max(dt.date(year, 1, 3), w.start),
            )
    for _ in range(w.count("purchase_drafts")):
        day = w.gen.date(w.today - dt.timedelta(days=90), w.today)
        net = w.gen.amount(10, 900)
        w.add(
            "purchase_drafts",
            {
                "title": rng.choice(PURCHASE_TITLES),
                "email_from": "rechnung@lieferant.example",
                "email_body": "Anbei erhalten Sie unsere Rechnung.",
                "user": w.user_ref(),
                "file_url": f"https://files.example.com/drafts/{rng.randint(1000, 9999)}.pdf",
                "net_total": net,
                "gross_total": money(net * 1.19),
                "credit_card_transaction": None,
            },
            day=day,
        )
    for months_back in range(w.count("purchase_bookkeeping_exports")):
        make_bookkeeping_export(w, "purchase_bookkeeping_exports", months_back + 1)
    budgets = [b for b in w.rows("purchase_budgets") if b["year"] == w.today.year]
    for _ in range(w.count("planned_purchases")):
        day = w.gen.date(w.today - dt.timedelta(days=300), w.today)
        net = w.gen.amount(100, 5000)
        linked = rng.sample(w.ids("purchases"), min(2, len(w.ids("purchases"))))
        recurring = rng.random() < 0.5
        w.add(
            "planned_purchases",
            {
                "date": day.isoformat(),
                "active": True,
                "finish_date": None,
                "frequency": "monthly" if recurring else "once",
                "variant": "recurring" if recurring else "once",
                "title": rng.choice(PURCHASE_TITLES),
                "info": None,
                "net_total": net,
                "net_total_in_account_currency": net,
                "exhausted": money(net * rng.uniform(0, 1)),
                "exhausted_in_account_currency": 0.0,
                "currency": "EUR",
                "company": w.ref("companies"),
                "purchase_budget": Ref("purchase_budgets", rng.choice(budgets)["id"]) if budgets else None,
                "user": w.user_ref(),
                "purchases": [Ref("purchases", pid) for pid in linked],
                "custom_properties": {},
                "create_on_recur": recurring,
                "recur_next_on": (w.today + dt.timedelta(days=20)).isoformat() if recurring else None,
            },
            day=day,
        )
    for _ in range(w.count("receipts")):
        make_receipt(w)


# --- collaboration -------------------------------------------------------------------------

COMMENTABLE = {
    "Project": "projects",
    "Company": "companies",
    "Deal": "deals",
    "Invoice": "invoices",
    "Offer": "offers",
    "Contact": "contacts",
    "Purchase": "purchases",
    "User": "users",
}
TODOABLE = {
    "Assignment": "projects",
    "Company": "companies",
    "Contact": "contacts",
    "Deal": "deals",
    "Invoice": "invoices",
    "Offer": "offers",
    "Purchase": "purchases",
    "User": "users",
}


def describe(record: dict[str, Any]) -> str:
    """A human label of any record (name, title or person)."""
    if "firstname" in record:
        return f"{record['firstname']} {record['lastname']}"
    return str(record.get("name") or record.get("title") or record.get("identifier") or "")


def make_comment(w: World, parent: int | None = None) -> dict[str, Any]:
    """A note on a project, company, deal, invoice..."""
    del parent
    rng = w.rng
    kind = rng.choice(list(COMMENTABLE))
    target = w.pick(COMMENTABLE[kind]) or {}
    created = target.get("_c", w.store.anchor - 86400 * 30)
    day = dt.datetime.fromtimestamp(created, tz=dt.timezone.utc).date()
    return w.add(
        "comments",
        {
            "commentable_id": target.get("id", 0),
            "commentable_type": kind,
            "text": w.gen.sentence(),
            "manual": rng.random() < 0.85,
            "user": w.user_ref(),
            "impersonating_user": None,
        },
        day=w.gen.date(day, w.today),
    )


def make_approval(w: World, parent: int | None = None) -> dict[str, Any]:
    """An approval request for an invoice or a purchase."""
    del parent
    rng = w.rng
    target_type = rng.choice(("invoice", "purchase"))
    target = w.pick(f"{target_type}s") or {}
    status = rng.choices(("pending", "approved", "denied"), weights=(25, 65, 10))[0]
    record = w.add(
        "approvals",
        {
            "status": status,
            "target_type": target_type,
            "decided_at": None,
            "note": None,
            "deny_note": "Bitte Betrag prüfen." if status == "denied" else None,
            "creator": w.user_ref(),
            "approver": Ref("users", w.store.owner_id),
            "approver2": None,
            "processed_by": Ref("users", w.store.owner_id) if status != "pending" else None,
            "target": Ref(f"{target_type}s", target["id"]) if target else None,
        },
        day=dt.date.fromisoformat(target["date"]) if target else None,
    )
    if status != "pending":
        record["decided_at"] = iso_z(record["_u"])
    return record


def make_todo(w: World, parent: int | None = None) -> dict[str, Any]:
    """A to-do attached to a record."""
    del parent
    rng = w.rng
    kind = rng.choice(list(TODOABLE))
    target = w.pick(TODOABLE[kind]) or {}
    completed = rng.random() < 0.5
    day = w.gen.date(w.today - dt.timedelta(days=365), w.today)
    due = day + dt.timedelta(days=rng.randint(1, 30))
    record = w.add(
        "todos",
        {
            "title": rng.choice(("Rückruf vereinbaren", "Angebot nachfassen", "Rechnung prüfen", "Vertrag senden")),
            "due_date": iso_z(w.gen.epoch(due)) if rng.random() < 0.8 else None,
            "completed_at": None,
            "completed": completed,
            "personal": rng.random() < 0.2,
            "todoable_id": target.get("id", 0),
            "todoable_type": kind,
            "todoable_description": describe(target),
            "created_by": w.user_ref(),
            "assigned_to": w.user_ref(),
        },
        day=day,
    )
    if completed:
        record["completed_at"] = iso_z(record["_u"])
    return record


def build_collaboration(w: World) -> None:
    """Comments, approvals and to-dos referencing existing records."""
    for _ in range(w.count("comments")):
        make_comment(w)
    for _ in range(w.count("approvals")):
        make_approval(w)
    for _ in range(w.count("todos")):
        make_todo(w)


BUILD_STEPS: tuple[Callable[[World], None], ...] = (
    build_settings,
    build_people,
    build_crm,
    build_projects,
    build_invoicing,
    build_activities,
    build_offers,
    build_purchases,
    build_collaboration,
)
"""Generation in dependency order."""

CONFORM_ORDER = (
    "vat_code_sales", "vat_code_purchases", "revenue_categories", "user_roles", "units",
    "deal_categories", "purchase_categories", "tags", "custom_properties", "letter_papers",
    "web_hooks", "task_templates", "catalog_services", "expense_templates", "fixed_costs",
    "users", "user_employments", "user_holidays", "schedules", "presences",
    "user_work_time_adjustments", "user_absence_requests", "companies", "contacts", "deals",
    "project_tasks", "project_contracts", "project_groups", "projects", "project_expenses",
    "project_recurring_expenses", "project_payment_schedules", "planning_entries",
    "invoices", "invoice_payments", "invoice_reminders", "invoice_attachments",
    "invoice_bookkeeping_exports", "activities", "offer_customer_approvals",
    "offer_confirmations", "offers", "offer_attachments", "purchase_payments", "purchases",
    "purchase_budgets", "purchase_drafts", "purchase_bookkeeping_exports",
    "planned_purchases", "receipts", "comments", "approvals", "todos",
)  # fmt: skip
"""Rendering order: referenced tables before the tables that embed them."""

MAKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "users": make_user,
    "user_employments": make_user_employment,
    "schedules": make_schedule,
    "presences": make_presence,
    "user_work_time_adjustments": make_work_time_adjustment,
    "user_absence_requests": make_absence_request,
    "companies": make_company,
    "contacts": make_contact,
    "deals": make_deal,
    "projects": make_project,
    "project_tasks": make_project_task,
    "project_contracts": make_project_contract,
    "project_groups": make_project_group,
    "project_expenses": make_project_expense,
    "project_recurring_expenses": make_recurring_expense,
    "project_payment_schedules": make_payment_schedule,
    "planning_entries": make_planning_entry,
    "invoices": make_invoice,
    "invoice_attachments": make_invoice_attachment,
    "activities": make_activity,
    "offers": make_offer,
    "offer_customer_approvals": make_customer_approval,
    "offer_confirmations": make_offer_confirmation,
    "offer_attachments": make_offer_attachment,
    "purchases": make_purchase,
    "receipts": make_receipt,
    "fixed_costs": make_fixed_cost,
    "comments": make_comment,
    "approvals": make_approval,
    "todos": make_todo,
}
"""One-record builders, used by `Sandbox.create()` and injected changes."""


def populate(store: Store) -> World:
    """Generate the whole account into `store` and render every record."""
    world = World(store)
    for step in BUILD_STEPS:
        step(world)
    remaining = [name for name in store.tables if name not in CONFORM_ORDER]
    store.conform_all((*CONFORM_ORDER, *remaining))
    return world


def make_one(world: World, resource: str, parent: int | None = None) -> dict[str, Any]:
    """Create and render one new record of a stored resource (a generic one if no builder)."""
    maker = MAKERS.get(resource)
    if maker is not None:
        record = maker(world, parent)
    else:
        record = world.add(resource, {}, parent=parent)
    return record
