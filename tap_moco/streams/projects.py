"""Projects and what hangs off them: tasks, contracts, expenses, schedules, reports."""
# A stream's docstring is derived from its spec (`MocoStream.__init_subclass__`).
# ruff: noqa: D101

from functools import partial

from tap_moco.kinds import ObjectStream, PagedListStream
from tap_moco.spec import BY_ID, DateFilter, StreamSpec, full_table, per_parent, reference

_per_project = partial(per_parent, parent_key="project_id")


class ProjectsStream(PagedListStream):
    spec = reference(
        "projects",
        "/projects",
        params={"include_archived": "true", **BY_ID},
        permission="projects",
        entity="Project",
    )


class ProjectsAssignedStream(PagedListStream):
    spec = full_table("projects_assigned", "/projects/assigned")


# Tasks and contracts change without touching the project: every project is visited and
# its list read whole (as cheap as asking for changes below `per_page` records), so
# deleted tasks and those of deleted projects drop out in the next run.
class ProjectTasksStream(PagedListStream):
    parent_stream_type = ProjectsStream
    spec = _per_project("project_tasks", "/projects/{project_id}/tasks")


class ProjectContractsStream(PagedListStream):
    parent_stream_type = ProjectsStream
    spec = _per_project("project_contracts", "/projects/{project_id}/contracts")


class ProjectExpensesStream(PagedListStream):
    spec = StreamSpec(name="project_expenses", path="/projects/expenses", dated=DateFilter())


class ProjectRecurringExpensesStream(PagedListStream):
    spec = StreamSpec(name="project_recurring_expenses", path="/recurring_expenses", params=BY_ID)


class ProjectPaymentSchedulesStream(PagedListStream):
    spec = StreamSpec(
        name="project_payment_schedules", path="/projects/payment_schedules", dated=DateFilter()
    )


class ProjectGroupsStream(PagedListStream):
    spec = reference("project_groups", "/projects/groups")


class ProjectReportsStream(ObjectStream):
    parent_stream_type = ProjectsStream
    spec = _per_project(
        "project_reports",
        "/projects/{project_id}/report",
        primary_keys=("project_id",),
        permission="project reports",
    )
