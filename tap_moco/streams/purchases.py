"""Purchases (incoming invoices and receipts), budgets, payments and exports."""

from tap_moco.spec import SYNCED_AT, WINDOW_START, StreamSpec, Window

_PURCHASES = "purchases"

SPECS = (
    StreamSpec(name="purchases", path="/purchases", permission=_PURCHASES),
    StreamSpec(name="purchase_categories", path="/purchases/categories", permission=_PURCHASES),
    StreamSpec(
        name="purchase_budgets",
        path="/purchases/budgets",
        primary_keys=("id", WINDOW_START),
        replication_key=WINDOW_START,
        updated_after=False,
        window=Window.YEAR,
        permission="purchase budgets",
    ),
    StreamSpec(name="purchase_drafts", path="/purchases/drafts", permission=_PURCHASES),
    StreamSpec(name="purchase_payments", path="/purchases/payments", permission=_PURCHASES),
    StreamSpec(
        name="purchase_bookkeeping_exports",
        path="/purchases/bookkeeping_exports",
        replication_key=None,
        updated_after=False,
        permission=_PURCHASES,
    ),
    StreamSpec(name="planned_purchases", path="/planned_purchases", permission="planned purchases"),
    StreamSpec(name="receipts", path="/receipts", replication_key=SYNCED_AT),
)
