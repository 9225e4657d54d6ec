"""Invoicing: invoices, their payments, reminders, exports and per-invoice details."""
# A stream's docstring is derived from its spec (`MocoStream.__init_subclass__`).
# ruff: noqa: D101

from functools import partial

from tap_moco.kinds import DetailItemsStream, PagedListStream
from tap_moco.spec import BY_DATE, BY_ID, StreamSpec, full_table, per_parent

_INVOICES = "invoices"
_per_invoice = partial(per_parent, parent_key="invoice_id", permission=_INVOICES)


class InvoicesStream(PagedListStream):
    spec = StreamSpec(
        name="invoices",
        path="/invoices",
        params=BY_ID,
        permission=_INVOICES,
        entity="Invoice",
        dated=BY_DATE,
    )


class InvoicesLockedStream(PagedListStream):
    spec = full_table("invoices_locked", "/invoices/locked", permission=_INVOICES, entity="Invoice")


class InvoicePaymentsStream(PagedListStream):
    spec = StreamSpec(
        name="invoice_payments", path="/invoices/payments", permission=_INVOICES, dated=BY_DATE
    )


class InvoiceRemindersStream(PagedListStream):
    spec = StreamSpec(
        name="invoice_reminders", path="/invoice_reminders", permission=_INVOICES, dated=BY_DATE
    )


class InvoiceBookkeepingExportsStream(PagedListStream):
    spec = StreamSpec(
        name="invoice_bookkeeping_exports",
        path="/invoices/bookkeeping_exports",
        permission=_INVOICES,
    )


# Items, billed hours and expenses are part of the invoice: they change with it.
class InvoiceItemsStream(DetailItemsStream):
    parent_stream_type = InvoicesStream
    spec = _per_invoice(
        "invoice_items", "/invoices/{invoice_id}", items_key="items", follows_parent=True
    )


class InvoiceTimesheetsStream(PagedListStream):
    parent_stream_type = InvoicesStream
    spec = _per_invoice(
        "invoice_timesheets", "/invoices/{invoice_id}/timesheet", follows_parent=True
    )


class InvoiceExpensesStream(PagedListStream):
    parent_stream_type = InvoicesStream
    spec = _per_invoice("invoice_expenses", "/invoices/{invoice_id}/expenses", follows_parent=True)


class InvoiceAttachmentsStream(PagedListStream):
    parent_stream_type = InvoicesStream
    spec = _per_invoice("invoice_attachments", "/invoices/{invoice_id}/attachments")
