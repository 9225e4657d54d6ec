"""One run's belief of a dated list: loaded, grown by the read, narrowed, kept.

The belief (`tap_moco.state.buckets`) holds every record of the stream's scope the tap has
seen, by date. A run adds the records its read saw that the belief cannot hold yet:

- created since the last run's cutoff (its count's time less `MARGIN`), except the few the
  last run already added (`edge`: created after that cutoff, seen by the last run);
- created before `start_date` (an update brought it into the scope), unless already there
  (`entered`).

So every record is held once, and a record the tap sent is held from the run that sent it:
deleted afterwards, it shows as a shortfall in the next run. The prediction is the belief's
size without this run's records created after the count (less than `MARGIN` after it: held
and counted, harmless). A record created after the read passed its place is counted by MOCO
but not held: a surplus, which can only hide a deletion until the next run, as the belief
still holds it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tap_moco.records.timestamps import normalize_timestamp
from tap_moco.state import buckets

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

KEY = "belief"
"""Key of the belief inside a stream's `deletes` state."""


def day_of(value: Any) -> int | None:
    """A record date (`YYYY-MM-DD`) as an ordinal, else None."""
    if not isinstance(value, str) or len(value) != len("YYYY-MM-DD"):
        return None
    try:
        return dt.date.fromisoformat(value).toordinal()
    except ValueError:
        return None


def seen_of(record: dict[str, Any], field: str) -> buckets.Seen | None:
    """A record as the belief keeps it, or None without an integer id or `created_at`."""
    key = record.get("id")
    created = normalize_timestamp(record.get("created_at"))
    if not isinstance(key, int) or isinstance(key, bool) or not isinstance(created, str):
        return None
    return buckets.Seen(key, day_of(record.get(field)), created)


class DatedRun:
    """The belief of one stream for one run (driven by `deletes.Watch`)."""

    def __init__(
        self,
        field: str,
        saved: Any,
        today: dt.date,
        scope: dt.datetime | None,
        *,
        listing: bool = False,
    ) -> None:
        """`listing`: MOCO sorts the list by id, so the belief lists its recent ids."""
        self.field = field
        self.today = today
        self.listing = listing
        self.scope = normalize_timestamp(scope.strftime("%Y-%m-%dT%H:%M:%SZ")) if scope else None
        self.belief = buckets.load(saved, today, listing=listing)
        held = saved if isinstance(saved, dict) else {}
        self.edge = _ids(held.get("edge"))
        self.previous_edge = self.edge
        self.entered = _ids(held.get("entered"))
        undated = held.get("undated")
        self.undated: int = undated if isinstance(undated, int) else 0
        self.seen: dict[int, buckets.Seen] = {}
        self.added: set[int] = set()
        self.usable = True  # False once a record lacks an integer id or created_at

    def page(self, records: Iterable[dict[str, Any]]) -> None:
        """One page of a read, whatever its pass.

        A record sent is held even if a later pass no longer found it (deleted meanwhile:
        the next run names it).
        """
        for record in records:
            seen = seen_of(record, self.field)
            if seen is None:  # cannot tell which record, or when it joined: no belief this run
                self.usable = False
                continue
            self.seen[seen.key] = seen

    def _entering(self, seen: buckets.Seen) -> bool:
        """Created before the scope's start: brought into it by an update."""
        return self.scope is not None and seen.created is not None and seen.created < self.scope

    def rebuild(self, records: Iterable[buckets.Seen], cutoff: str) -> None:
        """A belief from a whole read (a first run, a re-read): every record it saw."""
        self.belief = buckets.Belief(self.today, listing=self.listing)
        self.undated = 0
        self.entered = set()
        self.edge = set()
        for seen in records:
            self._hold(seen)
            if seen.created is None or seen.created >= cutoff:
                self.edge.add(seen.key)

    def _hold(self, seen: buckets.Seen) -> None:
        if self._entering(seen):
            self.entered.add(seen.key)
        if seen.day is None:
            self.undated += 1
        else:
            self.belief.toggle(seen.key, seen.day, 1)  # type: ignore[union-attr]

    def grow(self, since: str, cutoff: str) -> None:
        """Hold what this read saw that the belief cannot hold yet (module docstring)."""
        self._move_listed()
        edge = set()
        for seen in self.seen.values():
            new = seen.created is None or seen.created >= since
            entering = self._entering(seen) and seen.key not in self.entered
            if (new and seen.key not in self.edge) or entering:
                self._hold(seen)
                self.added.add(seen.key)
            if seen.created is None or seen.created >= cutoff:
                edge.add(seen.key)
        self.edge = edge

    def _move_listed(self) -> None:
        """A listed record whose date this read shows changed: held at its new date at once."""
        belief = self.belief
        if belief is None or not belief.listed:
            return
        for seen in self.seen.values():
            day = belief.listed.get(seen.key)
            if day is not None and seen.day not in (None, day):
                belief.toggle(seen.key, day, -1)
                belief.toggle(seen.key, seen.day, 1)

    def predicted(self, until: str) -> int:
        """The belief's size without what this run added created after `until`."""
        late = sum(
            1
            for key in self.added
            if (created := self.seen[key].created) is not None and created > until
        )
        assert self.belief is not None
        return self.belief.total + self.undated - late

    def member(self, since: str) -> Callable[[buckets.Seen], bool]:
        """Whether a record read now is one the belief holds (not created after the read)."""

        def held(seen: buckets.Seen) -> bool:
            if seen.key in self.added or seen.key in self.previous_edge:
                return True
            if seen.created is None or seen.created >= since:
                return False
            return not self._entering(seen) or seen.key in self.entered

        return held

    def kept(self) -> dict[str, Any]:
        """The belief as the stream's state keeps it."""
        assert self.belief is not None
        self.belief.trim()
        kept = buckets.state_of(self.belief)
        kept["edge"] = sorted(self.edge)
        if self.entered:
            kept["entered"] = sorted(self.entered)
        if self.undated:
            kept["undated"] = self.undated
        return kept


def _ids(value: Any) -> set[int]:
    if not isinstance(value, list):
        return set()
    return {item for item in value if isinstance(item, int) and not isinstance(item, bool)}
