"""CRM: companies, contacts, deals and tags."""
# A stream's docstring is derived from its spec (`MocoStream.__init_subclass__`).
# ruff: noqa: D101

from tap_moco.kinds import PagedListStream, TaggingsFanOutStream
from tap_moco.spec import StreamSpec, full_table, reference
from tap_moco.streams.hr import UsersStream
from tap_moco.streams.invoicing import InvoicesStream
from tap_moco.streams.offers import OffersStream
from tap_moco.streams.projects import ProjectsStream
from tap_moco.streams.purchases import PurchasesStream


class CompaniesStream(PagedListStream):
    spec = StreamSpec(
        name="companies",
        reference=True,
        path="/companies",
        params={"include_archived": "true"},
        entity="Company",
    )


class ContactsStream(PagedListStream):
    spec = reference("contacts", "/contacts/people", entity="Contact")


class DealsStream(PagedListStream):
    spec = reference("deals", "/deals", entity="Deal")


class DealCategoriesStream(PagedListStream):
    spec = reference("deal_categories", "/deal_categories")


class TagsStream(PagedListStream):
    spec = reference("tags", "/tags")


# Tag names per record; redundant with the records' `tags` arrays, so off by default.
class TaggingsStream(TaggingsFanOutStream):
    spec = full_table(
        "taggings",
        "/taggings/{entity}/{entity_id}",
        primary_keys=("entity", "entity_id", "tag"),
        taggable_entities=(
            ("Company", CompaniesStream.spec),
            ("Contact", ContactsStream.spec),
            ("Project", ProjectsStream.spec),
            ("Deal", DealsStream.spec),
            ("Purchase", PurchasesStream.spec),
            ("Invoice", InvoicesStream.spec),
            ("Offer", OffersStream.spec),
            ("User", UsersStream.spec),
        ),
        selected_by_default=False,
    )
