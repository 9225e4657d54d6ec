"""Fixed vocabulary of the generated account: VAT codes, roles, categories, tags..."""

from __future__ import annotations

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
REVENUE_CATEGORIES: tuple[tuple[str, int, str], ...] = (
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
CUSTOM_PROPERTY_DEFS: tuple[tuple[str, str, str, list[str]], ...] = (
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
