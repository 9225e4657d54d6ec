"""CRM: companies (about 10% archived), contacts and deals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.generate.reference import (
    CUSTOM_PROPERTY_DEFS,
)
from sandbox.generate.world import (
    World,
    shorten,
)
from sandbox.values import (
    PROJECT_KINDS,
    Ref,
    iso_z,
)


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
    street = f"{rng.choice(('Hauptstraße', 'Ringstraße'))} {rng.randint(1, 99)}"
    tax = {"DE": 19.0, "AT": 20.0, "CH": 8.1}.get(country, 0.0)
    tags = w.tag_names("Company")
    record = w.add(
        "companies",
        {
            "type": kind,
            "identifier": f"{'K' if customer else 'L'}{10000 + number}"
            if kind != "organization"
            else None,
            "name": name,
            "website": f"https://www.{slug}.example",
            "email": f"info@{slug}.example",
            "billing_email_cc": None,
            "phone": w.gen.phone(),
            "fax": None if rng.random() < 0.7 else w.gen.phone(),
            "address": f"{name}\n{street}\n{postcode} {city}",
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
        day=w.gen.date(w.start - dt.timedelta(days=900), w.start + dt.timedelta(days=200)),
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
    archived = w.archived_indexes(w.count("companies"), keep=3)
    for index in range(w.count("companies")):
        kind = "customer" if index < 3 else None
        make_company(w, archived=index in archived, kind=kind)
    for _ in range(w.count("contacts")):
        make_contact(w)
    for _ in range(w.count("deals")):
        make_deal(w)
