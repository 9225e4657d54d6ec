"""Projects and what hangs off them: tasks, contracts, expenses, schedules, reports."""

from tap_moco.spec import BY_ID, Shape, StreamSpec

SPECS = (
    StreamSpec(
        name="projects",
        path="/projects",
        params={"include_archived": "true", **BY_ID},
        permission="projects",
    ),
    StreamSpec(
        name="projects_assigned",
        path="/projects/assigned",
        replication_key=None,
        updated_after=False,
    ),
    StreamSpec(
        name="project_tasks",
        path="/projects/{project_id}/tasks",
        parent="projects",
        parent_key="project_id",
        selected_by_default=False,
        not_found_ok=True,
    ),
    StreamSpec(
        name="project_contracts",
        path="/projects/{project_id}/contracts",
        parent="projects",
        parent_key="project_id",
        selected_by_default=False,
        not_found_ok=True,
    ),
    StreamSpec(name="project_expenses", path="/projects/expenses"),
    StreamSpec(name="project_recurring_expenses", path="/recurring_expenses", params=BY_ID),
    StreamSpec(name="project_payment_schedules", path="/projects/payment_schedules"),
    StreamSpec(name="project_groups", path="/projects/groups"),
    StreamSpec(
        name="project_reports",
        path="/projects/{project_id}/report",
        primary_keys=("project_id",),
        replication_key=None,
        updated_after=False,
        shape=Shape.OBJECT,
        parent="projects",
        parent_key="project_id",
        selected_by_default=False,
        permission="project reports",
        not_found_ok=True,
    ),
)
