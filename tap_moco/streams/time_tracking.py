"""Time tracking: activities (time entries), absences, presences, planning, comments."""
# A stream's docstring is derived from its spec (`MocoStream.__init_subclass__`).
# ruff: noqa: D101

from tap_moco.kinds import PagedListStream
from tap_moco.spec import BY_ID, DateFilter, StreamSpec


class ActivitiesStream(PagedListStream):
    spec = StreamSpec(name="activities", path="/activities", params=BY_ID, dated=DateFilter())


class SchedulesStream(PagedListStream):
    spec = StreamSpec(name="schedules", path="/schedules", dated=DateFilter())


class PresencesStream(PagedListStream):
    spec = StreamSpec(name="presences", path="/users/presences", dated=DateFilter())


class PlanningEntriesStream(PagedListStream):
    spec = StreamSpec(name="planning_entries", path="/planning_entries")


class CommentsStream(PagedListStream):
    spec = StreamSpec(name="comments", path="/comments")
