"""Invoicing: invoices, their payments, reminders, exports and per-invoice details."""

from functools import partial

from tap_moco.spec import BY_ID, Shape, StreamSpec, full_table, per_parent

_INVOICES = "invoices"
_per_invoice = partial(per_parent, parent="invoices", parent_key="invoice_id", permission=_INVOICES)

SPECS = (
    StreamSpec(
        name="invoices", path="/invoices", params=BY_ID, permission=_INVOICES, entity="Invoice"
    ),
    full_table("invoices_locked", "/invoices/locked", permission=_INVOICES, entity="Invoice"),
    StreamSpec(name="invoice_payments", path="/invoices/payments", permission=_INVOICES),
    StreamSpec(name="invoice_reminders", path="/invoice_reminders", permission=_INVOICES),
    StreamSpec(
        name="invoice_bookkeeping_exports",
        path="/invoices/bookkeeping_exports",
        permission=_INVOICES,
    ),
    # Items, billed hours and expenses are part of the invoice: they change with it.
    _per_invoice(
        "invoice_items",
        "/invoices/{invoice_id}",
        shape=Shape.DETAIL_ITEMS,
        items_key="items",
        follows_parent=True,
    ),
    _per_invoice("invoice_timesheets", "/invoices/{invoice_id}/timesheet", follows_parent=True),
    _per_invoice("invoice_expenses", "/invoices/{invoice_id}/expenses", follows_parent=True),
    _per_invoice("invoice_attachments", "/invoices/{invoice_id}/attachments"),
)
