"""Invoicing: invoices, their payments, reminders, exports and per-invoice details."""

from tap_moco.spec import BY_ID, Shape, StreamSpec

_INVOICES = "invoices"

SPECS = (
    StreamSpec(name="invoices", path="/invoices", params=BY_ID, permission=_INVOICES),
    StreamSpec(
        name="invoices_locked",
        path="/invoices/locked",
        replication_key=None,
        updated_after=False,
        permission=_INVOICES,
    ),
    StreamSpec(name="invoice_payments", path="/invoices/payments", permission=_INVOICES),
    StreamSpec(name="invoice_reminders", path="/invoice_reminders", permission=_INVOICES),
    StreamSpec(
        name="invoice_bookkeeping_exports",
        path="/invoices/bookkeeping_exports",
        permission=_INVOICES,
    ),
    StreamSpec(
        name="invoice_items",
        path="/invoices/{invoice_id}",
        replication_key=None,
        updated_after=False,
        shape=Shape.DETAIL_ITEMS,
        items_key="items",
        parent="invoices",
        follows_parent=True,
        parent_key="invoice_id",
        selected_by_default=False,
        permission=_INVOICES,
        not_found_ok=True,
    ),
    StreamSpec(
        name="invoice_timesheets",
        path="/invoices/{invoice_id}/timesheet",
        replication_key=None,
        updated_after=False,
        parent="invoices",
        follows_parent=True,
        parent_key="invoice_id",
        selected_by_default=False,
        permission=_INVOICES,
        not_found_ok=True,
    ),
    StreamSpec(
        name="invoice_expenses",
        path="/invoices/{invoice_id}/expenses",
        replication_key=None,
        updated_after=False,
        parent="invoices",
        follows_parent=True,
        parent_key="invoice_id",
        selected_by_default=False,
        permission=_INVOICES,
        not_found_ok=True,
    ),
    StreamSpec(
        name="invoice_attachments",
        path="/invoices/{invoice_id}/attachments",
        replication_key=None,
        updated_after=False,
        parent="invoices",
        parent_key="invoice_id",
        selected_by_default=False,
        permission=_INVOICES,
        not_found_ok=True,
    ),
)
