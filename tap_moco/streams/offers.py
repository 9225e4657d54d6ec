"""Offers (quotes): offers, confirmations and per-offer details."""

from tap_moco.spec import BY_ID, SYNCED_AT, Shape, StreamSpec

SPECS = (
    StreamSpec(name="offers", path="/offers", params=BY_ID),
    StreamSpec(
        name="offer_confirmations",
        path="/offer_confirmations",
        replication_key=SYNCED_AT,
        permission="offer confirmations",
    ),
    StreamSpec(
        name="offer_items",
        path="/offers/{offer_id}",
        replication_key=None,
        updated_after=False,
        shape=Shape.DETAIL_ITEMS,
        items_key="items",
        parent="offers",
        follows_parent=True,
        parent_key="offer_id",
        selected_by_default=False,
        not_found_ok=True,
    ),
    StreamSpec(
        name="offer_attachments",
        path="/offers/{offer_id}/attachments",
        replication_key=None,
        updated_after=False,
        parent="offers",
        parent_key="offer_id",
        selected_by_default=False,
        not_found_ok=True,
    ),
    StreamSpec(
        name="offer_customer_approvals",
        path="/offers/{offer_id}/customer_approval",
        replication_key=None,
        updated_after=False,
        shape=Shape.OBJECT,
        parent="offers",
        parent_key="offer_id",
        selected_by_default=False,
        not_found_ok=True,
    ),
)
