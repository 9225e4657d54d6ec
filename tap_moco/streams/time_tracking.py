"""Time tracking: activities (time entries), absences, presences, planning, comments."""

from tap_moco.spec import BY_ID, StreamSpec

SPECS = (
    StreamSpec(name="activities", path="/activities", params=BY_ID),
    StreamSpec(name="schedules", path="/schedules"),
    StreamSpec(name="presences", path="/users/presences"),
    StreamSpec(name="planning_entries", path="/planning_entries"),
    StreamSpec(name="comments", path="/comments"),
)
