"""`MocoStream`: what every MOCO stream shares, whatever its kind.

Owns the SDK hooks every kind uses: the session, timeout and headers from the transport
(`requests_session`), MOCO's answers classified (`validate_response`, with the 403/404 policy by
position: refused on a stream's first request means "not permitted or not enabled here", later
it is a fault), retries (`request_decorator` -> the transport's `backoff` policy), query
parameters (`get_url_params`: fixed filters, `updated_after` from the bookmark, page size and
page), decoding (`parse_response`), one request with SDK metrics (`fetch`), records conformed
and stamped (`post_process`), bookmarks capped at the run start (or the interrupted run's
start after a resume) and held back when a read could not be settled, and SCHEMA once per run.
Each kind (`tap_moco.kinds`) adds only how it reads: `read(context, extra)`.

A stream class (`tap_moco.streams`) is a kind with its declaration as `spec`; the SDK's class
attributes are derived from it once, in `__init_subclass__`. What a declaration adds beyond
its kind is data read here, never a class of its own:

- A parent (`parent_stream_type`; `spec.parent` is its name): the stream is read once per
  record of its parent. The parent's id is its only context and is stamped on every record;
  a 404 for one parent means that parent has nothing here (no customer approval) or vanished
  since it was listed, which is normal and not a fault (but a list child then sends no
  ACTIVATE_VERSION this run: the list may have been there, and its rows stay until a run
  reads it). Children that change only with their parent (invoice items) follow the
  parent's bookmark; the others visit every parent (the SDK then reads the parent whole:
  `ignore_parent_replication_key`) and read each parent's list whole, so they carry a
  version (`tap_moco.state.deletes`).
- Date windows (`spec.window`): the stream's `WindowReader` (`tap_moco.kinds.windowed`) calls
  its `read` once per window.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import backoff
from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.authenticators import SimpleAuthenticator
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import RecordMessage
from singer_sdk.streams import RESTStream

from tap_moco import schemas, sdk
from tap_moco.client.transport import decoded
from tap_moco.errors import (
    MocoNotFoundError,
    MocoPermissionError,
    MocoRequestError,
    MocoStateError,
    RetriableError,
)
from tap_moco.kinds.windowed import WindowReader
from tap_moco.records import custom_fields
from tap_moco.records.conform import RecordConformer
from tap_moco.records.timestamps import format_timestamp, parse_timestamp
from tap_moco.spec import SYNCED_AT, WINDOW_START, Replication, Shape, StreamSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
    from concurrent.futures import Executor, Future

    import requests
    from backoff.types import Details
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.singerlib import Catalog

    from tap_moco.client.transport import MocoTransport
    from tap_moco.settings import Settings

UPDATED_AFTER_OVERLAP = dt.timedelta(seconds=1)
"""MOCO's `updated_after` is exclusive at one-second resolution: step back one second so a
record updated in the same second as the bookmark, after we read, is not missed."""


def updated_after(start: dt.datetime) -> dict[str, str]:
    """MOCO's change filter from `start`, one second early (see the overlap)."""
    return {"updated_after": format_timestamp(start - UPDATED_AFTER_OVERLAP)}


RESUME_KEY = "resume"
"""Stream state key of the page checkpoint (see `tap_moco.kinds.paged`)."""


class _StreamSchema(StreamSchema[str]):
    """The packaged schema, or the one discovery typed from the account's custom fields."""

    def get_stream_schema(self, stream: Any, stream_class: Any) -> dict[str, Any]:
        """A stream's own `typed_schema` (set by discovery) wins over the packaged file."""
        typed: dict[str, Any] | None = stream.__dict__.get("typed_schema")
        if typed is not None:
            return typed
        return super().get_stream_schema(stream, stream_class)


@dataclass(frozen=True)
class PageToken:
    """What one request asks for beyond the stream's own filters: a page, a window."""

    page: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


def _class_name(stream_name: str) -> str:
    """The class of stream `invoice_items` is `InvoiceItemsStream`."""
    return "".join(part.title() for part in stream_name.split("_")) + "Stream"


def _settled(stream_class: type[MocoStream], spec: StreamSpec) -> StreamSpec:
    """`spec` with the facts its class statement holds: the kind's shape and the parent.

    Raises:
        TypeError: the declaration states either of them otherwise, or its class name is
            not the one its stream name gives.
    """
    name = stream_class.__name__
    if name != _class_name(spec.name):
        msg = f"the class of stream '{spec.name}' must be named {_class_name(spec.name)}"
        raise TypeError(msg)
    if spec.shape not in {None, stream_class.shape}:
        msg = f"{name}: a {stream_class.shape.value} kind cannot read a {spec.shape} endpoint"
        raise TypeError(msg)
    parent = stream_class.__dict__.get("parent_stream_type")
    parent_spec: StreamSpec | None = getattr(parent, "spec", None)
    if parent is not None and parent_spec is None:
        msg = f"{name}: parent_stream_type {parent} is not a MOCO stream"
        raise TypeError(msg)
    parent_name = parent_spec.name if parent_spec is not None else None
    if spec.parent not in {None, parent_name} or (parent_name is None) != (spec.parent_key is None):
        msg = f"{name}: a parent needs both parent_stream_type and parent_key, stated once"
        raise TypeError(msg)
    return replace(spec, shape=stream_class.shape, parent=parent_name)


class MocoStream(RESTStream[PageToken]):
    """Base class of every MOCO stream; a kind overrides `read`."""

    spec: ClassVar[StreamSpec]
    """A stream's declaration; the class attributes the SDK reads are derived from it."""
    shape: ClassVar[Shape]
    """How the endpoint of the kind answers; each kind sets it."""
    typed_schema: dict[str, Any] | None
    """Set by discovery with a key: the schema with `custom_properties` typed."""
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # `RecordConformer` does what MOCO needs
    schema = _StreamSchema(SchemaDirectory(schemas))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A class with its own `spec` is a stream: the SDK's attributes, from the spec.

        A class without one is a kind (`PagedListStream`, ...), left as it is.
        """
        super().__init_subclass__(**kwargs)
        declared: StreamSpec | None = cls.__dict__.get("spec")
        if declared is None:
            return
        spec = cls.spec = _settled(cls, declared)
        derived: dict[str, Any] = {
            "name": spec.name,
            "path": spec.path,
            "primary_keys": list(spec.primary_keys),
            "replication_key": spec.replication_key,
            "selected_by_default": spec.selected_by_default,
        }
        if spec.parent is not None:
            derived["ignore_parent_replication_key"] = not spec.follows_parent
            derived["state_partitioning_keys"] = []  # one bookmark, not one per parent
        for attribute, value in derived.items():
            setattr(cls, attribute, value)
        if cls.__doc__ is None:
            cls.__doc__ = f"MOCO `{spec.path}` as the `{spec.name}` stream."

    def __init__(self, tap: Tap, *, settings: Settings, transport: MocoTransport) -> None:
        self.settings = settings
        self.transport = transport
        super().__init__(tap=tap)
        self._conformer: RecordConformer | None = None  # built at the first record
        self._custom_values: custom_fields.CustomValues | None = None  # set at the SCHEMA
        self._count_lock = threading.Lock()  # `fetch` runs in prefetch threads
        # The tap's own lines: `tap_moco.*`, apart from the SDK's `tap-moco.*` bookkeeping,
        # which the logging config quiets by level (`tap_moco/cli/logging.yaml`).
        self.moco_log = logging.getLogger(f"tap_moco.{self.name}")
        self._answered = False
        self._schema_written = False
        self._everything_selected: bool | None = None
        self.hold_bookmark = False
        self._ahead: dict[str, Future[requests.Response]] = {}
        self._bookmark_at_start: Any = None
        self.skipped: str | None = None
        self.failed = False  # the run's summary says so; `tap.sync_all` sets it
        self.reread_complete = False  # a list re-read whole for deletes, and settled
        self.not_whole: str | None = None  # why this run read only part of it: no ACTIVATE_VERSION
        self.requests = 0
        self.records_written = 0
        self.seconds = 0.0  # wall time in `get_records` (a parent's includes its children)
        self.synced_at = format_timestamp(
            dt.datetime.fromtimestamp(tap.initialized_at / 1000, tz=dt.timezone.utc)
        )
        self.window_reader = WindowReader(self) if self.spec.window is not None else None

    # -- how requests are made (SDK hooks) --------------------------------------------

    @property
    def url_base(self) -> str:
        """MOCO's API base URL for the configured account."""
        return self.settings.base_url

    @property
    def requests_session(self) -> requests.Session:
        """The transport's throttled, deadline-bounded session."""
        return self.transport.session

    @property
    def authenticator(self) -> SimpleAuthenticator:
        """No per-request auth: the session carries MOCO's `Authorization` header."""
        return SimpleAuthenticator()

    @property
    def http_headers(self) -> dict[str, str]:
        """None beyond the session's (auth, Accept, our User-Agent)."""
        return {}

    @property
    def timeout(self) -> int:
        """Seconds for one whole answer (the session enforces it as a deadline)."""
        return int(self.settings.request_timeout) or 1

    def validate_response(self, response: requests.Response) -> None:
        """MOCO's answer classified; 403/404 after the stream's first answer are faults."""
        try:
            self.transport.check(response, stream=self.name, permission=self.spec.permission)
        except (MocoPermissionError, MocoNotFoundError) as exc:
            if self._answered and not self.gone_is_normal(exc):
                msg = f"{response.status_code} in the middle of the stream ({exc})"
                raise RetriableError(msg, status=response.status_code) from None
            raise
        self._answered = True

    def gone_is_normal(self, exc: Exception) -> bool:
        """A 404 for one parent is normal: that parent has nothing here, or vanished."""
        return self.spec.parent is not None and isinstance(exc, MocoNotFoundError)

    # -- retries: the SDK's backoff hooks, filled with MOCO's policy (client/transport.py) --

    allow_redirects = False  # the API key goes to the configured host only

    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Retry-After in full, the limiter's room on a 429, else exponential; ends = give up."""
        return self.transport.waits(stream=self.name)

    def backoff_max_tries(self) -> int:
        """No cap here: the wait generator counts tries, since a 429 naming its moment uses none."""
        return sys.maxsize

    def backoff_jitter(self, value: float) -> float:
        """Exact waits: MOCO's Retry-After and the limiter's room are not to be shortened."""
        return value

    def backoff_handler(self, details: Details) -> None:
        """One WARNING per retry, naming the stream."""
        self.transport.log_retry(details, stream=self.name)

    def request_decorator(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """The SDK's decorator from the hooks above, less backoff's own log lines.

        `RESTStream.request_decorator` passes the stream's logger to backoff, which then adds
        an INFO line per retry and an ERROR line on giving up beside ours; the tap promises
        one explained line when it gives up (`MocoRetriesExhaustedError`).
        """
        retried = backoff.on_exception(
            self.backoff_wait_generator,
            RetriableError,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )(func)
        return self.transport.explained(retried, stream=self.name)

    def get_url_params(
        self, context: Context | None, next_page_token: PageToken | None
    ) -> dict[str, Any]:
        """Fixed filters, the window, `updated_after` from the bookmark, size and page."""
        token = next_page_token or PageToken()
        params: dict[str, Any] = {**self.spec.params, **token.extra}
        params.update(self.incremental_params(context))
        if token.page is not None:
            params["per_page"] = self.settings.per_page
            params["page"] = token.page
        return params

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """The records of one answer: a list's items, or the one object."""
        data = decoded(response)
        return self.records_of(data if isinstance(data, list) else [data])

    def records_of(self, items: list[Any]) -> list[dict[str, Any]]:
        """`items` as records: each must be a JSON object (one line naming the stream if not)."""
        for item in items:
            if not isinstance(item, dict):
                msg = (
                    f"Stream '{self.name}': MOCO sent a {type(item).__name__} where a record "
                    f"(JSON object) belongs, in {self.path}"
                )
                raise MocoRequestError(msg)
        return items

    @property
    def _conform(self) -> RecordConformer:
        """The conformer of the schema this stream's SCHEMA message carries.

        Built at the first record from `effective_schema` (the input catalog's schema, else
        the packaged one), so records follow a user's edited types and removed properties.
        """
        if self._conformer is None:
            schema = self.effective_schema
            custom = self._custom_values
            declared = custom_fields.declared_fields(schema)
            if custom is None and declared:
                custom = custom_fields.CustomValues(declared, self.name, self.moco_log)
            self._conformer = RecordConformer(schema, self.name, self.moco_log, custom)
        return self._conformer

    def type_custom_fields(self, definitions: list[custom_fields.Definition]) -> None:
        """Discovery: type `custom_properties` from the definitions of this stream's entity."""
        mine = custom_fields.for_entity(definitions, self.spec.entity)
        if mine:
            self.typed_schema = custom_fields.type_schema(self.schema, mine)

    def check_custom_fields(self) -> None:
        """Sync: compare the catalog's typed custom fields with the account's now.

        Read once per run, only for a stream whose catalog types them. Differences are named
        in one INFO line; a field whose kind changed is sent in MOCO's raw form (the SCHEMA
        is re-registered with it), so that every record validates against the SCHEMA sent.
        """
        schema = self.effective_schema
        declared = custom_fields.declared_fields(schema)
        if not declared or self.spec.entity is None:
            return
        live = custom_fields.live_definitions(self.transport, self.moco_log.warning)
        if live is None:
            return
        drift = custom_fields.compare(declared, custom_fields.for_entity(live, self.spec.entity))
        line = drift.line(self.name)
        if line:
            self.moco_log.info("%s", line)
        self._custom_values = custom_fields.CustomValues(
            declared,
            self.name,
            self.moco_log,
            raw={name: now for name, (_was, now) in drift.changed.items()},
            announced=[*drift.new, *drift.renamed],
        )
        self._conformer = None
        if drift.changed:
            wide = custom_fields.widen(schema, drift)
            sdk.replace_schema(self, wide)

    def apply_catalog(self, catalog: Catalog) -> None:
        """The SDK's catalog handling; the conformer is rebuilt from the catalog's schema."""
        super().apply_catalog(catalog)
        self._conformer = None

    def fetch(self, context: Context | None, token: PageToken) -> requests.Response:
        """One request through the SDK's pieces: prepared, retried, counted, validated.

        A request sent ahead (`warm_up`) for exactly this URL is used instead of a new one.
        Prefetch threads call this at once: the counts are updated under a lock (the SDK's
        counter and sync costs are plain `+=`, which loses updates between threads).
        """
        prepared = self.prepare_request(context, token)
        ahead = self._ahead.pop(prepared.url or "", None)
        try:
            if ahead is not None:
                response: requests.Response = ahead.result()
            else:
                response = sdk.send(self, prepared, context)
        finally:
            with self._count_lock:
                self.requests += 1  # a refused request was asked too (the run summary counts it)
        with self._count_lock:
            self._http_counter.increment()
            self.update_sync_costs(prepared, response, context)
        return response

    def warm_up(self, pool: Executor) -> None:
        """Send this stream's first request ahead, while the stream before it is read.

        The SDK reads streams one after another, so on a slow network each stream's first
        round trip would run with nothing else in flight. Kinds that start with a known
        request (a list's page 1, a single object) override this with `send_ahead`.
        """

    def send_ahead(self, pool: Executor, token: PageToken) -> None:
        """Prepare a request here, send it in `pool` under the same limiter.

        `fetch` uses the answer only if its URL is exactly the one the read asks for, so a
        filter that changed in between costs a request, never a wrong answer.
        """
        prepared = self.prepare_request(None, token)
        send = sdk.sender(self)
        self._ahead[prepared.url or ""] = pool.submit(send, prepared, None)

    # -- records -------------------------------------------------------------------

    def read(self, context: Context | None, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Raw records for one context and window; each kind says how."""
        raise NotImplementedError

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """Records of this stream for one context, with the first-request 403/404 policy."""
        if self.skipped:
            return
        started = time.monotonic()
        if self._bookmark_at_start is None:
            self._bookmark_at_start = self.get_context_state(context).get("replication_key_value")
        with self.get_http_request_counter() as counter:
            counter.with_context(context)
            self._http_counter = counter
            try:
                if self.window_reader is None:
                    yield from self.read(context, {})
                else:
                    yield from self.window_reader.read(context)
            except MocoPermissionError as exc:
                self._skip(exc, "the key may not read it")
            except MocoNotFoundError as exc:
                self.not_found(exc, context)
            finally:
                self.seconds += time.monotonic() - started

    def not_found(self, exc: MocoNotFoundError, context: Context | None) -> None:
        """A 404 on the stream's first request: MOCO does not offer it to this account.

        For a per-parent stream, nothing for this parent (named once at INFO); the stream
        goes on with the next.
        """
        if self.spec.parent is None:
            self._skip(exc, "MOCO does not offer it to this account (module not enabled?)")
            return
        where = ", ".join(f"{key} {value}" for key, value in (context or {}).items())
        self.moco_log.info("Stream '%s': nothing for %s (%s)", self.name, where, exc)
        if self.spec.shape is not Shape.OBJECT:  # an object's 404 is its answer, a list's a gap
            self.not_whole = "a parent's list answered 404 (named above)"

    def _skip(self, exc: Exception, why: str) -> None:
        if self.settings.strict_mode:
            raise exc
        self.skipped = why
        self.moco_log.warning("%s; skipping the stream: %s (strict_mode fails instead)", exc, why)

    def post_process(
        self, row: dict[str, Any], context: Context | None = None
    ) -> dict[str, Any] | None:
        """Stamp the parent's id and the run's start, conform, check key and bookmark field."""
        spec = self.spec
        key = spec.parent_key
        if key and context is not None:
            row[key] = context[key]
        if spec.synthetic_replication_key:
            row[SYNCED_AT] = self.synced_at
        self._conform(row)
        for key in self.primary_keys or ():
            if row.get(key) is None:
                msg = f"Stream '{self.name}': MOCO sent a record without its key '{key}'"
                raise MocoRequestError(msg)
        bookmark = self.replication_key
        if bookmark and bookmark != WINDOW_START and not isinstance(row.get(bookmark), str):
            msg = (
                f"Stream '{self.name}': record {row.get('id')} has "
                f"{bookmark}={row.get(bookmark)!r}, "
                "not a timestamp"
            )
            raise MocoRequestError(msg)
        self.records_written += 1
        return row

    def get_child_context(self, record: dict[str, Any], context: Context | None) -> Context | None:
        """Children need only their parent's id, under the `parent_key` they declare."""
        keys = [
            child.spec.parent_key
            for child in self.child_streams
            if isinstance(child, MocoStream) and child.spec.parent_key
        ]
        if not keys:
            return super().get_child_context(record, context)
        return dict.fromkeys(keys, record["id"])

    @property
    def parent_stream(self) -> MocoStream | None:
        """This tap's stream `spec.parent` names (None for a top-level stream)."""
        parent = sdk.tap_of(self).streams.get(self.spec.parent or "")
        return parent if isinstance(parent, MocoStream) else None

    def _generate_record_messages(
        self, record: dict[str, Any]
    ) -> Generator[RecordMessage, None, None]:
        """RECORD messages; with every field selected, without the SDK's per-record trim.

        `RecordConformer` already drops what the schema does not declare, and the SDK's
        recursive trim of deselected fields cost a third of the tap's CPU for nothing.
        """
        if self._everything_selected is None:
            self._everything_selected = all(self.mask.values())
        if not self._everything_selected:
            yield from sdk.record_messages(self, record)
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=sdk.version_of(self),
                    time_extracted=dt.datetime.now(dt.timezone.utc),
                )

    def _write_schema_message(self) -> None:
        """SCHEMA once per run, however many parents a child stream is read for."""
        if not self._schema_written:
            self._schema_written = True
            self.check_custom_fields()
            sdk.write_schema(self)

    def write_schema_again(self) -> None:
        """SCHEMA once more: after other messages of the stream sent under another one."""
        sdk.write_schema(self)

    # -- bookmarks -------------------------------------------------------------------

    @property
    def reconciles(self) -> bool:
        """Named by `activate_version_streams`: read whole, then ACTIVATE_VERSION."""
        names = self.settings.activate_version_streams
        return "*" in names or self.name in names

    @property
    def replication_method(self) -> str:
        """FULL_TABLE for a reconciling stream, whatever the catalog says."""
        return "FULL_TABLE" if self.reconciles else super().replication_method

    @property
    def emit_activate_version_messages(self) -> bool:
        """Never the SDK's ACTIVATE_VERSION, which it sends before any record.

        A run killed mid-stream would leave the table empty. `tap_moco.state.deletes` versions
        the reads that may carry one (reconciling runs, this setting, delete detection)
        and sends ACTIVATE_VERSION once the read completed and settled.
        """
        return False

    def hold(self) -> None:
        """Keep this run's bookmark and its descendants' (they visited what this read gave).

        A child that follows its parent's changes is visited only for changed parents, so its
        parent's bookmark is kept too: the next run visits the same parents again.
        """
        for each in [self, *self.descendent_streams]:
            if isinstance(each, MocoStream):
                each.hold_bookmark = True
        parent = self.parent_stream
        if self.spec.follows_parent and parent is not None:
            parent.hold()

    @property
    def is_sorted(self) -> bool:
        """Only top-level month windows arrive in ascending order: their bookmark advances."""
        spec = self.spec
        return (
            spec.window is not None
            and spec.replication is Replication.WINDOW
            and spec.parent is None
        )

    @property
    def check_sorted(self) -> bool:
        """Keep the largest value for unsorted streams; sorted windows may re-read behind."""
        return not self.is_sorted

    def bookmark_start(self, context: Context | None) -> dt.datetime | None:
        """Where this run's change filter starts: the bookmark, else `start_date`."""
        # The stored bookmark itself: the SDK's starting value falls back to `start_date`.
        value = self.get_context_state(context).get("replication_key_value")
        if value is None:
            return None if self.spec.reference else self.settings.start_date
        parsed = self._parse_datetime(value)
        if format_timestamp(parsed) > self.synced_at:
            msg = (
                f"State for stream '{self.name}': bookmark {value} lies in the future; every "
                "later run would read nothing: reset the stream's state"
            )
            raise MocoStateError(msg)
        return parsed

    def _parse_datetime(self, value: str) -> dt.datetime:
        """The SDK's bookmark parsing, with one line naming the stream when it fails."""
        parsed = parse_timestamp(value)
        if parsed is None:
            msg = (
                f"State for stream '{self.name}': bookmark {value!r} is not a timestamp; "
                "fix it or reset the stream's state"
            )
            raise MocoStateError(msg)
        return parsed

    def incremental_params(self, context: Context | None) -> dict[str, str]:
        """`updated_after` from the bookmark, one second early (see the overlap)."""
        if not self.spec.updated_after or self.replication_method == "FULL_TABLE":
            return {}  # a reconciling run reads everything, whatever the bookmark
        start = self.bookmark_start(context)
        return {} if start is None else updated_after(start)

    def get_replication_key_signpost(self, context: Context | None = None) -> Any:  # noqa: ARG002
        """Cap bookmarks at this run's start, or at an interrupted run's start on resume."""
        if self.replication_key in (None, WINDOW_START):
            return None
        resume = self.stream_state.get(RESUME_KEY)
        started = resume.get("started") if isinstance(resume, dict) else None
        if isinstance(started, str) and started < self.synced_at:
            return started
        return self.synced_at

    def _finalize_state(self, state: dict[str, Any] | None = None) -> None:
        """Promote the bookmark, unless this run's read could not be settled (then keep it).

        The SDK finalizes a top-level stream here at the end of its sync.
        """
        self._keep_bookmark(state if state is not None else self.stream_state)
        sdk.finalize_state(self, state)

    def finalize_state_progress_markers(self, state: dict[str, Any] | None = None) -> None:
        """The tap's end-of-stream finalization, with the hold applied first.

        The only one a per-parent stream gets (`state_partitioning_keys = []`): the SDK
        promotes its bookmark here without calling `_finalize_state`.
        """
        if not state:
            for partition in self.partitions or [{}]:
                self._keep_bookmark(self.get_context_state(partition or None))
        super().finalize_state_progress_markers(state)

    def _keep_bookmark(self, target: dict[str, Any]) -> None:
        """An unsettled read promotes nothing: the bookmark stays where this run found it."""
        if self.hold_bookmark and self.replication_key:
            markers = target.get("progress_markers")
            if isinstance(markers, dict):
                markers.pop("replication_key", None)
                markers.pop("replication_key_value", None)
            previous = self._bookmark_at_start
            if previous is not None:
                target["replication_key_value"] = previous
            elif self.records_written:  # it read from no bookmark (one never read keeps its own)
                target.pop("replication_key_value", None)
