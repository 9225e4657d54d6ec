"""Deletes in ordinary runs: a count that tells when records vanished, and versions.

MOCO keeps no tombstones, but every list answer carries `X-Total`. Each selected incremental
top-level list keeps a baseline in its state, `deletes = {count, counted_at}`: MOCO's count
of the stream's scope (one `per_page=1` request with a first run's filter: `updated_after`
from `start_date`, none for reference tables) and the server's time of that count (its
`Date` header), taken before anything the warehouse holds was read. A read without a
baseline (a first run: its own first page 1, else a count before it) keeps that count in
the state (`first`) before its first record, so a read that is killed, resumed, fails or
reads the list again from page 1 keeps the count from before its first record: a record
it sent and MOCO deleted meanwhile is in that count, and the next run misses it. The next
run counts again *before* its
incremental read and predicts `count + created`, where `created` is how many records the
read saw with `created_at` in `[counted_at - MARGIN, now + MARGIN]` (distinct keys, last
pass only), or before `start_date` (an old record an update just brought into the scope).

Why that is exact. Let `N0` be the baseline and `N1` this count: `N1 = N0 + |C| - |D|`, `C`
the records that joined the scope since the baseline and are still there (created, or
created before `start_date` and updated into it), `D` the baseline's records gone. The
bookmark never passes `counted_at - MARGIN` (this module caps the SDK's signpost), and
`updated_at >= created_at`, so the read (after the count) sees every record of `C` still
there when it passes. So `predicted - N1 = |D| + f - r`: `f >= 0` are records created
within MARGIN of a count (counted twice: a harmless extra re-read), `r` records created
since the baseline and deleted in the seconds between this count and the read. A create
and a delete in the same interval cannot hide each other; a delete is missed only while
`r >= |D|`, and then `r`'s records were in `N1` and vanish by the next run, which re-reads.
Records created and deleted between two runs are in neither term and were never loaded.

When `predicted > N1` the stream's scope is re-read in the same run, its RECORDs carrying
a new version, and ACTIVATE_VERSION follows once the re-read is complete and settled:
targets that support it drop or soft-delete the rows not re-sent. The state is written
before the re-read (the new baseline, its shortfall in `missing`, no page checkpoint), so a
kill during it leaves the shortfall to the next run, which re-reads. A list larger than
`delete_detection_max_records` is not re-read: a warning names it, and the shortfall stays
in the state (`missing`) until a re-read or a reconciling run. A read that could not be
judged (still moving, no `X-Total`) keeps the old baseline and caps the bookmark at it, so
the next run judges the whole interval. A read resumed after a kill carries the creates its
killed run tallied (in the checkpoint) but may lack creates on pages that run read after
its count, so it is judged one way only: a prediction above MOCO's count proves deletes
(re-read at once, at worst once too often); one at or below it keeps the old baseline.

FULL_TABLE streams read whole anyway carry a version and send ACTIVATE_VERSION after they
finished: reference lists of a parent read whole, year windows (every year read each run),
children that visit every parent (each parent's list read whole; a deleted parent's children
are not sent again), the taggings fan-out; so do those of a reconciling run
(`activate_version_streams`, month windows and children of incremental parents included)
and, with delete detection off, those of a run with `emit_activate_version_messages`.
Not month windows in an ordinary run (only the recent ones are read; a reconciling run
removes their deleted rows) nor children visiting only the changed records of an
incremental parent. Every ACTIVATE_VERSION is sent here, after the read (never the SDK's,
which comes before any record); a stream that failed, was skipped, did not settle or read
only part of its scope (`not_whole`: resumed mid-list, a taggable resource refused, a
parent's list gone mid-read), and the children of a parent that did any of these, send
none, so a target never drops rows because of a partial read.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from tap_moco import sdk
from tap_moco.listing.link_header import header_int
from tap_moco.records.timestamps import format_timestamp, normalize_timestamp, parse_timestamp
from tap_moco.state import dated

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import requests
    from singer_sdk.streams import Stream

    from tap_moco.kinds.base import MocoStream
    from tap_moco.state.buckets import Outcome

STATE_KEY = "deletes"
"""Stream state key of the baseline (and of the last version sent)."""
MARGIN = dt.timedelta(seconds=2)
"""Creates this close to a count are counted on both sides (an extra re-read, never a miss);
it also covers the time between MOCO counting and stamping its `Date` header."""
SIGNPOST = "replication_key_signpost"
DELETED_AT = "_sdc_deleted_at"
"""The Singer field that marks a record deleted in the source."""
FIRST = "first"
"""Baseline key of the count a read without a baseline took before its first record."""


@dataclass(frozen=True)
class Count:
    """MOCO's `X-Total` of the whole list and the server's time of that answer."""

    total: int
    at: dt.datetime

    @classmethod
    def of(cls, response: requests.Response) -> Count | None:
        """The count an answer carries, or None without `X-Total`."""
        total = header_int(response, "X-Total")
        if total is None:
            return None
        return cls(total, server_time(response))

    @classmethod
    def kept(cls, state: dict[str, Any]) -> Count | None:
        """The `first` count a read without a baseline kept in the stream's state."""
        saved = state.get(STATE_KEY)
        kept = saved.get(FIRST) if isinstance(saved, dict) else None
        if not isinstance(kept, dict):
            return None
        total, moment = kept.get("count"), parse_timestamp(kept.get("counted_at"))
        if not isinstance(total, int) or moment is None:
            return None
        return cls(total, moment)

    def keep(self, state: dict[str, Any]) -> None:
        """As the `first` count of a read without a baseline."""
        saved = state.setdefault(STATE_KEY, {})
        saved[FIRST] = {"count": self.total, "counted_at": format_timestamp(self.at)}


def server_time(response: requests.Response) -> dt.datetime:
    """The answer's `Date` (MOCO's clock, as `created_at`), else ours."""
    try:
        parsed = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError):
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


# -- which streams take part ------------------------------------------------------------


def _enabled(stream: MocoStream) -> bool:
    """`delete_detection` is on and the stream is not excluded from it."""
    settings = stream.settings
    return settings.delete_detection and stream.name not in settings.delete_detection_exclude


def _reads_whole(stream: MocoStream) -> bool:
    """A FULL_TABLE read of everything in the stream's scope.

    A child's is whole only under a parent read whole (FULL_TABLE): a child visiting the
    changed records of an incremental parent is not. Windows read FULL_TABLE are every
    window (`WindowReader.windows`); month windows are INCREMENTAL outside a reconciling run.
    """
    if stream.replication_method != "FULL_TABLE":
        return False
    if stream.spec.parent is None:
        return True
    parent = stream.parent_stream
    return parent is not None and parent.replication_method == "FULL_TABLE"


def _whole(stream: MocoStream) -> bool:
    """A whole read this run versions (and activates once it completed).

    Asked for by a reconciling run, `emit_activate_version_messages`, or delete detection
    (for which a FULL_TABLE read is a re-read on every run).
    """
    wanted = stream.reconciles or stream.settings.emit_activate_version_messages or _enabled(stream)
    return wanted and _reads_whole(stream)


def watches(stream: MocoStream) -> bool:
    """An incremental top-level list whose count is compared with the prediction.

    A reconciling run (`activate_version_streams`) reads it whole: it only takes a fresh
    baseline, so the next ordinary run does not re-read for deletes already propagated.
    """
    spec = stream.spec
    return (
        _enabled(stream)
        and (stream.replication_method == "INCREMENTAL" or stream.reconciles)
        and spec.parent is None
        and spec.window is None
        and spec.updated_after
    )


def forget(state: dict[str, Any]) -> None:
    """Drop the baseline of a stream not watched this run.

    Its bookmark moves on without it, so a later run with detection starts from a fresh count.
    """
    saved = state.get(STATE_KEY)
    if isinstance(saved, dict):
        for key in ("count", "counted_at", "missing", FIRST, dated.KEY):
            saved.pop(key, None)


# -- versions --------------------------------------------------------------------------


def next_version(stream: MocoStream) -> int:
    """A version above every one this stream sent before (seconds, like the SDK's)."""
    state = stream.stream_state.setdefault(STATE_KEY, {})
    last = state.get("version")
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    version = max(now, last + 1) if isinstance(last, int) else now
    state["version"] = version
    return version


def begin(stream: Stream) -> None:
    """Give every whole-read stream of this family a version before its records.

    Only the version: ACTIVATE_VERSION waits for `finish`.
    """
    for each in _family(stream):
        if not each.selected:
            continue
        if _whole(each):
            sdk.set_version(each, next_version(each))
        elif each.reconciles:
            each.moco_log.warning(
                "Stream '%s': a reconciling run cannot read it whole (a child of a parent "
                "read incrementally): no ACTIVATE_VERSION",
                each.name,
            )


def finish(stream: Stream) -> None:
    """ACTIVATE_VERSION for each stream of the family whose versioned read completed.

    Called once the family's sync returned; a failed, skipped or unsettled read sends none,
    nor one that read only part of its scope, nor a child of such a parent (named at INFO).
    """
    for each in _family(stream):
        version = sdk.version_of(each)
        if version is None or not each.selected or each.skipped or each.hold_bookmark:
            continue
        if not (_whole(each) or each.reread_complete):
            continue
        partial = _partial(each)
        if partial:
            each.moco_log.info("Stream '%s': no ACTIVATE_VERSION this run: %s", each.name, partial)
            continue
        sdk.activate_version(each, version)
        baseline = each.stream_state.get(STATE_KEY)
        if isinstance(baseline, dict) and baseline.pop("missing", None):
            sdk.write_state(each)


def _partial(stream: MocoStream) -> str | None:
    """Why this run's read of `stream` (or of a parent it was read for) is not whole."""
    if stream.not_whole:
        return stream.not_whole
    parent = stream.parent_stream
    if parent is None:
        return None
    if parent.skipped or parent.hold_bookmark:
        return f"its parent '{parent.name}' was not read whole"
    why = _partial(parent)
    return f"its parent '{parent.name}': {why}" if why else None


def _family(stream: Stream) -> list[MocoStream]:
    """The stream and its descendants (every stream of the tap is a `MocoStream`)."""
    return cast("list[MocoStream]", [stream, *stream.descendent_streams])


# -- the count and the prediction --------------------------------------------------------


@dataclass
class Baseline:
    """The last run's count (see the module docstring), and deletes not yet propagated."""

    count: int
    counted_at: dt.datetime
    missing: int = 0

    @classmethod
    def load(cls, state: dict[str, Any]) -> Baseline | None:
        """The baseline in a stream's state, or None (first run, or unreadable)."""
        saved = state.get(STATE_KEY)
        if not isinstance(saved, dict):
            return None
        count, missing = saved.get("count"), saved.get("missing", 0)
        moment = parse_timestamp(saved.get("counted_at"))
        if not isinstance(count, int) or moment is None or not isinstance(missing, int):
            return None
        return cls(count, moment, missing)

    def save(self, state: dict[str, Any]) -> None:
        """Into the stream's state, next to the version sent last."""
        saved = state.setdefault(STATE_KEY, {})
        saved.update(count=self.count, counted_at=format_timestamp(self.counted_at))
        if self.missing:
            saved["missing"] = self.missing
        else:
            saved.pop("missing", None)
        saved.pop(FIRST, None)


class Tally:
    """Distinct records created in a time range, over the last pass of a paged read."""

    def __init__(
        self,
        since: dt.datetime,
        until: dt.datetime,
        keys: list[str],
        *,
        has_created: bool,
        scope: dt.datetime | None = None,
    ) -> None:
        self.since, self.until = format_timestamp(since), format_timestamp(until)
        # A record created before the scope's start may just have entered it (an update).
        self.entering = format_timestamp(scope) if scope is not None else None
        self.keys = keys
        self.has_created = has_created
        self._seen: set[tuple[Any, ...]] = set()
        self._last_page = 0

    def page(self, number: int, records: Iterable[dict[str, Any]]) -> None:
        """One page's records; a page not after the last one starts a new pass."""
        if number <= self._last_page:
            self._seen.clear()
        self._last_page = number
        for record in records:
            created = normalize_timestamp(record.get("created_at")) if self.has_created else None
            # Without `created_at` every record seen may be new: counted (never a miss).
            if (
                not isinstance(created, str)
                or self.since <= created <= self.until
                or (self.entering is not None and created <= self.entering)
            ):
                self._seen.add(tuple(record.get(key) for key in self.keys))

    @property
    def created(self) -> int:
        """How many distinct records of the last pass were created in the range."""
        return len(self._seen)


def counts_first(state: dict[str, Any], *, whole: bool) -> bool:
    """Whether a watched incremental read starts with a count (`Watch.before_read`).

    With a baseline; without one, unless it kept a `first` count or its page 1 counts the
    scope (`whole`: a first run's filter).
    """
    if Baseline.load(state) is not None:
        return True
    return not whole and Count.kept(state) is None


class Watch:
    """One run's delete detection for one incremental list (driven by `PagedListStream`)."""

    def __init__(
        self,
        stream: MocoStream,
        count: Callable[[], Count | None],
        *,
        fresh: bool = False,
        whole: bool = False,
        scope: dt.datetime | None = None,
    ) -> None:
        self.stream = stream
        self.scope = scope
        self.state = stream.stream_state
        self.count = count
        self.whole = whole  # the read's filter is the scope's: its page 1 counts the scope
        self.baseline = None if fresh else Baseline.load(self.state)
        self.now: Count | None = None
        self.tally: Tally | None = None
        self.first: Count | None = None
        self.vanished = 0
        self.carried = 0  # creates the killed run had tallied on pages this resume skips
        self.dated: dated.DatedRun | None = None
        self.narrow: Callable[[dated.DatedRun, str], Outcome] | None = None

    def date(
        self,
        field: str,
        narrow: Callable[[dated.DatedRun, str], Outcome],
        *,
        listing: bool = False,
    ) -> None:
        """Keep a belief of the list by record date (`tap_moco.state.dated`) this run.

        `listing`: MOCO sorts the list by id, so the belief lists its recent ids.
        """
        saved = self.state.get(STATE_KEY)
        held = saved.get(dated.KEY) if isinstance(saved, dict) else None
        today = dt.datetime.now(dt.timezone.utc).date()
        self.dated = dated.DatedRun(field, held, today, self.scope, listing=listing)
        self.narrow = narrow

    def before_read(self) -> None:
        """Count now, before the read: with a baseline, or for a first count not on page 1."""
        if self.baseline is None:
            self.first = Count.kept(self.state)
            if self.first is None and not self.whole:
                self._keep_first(self.count())
            return
        self.now = self.count()
        if self.now is not None:
            self.tally = Tally(
                self.baseline.counted_at - MARGIN,
                self.now.at + MARGIN,
                list(self.stream.primary_keys or ["id"]),
                has_created="created_at" in self.stream.schema.get("properties", {}),
                scope=self.scope,
            )

    def _keep_first(self, count: Count | None) -> None:
        """The first count, into the state written now: before the read's first record."""
        self.first = count
        if count is not None:
            count.keep(self.state)
            sdk.write_state(self.stream)

    def counting(
        self,
        records: Callable[[requests.Response], list[dict[str, Any]]],
        page_of: Callable[[requests.Response], int],
    ) -> Callable[[requests.Response], list[dict[str, Any]]]:
        """`records` that also tallies creates (and keeps a whole read's first page 1 count)."""

        def counted(response: requests.Response) -> list[dict[str, Any]]:
            page = records(response)
            number = page_of(response)
            if self.tally is not None:
                self.tally.page(number, page)
            if self.dated is not None:
                self.dated.page(page)
            if self.baseline is None and self.first is None and self.whole and number == 1:
                self._keep_first(Count.of(response))
            return page

        return counted

    @property
    def created(self) -> int:
        """Creates tallied so far, those of a killed run this read resumes included."""
        return self.carried + (self.tally.created if self.tally is not None else 0)

    def after_read(self, *, judged: bool, resumed: bool = False) -> int:
        """Compare, save the baseline, cap the bookmark; how many records vanished.

        A settled read resumed after a kill is judged one way only: its tally may lack
        creates on pages the killed run read after its own count, so a prediction above
        MOCO's count still proves deletes (at worst an extra re-read), one below it proves
        nothing and the old baseline stays.
        """
        logger, name = self.stream.moco_log, self.stream.name
        if self.dated is not None and not self.dated.usable:
            # A record without an integer id or created_at: the belief cannot follow it.
            saved = self.state.get(STATE_KEY)
            if isinstance(saved, dict):
                saved.pop(dated.KEY, None)
            self.dated = None
        if self.baseline is None:
            self._first_baseline(judged=judged)
            return 0
        if self.now is None or self.tally is None:
            logger.info("Stream '%s': MOCO sent no X-Total; no delete detection", name)
            self.state.pop(STATE_KEY, None)
            return 0
        if not judged and resumed and self.baseline.count + self.created > self.now.total:
            if self._by_date():
                return self._judge_by_date(self.baseline, self.now, advance=False)
            judged = True
        if not judged:
            logger.info(
                "Stream '%s': this read was resumed or still moving; the next run checks "
                "for deletes since %s",
                name,
                format_timestamp(self.baseline.counted_at),
            )
            self._cap(self.baseline.counted_at)
            return 0
        if self._by_date():
            return self._judge_by_date(self.baseline, self.now, advance=True)
        predicted = self.baseline.count + self.created
        self.vanished = max(0, predicted - self.now.total) + self.baseline.missing
        Baseline(self.now.total, self.now.at, self.vanished).save(self.state)
        self._cap(self.now.at)
        logger.info(
            "Stream '%s': %d records in MOCO, %d predicted (%d + %d created): %d deleted",
            name,
            self.now.total,
            predicted,
            self.baseline.count,
            self.created,
            self.vanished,
        )
        return self.vanished

    def _first_baseline(self, *, judged: bool) -> None:
        """A read without a baseline keeps its first count (and its belief, if whole)."""
        # A read resumed from a checkpoint without `first` (an older tap) counts now.
        fresh = self.first or self.count()
        if fresh is None:
            self.stream.moco_log.info(
                "Stream '%s': MOCO sent no X-Total; no delete detection", self.stream.name
            )
            return
        Baseline(fresh.total, fresh.at).save(self.state)
        if judged:
            self._rebuild(fresh.at)
        self._cap(fresh.at)

    def _by_date(self) -> bool:
        """Whether this run judges by the belief by date (`tap_moco.state.dated`)."""
        return self.dated is not None and self.dated.usable and self.dated.belief is not None

    def _judge_by_date(self, baseline: Baseline, now: Count, *, advance: bool) -> int:
        """The belief grown by this read, compared; a shortfall narrowed and named.

        What the narrowing could not name is returned: the whole re-read finds it. A read
        resumed after a kill (`advance` False) lacks the records of the killed run's pages:
        it names what is gone from the belief as it was, and keeps the old baseline and
        bookmark, so the next run holds every record since.
        """
        run = self.dated
        assert run is not None and self.narrow is not None
        since = format_timestamp(baseline.counted_at - MARGIN)
        if advance:
            run.grow(since, format_timestamp(now.at - MARGIN))
            predicted = run.predicted(format_timestamp(now.at + MARGIN))
        else:
            predicted = baseline.count + self.created  # proven above MOCO's count
        unresolved, named = 0, 0
        if predicted > now.total:
            outcome = self.narrow(run, since)
            named, unresolved = len(outcome.deleted), outcome.unresolved
            if run.undated:  # a record without a date cannot be narrowed to one
                unresolved = max(unresolved, predicted - now.total - named)
        # Deletes no narrowing could name wait for a whole re-read (or a reconciling run).
        unresolved += baseline.missing
        self.vanished = unresolved
        kept = Baseline(now.total, now.at, unresolved) if advance else baseline
        kept.missing = unresolved
        kept.save(self.state)
        self.state[STATE_KEY][dated.KEY] = run.kept()
        self._cap(kept.counted_at)
        self.stream.moco_log.info(
            "Stream '%s': %d records in MOCO, %d held: %d deleted named by date, %d to re-read",
            self.stream.name,
            now.total,
            predicted,
            named,
            unresolved,
        )
        return unresolved

    def _rebuild(self, counted_at: dt.datetime) -> None:
        """The belief from this whole read (a first run, a reconcile, a re-read)."""
        run = self.dated
        if run is None or not run.usable:
            return
        run.rebuild(run.seen.values(), format_timestamp(counted_at - MARGIN))
        self.state.setdefault(STATE_KEY, {})[dated.KEY] = run.kept()

    def after_reread(self, *, settled: bool) -> None:
        """A settled whole re-read rebuilds the belief (`reread_pages` fed it).

        It then holds everything since this run's count: the baseline moves there (a
        resumed read kept the old one).
        """
        if settled and self.now is not None and self.dated is not None and self.dated.usable:
            self._rebuild(self.now.at)
            missing = Baseline.load(self.state)
            Baseline(self.now.total, self.now.at, missing.missing if missing else 0).save(
                self.state
            )

    def reread_pages(
        self, records: Callable[[requests.Response], list[dict[str, Any]]]
    ) -> Callable[[requests.Response], list[dict[str, Any]]]:
        """`records` of a whole re-read, which the belief is rebuilt from."""
        if self.dated is None:
            return records
        run = self.dated

        run.seen.clear()

        def fed(response: requests.Response) -> list[dict[str, Any]]:
            page = records(response)
            run.page(page)
            return page

        return fed

    def _cap(self, counted_at: dt.datetime) -> None:
        """The bookmark stays before the count, so the next read sees every later create."""
        cap = format_timestamp(counted_at - MARGIN)
        current = self.state.get(SIGNPOST)
        if not isinstance(current, str) or cap < current:
            self.state[SIGNPOST] = cap

    def may_reread(self) -> bool:
        """Within `delete_detection_max_records`; otherwise one warning says what stays."""
        limit = self.stream.settings.delete_detection_max_records
        size = self.now.total if self.now is not None else 0
        if size <= limit:
            return True
        self.stream.moco_log.warning(
            "Stream '%s': %d record(s) deleted in MOCO stay in the warehouse: re-reading "
            "%d records exceeds delete_detection_max_records (%d); a reconciling run "
            "(activate_version_streams) or a higher limit removes them",
            self.stream.name,
            self.vanished,
            size,
            limit,
        )
        return False
