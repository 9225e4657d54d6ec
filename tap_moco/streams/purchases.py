"""Purchases (incoming invoices and receipts), budgets, payments and exports."""
# A stream's docstring is derived from its spec (`MocoStream.__init_subclass__`).
# ruff: noqa: D101

from tap_moco.kinds import PagedListStream
from tap_moco.spec import (
    BY_DATE,
    WINDOW_START,
    Replication,
    StreamSpec,
    Window,
    full_table,
    reference,
    windowed,
)

_PURCHASES = "purchases"


class PurchasesStream(PagedListStream):
    spec = StreamSpec(name="purchases", path="/purchases", permission=_PURCHASES, entity="Purchase")


class PurchaseCategoriesStream(PagedListStream):
    spec = reference("purchase_categories", "/purchases/categories", permission=_PURCHASES)


class PurchaseBudgetsStream(PagedListStream):
    spec = windowed(
        "purchase_budgets",
        "/purchases/budgets",
        window=Window.YEAR,
        primary_keys=("id", WINDOW_START),
        permission="purchase budgets",
    )


class PurchaseDraftsStream(PagedListStream):
    spec = StreamSpec(name="purchase_drafts", path="/purchases/drafts", permission=_PURCHASES)


class PurchasePaymentsStream(PagedListStream):
    spec = StreamSpec(
        name="purchase_payments", path="/purchases/payments", permission=_PURCHASES, dated=BY_DATE
    )


class PurchaseBookkeepingExportsStream(PagedListStream):
    spec = full_table(
        "purchase_bookkeeping_exports", "/purchases/bookkeeping_exports", permission=_PURCHASES
    )


class PlannedPurchasesStream(PagedListStream):
    spec = StreamSpec(
        name="planned_purchases", path="/planned_purchases", permission="planned purchases"
    )


class ReceiptsStream(PagedListStream):
    spec = StreamSpec(name="receipts", path="/receipts", replication=Replication.SYNCED_AT)
