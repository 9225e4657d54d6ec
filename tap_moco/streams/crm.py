"""CRM: companies, contacts, deals and tags."""

from tap_moco.spec import Shape, StreamSpec, full_table, reference

_TAGGABLE = (
    ("Company", "companies"),
    ("Contact", "contacts"),
    ("Project", "projects"),
    ("Deal", "deals"),
    ("Purchase", "purchases"),
    ("Invoice", "invoices"),
    ("Offer", "offers"),
    ("User", "users"),
)

SPECS = (
    StreamSpec(
        name="companies",
        reference=True,
        path="/companies",
        params={"include_archived": "true"},
        entity="Company",
    ),
    reference("contacts", "/contacts/people", entity="Contact"),
    reference("deals", "/deals", entity="Deal"),
    reference("deal_categories", "/deal_categories"),
    reference("tags", "/tags"),
    # Tag names per record; redundant with the records' `tags` arrays, so off by default.
    full_table(
        "taggings",
        "/taggings/{entity}/{entity_id}",
        primary_keys=("entity", "entity_id", "tag"),
        shape=Shape.STRINGS,
        taggable_entities=_TAGGABLE,
        selected_by_default=False,
        not_found_ok=True,
    ),
)
