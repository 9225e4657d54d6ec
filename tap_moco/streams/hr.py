"""People: users, units, employments, holidays, absences, roles and performance."""
# A stream's docstring is derived from its spec (`MocoStream.__init_subclass__`).
# ruff: noqa: D101

from tap_moco.kinds import ObjectStream, PagedListStream
from tap_moco.spec import (
    BY_ID,
    WINDOW_START,
    DateFilter,
    StreamSpec,
    Window,
    full_table,
    per_parent,
    reference,
    windowed,
)


class UsersStream(PagedListStream):
    spec = reference("users", "/users", params={"include_archived": "true", **BY_ID}, entity="User")


class UnitsStream(PagedListStream):
    spec = reference("units", "/units")


class UserEmploymentsStream(PagedListStream):
    spec = reference("user_employments", "/users/employments")


# MOCO answers holidays for the current year unless asked for another.
class UserHolidaysStream(PagedListStream):
    spec = windowed("user_holidays", "/users/holidays", window=Window.YEAR)


class UserWorkTimeAdjustmentsStream(PagedListStream):
    spec = StreamSpec(
        name="user_work_time_adjustments", path="/users/work_time_adjustments", dated=DateFilter()
    )


class UserAbsenceRequestsStream(PagedListStream):
    spec = StreamSpec(
        name="user_absence_requests",
        path="/users/absence_requests",
        permission="absence requests",
    )


class UserRolesStream(PagedListStream):
    spec = full_table("user_roles", "/users/roles")


class UserPerformanceReportsStream(ObjectStream):
    parent_stream_type = UsersStream
    spec = per_parent(
        "user_performance_reports",
        "/users/{user_id}/performance_report",
        parent_key="user_id",
        primary_keys=("user_id", WINDOW_START),
        window=Window.YEAR,
        permission="staff",
    )


class ProfileStream(ObjectStream):
    spec = full_table("profile", "/profile")


class ProfilePerformanceReportStream(ObjectStream):
    spec = windowed(
        "profile_performance_report",
        "/profile/performance_report",
        window=Window.YEAR,
        primary_keys=(WINDOW_START,),
    )
