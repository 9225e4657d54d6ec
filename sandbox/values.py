"""Value generation: German/European agency vocabulary and a type-driven field filler.

Resource builders in `generate/` set the fields that carry meaning (names, dates, amounts,
references); everything else a record needs is filled here from its declared type, so
every field of `resources.json` is present with a value of the right type.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import random

FIRST_NAMES = (
    "Anna", "Lena", "Sophie", "Marie", "Laura", "Julia", "Lea", "Hannah", "Clara", "Emma",
    "Katharina", "Sarah", "Nina", "Jana", "Franziska", "Lukas", "Jonas", "Leon", "Felix",
    "Paul", "Maximilian", "Tim", "Jan", "Niklas", "David", "Moritz", "Florian", "Tobias",
    "Sebastian", "Matthias", "Stefan", "Andreas", "Thomas", "Michael", "Özlem", "Luca",
    "Noah", "Mia", "Elif", "Jürgen",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
    "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
    "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Huber",
    "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn",
    "Öztürk", "Rossi", "Dubois", "Novák",
)  # fmt: skip
COMPANY_WORDS = (
    "Nordlicht", "Alpenblick", "Rheinwerk", "Elbufer", "Spreeküste", "Bergmann", "Lindner",
    "Sonnenhof", "Weitblick", "Kranich", "Eichenhain", "Seeblick", "Hanse", "Isartal",
    "Brückner", "Falkenstein", "Grünwald", "Mainhafen", "Nordstern", "Silberberg",
    "Taunus", "Wattenmeer", "Bodensee", "Kaiserhof", "Rosenthal", "Ostwind", "Lichtblick",
    "Steinbach", "Habicht", "Feldberg",
)  # fmt: skip
COMPANY_KINDS = (
    "Bäckerei", "Brauerei", "Logistik", "Immobilien", "Versicherung", "Medien", "Software",
    "Maschinenbau", "Möbelhaus", "Weingut", "Hotel", "Apotheke", "Verlag", "Energie",
    "Autohaus", "Bio-Markt", "Steuerberatung", "Architekten", "Kanzlei", "Stiftung",
)  # fmt: skip
LEGAL_FORMS = ("GmbH", "AG", "GmbH & Co. KG", "KG", "e.K.", "UG (haftungsbeschränkt)", "e.V.")
CITIES = (
    ("10115", "Berlin", "DE"), ("20095", "Hamburg", "DE"), ("80331", "München", "DE"),
    ("50667", "Köln", "DE"), ("60311", "Frankfurt am Main", "DE"), ("70173", "Stuttgart", "DE"),
    ("40213", "Düsseldorf", "DE"), ("04109", "Leipzig", "DE"), ("28195", "Bremen", "DE"),
    ("01067", "Dresden", "DE"), ("90402", "Nürnberg", "DE"), ("30159", "Hannover", "DE"),
    ("1010", "Wien", "AT"), ("5020", "Salzburg", "AT"), ("8001", "Zürich", "CH"),
    ("3011", "Bern", "CH"), ("4051", "Basel", "CH"), ("1000", "Bruxelles", "BE"),
    ("1011", "Amsterdam", "NL"), ("75001", "Paris", "FR"),
)  # fmt: skip
STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Goethestraße",
    "Lindenallee", "Marktplatz", "Kirchgasse", "Hafenstraße", "Friedrichstraße",
    "Rosenweg", "Am Stadtpark", "Industriestraße", "Mühlenweg", "Kastanienallee",
)  # fmt: skip
PROJECT_KINDS = (
    "Website-Relaunch", "Corporate Design", "SEO-Kampagne", "App-Entwicklung",
    "Intranet", "Social-Media-Betreuung", "Newsletter-Automation", "Shop-Migration",
    "Markenworkshop", "Messeauftritt", "Imagefilm", "Jahresbericht", "Wartungsvertrag",
    "UX-Audit", "Content-Strategie", "Kundenportal", "Barrierefreiheit-Check",
)  # fmt: skip
TASK_NAMES = (
    "Konzeption", "Design", "Entwicklung", "Projektmanagement", "Qualitätssicherung",
    "Beratung", "Texterstellung", "Support", "Workshop", "Hosting", "Schulung", "Reisezeit",
)  # fmt: skip
ACTIVITY_TEXTS = (
    "Abstimmung mit Kunde", "Wireframes überarbeitet", "Bugfixing", "Sprint Planning",
    "Code Review", "Deployment Staging", "Feedback eingearbeitet", "Telefonat Projektstand",
    "Styleguide erweitert", "Testing mobile Ansicht", "Meeting vor Ort", "Dokumentation",
    "Performance-Optimierung", "Texte Korrektur", "Bildrecherche", "Datenmigration",
    "Angebot vorbereitet", "Workshop vorbereitet", "Release vorbereitet", "Tracking eingerichtet",
)  # fmt: skip
SENTENCES = (
    "Bitte Rückfrage mit der Geschäftsführung.", "Vereinbarung laut Rahmenvertrag.",
    "Zahlung erfolgt innerhalb von 30 Tagen.", "Abstimmung im nächsten Jour fixe.",
    "Unterlagen liegen im Projektordner.", "Kunde wünscht monatliche Abrechnung.",
    "Leistungszeitraum siehe Anlage.", "Budget mit Kunde abgestimmt.",
    "Vielen Dank für die gute Zusammenarbeit.", "Ansprechpartner ist die Marketingleitung.",
)  # fmt: skip
WORDS = (
    "Analyse", "Konzept", "Umsetzung", "Betreuung", "Pauschale", "Lizenz", "Wartung",
    "Schulung", "Review", "Planung", "Kampagne", "Druck", "Fotografie", "Übersetzung",
)  # fmt: skip
UNITS_OF_MEASURE = ("h", "Stk.", "Tag", "Pauschal", "Monat", "km")
CURRENCIES = ("EUR", "EUR", "EUR", "EUR", "CHF")
COLORS = ("#e74c3c", "#3498db", "#2ecc71", "#9b59b6", "#f1c40f", "#1abc9c", "#e67e22")

NULL_SHARE = 0.2
"""Share of nullable fields without a builder-given value that come out as null."""

TIMESTAMP_FIELDS = frozenset({"created_at", "updated_at", "created_on", "updated_on"})


@dataclass(frozen=True)
class Ref:
    """A reference to another record, rendered into the shape the field's type asks for."""

    resource: str
    id: int


def parse_type(spec: str) -> tuple[tuple[str, ...], bool]:
    """Split `"number|string|null"` into `(("number", "string"), True)`."""
    parts = tuple(part for part in spec.split("|") if part != "null")
    return parts, "null" in spec.split("|")


_DAY_STRINGS: dict[int, str] = {}
_EPOCH_DAY = dt.date(1970, 1, 1)


def iso_z(epoch: float) -> str:
    """UTC timestamp in MOCO's usual form, `2024-05-01T09:33:46Z` (fast: data has 200k)."""
    seconds = int(epoch)
    day, rest = divmod(seconds, 86400)
    text = _DAY_STRINGS.get(day)
    if text is None:
        text = (_EPOCH_DAY + dt.timedelta(days=day)).isoformat()
        _DAY_STRINGS[day] = text
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{text}T{hours:02d}:{minutes:02d}:{secs:02d}Z"


def iso_variant(epoch: float, style: int) -> str:
    """The same instant in an equivalent non-Z form, to make the tap normalise.

    Style 0 is the plain Z form; 1 and 2 use `+01:00`/`+02:00` offsets; 3 adds fractional
    seconds (the fraction is part of `epoch`).
    """
    if style in (1, 2):
        zone = dt.timezone(dt.timedelta(hours=style))
        moment = dt.datetime.fromtimestamp(int(epoch), tz=zone)
        return moment.isoformat()
    if style == 3:
        moment = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return iso_z(epoch)


def money(value: float) -> float:
    """Round to cents."""
    return round(value, 2)


def decimal_string(value: float) -> str:
    """A decimal string as MOCO's docs show for some amounts, e.g. `"17999.00"`."""
    return f"{value:.2f}"


class ValueGenerator:
    """Seeded generator of realistic scalar values and type-driven fill-ins."""

    def __init__(self, rng: random.Random, start: dt.date, end: dt.date) -> None:
        """Values are drawn from `rng`; dates fall between `start` and `end`."""
        self.rng = rng
        self.start = start
        self.end = end
        self._span = max((end - start).days, 1)

    # --- scalars -------------------------------------------------------------------------

    def person(self) -> tuple[str, str]:
        """A first and last name."""
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def company_name(self) -> str:
        """A plausible company name."""
        rng = self.rng
        if rng.random() < 0.5:
            return (
                f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {rng.choice(LEGAL_FORMS)}"
            )
        return f"{rng.choice(LAST_NAMES)} & {rng.choice(LAST_NAMES)} {rng.choice(LEGAL_FORMS)}"

    def address(self, name: str | None = None) -> str:
        """A postal address, multi-line as MOCO renders it."""
        postcode, city, _country = self.rng.choice(CITIES)
        street = f"{self.rng.choice(STREETS)} {self.rng.randint(1, 120)}"
        lines = [name] if name else []
        return "\n".join([*lines, street, f"{postcode} {city}"])

    def city(self) -> tuple[str, str, str]:
        """`(postcode, city, country_code)`."""
        return self.rng.choice(CITIES)

    def phone(self) -> str:
        """A German phone number."""
        return f"+49 {self.rng.randint(30, 9999)} {self.rng.randint(100000, 9999999)}"

    def email(self, first: str, last: str, domain: str = "example.com") -> str:
        """An address built from a name."""
        local = f"{first}.{last}".lower()
        for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
            local = local.replace(umlaut, plain)
        return f"{local}@{domain}"

    def iban(self) -> str:
        """A DE IBAN-shaped string (not checksum-valid)."""
        return f"DE{self.rng.randint(10, 99)}{self.rng.randint(10**17, 10**18 - 1)}"

    def sentence(self) -> str:
        """A short German sentence."""
        return self.rng.choice(SENTENCES)

    def words(self, count: int = 2) -> str:
        """A few nouns."""
        return " ".join(self.rng.sample(WORDS, count))

    def amount(self, low: float = 50.0, high: float = 20000.0) -> float:
        """A money amount in cents precision."""
        return money(self.rng.uniform(low, high))

    def date(self, start: dt.date | None = None, end: dt.date | None = None) -> dt.date:
        """A day in `[start, end]` (defaults: the generated history)."""
        start = start or self.start
        end = end or self.end
        span = max((end - start).days, 0)
        return start + dt.timedelta(days=self.rng.randint(0, span))

    def weekday(self, start: dt.date | None = None, end: dt.date | None = None) -> dt.date:
        """A Monday-to-Friday day in the range."""
        day = self.date(start, end)
        if day.weekday() >= 5:
            day -= dt.timedelta(days=day.weekday() - 4)
        return max(day, start or self.start)

    def epoch(self, day: dt.date | None = None) -> float:
        """A moment during working hours of `day` (or of a random day), as UTC epoch."""
        day = day or self.date()
        moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        return moment.timestamp() + self.rng.randint(7 * 3600, 19 * 3600)

    # --- type-driven fill ----------------------------------------------------------------

    def fill(self, spec: Any, name: str, refs: RefPicker) -> Any:
        """A value for field `name` of type `spec` (notation of inventory §8)."""
        if isinstance(spec, str):
            kinds, nullable = parse_type(spec)
            if nullable and self.rng.random() < NULL_SHARE:
                return None
            return self.scalar(kinds, name, refs)
        if "oneOf" in spec:
            return self.fill(spec["oneOf"][0], name, refs)
        nullable = bool(spec.get("nullable"))
        kind = spec.get("type")
        if kind == "object":
            return self._object(spec, name, refs, nullable=nullable)
        if kind == "array":
            if nullable and self.rng.random() < NULL_SHARE:
                return None
            return self._array(spec["items"], name, refs)
        if "enum" in spec:
            if nullable and self.rng.random() < NULL_SHARE:
                return None
            choices = [value for value in spec["enum"] if value] or spec["enum"]
            return self.rng.choice(choices)
        return None

    def _object(self, spec: dict[str, Any], name: str, refs: RefPicker, *, nullable: bool) -> Any:
        """An embedded object: a reference when the name says so, else filled property-wise."""
        if "properties" not in spec:
            return self.custom_properties() if name == "custom_properties" else {}
        target = refs.pick(name)
        if target is not None:
            return target
        if nullable and self.rng.random() < 0.5:
            return None
        return {key: self.fill(sub, key, refs) for key, sub in spec["properties"].items()}

    def _array(self, items: Any, name: str, refs: RefPicker) -> list[Any]:
        """A short list of generated items."""
        if name in ("tags", "labels"):
            return []
        if name in ("am", "pm"):
            return [4.0] * 5
        count = self.rng.randint(0, 2)
        if isinstance(items, str) and items.startswith("integer"):
            return refs.pick_ids(name, count)
        return [self.fill(items, name.rstrip("s"), refs) for _ in range(count)]

    def custom_properties(self) -> dict[str, Any]:
        """A small free-form map, as MOCO returns for custom fields."""
        rng = self.rng
        values: dict[str, Any] = {}
        if rng.random() < 0.5:
            values["Kostenstelle"] = f"KST-{rng.randint(100, 999)}"
        if rng.random() < 0.3:
            values["Priorität"] = rng.choice(("hoch", "mittel", "niedrig"))
        if rng.random() < 0.15:
            values["Skills"] = rng.sample(("Design", "Backend", "Frontend", "SEO", "PM"), 2)
        return values

    def scalar(self, kinds: tuple[str, ...], name: str, refs: RefPicker) -> Any:
        """A scalar of one of `kinds`, shaped by the field name."""
        if "number" in kinds and "string" in kinds:
            return decimal_string(self.number(name))
        kind = kinds[0] if kinds else "any"
        if kind == "string":
            return self.string(name)
        if kind == "integer":
            return self.integer(name, refs)
        if kind == "number":
            return self.number(name)
        if kind == "boolean":
            return self.rng.random() < (0.85 if name in ("active", "billable") else 0.3)
        if kind == "date":
            return self.date().isoformat()
        if kind == "date-time":
            return iso_z(self.epoch())
        return None

    def string(self, name: str) -> str:
        """A string shaped by its field name."""
        rng = self.rng
        lowered = name.lower()
        if "email" in lowered:
            return self.email(*self.person())
        if "phone" in lowered or lowered.endswith("fax"):
            return self.phone()
        if "url" in lowered or lowered in ("website", "hook", "file", "template"):
            return f"https://files.example.com/{rng.randint(10**6, 10**7)}"
        if "address" in lowered:
            return self.address()
        if lowered == "iban":
            return self.iban()
        if lowered == "currency":
            return "EUR"
        if lowered == "country_code":
            return self.city()[2]
        if lowered == "color":
            return rng.choice(COLORS)
        if lowered in ("identifier", "number", "receipt_identifier", "reference", "code"):
            return f"{rng.choice('ABKLPRV')}-{rng.randint(1000, 9999)}"
        if lowered == "uuid":
            return str(refs_uuid(rng))
        if lowered in ("credit_account", "cost_category"):
            return str(rng.randint(3000, 4999))
        if lowered == "unit":
            return rng.choice(UNITS_OF_MEASURE)
        if lowered in ("name", "title", "full_name", "todoable_description", "customer_name"):
            return self.words(2)
        return self.sentence()

    def integer(self, name: str, refs: RefPicker) -> int:
        """An integer shaped by its field name."""
        if name.endswith("_id"):
            ids = refs.pick_ids(name, 1)
            if ids:
                return ids[0]
        rng = self.rng
        if name == "year":
            return rng.randint(self.start.year, self.end.year)
        if name == "month":
            return rng.randint(1, 12)
        if name.endswith("_days") or name == "payment_day":
            return rng.choice((14, 21, 30))
        if name in ("debit_number", "credit_number", "supplier_credit_number"):
            return rng.randint(10000, 79999)
        if name == "revenue_account":
            return rng.randint(8000, 8999)
        return rng.randint(1, 100)

    def number(self, name: str) -> float:
        """A number shaped by its field name."""
        rng = self.rng
        lowered = name.lower()
        if "hours" in lowered:
            return rng.randint(1, 32) / 4
        if lowered == "tax":
            return rng.choice((19.0, 7.0, 0.0))
        if "rate" in lowered:
            return float(rng.choice((85, 95, 110, 120, 135, 150, 165)))
        if "quantity" in lowered:
            return float(rng.randint(1, 20))
        if "discount" in lowered or "percentage" in lowered or lowered == "quota":
            return float(rng.choice((0, 0, 2, 3, 5, 10)))
        if "days" in lowered:
            return float(rng.randint(1, 30))
        return self.amount(20.0, 15000.0)


def refs_uuid(rng: random.Random) -> str:
    """A version-4-shaped UUID from the seeded RNG."""
    parts = (
        f"{rng.getrandbits(32):08x}",
        f"{rng.getrandbits(16):04x}",
        f"4{rng.getrandbits(12):03x}",
        f"{0x8000 | rng.getrandbits(14):04x}",
        f"{rng.getrandbits(48):012x}",
    )
    return "-".join(parts)


class RefPicker:
    """Picks existing records for reference fields the builders left unset."""

    TARGETS: ClassVar[dict[str, str]] = {
        "user": "users", "creator": "users", "approver": "users", "approver2": "users",
        "processed_by": "users", "selected_approver": "users", "impersonating_user": "users",
        "leader": "users", "co_leader": "users", "assigned_to": "users",
        "created_by": "users", "internal_contact": "users",
        "company": "companies", "customer": "companies",
        "person": "contacts", "contact": "contacts", "billing_contact": "contacts",
        "secondary_contact": "contacts",
        "project": "projects", "deal": "deals", "invoice": "invoices", "offer": "offers",
        "purchase": "purchases", "unit": "units", "role": "user_roles",
        "category": "deal_categories", "purchase_category": "purchase_categories",
        "revenue_category": "revenue_categories", "vat": "vat_code_sales",
        "customer_vat": "vat_code_sales", "supplier_vat": "vat_code_purchases",
        "project_group": "project_groups", "purchase_budget": "purchase_budgets",
    }  # fmt: skip
    """Object-valued field name -> the resource it references."""

    ID_TARGETS: ClassVar[dict[str, str]] = {
        "user_id": "users", "project_id": "projects", "company_id": "companies",
        "customer_id": "companies", "invoice_id": "invoices", "offer_id": "offers",
        "purchase_id": "purchases", "letter_paper_id": "letter_papers",
        "invoice_ids": "invoices", "purchase_ids": "purchases",
    }  # fmt: skip
    """Integer id field name -> the resource whose ids it holds."""

    def __init__(self, rng: random.Random, ids: dict[str, list[int]]) -> None:
        """`ids` maps resource names to their current record ids."""
        self.rng = rng
        self.ids = ids

    def pick(self, name: str) -> Ref | None:
        """A reference to a random record of the resource `name` points to, if any."""
        resource = self.TARGETS.get(name)
        pool = self.ids.get(resource or "")
        if not pool:
            return None
        return Ref(resource or "", self.rng.choice(pool))

    def pick_ids(self, name: str, count: int) -> list[int]:
        """Up to `count` ids of the resource an id field points to."""
        pool = self.ids.get(self.ID_TARGETS.get(name, ""))
        if not pool or count <= 0:
            return []
        return self.rng.sample(pool, min(count, len(pool)))
