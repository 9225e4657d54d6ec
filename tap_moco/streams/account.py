"""Account settings and catalogues: custom fields, rates, templates, VAT, web hooks."""

from tap_moco.spec import (
    SYNCED_AT,
    WINDOW_START,
    Replication,
    Shape,
    StreamSpec,
    Window,
    full_table,
    reference,
    windowed,
)

SPECS = (
    reference("custom_properties", "/account/custom_properties"),
    # `year` limits each fixed cost's monthly `costs[]`: one record per cost and year.
    windowed(
        "fixed_costs", "/account/fixed_costs", window=Window.YEAR, primary_keys=("id", WINDOW_START)
    ),
    # One object per account (default rates, per task and per user): a snapshot per run,
    # keyed by the run's start so that a warehouse keeps the history of rates.
    StreamSpec(
        name="hourly_rates",
        path="/account/hourly_rates",
        primary_keys=(SYNCED_AT,),
        replication=Replication.SNAPSHOT,
        shape=Shape.OBJECT,
        params={"include_archived_users": "true"},
    ),
    full_table(
        "internal_hourly_rates",
        "/account/internal_hourly_rates",
        window=Window.YEARS,
        params={"include_archived": "true"},
    ),
    reference("task_templates", "/account/task_templates"),
    reference("catalog_services", "/account/catalog_services"),
    reference("expense_templates", "/account/expense_templates"),
    reference(
        "vat_code_sales",
        "/vat_code_sales",
        replication=Replication.SYNCED_AT,
    ),
    reference(
        "vat_code_purchases",
        "/vat_code_purchases",
        replication=Replication.SYNCED_AT,
    ),
    reference(
        "revenue_categories",
        "/revenue_categories",
        replication=Replication.SYNCED_AT,
    ),
    reference("web_hooks", "/account/web_hooks"),
    reference("letter_papers", "/letter_papers"),
    StreamSpec(name="approvals", path="/approvals", permission="approvals"),
    full_table("todos", "/todos"),
)
