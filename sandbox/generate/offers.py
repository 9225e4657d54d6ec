"""Offers with items, customer approvals, confirmations and attachments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.generate.world import (
    World,
    project_company,
)
from sandbox.values import (
    PROJECT_KINDS,
    Ref,
    iso_z,
    money,
    refs_uuid,
)


def make_offer(w: World, parent: int | None = None) -> dict[str, Any]:
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
            "signature_url": f"https://files.example.com/signatures/{token}.png"
            if signed
            else None,
            "signed_at": None,
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
    offers = w.rows("offers")
    if offers and not w.store.table("offer_confirmations"):
        # A small account still shows every list: its first offer becomes an accepted one.
        offer = offers[0]
        offer["status"] = "accepted"
        offer.pop("_json", None)
        confirmation = make_offer_confirmation(w, offer=offer)
        offer["offer_confirmation"] = Ref("offer_confirmations", confirmation["id"])
