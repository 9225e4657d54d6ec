"""Offers (quotes): offers, confirmations and per-offer details."""
# A stream's docstring is derived from its spec (`MocoStream.__init_subclass__`).
# ruff: noqa: D101

from functools import partial

from tap_moco.kinds import DetailItemsStream, ObjectStream, PagedListStream
from tap_moco.spec import BY_ID, DateFilter, Replication, StreamSpec, per_parent

_per_offer = partial(per_parent, parent_key="offer_id")


class OffersStream(PagedListStream):
    spec = StreamSpec(
        name="offers", path="/offers", params=BY_ID, entity="Offer", dated=DateFilter()
    )


class OfferConfirmationsStream(PagedListStream):
    spec = StreamSpec(
        name="offer_confirmations",
        path="/offer_confirmations",
        replication=Replication.SYNCED_AT,
        permission="offer confirmations",
    )


class OfferItemsStream(DetailItemsStream):
    parent_stream_type = OffersStream
    spec = _per_offer("offer_items", "/offers/{offer_id}", items_key="items", follows_parent=True)


class OfferAttachmentsStream(PagedListStream):
    parent_stream_type = OffersStream
    spec = _per_offer("offer_attachments", "/offers/{offer_id}/attachments")


# 404 when the customer approval was never activated for the offer.
class OfferCustomerApprovalsStream(ObjectStream):
    parent_stream_type = OffersStream
    spec = _per_offer("offer_customer_approvals", "/offers/{offer_id}/customer_approval")
