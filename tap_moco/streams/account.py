"""Account settings and catalogues: custom fields, rates, templates, VAT, web hooks."""

from tap_moco.spec import SYNCED_AT, WINDOW_START, Shape, StreamSpec, Window

SPECS = (
    StreamSpec(name="custom_properties", path="/account/custom_properties"),
    StreamSpec(
        name="fixed_costs",
        path="/account/fixed_costs",
        primary_keys=("id", WINDOW_START),
        replication_key=WINDOW_START,
        updated_after=False,
        window=Window.YEAR,
    ),
    StreamSpec(
        name="hourly_rates",
        path="/account/hourly_rates",
        primary_keys=(),
        replication_key=None,
        updated_after=False,
        shape=Shape.OBJECT,
        params={"include_archived_users": "true"},
    ),
    StreamSpec(
        name="internal_hourly_rates",
        path="/account/internal_hourly_rates",
        replication_key=None,
        updated_after=False,
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
    StreamSpec(name="todos", path="/todos", replication_key=None, updated_after=False),
)
