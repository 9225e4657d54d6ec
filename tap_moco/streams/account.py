"""Account settings and catalogues: custom fields, rates, templates, VAT, web hooks."""
# A stream's docstring is derived from its spec (`MocoStream.__init_subclass__`).
# ruff: noqa: D101

from tap_moco.kinds import ObjectStream, PagedListStream
from tap_moco.spec import (
    SYNCED_AT,
    WINDOW_START,
    Replication,
    StreamSpec,
    Window,
    full_table,
    reference,
    windowed,
)


class CustomPropertiesStream(PagedListStream):
    spec = reference("custom_properties", "/account/custom_properties")


# `year` limits each fixed cost's monthly `costs[]`: one record per cost and year.
class FixedCostsStream(PagedListStream):
    spec = windowed(
        "fixed_costs", "/account/fixed_costs", window=Window.YEAR, primary_keys=("id", WINDOW_START)
    )


# One object per account (default rates, per task and per user): a snapshot per run,
# keyed by the run's start so that a warehouse keeps the history of rates.
class HourlyRatesStream(ObjectStream):
    spec = StreamSpec(
        name="hourly_rates",
        path="/account/hourly_rates",
        primary_keys=(SYNCED_AT,),
        replication=Replication.SNAPSHOT,
        params={"include_archived_users": "true"},
    )


class InternalHourlyRatesStream(PagedListStream):
    spec = full_table(
        "internal_hourly_rates",
        "/account/internal_hourly_rates",
        window=Window.YEARS,
        params={"include_archived": "true"},
    )


class TaskTemplatesStream(PagedListStream):
    spec = reference("task_templates", "/account/task_templates")


class CatalogServicesStream(PagedListStream):
    spec = reference("catalog_services", "/account/catalog_services")


class ExpenseTemplatesStream(PagedListStream):
    spec = reference("expense_templates", "/account/expense_templates")


class VatCodeSalesStream(PagedListStream):
    spec = reference("vat_code_sales", "/vat_code_sales", replication=Replication.SYNCED_AT)


class VatCodePurchasesStream(PagedListStream):
    spec = reference("vat_code_purchases", "/vat_code_purchases", replication=Replication.SYNCED_AT)


class RevenueCategoriesStream(PagedListStream):
    spec = reference("revenue_categories", "/revenue_categories", replication=Replication.SYNCED_AT)


class WebHooksStream(PagedListStream):
    spec = reference("web_hooks", "/account/web_hooks")


class LetterPapersStream(PagedListStream):
    spec = reference("letter_papers", "/letter_papers")


class ApprovalsStream(PagedListStream):
    spec = StreamSpec(name="approvals", path="/approvals", permission="approvals")


class TodosStream(PagedListStream):
    spec = full_table("todos", "/todos")
