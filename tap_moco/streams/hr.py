"""People: users, units, employments, holidays, absences, roles and performance."""

from tap_moco.spec import BY_ID, WINDOW_START, Shape, StreamSpec, Window

SPECS = (
    StreamSpec(name="users", path="/users", params={"include_archived": "true", **BY_ID}),
    StreamSpec(name="units", path="/units"),
    StreamSpec(name="user_employments", path="/users/employments"),
    # MOCO answers holidays for the current year unless asked for another.
    StreamSpec(name="user_holidays", path="/users/holidays", window=Window.YEAR),
    StreamSpec(name="user_work_time_adjustments", path="/users/work_time_adjustments"),
    StreamSpec(
        name="user_absence_requests",
        path="/users/absence_requests",
        permission="absence requests",
    ),
    StreamSpec(name="user_roles", path="/users/roles", replication_key=None, updated_after=False),
    StreamSpec(
        name="user_performance_reports",
        path="/users/{user_id}/performance_report",
        primary_keys=("user_id", WINDOW_START),
        replication_key=WINDOW_START,
        updated_after=False,
        shape=Shape.OBJECT,
        parent="users",
        parent_key="user_id",
        window=Window.YEAR,
        selected_by_default=False,
        permission="staff",
        not_found_ok=True,
    ),
    StreamSpec(
        name="profile",
        path="/profile",
        replication_key=None,
        updated_after=False,
        shape=Shape.OBJECT,
    ),
    StreamSpec(
        name="profile_performance_report",
        path="/profile/performance_report",
        primary_keys=(WINDOW_START,),
        replication_key=WINDOW_START,
        updated_after=False,
        shape=Shape.OBJECT,
        window=Window.YEAR,
    ),
)
