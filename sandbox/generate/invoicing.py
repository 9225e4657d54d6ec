"""Invoices with items, payments, reminders, attachments and bookkeeping exports."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sandbox.generate.world import (
    World,
    last_day_of_month,
    project_company,
    project_dates,
    raw_ref,
)
from sandbox.values import (
    Ref,
    money,
)

if TYPE_CHECKING:
    import random


def invoice_status(rng: random.Random, day: dt.date, today: dt.date) -> str:
    """A plausible invoice status for the invoice's age."""
    age = (today - day).days
    if age < 10:
        return rng.choice(("draft", "created", "sent"))
    recent = ("sent", "overdue", "partially_paid", "paid")
    if age < 60:
        return rng.choices(recent, weights=(30, 15, 10, 45))[0]
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
    amounts = (
        [gross] if rng.random() < 0.85 else [money(gross * 0.5), money(gross - money(gross * 0.5))]
    )
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
    ids = [r["id"] for r in w.rows(source) if first.isoformat() <= r["date"] <= last.isoformat()]
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
