"""Purchases (incoming invoices and receipts), budgets, payments and exports."""

from tap_moco.spec import (
    WINDOW_START,
    Replication,
    StreamSpec,
    Window,
    full_table,
    reference,
    windowed,
)

_PURCHASES = "purchases"

SPECS = (
    StreamSpec(name="purchases", path="/purchases", permission=_PURCHASES, entity="Purchase"),
    reference(
        "purchase_categories",
        "/purchases/categories",
        permission=_PURCHASES,
    ),
    windowed(
        "purchase_budgets",
        "/purchases/budgets",
        window=Window.YEAR,
        primary_keys=("id", WINDOW_START),
        permission="purchase budgets",
    ),
    StreamSpec(name="purchase_drafts", path="/purchases/drafts", permission=_PURCHASES),
    StreamSpec(name="purchase_payments", path="/purchases/payments", permission=_PURCHASES),
    full_table(
        "purchase_bookkeeping_exports", "/purchases/bookkeeping_exports", permission=_PURCHASES
    ),
    StreamSpec(name="planned_purchases", path="/planned_purchases", permission="planned purchases"),
    StreamSpec(name="receipts", path="/receipts", replication=Replication.SYNCED_AT),
)
