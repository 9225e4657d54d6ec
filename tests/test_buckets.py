"""The sketches and the narrowing behind deletes at scale (`tap_moco.state.buckets`).

The oracle is a plain dict of what "MOCO" holds (id -> date), changed at random: deletes,
creates and date-moving updates, in recent days and in old weeks. Whatever the changes, the
narrowing names only ids that are gone, and names every deleted id unless it says how many
it could not (`unresolved`), which sends the caller to the whole re-read.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from tap_moco.state.buckets import (
    DAY_WIDTH,
    FORMAT,
    LISTED_DAYS,
    LISTED_FORMAT,
    RECENT_DAYS,
    Belief,
    Localiser,
    Seen,
    Sketch,
    _check,
    _digest,
    load,
    sketch_of,
    state_of,
)
from tap_moco.state.dated import DatedRun, day_of

TODAY = dt.date(2026, 12, 2)
OLD = "2020-01-01T00:00:00Z"
NEW = "2026-12-02T12:00:00Z"


def test_a_small_difference_decodes_exactly_and_a_large_one_says_so() -> None:
    rng = random.Random(7)
    ids = rng.sample(range(1, 10**9), 300)
    held = sketch_of(ids, folded=False)
    gone, came = set(ids[:4]), {10**9 + 1, 10**9 + 2}
    now = sketch_of([*ids[4:], *came], folded=False)
    assert held.minus(now).decode() == (gone, came)
    assert held.minus(held).decode() == (set(), set())
    many = sketch_of(ids[40:], folded=False)
    assert held.minus(many).decode() is None  # 40 differences: never a wrong answer


def test_a_week_holds_one_difference() -> None:
    ids = list(range(500, 700))
    week = sketch_of(ids, folded=True)
    assert week.count == 200
    assert week.minus(sketch_of(ids[1:], folded=True)).decode() == ({500}, set())
    assert week.minus(sketch_of(ids[2:], folded=True)).decode() is None
    assert sketch_of(ids, folded=False).folded() == week


def test_the_belief_survives_the_state_and_ages_days_into_weeks() -> None:
    belief = Belief(TODAY)
    rng = random.Random(3)
    held = {
        key: TODAY.toordinal() - rng.randrange(0, 2000) for key in rng.sample(range(1, 10**8), 3000)
    }
    for key, day in held.items():
        belief.toggle(key, day, 1)
    saved = state_of(belief)
    again = load(saved, TODAY)
    assert again is not None
    assert again.sketches == belief.sketches
    later = load(saved, TODAY + dt.timedelta(days=400))
    assert later is not None
    assert later.total == belief.total == 3000
    # The days that aged are in their weeks now: a week holds what its days held.
    fresh = Belief(TODAY + dt.timedelta(days=400))
    for key, day in held.items():
        fresh.toggle(key, day, 1)
    assert later.sketches == fresh.sketches
    assert load({"format": 99, "sketch": saved["sketch"]}, TODAY) is None
    assert load({"format": 1, "sketch": "not base64!"}, TODAY) is None


class FakeMoco:
    """What MOCO holds (id -> date ordinal, created_at), answering the narrowing's requests."""

    def __init__(self, records: dict[int, tuple[int, str]]) -> None:
        self.records = dict(records)
        self.requests = 0

    def count(self, first: int, last: int) -> int:
        self.requests += 1
        return sum(1 for day, _ in self.records.values() if first <= day <= last)

    def read(self, first: int, last: int) -> list[Seen]:
        rows = [
            Seen(key, day, made)
            for key, (day, made) in self.records.items()
            if first <= day <= last
        ]
        self.requests += max(1, -(-len(rows) // 100))
        return rows

    def existing(self, keys: list[int]) -> dict[int, int | None]:
        self.requests += 1
        return {key: self.records[key][0] for key in keys if key in self.records}

    def page(self, first: int, number: int) -> tuple[list[int], int]:
        """Page `number` (0-based) of the records dated from `first` on, sorted by id."""
        self.requests += 1
        keys = sorted(key for key, (day, _) in self.records.items() if day >= first)
        return keys[number * 100 : (number + 1) * 100], len(keys)

    def localiser(self, belief: Belief) -> Localiser:
        page = self.page if belief.listing else None
        return Localiser(belief, member, self.count, self.read, self.existing, page)


def believe(records: dict[int, tuple[int, str]], *, listing: bool = False) -> Belief:
    belief = Belief(TODAY, listing=listing)
    for key, (day, _) in records.items():
        belief.toggle(key, day, 1)
    return belief


def member(seen: Seen) -> bool:
    return seen.created is not None and seen.created < NEW


@pytest.mark.parametrize("listing", [False, True], ids=["sketched", "listed"])
@pytest.mark.parametrize("seed", range(12))
def test_random_changes_name_every_deleted_id_and_no_live_one(seed: int, listing: bool) -> None:
    """Both beliefs: sketches only, and recent ids listed (a list MOCO sorts by id)."""
    rng = random.Random(seed)
    start = TODAY.toordinal() - 3 * 365
    records = {
        key: (start + rng.randrange(0, 3 * 365 + 1), OLD)
        for key in rng.sample(range(1, 10**7), 20_000)
    }
    belief = believe(records, listing=listing)
    moco = FakeMoco(records)
    keys = list(records)
    deleted = set(rng.sample(keys, rng.choice([1, 3, 20, 50])))
    recent = [key for key in keys if records[key][0] >= TODAY.toordinal() - 60]
    deleted |= set(rng.sample(recent, min(len(recent), rng.randrange(0, 30))))
    for key in deleted:
        del moco.records[key]
    alive = list(moco.records)
    for key in rng.sample(alive, rng.randrange(0, 5)):  # dates corrected
        moco.records[key] = (TODAY.toordinal() - rng.randrange(0, 3 * 365), OLD)
    for key in range(10**7, 10**7 + rng.randrange(0, 40)):  # created since the count
        moco.records[key] = (TODAY.toordinal() - rng.randrange(0, 30), NEW)
    named: set[int] = set()
    for _ in range(3):  # the next runs, with the creates held by then
        outcome = moco.localiser(belief).run()
        assert outcome.deleted <= deleted - named, "a live or already named id was named"
        named |= outcome.deleted
        if outcome.unresolved:
            return  # the caller re-reads the whole list: what was not named is found there
        for key, (day, made) in moco.records.items():
            if made == NEW:
                belief.toggle(key, day, 1)
                moco.records[key] = (day, OLD)
    # Whatever a create hid in one run was still held, and named in a later one.
    assert named == deleted
    assert belief.total == len(moco.records)


def test_one_deletion_in_a_large_list_costs_a_few_dozen_requests() -> None:
    """300,000 entries over six years (137 a day, as 1,000,000 over twenty): `make bench`
    measures the real tap at both sizes."""
    rng = random.Random(11)
    start = TODAY.toordinal() - 6 * 365
    records = {key: (start + rng.randrange(0, 6 * 365), OLD) for key in range(1, 300_001)}
    belief = believe(records)
    moco = FakeMoco(records)
    victim = 150_000
    del moco.records[victim]
    outcome = Localiser(belief, member, moco.count, moco.read, moco.existing).run()
    assert outcome.deleted == {victim}
    assert outcome.unresolved == 0
    assert moco.requests <= 60


def test_nothing_missing_costs_one_count() -> None:
    records = {key: (TODAY.toordinal() - key % 400, OLD) for key in range(1, 5000)}
    moco = FakeMoco(records)
    outcome = Localiser(believe(records), member, moco.count, moco.read, moco.existing).run()
    assert (outcome.deleted, outcome.unresolved, moco.requests) == (set(), 0, 1)


def test_the_recent_days_are_days_and_older_dates_weeks() -> None:
    belief = Belief(TODAY)
    assert belief.bucket_of(TODAY.toordinal()).first == TODAY.toordinal()
    old = belief.bucket_of(TODAY.toordinal() - RECENT_DAYS - 10)
    assert old.last == old.first
    assert belief.folded(old)
    assert not belief.folded(belief.bucket_of(TODAY.toordinal() - 3))
    old = belief.bucket_of(TODAY.toordinal() - RECENT_DAYS - 5 * 365)
    assert old.last - old.first == 6
    assert dt.date.fromordinal(old.first).weekday() == 0
    assert isinstance(Sketch(1, 1).count, int)


def test_without_an_answer_nothing_is_named_and_the_shortfall_stays_unresolved() -> None:
    """A server that ignores `ids=`, a count or a read that does not settle: no name."""
    records = {key: (TODAY.toordinal() - key % 300, OLD) for key in range(1, 3000)}
    for broken in ("existing", "read", "count"):
        moco = FakeMoco(records)
        del moco.records[1500]
        answers: dict[str, Any] = {
            "existing": moco.existing,
            "read": moco.read,
            "count": moco.count,
            broken: lambda *_: None,
        }
        outcome = Localiser(
            believe(records), member, answers["count"], answers["read"], answers["existing"]
        ).run()
        assert outcome.deleted == set(), broken
        assert outcome.unresolved >= 1, broken


def test_a_record_the_belief_cannot_follow_turns_it_off_for_the_run() -> None:
    """Without an integer id or `created_at` a record cannot be held once and only once."""
    for broken in ({"id": "7", "created_at": NEW, "date": "2026-11-30"}, {"id": 7, "date": "x"}):
        run = DatedRun("date", None, TODAY, None)
        run.page([{"id": 1, "created_at": OLD, "date": "2026-11-30"}, broken])
        assert not run.usable
    run = DatedRun("date", None, TODAY, None)
    run.page([{"id": 1, "created_at": OLD, "date": None}])
    assert run.usable
    run.rebuild(run.seen.values(), NEW)
    assert run.undated == 1  # held, but never narrowed to a day: its shortfall is re-read


def test_a_bucket_with_more_changes_than_its_sketch_names_what_peels_and_heals() -> None:
    """Sixty deletes on one recent day: some ids peel (named), the rest is unresolved (the
    whole re-read's), and the bucket then believes what MOCO holds, so it never stays stuck."""
    day = TODAY.toordinal() - 3
    records = dict.fromkeys(range(1000, 1400), (day, OLD))
    records.update({key: (day - 1 - key % 50, OLD) for key in range(5000, 6000)})
    belief = believe(records)
    moco = FakeMoco(records)
    deleted = set(range(1000, 1060))
    for key in deleted:
        del moco.records[key]
    outcome = Localiser(belief, member, moco.count, moco.read, moco.existing).run()
    assert outcome.deleted <= deleted
    assert outcome.unresolved >= len(deleted - outcome.deleted) > 0
    assert belief.total == len(moco.records)
    again = Localiser(belief, member, moco.count, moco.read, moco.existing).run()
    assert (again.deleted, again.unresolved) == (set(), 0)


def test_a_moved_record_is_held_at_its_new_date_and_named_when_deleted_there() -> None:
    old_day, new_day = TODAY.toordinal() - 700, TODAY.toordinal() - 5
    records = {key: (TODAY.toordinal() - key % 900, OLD) for key in range(1, 4000)}
    records[77] = (old_day, OLD)
    belief = believe(records)
    moco = FakeMoco(records)
    moco.records[77] = (new_day, OLD)  # its date corrected
    del moco.records[78]
    outcome = Localiser(belief, member, moco.count, moco.read, moco.existing).run()
    assert outcome.deleted == {78}
    assert belief.total == len(moco.records)
    assert belief.sketches[belief.bucket_of(new_day)].count == sum(
        1 for day, _ in moco.records.values() if day == new_day
    )
    del moco.records[77]  # then deleted at its new date
    again = Localiser(belief, member, moco.count, moco.read, moco.existing).run()
    assert again.deleted == {77}


def test_record_dates_are_iso_days() -> None:
    assert day_of("2026-11-30") == dt.date(2026, 11, 30).toordinal()
    for value in ("2026-11-30T10:00:00Z", "2026-11-3", "30.11.2026", None, 20261130):
        assert day_of(value) is None


def test_what_a_run_adds_is_held_and_compared_as_held() -> None:
    """A record this run's read added (created since the last count) is one the belief holds:
    a later read of its day compares it as held, so it is never taken for one that left."""
    since, cutoff = "2026-12-01T00:00:00Z", "2026-12-02T11:00:00Z"
    day = TODAY.toordinal() - 1
    run = DatedRun("date", None, TODAY, None)
    run.belief = Belief(TODAY)
    run.page([{"id": 5, "created_at": NEW, "date": dt.date.fromordinal(day).isoformat()}])
    run.grow(since, cutoff)
    assert run.belief.total == 1
    held = run.member(since)
    assert held(Seen(5, day, NEW))
    assert not held(Seen(6, day, NEW))  # created since, not read by this run: not held yet
    assert held(Seen(7, day, OLD))  # from before the last count
    assert run.kept()["edge"] == [5]  # the next run does not add it again


def test_a_listing_belief_lists_two_months_and_survives_the_state_and_the_days() -> None:
    rng = random.Random(5)
    records = {
        key: TODAY.toordinal() - rng.randrange(-30, 1500)
        for key in rng.sample(range(1, 10**8), 4000)
    }
    belief = Belief(TODAY, listing=True)
    for key, day in records.items():
        belief.toggle(key, day, 1)
    assert belief.listed_from is not None
    assert belief.listed == {key: day for key, day in records.items() if day >= belief.listed_from}
    assert (
        TODAY.toordinal() - LISTED_DAYS - 7 < belief.listed_from <= TODAY.toordinal() - LISTED_DAYS
    )
    assert all(bucket.last < belief.listed_from for bucket in belief.sketches)
    kept = state_of(belief)
    assert kept["format"] == LISTED_FORMAT
    again = load(kept, TODAY, listing=True)
    assert again is not None
    assert (again.listed, again.sketches) == (belief.listed, belief.sketches)
    assert load(kept, TODAY) is None  # a list no longer sorted by id starts again
    later = load(kept, TODAY + dt.timedelta(days=30), listing=True)
    assert later is not None and later.listed_from is not None
    assert later.total == len(records)
    assert later.listed == {k: d for k, d in records.items() if d >= later.listed_from}
    aged = [day for day in records.values() if belief.listed_from <= day < later.listed_from]
    assert aged  # these days left the list for their one-cell sketches
    assert all(later.sketches[later.bucket_of(day)].width == 1 for day in aged)
    assert all(sketch.width == 1 for sketch in later.sketches.values())


def test_an_older_belief_lists_from_tomorrow_and_keeps_its_sketched_days() -> None:
    records = {key: TODAY.toordinal() - key % 200 for key in range(1, 3000)}
    old = Belief(TODAY)
    for key, day in records.items():
        old.toggle(key, day, 1)
    kept = state_of(old)
    assert kept["format"] == FORMAT
    upgraded = load(kept, TODAY, listing=True)
    assert upgraded is not None
    assert upgraded.listed == {}
    assert upgraded.listed_from == TODAY.toordinal() + 1
    assert upgraded.total == len(records)
    recent = upgraded.sketches[upgraded.bucket_of(TODAY.toordinal() - 3)]
    assert recent.count == sum(1 for day in records.values() if day == TODAY.toordinal() - 3)
    assert recent.width * recent.tables > 1  # narrowed by date as before, until it ages out
    upgraded.toggle(10**6, TODAY.toordinal() + 1, 1)
    assert upgraded.listed == {10**6: TODAY.toordinal() + 1}
    reloaded = load(state_of(upgraded), TODAY, listing=True)
    assert reloaded is not None
    assert (reloaded.listed_from, reloaded.total) == (TODAY.toordinal() + 1, len(records) + 1)


@pytest.mark.parametrize(("deleted", "budget"), [(1, 14), (50, 130)])
def test_deletes_in_the_listed_months_cost_pages_by_the_deletes(deleted: int, budget: int) -> None:
    """Two months of 435 time entries a day (the bench's 1,000,000 over 15 years) and older
    years: what leaves the listed days is named from chosen pages, not from whole days."""
    rng = random.Random(deleted)
    today = TODAY.toordinal()
    records = {key: (today - rng.randrange(0, 61), OLD) for key in range(1, 26_000)}
    records.update({key: (today - rng.randrange(61, 3000), OLD) for key in range(26_000, 80_000)})
    belief = believe(records, listing=True)
    moco = FakeMoco(records)
    gone = set(rng.sample([key for key, (day, _) in records.items() if day > today - 61], deleted))
    for key in gone:
        del moco.records[key]
    outcome = moco.localiser(belief).run()
    assert (outcome.deleted, outcome.unresolved) == (gone, 0)
    assert moco.requests <= budget
    assert belief.total == len(moco.records)


def test_a_dense_list_lists_its_latest_days_within_the_limit() -> None:
    rng = random.Random(9)
    records = {key: TODAY.toordinal() - rng.randrange(0, 61) for key in range(1, 6_001)}
    belief = Belief(TODAY, listing=True)
    for key, day in records.items():
        belief.toggle(key, day, 1)
    belief.trim(2_500)
    assert belief.listed_from is not None
    assert 0 < len(belief.listed) <= 2_500
    assert belief.listed == {key: day for key, day in records.items() if day >= belief.listed_from}
    assert belief.total == len(records)
    assert all(bucket.last < belief.listed_from for bucket in belief.sketches)
    trimmed = belief.sketches[belief.bucket_of(belief.listed_from - 1)]
    assert trimmed.width * trimmed.tables > 1  # a recent day: several deletes decode
    again = load(state_of(belief), TODAY, listing=True)
    assert again is not None
    assert (again.listed_from, again.listed) == (belief.listed_from, belief.listed)
    before = belief.listed_from
    belief.toggle(10**6, TODAY.toordinal(), 1)  # today's records are listed, older days not
    belief.toggle(10**6 + 1, before - 1, 1)
    assert 10**6 in belief.listed
    assert 10**6 + 1 not in belief.listed


def test_a_cell_of_several_ids_is_never_peeled_as_one() -> None:
    """Three ids in one cell (two on one side, one on the other) sum to a count of 1 whose id
    field is their XOR: only the check, compared for equality, tells it is not one id. The
    decode then names only the ids that were there, or says it cannot."""
    slot = {}
    chosen: list[int] = []
    for key in range(1, 200_000):
        cell = (_digest(key) >> 32 & 0xFF) % DAY_WIDTH
        slot.setdefault(cell, []).append(key)
        group = slot[cell]
        if len(group) >= 3:
            a, b, c = group[-3:]
            # A cell whose false id has a check below the cell's: `<=` would take it for pure.
            if _check(a ^ b ^ c) < _check(a) ^ _check(b) ^ _check(c):
                chosen = [a, b, c]
                break
            slot[cell] = []
    a, b, c = chosen
    difference = sketch_of([a, b], folded=False).minus(sketch_of([c], folded=False))
    decoded = difference.decode()
    assert decoded is None or decoded == ({a, b}, {c})
    first, second, _ = difference.peel()
    assert first <= {a, b}
    assert second <= {c}


def test_a_listed_record_whose_date_changed_is_moved_when_read() -> None:
    """The changes read shows a listed record at a new date: the run holds it there at once,
    so the count that follows matches and no search is needed to find it again."""
    day, new_day = TODAY.toordinal() - 9, TODAY.toordinal() - 2
    run = DatedRun("date", None, TODAY, None, listing=True)
    run.belief = Belief(TODAY, listing=True)
    for key in (5, 6):
        run.belief.toggle(key, day, 1)
    moved = {"id": 5, "created_at": OLD, "date": dt.date.fromordinal(new_day).isoformat()}
    run.page([moved, {"id": 6, "created_at": OLD, "date": None}])  # no date: left where it is
    run.grow("2026-12-01T00:00:00Z", "2026-12-02T11:00:00Z")
    assert run.belief.listed == {5: new_day, 6: day}
    assert run.belief.total == 2
