"""CRM: companies, contacts, deals and tags."""

from tap_moco.spec import Shape, StreamSpec, full_table

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
    StreamSpec(name="companies", path="/companies", params={"include_archived": "true"}),
    StreamSpec(name="contacts", path="/contacts/people"),
    StreamSpec(name="deals", path="/deals"),
    StreamSpec(name="deal_categories", path="/deal_categories"),
    StreamSpec(name="tags", path="/tags"),
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
