"""Offers (quotes): offers, confirmations and per-offer details."""

from functools import partial

from tap_moco.spec import BY_ID, Replication, Shape, StreamSpec, per_parent

_per_offer = partial(per_parent, parent="offers", parent_key="offer_id")

SPECS = (
    StreamSpec(name="offers", path="/offers", params=BY_ID, entity="Offer"),
    StreamSpec(
        name="offer_confirmations",
        path="/offer_confirmations",
        replication=Replication.SYNCED_AT,
        permission="offer confirmations",
    ),
    _per_offer(
        "offer_items",
        "/offers/{offer_id}",
        shape=Shape.DETAIL_ITEMS,
        items_key="items",
        follows_parent=True,
    ),
    _per_offer("offer_attachments", "/offers/{offer_id}/attachments"),
    # 404 when the customer approval was never activated for the offer.
    _per_offer(
        "offer_customer_approvals", "/offers/{offer_id}/customer_approval", shape=Shape.OBJECT
    ),
)
