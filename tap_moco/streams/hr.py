"""People: users, units, employments, holidays, absences, roles and performance."""

from tap_moco.spec import (
    BY_ID,
    WINDOW_START,
    Shape,
    StreamSpec,
    Window,
    full_table,
    per_parent,
    reference,
    windowed,
)

SPECS = (
    reference("users", "/users", params={"include_archived": "true", **BY_ID}, entity="User"),
    reference("units", "/units"),
    reference("user_employments", "/users/employments"),
    # MOCO answers holidays for the current year unless asked for another.
    windowed("user_holidays", "/users/holidays", window=Window.YEAR),
    StreamSpec(name="user_work_time_adjustments", path="/users/work_time_adjustments"),
    StreamSpec(
        name="user_absence_requests",
        path="/users/absence_requests",
        permission="absence requests",
    ),
    full_table("user_roles", "/users/roles"),
    per_parent(
        "user_performance_reports",
        "/users/{user_id}/performance_report",
        parent="users",
        parent_key="user_id",
        primary_keys=("user_id", WINDOW_START),
        shape=Shape.OBJECT,
        window=Window.YEAR,
        permission="staff",
    ),
    full_table("profile", "/profile", shape=Shape.OBJECT),
    windowed(
        "profile_performance_report",
        "/profile/performance_report",
        window=Window.YEAR,
        primary_keys=(WINDOW_START,),
        shape=Shape.OBJECT,
    ),
)
