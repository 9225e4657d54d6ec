"""Purchases, payments, budgets per year, drafts, planned purchases and receipts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sandbox.generate.invoicing import make_bookkeeping_export
from sandbox.generate.reference import (
    PURCHASE_TITLES,
    RECEIPT_TITLES,
)
from sandbox.values import (
    Ref,
    money,
)

if TYPE_CHECKING:
    from sandbox.generate.world import (
        World,
    )


def make_purchase(w: World, parent: int | None = None) -> dict[str, Any]:
    """An incoming invoice with 1-3 items; paid ones get purchase payments."""
    del parent
    rng = w.rng
    suppliers = [c for c in w.rows("companies") if c["type"] == "supplier"]
    supplier = rng.choice(suppliers) if suppliers and rng.random() < 0.9 else None
    day = w.gen.date()
    items: list[dict[str, Any]] = []
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
            "payment_method": rng.choice(
                ("bank_transfer", "direct_debit", "credit_card", "paypal")
            ),
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
    purchases = w.rows("purchases")
    for expense in w.rows("project_expenses"):
        if purchases:
            purchase = rng.choice(purchases)
            expense["_purchase_id"] = purchase["id"]
            expense["_purchase_item_id"] = purchase["items"][0]["id"]
    for year in w.store.plan_years:  # next year's budgets are planned in December
        for title, category in (
            ("Software", "4964"),
            ("Hardware", "0650"),
            ("Marketing", "4600"),
            ("Reisen", "4660"),
        ):
            target = float(rng.randrange(5000, 50000, 1000))
            spent = (
                money(target * rng.uniform(0.2, 1.05))
                if year < w.today.year
                else money(target * rng.uniform(0.1, 0.8))
                if year == w.today.year
                else 0.0
            )
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
                day=max(dt.date(year, 1, 3), w.start) if year <= w.today.year else w.plan_day(),
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
                "purchase_budget": Ref("purchase_budgets", rng.choice(budgets)["id"])
                if budgets
                else None,
                "user": w.user_ref(),
                "purchases": [Ref("purchases", pid) for pid in linked],
                "custom_properties": {},
                "create_on_recur": recurring,
                "recur_next_on": (w.today + dt.timedelta(days=20)).isoformat()
                if recurring
                else None,
            },
            day=day,
        )
    for _ in range(w.count("receipts")):
        make_receipt(w)
