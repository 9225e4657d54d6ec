"""Custom fields of every kind on every entity MOCO supports, and their values on records.

`reference.CUSTOM_PROPERTY_DEFS` (built with the settings) stays as it was; this module adds
the remaining definitions and fills values after the whole account is generated, with its
own random generator seeded per record: the shared generator's sequence, and with it every
other generated value and count, stays exactly as before.

Values follow MOCO: strings (`"0"`/`"1"` for Boolean, `YYYY-MM-DD` for Date, sometimes `""`),
an array of strings for MultiSelect (zero, one or several); some records lack a field.
A definition's kind changes through `Sandbox.update("custom_properties", id, kind=...)`;
record values then change only where a test updates them, as in MOCO.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from sandbox.generate.reference import CUSTOM_PROPERTY_DEFS

if TYPE_CHECKING:
    from sandbox.store import Store

ODD_NAME = "Zuständig f. Region"
"""A field name with a space, an umlaut and a dot (flattened column names must cope)."""

MORE_DEFS: tuple[tuple[str, str, str, list[str]], ...] = (
    ("Rahmenvertrag", "Boolean", "Company", []),
    ("Kunde seit", "Date", "Company", []),
    ("Kanäle", "MultiSelect", "Company", ["E-Mail", "Telefon", "Messe", "Web"]),
    ("Notizen intern", "Textarea", "Company", []),
    ("CRM-Link", "Link", "Company", []),
    ("Förderprojekt", "Boolean", "Project", []),
    ("Phase", "Select", "Project", ["Konzept", "Umsetzung", "Betrieb"]),
    ("Leistungen", "MultiSelect", "Project", ["Design", "Entwicklung", "Beratung", "Hosting"]),
    ("Notizen intern", "Textarea", "Project", []),
    ("Dokumentation", "Link", "Project", []),
    (ODD_NAME, "String", "Project", []),
    ("Assistenz", "String", "Contact", []),
    ("Erstkontakt", "Date", "Contact", []),
    ("Sprache", "Select", "Contact", ["Deutsch", "Englisch", "Französisch"]),
    ("Interessen", "MultiSelect", "Contact", ["Events", "Webinare", "Studien"]),
    ("Notizen intern", "Textarea", "Contact", []),
    ("LinkedIn", "Link", "Contact", []),
    ("Quelle", "String", "Deal", []),
    ("Ausschreibung", "Boolean", "Deal", []),
    ("Entscheidung bis", "Date", "Deal", []),
    ("Wettbewerber", "MultiSelect", "Deal", ["Agentur A", "Agentur B", "Inhouse"]),
    ("Notizen intern", "Textarea", "Deal", []),
    ("Vergabeportal", "Link", "Deal", []),
    ("Referenz", "String", "Offer", []),
    ("Rahmenvertrag", "Boolean", "Offer", []),
    ("Gültig bis", "Date", "Offer", []),
    ("Vorlage", "Select", "Offer", ["Standard", "Retainer", "Festpreis"]),
    ("Anlagen", "MultiSelect", "Offer", ["AGB", "Referenzen", "Zeitplan"]),
    ("Notizen intern", "Textarea", "Offer", []),
    ("Angebotsportal", "Link", "Offer", []),
    ("Sammelrechnung", "Boolean", "Invoice", []),
    ("Leistungsdatum", "Date", "Invoice", []),
    ("Zahlweg", "Select", "Invoice", ["Überweisung", "Lastschrift", "Karte"]),
    ("Versand", "MultiSelect", "Invoice", ["Post", "E-Mail", "Portal"]),
    ("Notizen intern", "Textarea", "Invoice", []),
    ("Portal-Link", "Link", "Invoice", []),
    ("Bestellnummer", "String", "Purchase", []),
    ("Freigegeben", "Boolean", "Purchase", []),
    ("Lieferdatum", "Date", "Purchase", []),
    ("Kostenart", "Select", "Purchase", ["Material", "Lizenz", "Fremdleistung"]),
    ("Bereiche", "MultiSelect", "Purchase", ["IT", "Büro", "Projekt"]),
    ("Notizen intern", "Textarea", "Purchase", []),
    ("Beleg-Link", "Link", "Purchase", []),
    ("Personalnummer", "String", "User", []),
    ("Ersthelfer", "Boolean", "User", []),
    ("Probezeit bis", "Date", "User", []),
    ("Standort", "Select", "User", ["Berlin", "Hamburg", "München"]),
    ("Notizen intern", "Textarea", "User", []),
    ("Profil", "Link", "User", []),
)
"""Added to `CUSTOM_PROPERTY_DEFS` so that every entity has every kind."""

TABLES = {
    "Company": "companies",
    "Project": "projects",
    "Contact": "contacts",
    "Deal": "deals",
    "Offer": "offers",
    "Invoice": "invoices",
    "Purchase": "purchases",
    "User": "users",
}
"""Entity -> the sandbox table whose records carry its fields."""
ENTITY_OF = {table: entity for entity, table in TABLES.items()}
MISSING_SHARE = 0.15
"""Share of records without a given field (MOCO leaves unset fields out)."""


def add_definitions(store: Store) -> None:
    """Store `MORE_DEFS` as `custom_properties` records, off the shared random sequence."""
    saved = store.rng
    store.rng = random.Random(f"{store.config.seed}-custom-field-definitions")
    try:
        for name, kind, entity, defaults in MORE_DEFS:
            created = store.anchor - store.rng.randint(30, 900) * 86400
            record = store.add(
                "custom_properties", definition(name, kind, entity, defaults), created=created
            )
            store.table("custom_properties")[record["id"]] = store.conform(
                "custom_properties", record
            )
    finally:
        store.rng = saved


def definition(name: str, kind: str, entity: str, defaults: list[str]) -> dict[str, Any]:
    """A definition record as MOCO shows it (`build_settings` makes the account's first ones)."""
    return {
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
    }


def fill_values(store: Store) -> None:
    """Give every record of an entity table values for its entity's fields."""
    for table in TABLES.values():
        for record in store.table(table).values():
            fill_record(store, table, record)


def fill_record(store: Store, table: str, record: dict[str, Any]) -> None:
    """Values for one record, seeded by its id; values already set are kept."""
    entity = ENTITY_OF.get(table)
    values = record.get("custom_properties")
    if entity is None or not isinstance(values, dict):
        return
    rng = random.Random(f"{store.config.seed}-{table}-{record['id']}")
    for name, kind, def_entity, defaults in (*CUSTOM_PROPERTY_DEFS, *MORE_DEFS):
        if def_entity != entity or name in values or rng.random() < MISSING_SHARE:
            continue
        values[name] = value_of(rng, kind, defaults, store.today)
    record.pop("_json", None)


def value_of(rng: random.Random, kind: str, defaults: list[str], today: dt.date) -> Any:
    """One value of `kind` in MOCO's form."""
    if kind == "Boolean":
        return rng.choice(("0", "1"))
    if kind == "Date":
        if rng.random() < 0.1:
            return ""
        return (today - dt.timedelta(days=rng.randint(-400, 1500))).isoformat()
    if kind == "MultiSelect":
        return rng.sample(defaults, rng.choice((0, 1, 1, 2, len(defaults))))
    if kind == "Select":
        return rng.choice(defaults)
    if kind == "Link":
        return f"https://docs.example.com/{rng.randint(1000, 9999)}"
    if kind == "Textarea":
        return rng.choice(
            ("Rückruf vereinbart.\nUnterlagen folgen.", "Ansprechpartner: Fr. Öz", "")
        )
    return f"R-{rng.randint(100, 999)}" if rng.random() > 0.05 else ""
