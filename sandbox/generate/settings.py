"""Account settings: VAT codes, roles, units, categories, tags, templates, fixed costs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sandbox.generate.custom_fields import definition
from sandbox.generate.reference import (
    CUSTOM_PROPERTY_DEFS,
    DEAL_CATEGORIES,
    EXPENSE_TITLES,
    FIXED_COST_TITLES,
    PERMISSION_AREAS,
    PURCHASE_CATEGORIES,
    REVENUE_CATEGORIES,
    TAGS,
    UNITS,
    USER_ROLES,
    VAT_PURCHASES,
    VAT_SALES,
)
from sandbox.values import (
    COLORS,
    PROJECT_KINDS,
    TASK_NAMES,
    UNITS_OF_MEASURE,
    iso_z,
    money,
)

if TYPE_CHECKING:
    from sandbox.generate.world import (
        World,
    )


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
    for name, revenue_account, kind in REVENUE_CATEGORIES:
        w.add(
            "revenue_categories",
            {
                "name": name,
                "revenue_account": revenue_account,
                "cost_category": str(revenue_account - 4000),
                "assignment_kind": kind,
            },
        )
    for name, is_admin, is_default, level in USER_ROLES:
        permission = dict.fromkeys(PERMISSION_AREAS, level)
        w.add(
            "user_roles",
            {
                "name": name,
                "is_default": is_default,
                "is_admin": is_admin,
                "permission": permission,
            },
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
        w.add("custom_properties", definition(name, kind, entity, defaults))
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
        day=w.gen.date(w.start, w.start + dt.timedelta(days=300)),
    )
