"""Deletes at scale: what each day of a dated list holds, as a set-difference sketch.

A list MOCO can filter by a record date (`from`/`to` on time entries) keeps, next to its
count baseline (`tap_moco.state.deletes`), a *belief*: per bucket of record dates (each of
the last `RECENT_DAYS` days, each older day for `DAY_YEARS`, then whole weeks), how many
records the tap holds there and an invertible Bloom lookup table (IBLT) of their ids. Which
records it holds, and when they join, is `tap_moco.state.dated`'s business.

A list MOCO sorts by id keeps its last `LISTED_DAYS` as the ids themselves (`listed`, each
with its date) instead of day sketches: a shortfall there is searched by reading chosen pages
of those days sorted by id (`tap_moco.state.ranks`), so it costs pages by the deletes, not by
the days they fell on.

When MOCO's count falls short of the belief, `Localiser` narrows the shortfall by date: one
count (`per_page=1`, the list's date filter) per split, the other half's count by
subtraction, until a group of buckets is cheaper to read than to split. A read group's ids
are subtracted from the sketch; the difference decodes to the ids that left each bucket,
which one `ids=` request per hundred tells apart (still in MOCO: moved to another date;
absent: deleted). Cost grows with the deletions, not with the list; the state with the
days of history, not with the records.

What cannot be decoded (more changes in a bucket than its sketch holds, a read that did
not settle) is *unresolved*: the caller falls back to the whole re-read, so a delete is
never lost, only found at today's price. An id is named deleted only after MOCO answered
that it is gone, so no live row is ever marked.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tap_moco.state import ranks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

RECENT_DAYS = 92
"""Days before today whose buckets are days with a sketch of `TABLES * DAY_WIDTH` cells."""
DAY_YEARS = 4
"""Years before those whose buckets are still days, of one cell; older dates are weeks."""
TABLES = 4
"""Each id goes into one cell of each sub-table of a day's sketch (a byte of its hash each)."""
DAY_WIDTH = 8
"""Cells per sub-table of a day's sketch: 32 cells, of which 8 differences fail to decode
about once in 250 (then `Localiser` names what it could and heals the bucket)."""
MASK64 = (1 << 64) - 1
LISTED_DAYS = 61
"""Days before today whose ids a list MOCO sorts by id keeps one by one (`listed`): two
months of deletes found by reading chosen pages (`tap_moco.state.ranks`)."""
LISTED_MAX = 32_000
"""Listed ids at most (about 70 KB of state): a list denser than about 500 records a day lists
fewer recent days; the older ones narrow by date."""
FORMAT = 1
"""Version of the encoded belief; another one is dropped and rebuilt by a whole read."""
LISTED_FORMAT = 2
"""Version of a belief with listed ids (FORMAT's sketches, after the listed ids)."""
ROUNDS = 3
"""Narrowings per run at most: another follows one that found records moved to other dates."""
PER_PAGE = 100
"""Records per page MOCO serves at most: what a read of a group costs."""


def _digest(key: int) -> int:
    """64 bits of a keyed hash of the id: the check (low 32) and the cells (a byte each)."""
    data = (key & MASK64).to_bytes(8, "little")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _check(key: int) -> int:
    """A hash of the id, kept beside the ids' XOR, that tells a pure cell."""
    return _digest(key) & 0xFFFFFFFF


@dataclass
class Sketch:
    """An IBLT of ids: `tables` sub-tables of `width` cells of (count, id XOR, check XOR)."""

    width: int
    tables: int
    cells: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.cells:
            self.cells = [[0, 0, 0] for _ in range(self.width * self.tables)]

    def toggle(self, key: int, sign: int) -> None:
        """Add (`sign` 1) or remove (-1) one id."""
        digest = _digest(key)
        check = digest & 0xFFFFFFFF
        for table in range(self.tables):
            slot = table * self.width + (digest >> (32 + 8 * table) & 0xFF) % self.width
            cell = self.cells[slot]
            cell[0] += sign
            cell[1] ^= key & MASK64
            cell[2] ^= check

    @property
    def count(self) -> int:
        """How many ids (every id is in exactly one cell of sub-table 0)."""
        return sum(cell[0] for cell in self.cells[: self.width])

    def minus(self, other: Sketch) -> Sketch:
        """The difference of two sketches of the same shape."""
        cells = [
            [a[0] - b[0], a[1] ^ b[1], a[2] ^ b[2]]
            for a, b in zip(self.cells, other.cells, strict=True)
        ]
        return Sketch(self.width, self.tables, cells)

    def folded(self) -> Sketch:
        """The one-cell sketch of the same ids (sub-table 0 summed): a week's bucket."""
        count, keys, checks = 0, 0, 0
        for cell in self.cells[: self.width]:
            count += cell[0]
            keys ^= cell[1]
            checks ^= cell[2]
        return Sketch(1, 1, [[count, keys, checks]])

    def decode(self) -> tuple[set[int], set[int]] | None:
        """A difference peeled into (ids only in the first, ids only in the second), or None."""
        first, second, rest = self.peel()
        return None if rest else (first, second)

    def peel(self) -> tuple[set[int], set[int], int]:
        """As far as a difference peels.

        Ids only in the first, ids only in the second, and how many differences are left in
        cells that no longer peel (0 when complete).
        """
        work = Sketch(self.width, self.tables, [list(cell) for cell in self.cells])
        first: set[int] = set()
        second: set[int] = set()
        progress = True
        while progress:
            progress = False
            for cell in work.cells:
                if cell[0] in (1, -1) and _check(_signed(cell[1])) == cell[2]:
                    key = _signed(cell[1])
                    (first if cell[0] == 1 else second).add(key)
                    work.toggle(key, -cell[0])
                    progress = True
        if all(cell == [0, 0, 0] for cell in work.cells):
            return first, second, 0
        return first, second, max(1, abs(work.count))


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def sketch_of(keys: Iterable[int], *, folded: bool) -> Sketch:
    """The sketch of a bucket holding `keys`: a recent day's, or one cell (`folded`)."""
    sketch = Sketch(DAY_WIDTH, TABLES)
    for key in keys:
        sketch.toggle(key, 1)
    return sketch.folded() if folded else sketch


@dataclass(frozen=True, order=True)
class Bucket:
    """A day (`first == last`) or a week of record dates, as date ordinals."""

    first: int
    last: int


class Belief:
    """Per bucket, the sketch of the ids the tap believes MOCO holds there.

    Three tiers by age, so the state grows with the days of history, not with the records:
    recent days (deletes happen before invoicing) hold several differences each, older days
    one, weeks beyond `DAY_YEARS` one per week. As days age, their sketches fold into the
    next tier (`Sketch.folded`: the same ids, fewer cells).
    """

    def __init__(
        self,
        today: dt.date,
        sketches: dict[Bucket, Sketch] | None = None,
        *,
        listing: bool = False,
        start: int | None = None,
        listed: dict[int, int] | None = None,
    ) -> None:
        """A belief of `sketches` (and `listed` ids: id -> date).

        `listing`: the list is sorted by id, so its recent days keep their ids, from `start`
        on if given (a belief of the older format keeps its sketches until they age out).
        """
        # The day tiers end on a Monday, so a week is never split between two of them.
        if listing:  # the listed days (sketched beyond LISTED_MAX), then one cell a day
            self.recent_from = today.toordinal() - LISTED_DAYS
        else:
            self.recent_from = _monday(today.toordinal() - RECENT_DAYS)
        self.days_from = _monday(self.recent_from - DAY_YEARS * 365)
        self.listing = listing
        self.start = start
        self.listed_from = max(self.recent_from, start or 0) if listing else None
        self.listed: dict[int, int] = {}
        self.sketches: dict[Bucket, Sketch] = {}
        for bucket, sketch in (sketches or {}).items():
            self._merge(bucket, sketch)
        for key, day in (listed or {}).items():
            self.toggle(key, day, 1)  # a day that left the window joins its sketch

    def bucket_of(self, day: int) -> Bucket:
        """The bucket a record dated `day` (an ordinal) belongs to today."""
        if day >= self.days_from:
            return Bucket(day, day)
        monday = _monday(day)
        return Bucket(monday, monday + 6)

    def folded(self, bucket: Bucket) -> bool:
        """Whether the bucket keeps one cell (every tier but the recent days).

        A listing belief lists its recent days: those it sketches (a dense list's days beyond
        `LISTED_MAX`, an older belief's) keep several cells, as their deletes are as many.
        """
        return bucket.first < self.recent_from

    def _merge(self, bucket: Bucket, sketch: Sketch) -> None:
        """A bucket of an older state, folded into its tier if it has aged since."""
        target = self.bucket_of(bucket.first)
        if self.folded(target) and sketch.width * sketch.tables > 1:
            sketch = sketch.folded()
        held = self.sketches.get(target)
        self.sketches[target] = held.minus(_negated(sketch)) if held is not None else sketch

    def toggle(self, key: int, day: int, sign: int) -> None:
        """Add (`sign` 1) or remove (-1) one id dated `day`."""
        if self.listed_from is not None and day >= self.listed_from:
            if sign > 0:
                self.listed[key] = day
            else:
                self.listed.pop(key, None)
            return
        bucket = self.bucket_of(day)
        sketch = self.sketches.get(bucket)
        if sketch is None:
            sketch = self.sketches[bucket] = sketch_of((), folded=self.folded(bucket))
        sketch.toggle(key, sign)
        if all(cell == [0, 0, 0] for cell in sketch.cells):  # every id it held left
            del self.sketches[bucket]

    def trim(self, limit: int = LISTED_MAX) -> None:
        """List at most `limit` ids.

        The oldest listed days join their sketches, and the listing starts after them from
        now on (`start`).
        """
        if len(self.listed) <= limit or self.listed_from is None:
            return
        per_day = Counter(self.listed.values())
        held, start = 0, self.listed_from
        for day in sorted(per_day, reverse=True):
            held += per_day[day]
            if held > limit:
                start = day + 1
                break
        self.start = start
        self.listed_from = max(self.recent_from, start)
        for key, day in [(key, day) for key, day in self.listed.items() if day < start]:
            del self.listed[key]
            self.toggle(key, day, 1)

    @property
    def total(self) -> int:
        """How many ids the belief holds."""
        return len(self.listed) + sum(sketch.count for sketch in self.sketches.values())

    # -- the state ------------------------------------------------------------------------

    def encode(self) -> str:
        """Buckets in order: the first day's gap from the last, its shape, each cell's numbers.

        A listing belief starts with its `start` (0: none) and its listed ids as columns:
        how many, the first date, each id's gap from the one before (ids in order), then
        each one's date less the first.
        """
        out = bytearray()
        if self.listing:
            _varint(out, self.start + 1 if self.start else 0)
            ids = sorted(self.listed)
            _varint(out, len(ids))
            base = min(self.listed.values(), default=0)
            _varint(out, base)
            last = 0
            for key in ids:  # columns: the ids' gaps, then their days (each compresses)
                _varint(out, _zigzag(key - last))
                last = key
            for key in ids:
                _varint(out, self.listed[key] - base)
        previous = 0
        for bucket in sorted(self.sketches):
            sketch = self.sketches[bucket]
            _varint(out, bucket.first - previous)
            previous = bucket.first
            out.append(1 if sketch.width == 1 else 0)  # one cell (folded), or a recent day's
            for count, keys, checks in sketch.cells:
                _varint(out, _zigzag(count))
                out += (keys & MASK64).to_bytes(8, "little")
                out += checks.to_bytes(4, "little")
        return base64.b64encode(zlib.compress(bytes(out), 9)).decode("ascii")

    @classmethod
    def decode(
        cls, text: str, today: dt.date, *, listing: bool = False, upgrade_from: int | None = None
    ) -> Belief:
        """The belief `encode` wrote; ValueError if it is not one.

        A `listing` belief's text begins with its listed ids, unless it is one of the older
        format (`FORMAT`) that lists ids from `upgrade_from` on.
        """
        try:
            data = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
        except (ValueError, zlib.error) as error:
            msg = "not an encoded belief"
            raise ValueError(msg) from error
        position = 0
        listed: dict[int, int] = {}
        start = upgrade_from
        if listing and upgrade_from is None:
            stored, position = _read_varint(data, position)
            start = stored - 1 if stored else None
            size, position = _read_varint(data, position)
            base, position = _read_varint(data, position)
            ids: list[int] = []
            key = 0
            for _ in range(size):
                step, position = _read_varint(data, position)
                key += _unzigzag(step)
                ids.append(key)
            for key in ids:
                offset, position = _read_varint(data, position)
                listed[key] = base + offset
        sketches: dict[Bucket, Sketch] = {}
        day = 0
        while position < len(data):
            gap, position = _read_varint(data, position)
            day += gap
            folded = data[position] == 1
            position += 1
            width, tables = (1, 1) if folded else (DAY_WIDTH, TABLES)
            cells = []
            for _ in range(width * tables):
                zigzag, position = _read_varint(data, position)
                count = _unzigzag(zigzag)
                keys = int.from_bytes(data[position : position + 8], "little")
                checks = int.from_bytes(data[position + 8 : position + 12], "little")
                position += 12
                cells.append([count, keys, checks])
            if position > len(data):
                msg = "a truncated belief"
                raise ValueError(msg)
            # Stored by its first day: `Belief` puts it back in its tier (a week's Monday).
            sketches[Bucket(day, day)] = Sketch(width, tables, cells)
        return cls(today, sketches, listing=listing, start=start, listed=listed)


def _monday(day: int) -> int:
    return day - dt.date.fromordinal(day).weekday()


def _negated(sketch: Sketch) -> Sketch:
    return Sketch(sketch.width, sketch.tables, [[-c, k, h] for c, k, h in sketch.cells])


def _zigzag(value: int) -> int:
    return value * 2 if value >= 0 else -value * 2 - 1


def _unzigzag(value: int) -> int:
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


def _varint(out: bytearray, value: int) -> None:
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if position >= len(data):
            msg = "a truncated belief"
            raise ValueError(msg)
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position


# -- narrowing a shortfall -------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """A record as a read saw it: its id, its date (ordinal, None without one), created_at."""

    key: int
    day: int | None
    created: str | None


@dataclass
class Outcome:
    """What a localisation found: ids MOCO no longer has, and shortfalls it could not name."""

    deleted: set[int] = field(default_factory=set)
    unresolved: int = 0


class Localiser:
    """Narrow a shortfall to buckets by date, read those, decode and check their ids.

    `count(first, last)` is MOCO's count of records dated in the range (None: no answer);
    `read(first, last)` every record dated there (None: the read did not settle);
    `existing(ids)` the current date ordinal of each id MOCO still has (None: no date).
    `member(seen)` tells a record the belief holds from one created since (MOCO counts it,
    the belief does not hold it yet: a surplus, never a name).
    """

    def __init__(  # noqa: PLR0917 (the narrowing's five questions to MOCO, and the belief)
        self,
        belief: Belief,
        member: Callable[[Seen], bool],
        count: Callable[[int, int], int | None],
        read: Callable[[int, int], list[Seen] | None],
        existing: Callable[[list[int]], dict[int, int | None] | None],
        page: Callable[[int, int], ranks.Page | None] | None = None,
    ) -> None:
        self.belief = belief
        self.page = page
        self.member = member
        self.orphans: dict[int, Bucket] = {}
        self.count = count
        self.read = read
        self.existing = existing
        self.outcome = Outcome()

    def _expected(self, group: list[Bucket]) -> int:
        return sum(self.belief.sketches[bucket].count for bucket in group)

    def run(self) -> Outcome:
        """Every bucket short of its belief read and decoded; unresolved shortfalls counted.

        A record that only moved to another date leaves a shortfall where it was and a
        surplus where it went, which can hide a deletion there: once its belief is moved too,
        the narrowing runs again (`ROUNDS` at most; what is left waits for the next run).
        """
        listed_unresolved = 0
        for _ in range(ROUNDS):
            moved, listed_unresolved = self._search_listed()
            moved = self._round() or moved
            if not moved:
                break
        self.outcome.unresolved += listed_unresolved  # the last search's: earlier ones moved
        return self.outcome

    def _search_listed(self) -> tuple[bool, int]:
        """The listed days searched by reading chosen pages of them, sorted by id.

        Pages of the list from the first listed day on are read where the missing ids are
        (`tap_moco.state.ranks`); what they name is checked as any other ids.

        Whether any moved (to another date: the belief changed), and how many missing ids
        the search could not place.
        """
        belief, page = self.belief, self.page
        if not belief.listed or belief.listed_from is None or page is None:
            return False, 0
        first, listed = belief.listed_from, belief.listed
        found = ranks.RankSearch(sorted(listed), lambda number: page(first, number), PER_PAGE).run()
        if not found.missing:
            return False, found.unresolved
        gone = {key: Bucket(listed[key], listed[key]) for key in found.missing}
        return self._settle(gone), found.unresolved

    def _round(self) -> bool:
        """One narrowing; whether it found records that moved (the belief changed)."""
        groups = sorted(self.belief.sketches)
        if not groups:
            return False
        actual = self._count(groups)
        if actual is None:
            self.outcome.unresolved += 1
            return False
        pending = [(groups, actual)]
        to_read: list[tuple[list[Bucket], int]] = []
        while pending:
            group, actual = pending.pop()
            short = self._expected(group) - actual
            if short <= 0:
                continue
            if len(group) == 1 or self._cheaper_to_read(group, short):
                to_read.append((group, short))
                continue
            left, right = _halves(group, self.belief)
            left_actual = self._count(left)
            if left_actual is None:
                self.outcome.unresolved += short
                continue
            pending.append((left, left_actual))
            pending.append((right, actual - left_actual))
        left_bucket: dict[int, Bucket] = {}
        for group, short in to_read:
            left_bucket.update(self._resolve(group, short))
        return self._settle(left_bucket)

    def _cheaper_to_read(self, group: list[Bucket], short: int) -> bool:
        """Whether reading the group costs no more pages than narrowing it to buckets.

        Narrowing costs about a count and a bucket's pages for each bucket a missing record
        fell into: `short` of them spread over the group's buckets.
        """
        rows, buckets = self._expected(group), len(group)
        hit = buckets * (1 - (1 - 1 / buckets) ** short)
        return _pages(rows) <= hit * (1 + _pages(rows // buckets))

    def _count(self, group: list[Bucket]) -> int | None:
        return self.count(group[0].first, group[-1].last)

    def _resolve(self, group: list[Bucket], short: int) -> dict[int, Bucket]:
        """Read the group and decode each bucket's difference: the ids that left it."""
        records = self.read(group[0].first, group[-1].last)
        left: dict[int, Bucket] = {}
        if records is None:
            self.outcome.unresolved += short
            return left
        held: dict[Bucket, list[int]] = {bucket: [] for bucket in group}
        for seen in records:
            if seen.day is None or not self.member(seen):
                continue
            bucket = self.belief.bucket_of(seen.day)
            if bucket in held:
                held[bucket].append(seen.key)
        for bucket, keys in held.items():
            now = sketch_of(keys, folded=self.belief.folded(bucket))
            gone, _, rest = self.belief.sketches[bucket].minus(now).peel()
            if rest:
                # More changes than the sketch holds: what did not peel cannot be named.
                # The bucket now believes what MOCO holds, so the next deletions there are
                # named again; the unnamed ones go to the whole re-read (or its warning).
                self.outcome.unresolved += rest
                self.belief.sketches[bucket] = now
                for key in gone:
                    self.orphans[key] = bucket
                continue
            for key in gone:
                left[key] = bucket
        return left

    def _settle(self, left: dict[int, Bucket]) -> bool:
        """Ids gone from their bucket: deleted if MOCO lacks them, else moved to their date.

        Whether any moved.
        """
        moved = False
        orphans, self.orphans = self.orphans, {}
        left = {**orphans, **left}
        keys = sorted(left)
        for start in range(0, len(keys), PER_PAGE):
            chunk = keys[start : start + PER_PAGE]
            alive = self.existing(chunk)
            if alive is None:
                self.outcome.unresolved += len(chunk)
                continue
            for key in chunk:
                bucket = left[key]
                if key not in orphans:  # a healed bucket holds it no more
                    self.belief.toggle(key, bucket.first, -1)
                if key not in alive:
                    self.outcome.deleted.add(key)
                    continue
                moved = True
                day = alive[key]
                if day is not None:
                    self.belief.toggle(key, day, 1)
                else:
                    self.outcome.unresolved += 1
        return moved


def _pages(rows: int) -> int:
    return max(1, math.ceil(rows / PER_PAGE))


def _halves(group: list[Bucket], belief: Belief) -> tuple[list[Bucket], list[Bucket]]:
    """Split where the believed records are halved (at least one bucket on each side)."""
    total = sum(belief.sketches[bucket].count for bucket in group)
    running = 0
    for index, bucket in enumerate(group[:-1], start=1):
        running += belief.sketches[bucket].count
        if running * 2 >= total:
            return group[:index], group[index:]
    return group[:-1], group[-1:]


def state_of(belief: Belief) -> dict[str, Any]:
    """The belief as a stream's `deletes` state keeps it."""
    return {"format": LISTED_FORMAT if belief.listing else FORMAT, "sketch": belief.encode()}


def load(saved: Any, today: dt.date, *, listing: bool = False) -> Belief | None:
    """The belief kept in a stream's `deletes` state, or None (none, or another format).

    A list sorted by id with a belief of the older format keeps it and lists its ids from
    tomorrow on: its sketched days narrow by date as before until they age out.
    """
    if not isinstance(saved, dict):
        return None
    text = saved.get("sketch")
    kept = saved.get("format")
    if not isinstance(text, str) or kept not in (FORMAT, LISTED_FORMAT):
        return None
    if kept == LISTED_FORMAT and not listing:
        return None
    upgrade = today.toordinal() + 1 if listing and kept == FORMAT else None
    try:
        return Belief.decode(text, today, listing=listing, upgrade_from=upgrade)
    except ValueError:
        return None
