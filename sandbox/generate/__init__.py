"""Deterministic generation of a German agency's MOCO account, resource by resource.

Builders set the fields that carry meaning and keep the data consistent (activities point
at existing users, projects and the project's tasks; invoices at projects and their
customer; billed activities at an invoice of their project...). `Store.conform` then fills
every remaining declared field by type. Each `make_*` function creates one record, so the
same code serves bulk generation, `Sandbox.create()` and injected concurrent changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.generate.activities import build_activities, make_activity
from sandbox.generate.collaboration import (
    build_collaboration,
    make_approval,
    make_comment,
    make_todo,
)
from sandbox.generate.crm import build_crm, make_company, make_contact, make_deal
from sandbox.generate.custom_fields import add_definitions, fill_values
from sandbox.generate.invoicing import (
    build_invoicing,
    make_invoice,
    make_invoice_attachment,
)
from sandbox.generate.offers import (
    build_offers,
    make_customer_approval,
    make_offer,
    make_offer_attachment,
    make_offer_confirmation,
)
from sandbox.generate.people import (
    build_people,
    make_absence_request,
    make_presence,
    make_schedule,
    make_user,
    make_user_employment,
    make_work_time_adjustment,
)
from sandbox.generate.projects import (
    build_projects,
    make_payment_schedule,
    make_planning_entry,
    make_project,
    make_project_contract,
    make_project_expense,
    make_project_group,
    make_project_task,
    make_recurring_expense,
)
from sandbox.generate.purchases import build_purchases, make_purchase, make_receipt
from sandbox.generate.settings import build_settings, make_fixed_cost
from sandbox.generate.world import DEFAULT_COUNTS, FIXED_COUNTS, World

if TYPE_CHECKING:
    from collections.abc import Callable

    from sandbox.store import Store

__all__ = ["CONFORM_ORDER", "DEFAULT_COUNTS", "FIXED_COUNTS", "World", "make_one", "populate"]


BUILD_STEPS: tuple[Callable[[World], None], ...] = (
    build_settings,
    build_people,
    build_crm,
    build_projects,
    build_invoicing,
    build_activities,
    build_offers,
    build_purchases,
    build_collaboration,
)
"""Generation in dependency order."""

CONFORM_ORDER = (
    "vat_code_sales", "vat_code_purchases", "revenue_categories", "user_roles", "units",
    "deal_categories", "purchase_categories", "tags", "custom_properties", "letter_papers",
    "web_hooks", "task_templates", "catalog_services", "expense_templates", "fixed_costs",
    "users", "user_employments", "user_holidays", "schedules", "presences",
    "user_work_time_adjustments", "user_absence_requests", "companies", "contacts", "deals",
    "project_tasks", "project_contracts", "project_groups", "projects", "project_expenses",
    "project_recurring_expenses", "project_payment_schedules", "planning_entries",
    "invoices", "invoice_payments", "invoice_reminders", "invoice_attachments",
    "invoice_bookkeeping_exports", "activities", "offer_customer_approvals",
    "offer_confirmations", "offers", "offer_attachments", "purchase_payments", "purchases",
    "purchase_budgets", "purchase_drafts", "purchase_bookkeeping_exports",
    "planned_purchases", "receipts", "comments", "approvals", "todos",
)  # fmt: skip
"""Rendering order: referenced tables before the tables that embed them."""

MAKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "users": make_user,
    "user_employments": make_user_employment,
    "schedules": make_schedule,
    "presences": make_presence,
    "user_work_time_adjustments": make_work_time_adjustment,
    "user_absence_requests": make_absence_request,
    "companies": make_company,
    "contacts": make_contact,
    "deals": make_deal,
    "projects": make_project,
    "project_tasks": make_project_task,
    "project_contracts": make_project_contract,
    "project_groups": make_project_group,
    "project_expenses": make_project_expense,
    "project_recurring_expenses": make_recurring_expense,
    "project_payment_schedules": make_payment_schedule,
    "planning_entries": make_planning_entry,
    "invoices": make_invoice,
    "invoice_attachments": make_invoice_attachment,
    "activities": make_activity,
    "offers": make_offer,
    "offer_customer_approvals": make_customer_approval,
    "offer_confirmations": make_offer_confirmation,
    "offer_attachments": make_offer_attachment,
    "purchases": make_purchase,
    "receipts": make_receipt,
    "fixed_costs": make_fixed_cost,
    "comments": make_comment,
    "approvals": make_approval,
    "todos": make_todo,
}
"""One-record builders, used by `Sandbox.create()` and injected changes."""


def populate(store: Store) -> World:
    """Generate the whole account into `store` and render every record."""
    world = World(store)
    for step in BUILD_STEPS:
        step(world)
    remaining = [name for name in store.tables if name not in CONFORM_ORDER]
    store.conform_all((*CONFORM_ORDER, *remaining))
    add_definitions(store)  # after everything else: off the shared random sequence
    fill_values(store)
    return world


def make_one(world: World, resource: str, parent: int | None = None) -> dict[str, Any]:
    """Create and render one new record of a stored resource (a generic one if no builder)."""
    maker = MAKERS.get(resource)
    if maker is None:
        return world.add(resource, {}, parent=parent)
    return maker(world, parent)
