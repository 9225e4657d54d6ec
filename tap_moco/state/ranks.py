"""Which of the ids the tap holds left a list MOCO sorts by id: found by reading chosen pages.

Where the tap knows every id it believes a range of the list holds (`expected`, in order),
one page of that range sorted by id (`sort_by=id`) answers more than its records: for each
id it returns, its place among the expected ids less its place in the list is how many
expected ids below it are gone. So a page read where missing ids are expected names the
ones it spans (absent between two of its neighbours) and splits the rest of the shortfall
to its left and right, as a count would. `RankSearch` halves, page by page, only what still
hides a missing id: about `k * log2(pages / k)` pages for `k` missing ids, where reading
every day they fell on costs every page of those days.

An id the page returns that is not expected (created after the read passed it, moved into
the range meanwhile) is set aside; one never seen below a page makes that page's split
count too few, so a missing id can stay unnamed in this run (the belief still holds it: the
next run names it) but no id is ever named that a page did not show absent. A split that
contradicts itself (more missing than expected, fewer than none) is left `unresolved`.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

Page = tuple[list[int], int | None]
"""The ids of one page in MOCO's order, and the list's `X-Total` that came with it."""


@dataclass
class Found:
    """What a search found: expected ids absent from the list, and how many it could not place."""

    missing: set[int] = field(default_factory=set)
    unresolved: int = 0
    reads: int = 0


class RankSearch:
    """Find the expected ids a list sorted by id no longer holds.

    `page(number)` answers page `number` (0-based) of `per_page` ids of the list, or None
    (no answer). A read fixes, for each expected id it returns, its index in the list
    (`at`); how many expected ids below it are gone follows from that index and the
    unexpected ids seen below it so far. Every figure is worked out again from the
    observations with all the unexpected ids seen by then, so an unexpected id not seen
    yet can only make a figure too small, never too large.
    """

    def __init__(
        self,
        expected: Sequence[int],
        page: Callable[[int], Page | None],
        per_page: int,
    ) -> None:
        self.expected = sorted(expected)
        self.position = {key: index for index, key in enumerate(self.expected)}
        self.page = page
        self.per_page = per_page
        self.at: dict[int, int] = {}  # expected position -> its index in the list
        self.total: int | None = None
        self.surplus: list[int] = []  # ids read that are not expected, in order
        self.read_pages: set[int] = set()
        self.given_up: set[tuple[int, int]] = set()
        self.found = Found()

    def run(self) -> Found:
        """Every missing id named; what the reads could not place counted as unresolved."""
        size = len(self.expected)
        if (
            size
            and self._read(self._page_of(size // 2)) is not None
            and self.total is not None
            and size - (self.total - len(self.surplus)) > 0  # else nothing to find (or hidden)
        ):
            # The last pages show the ids created after the read passed (the largest), back
            # to one that holds an expected id.
            last = self._page_of(self.total - 1)
            while last >= 0 and self._read(last) == 0:
                last -= 1
            while (gap := self._open_gap()) is not None:
                low, high, gone = gap
                middle = self._index(low) + (high - low - gone) // 2
                if not self._read(self._page_of(middle)):
                    self.given_up.add((low, high))
        self._open_gap()  # names what the last read closed
        if self.total is None:
            self.found.unresolved = 1 if size else 0
        else:
            gone = size - (self.total - len(self.surplus))
            self.found.unresolved = max(0, gone - len(self.found.missing))
        return self.found

    def _page_of(self, index: int) -> int:
        return max(0, index) // self.per_page

    def _below(self, key: int) -> int:
        """Unexpected ids seen below `key`."""
        return bisect.bisect_left(self.surplus, key)

    def _known(self) -> dict[int, int]:
        """How many of `expected[:p]` are gone, for each position `p` the reads fixed."""
        known = {0: 0}
        for position, index in self.at.items():
            gone = position - index + self._below(self.expected[position])
            known[position] = gone
            known[position + 1] = gone  # it is there itself
        if self.total is not None:
            size = len(self.expected)
            known[size] = size - (self.total - len(self.surplus))
        return known

    def _index(self, position: int) -> int:
        """Where an expected position stands in the list now, as far as the reads tell."""
        known = self._known()
        return position - known[position] + self._below(self.expected[position])

    def _open_gap(self) -> tuple[int, int, int] | None:
        """The first stretch between known positions that still hides missing ids, if any.

        A stretch wholly gone is named on the way; one that contradicts itself (unseen ids
        in between) is passed over: its shortfall ends up unresolved.
        """
        known = self._known()
        positions = sorted(known)
        for low, high in itertools.pairwise(positions):
            gone = known[high] - known[low]
            if gone == high - low:  # positions differ: a stretch is never empty
                self.found.missing.update(self.expected[low:high])
            elif 0 < gone < high - low and (low, high) not in self.given_up:
                return low, high, gone
        return None

    def _read(self, number: int) -> int | None:
        """Read one page and keep what it tells: how many expected ids it held.

        None: no answer, or read before.
        """
        if number in self.read_pages:
            return None
        self.read_pages.add(number)
        self.found.reads += 1
        answer = self.page(number)
        if answer is None:
            return None
        keys, total = answer
        if len(keys) > self.per_page or keys != sorted(set(keys)):
            return None
        if total is not None:
            self.total = total
        fixed = 0
        for offset, key in enumerate(keys, start=number * self.per_page):
            position = self.position.get(key)
            if position is None:
                if key not in self.surplus:
                    bisect.insort(self.surplus, key)
            else:
                self.at[position] = offset
                fixed += 1
        return fixed
