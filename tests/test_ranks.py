"""Finding the ids a list sorted by id lost, by reading chosen pages (`tap_moco.state.ranks`).

The oracle is a plain sorted list of what "MOCO" holds, paged by id as MOCO pages a list
with `sort_by=id`: the expected ids less the deleted ones, plus ids the search does not
expect (created after the read passed them: the largest ids; moved in from another date:
anywhere). Whatever the changes, the search names only ids that are gone, and names every
one when nothing unexpected hides below a page it read.
"""

from __future__ import annotations

import math
import random

import pytest

from tap_moco.state.ranks import Page, RankSearch

PER_PAGE = 100


class Listing:
    """MOCO's list sorted by id, paged."""

    def __init__(self, keys: set[int], *, silent: set[int] | None = None) -> None:
        self.keys = sorted(keys)
        self.silent = silent or set()  # pages that get no answer
        self.reads = 0

    def page(self, number: int) -> Page | None:
        self.reads += 1
        if number in self.silent:
            return None
        start = number * PER_PAGE
        return self.keys[start : start + PER_PAGE], len(self.keys)


def scenario(
    seed: int, size: int, deleted: int, *, new: int = 0, moved_in: int = 0
) -> tuple[list[int], set[int], Listing]:
    rng = random.Random(seed)
    expected = sorted(rng.sample(range(1, 40 * size), size))
    gone = set(rng.sample(expected, deleted))
    now = set(expected) - gone
    top = expected[-1]
    now |= {top + 1 + step for step in range(new)}
    while moved_in:
        key = rng.randrange(1, 40 * size)
        if key not in now and key not in set(expected):
            now.add(key)
            moved_in -= 1
    return expected, gone, Listing(now)


@pytest.mark.parametrize("seed", range(20))
def test_every_missing_id_is_named_and_nothing_else(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.choice([50, 400, 3_000, 26_000])
    deleted = min(size, rng.choice([0, 1, 2, 7, 50, size // 3]))
    new = rng.choice([0, 3, 150])
    expected, gone, listing = scenario(seed, size, deleted, new=new)
    found = RankSearch(expected, listing.page, PER_PAGE).run()
    assert found.reads == listing.reads
    if deleted > new:  # the last pages show the new ids, and then what they hid
        assert (found.missing, found.unresolved) == (gone, 0)
    else:  # the count hides as many deletes as ids came: the next run (holding them) names
        assert found.missing <= gone
        assert found.unresolved == 0


@pytest.mark.parametrize("seed", range(20))
def test_ids_moved_in_unseen_never_make_a_live_id_named(seed: int) -> None:
    rng = random.Random(100 + seed)
    size = rng.choice([400, 3_000, 26_000])
    deleted = rng.choice([1, 5, 50])
    expected, gone, listing = scenario(seed, size, deleted, new=5, moved_in=rng.randrange(1, 30))
    found = RankSearch(expected, listing.page, PER_PAGE).run()
    assert found.missing <= gone
    # What it could not name it says it could not (or a later run, holding those ids, names).
    assert len(found.missing) + found.unresolved <= len(gone)


def test_a_page_without_an_answer_names_nothing_it_did_not_see() -> None:
    expected, gone, listing = scenario(3, 3_000, 12)
    listing.silent = set(range(0, 30, 2))
    found = RankSearch(expected, listing.page, PER_PAGE).run()
    assert found.missing <= gone
    assert len(found.missing) + found.unresolved == len(gone)
    assert found.unresolved > 0


def test_nothing_missing_costs_one_page_and_a_lost_first_answer_is_unresolved() -> None:
    expected, _, listing = scenario(4, 26_000, 0)
    found = RankSearch(expected, listing.page, PER_PAGE).run()
    assert (found.missing, found.unresolved, listing.reads) == (set(), 0, 1)
    expected, _, listing = scenario(4, 26_000, 3)
    listing.silent = {130}
    found = RankSearch(expected, listing.page, PER_PAGE).run()
    assert (found.missing, found.unresolved, listing.reads) == (set(), 1, 1)


@pytest.mark.parametrize(("deleted", "budget"), [(1, 12), (50, 130)])
def test_the_pages_read_grow_with_the_missing_ids_not_with_the_list(
    deleted: int, budget: int
) -> None:
    """26,000 ids (two months of 435 time entries a day, the bench's 1,000,000 account)."""
    reads = []
    for seed in range(10):
        expected, gone, listing = scenario(seed, 26_000, deleted)
        found = RankSearch(expected, listing.page, PER_PAGE).run()
        assert found.missing == gone
        reads.append(listing.reads)
    pages = math.ceil(26_000 / PER_PAGE)
    assert max(reads) <= budget < pages
