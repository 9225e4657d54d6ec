"""Account settings and catalogues: custom fields, rates, templates, VAT, web hooks."""

from tap_moco.spec import SYNCED_AT, WINDOW_START, Shape, StreamSpec, Window, full_table, windowed

SPECS = (
    StreamSpec(name="custom_properties", path="/account/custom_properties"),
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
        replication_key=SYNCED_AT,
        updated_after=False,
        shape=Shape.OBJECT,
        params={"include_archived_users": "true"},
    ),
    full_table(
        "internal_hourly_rates",
        "/account/internal_hourly_rates",
        window=Window.YEARS,
        params={"include_archived": "true"},
    ),
    StreamSpec(name="task_templates", path="/account/task_templates"),
    StreamSpec(name="catalog_services", path="/account/catalog_services"),
    StreamSpec(name="expense_templates", path="/account/expense_templates"),
    StreamSpec(name="vat_code_sales", path="/vat_code_sales", replication_key=SYNCED_AT),
    StreamSpec(name="vat_code_purchases", path="/vat_code_purchases", replication_key=SYNCED_AT),
    StreamSpec(name="revenue_categories", path="/revenue_categories", replication_key=SYNCED_AT),
    StreamSpec(name="web_hooks", path="/account/web_hooks"),
    StreamSpec(name="letter_papers", path="/letter_papers"),
    StreamSpec(name="approvals", path="/approvals", permission="approvals"),
    full_table("todos", "/todos"),
)
