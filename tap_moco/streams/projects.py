"""Projects and what hangs off them: tasks, contracts, expenses, schedules, reports."""

from functools import partial

from tap_moco.spec import BY_ID, Shape, StreamSpec, full_table, per_parent, reference

_per_project = partial(per_parent, parent="projects", parent_key="project_id")

SPECS = (
    reference(
        "projects",
        "/projects",
        params={"include_archived": "true", **BY_ID},
        permission="projects",
        entity="Project",
    ),
    full_table("projects_assigned", "/projects/assigned"),
    # Tasks and contracts change without touching the project: every project is visited and
    # its list read whole (as cheap as asking for changes below `per_page` records), so
    # deleted tasks and those of deleted projects drop out in the next run.
    _per_project("project_tasks", "/projects/{project_id}/tasks"),
    _per_project("project_contracts", "/projects/{project_id}/contracts"),
    StreamSpec(name="project_expenses", path="/projects/expenses"),
    StreamSpec(name="project_recurring_expenses", path="/recurring_expenses", params=BY_ID),
    StreamSpec(name="project_payment_schedules", path="/projects/payment_schedules"),
    reference("project_groups", "/projects/groups"),
    _per_project(
        "project_reports",
        "/projects/{project_id}/report",
        primary_keys=("project_id",),
        shape=Shape.OBJECT,
        permission="project reports",
    ),
)
