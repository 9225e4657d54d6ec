"""TapMoco: settings, the stream registry, the run and the command line.

Owns what concerns the whole run: building one stream per declaration with the settings and
the transport handed over explicitly, reading streams one after another so that a stream
that fails is reported and its bookmark kept while the others still finish (a stream read
whole sends ACTIVATE_VERSION only once it finished: `tap_moco.state.deletes`), SIGTERM/SIGINT
ending the process at once with a final STATE and a non-zero exit, and every explained
failure printed as one line (exit 1).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, cast

from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, TapCapabilities
from singer_sdk.plugin_base import PluginBase

from tap_moco import sdk
from tap_moco.cli.plan import plan_for_tap
from tap_moco.cli.run_log import (
    end_line,
    quiet_sdk_logs,
    start_line,
    summary_table,
    use_default_log_config,
)
from tap_moco.cli.stdout import MessageWriter
from tap_moco.client.throttle import shared_limiter
from tap_moco.client.transport import MocoTransport, decoded
from tap_moco.errors import (
    MocoAuthError,
    MocoConnectionError,
    MocoError,
    MocoRetriesExhaustedError,
    MocoStateError,
    MocoStreamIncompleteError,
)
from tap_moco.records import custom_fields
from tap_moco.settings import CONFIG_SCHEMA, Settings, SettingsError, resolve_settings
from tap_moco.state import deletes
from tap_moco.streams import STREAM_CLASSES

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

    import click

    from tap_moco.kinds import MocoStream

LOGGER = logging.getLogger("tap_moco")


class TapMoco(Tap):
    """Singer tap for MOCO (mocoapp.com)."""

    name = "tap-moco"
    package_name = "tap-moco"
    # A copy: the SDK appends its built-in settings to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    message_writer_class = MessageWriter
    capabilities: ClassVar[list[CapabilitiesEnum]] = [*Tap.capabilities, TapCapabilities.TEST]

    @cached_property
    def settings(self) -> Settings:
        """Validated settings; raises `SettingsError` naming the bad setting."""
        return resolve_settings(self.config)

    @cached_property
    def transport(self) -> MocoTransport:
        """One throttled HTTP transport shared by every stream."""
        settings = self.settings
        limiter = shared_limiter(settings.host, settings.rate_limits)
        return MocoTransport(settings, limiter, user_agent=settings.user_agent)

    def discover_streams(self) -> Sequence[MocoStream]:
        """Every MOCO stream, each handed the settings and the transport."""
        if self._validate_config_on_init:
            settings, transport = self.settings, self.transport
        else:  # discovery without a config makes no request
            settings = resolve_settings(_DISCOVERY_CONFIG)
            transport = MocoTransport(
                settings, shared_limiter("discovery", settings.rate_limits), user_agent=""
            )
        streams = [cls(self, settings=settings, transport=transport) for cls in STREAM_CLASSES]
        definitions = self._custom_field_definitions() if self._discovering else None
        for stream in streams if definitions else ():
            stream.type_custom_fields(definitions or [])
        return streams

    def run_discovery(self) -> str:
        """`--discover`: with a key, `custom_properties` is typed from the account's fields."""
        self._discovering = True
        return super().run_discovery()

    def _custom_field_definitions(self) -> list[custom_fields.Definition] | None:
        """The account's custom field definitions (one request), or None without a key.

        A failure only leaves `custom_properties` open: the sync reports a bad key itself.
        """
        if not self.config.get("api_key"):
            return None
        try:
            settings = resolve_settings(self.config)
            transport = MocoTransport(
                settings,
                shared_limiter(settings.host, settings.rate_limits),
                user_agent=settings.user_agent,
            )
            definitions = custom_fields.read_definitions(transport)
        except (SettingsError, MocoError) as exc:
            LOGGER.warning("Custom fields stay untyped: cannot read their definitions (%s)", exc)
            return None
        LOGGER.info("Typing custom_properties from %d custom field definitions", len(definitions))
        return definitions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Validate settings before any request (discovery needs none)."""
        self._validate_config_on_init = kwargs.get("validate_config", True)
        self._discovering = False
        self._warmed: set[Any] = set()
        super().__init__(*args, **kwargs)
        quiet_sdk_logs(self.metrics_logger)
        if self._validate_config_on_init:
            _ = self.settings

    def setup_mapper(self) -> None:
        """Register every stream for stream maps, deselected ones with their whole schema.

        The SDK (0.54, meltano/sdk#1942) registers a deselected stream with an empty schema,
        and then any `"*"` stream map fails on its key properties.
        """
        PluginBase.setup_mapper(self)
        for entry in self.catalog.streams:
            name = entry.stream or entry.tap_stream_id
            selection = entry.metadata.resolve_selection()
            schema = entry.schema.to_dict()
            if entry.metadata.root.selected is not False:
                schema = sdk.selected_schema(name, schema, selection)
            self.mapper.register_raw_stream_schema(name, schema, entry.key_properties)

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Our one-line errors, naming the setting, before the SDK's schema check.

        Not when asked not to raise (`--discover`, `--about`): those need no settings, and
        the SDK would print a WARNING for a config that is absent on purpose.
        """
        if not raise_errors:
            return []
        resolve_settings(self.config)
        return super()._validate_config(raise_errors=raise_errors)

    def sync_all(self) -> None:  # type: ignore[misc]  # SDK marks it final
        """Every selected stream; a failed stream keeps its bookmark and fails the run."""
        try:
            self._sync_streams()
        finally:
            cast("MessageWriter", self.message_writer).flush()  # records batched before a failure

    def _sync_streams(self) -> None:
        self._refuse_unknown_streams()
        sdk.prepare_run(self)
        if self.state:
            self.state_writer.write_state(self.state)
        failures: list[str] = []
        ran: list[Any] = []
        queue: list[MocoStream] = [
            stream
            for stream in cast("dict[str, MocoStream]", self.streams).values()
            if not stream.parent_stream_type
            and (stream.selected or stream.has_selected_descendents)
        ]
        ahead = ThreadPoolExecutor(self.settings.max_parallel_requests, "moco-ahead")
        for position, stream in enumerate(queue):
            self._warm_next(queue, position, ahead)
            family = [stream, *(child for child in stream.child_streams if child.selected)]
            ran.extend(family)
            stream.moco_log.info("%s", start_line(stream, family[1:]))
            started = time.monotonic()
            deletes.begin(stream)
            try:
                stream.sync()
            except (MocoAuthError, MocoConnectionError, MocoStateError):
                raise  # nothing else can succeed either
            except MocoError as exc:
                failures.append(str(exc))
                stream.failed = True
                _discard_progress(stream)
                self.state_writer.write_state(self.state)
                continue
            finally:
                _log_ends(family, time.monotonic() - started)
            deletes.finish(stream)  # ACTIVATE_VERSION only after a complete read
            stream.finalize_state_progress_markers()
        ahead.shutdown(wait=False, cancel_futures=True)
        for each in self.streams.values():
            each.log_sync_costs()
        LOGGER.info("%s", summary_table(ran))
        if failures:
            detail = "; ".join(failures)
            msg = f"{len(failures)} stream(s) incomplete, their bookmarks kept: {detail}"
            raise MocoStreamIncompleteError(msg)

    def _warm_next(self, queue: list[Any], position: int, pool: ThreadPoolExecutor) -> None:
        """Send the first request of the next streams ahead when round trips limit us.

        At round trip L and rate R about L x R requests fit in flight: that many following
        streams have their first request sent ahead (each once), under the same limiter.
        """
        parallel = self.transport.useful_parallelism()
        spare = parallel if parallel > 1 else 0  # one at a time means one at a time
        for stream in queue[position + 1 : position + 1 + spare]:
            if stream not in self._warmed:
                self._warmed.add(stream)
                stream.warm_up(pool)

    def _refuse_unknown_streams(self) -> None:
        """A catalog that selects a stream tap-moco does not have asks for data it cannot get."""
        catalog = self.input_catalog
        if not catalog:
            return
        unknown = sorted(
            name
            for name, entry in catalog.items()
            if name not in self.streams and entry.metadata.root.selected
        )
        if unknown:
            msg = (
                f"The catalog selects streams tap-moco does not have: {', '.join(unknown)}; "
                "run --discover for the current list"
            )
            raise MocoStateError(msg)

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:  # noqa: ARG002
        """Final STATE, one line, and a non-zero exit at once, even with a fetch stuck.

        A batch of records being written is finished first (`MessageWriter.when_idle`).
        """
        cast("MessageWriter", self.message_writer).when_idle(lambda: self._exit_on_signal(signum))

    def _exit_on_signal(self, signum: int) -> None:
        try:
            self.state_writer.write_state(self.state)
            sys.stdout.flush()
        finally:
            LOGGER.error(
                "Interrupted by signal %d: the run is incomplete; its state was written", signum
            )
            logging.shutdown()
            os._exit(128 + signum)

    def run_connection_test(self) -> bool:  # type: ignore[misc]  # SDK marks it final
        """`--test`: one `GET /session` tells whether the key and the account are right.

        The SDK's default syncs a record of every stream: ~70 requests, a minute of MOCO's
        rate limit, and it cannot tell a bad key from an unknown account.
        """
        transport = self.transport
        try:
            answer = transport.get_response(
                transport.url_for("/session"), {}, stream="connection test", tries=2
            )
            session = decoded(answer)
        except (MocoRetriesExhaustedError, MocoConnectionError) as exc:
            msg = (
                f"Cannot reach MOCO at {self.settings.host} ({exc}); check the 'domain' or "
                "'api_url' setting and the network"
            )
            raise MocoError(msg) from None
        user = session.get("id") if isinstance(session, dict) else None
        LOGGER.info("Connection OK: %s accepts the API key (user %s)", self.settings.host, user)
        return True

    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test` with the same one-line errors as a sync."""
        try:
            super().cb_test(ctx, param, value)
        except ConfigValidationError as exc:
            _fail(f"Invalid settings: {exc.errors[0] if exc.errors else exc}")
        except (SettingsError, MocoError) as exc:
            _fail(str(exc))

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK's command line plus `--plan`."""
        import click  # only the command line needs it

        command = super().get_singer_command()
        command.params.append(
            click.Option(
                ["--plan"],
                is_flag=True,
                help=(
                    "Print the requests and time a sync of the selected streams will take "
                    "(first sync and daily run), counted with one request per list; "
                    "--format=json for JSON."
                ),
            )
        )
        return command

    @classmethod
    def print_plan(cls, **kwargs: Any) -> None:
        """`--plan`: the cost plan on stdout (see `tap_moco.cli.plan`), no sync."""
        config, state, catalog = kwargs.get("config"), kwargs.get("state"), kwargs.get("catalog")
        tap = cls(
            config=config.config if config else None,
            state=None if state is None else json.loads(state.read()),
            catalog=None if catalog is None else json.loads(catalog.read()),
            parse_env_config=bool(config and config.parse_env),
        )
        sys.stdout.write(plan_for_tap(tap, kwargs.get("about_format")) + "\n")

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the tap; report settings and MOCO errors as one line and exit 1."""
        try:
            if kwargs.pop("plan", False) and not kwargs.get("about"):
                cls.print_plan(**kwargs)
                return
            super().invoke(*args, **kwargs)
        except ConfigValidationError as exc:
            first = exc.errors[0] if exc.errors else str(exc)
            _fail(f"Invalid settings: {first}")
        except (SettingsError, MocoError) as exc:
            _fail(str(exc))
        except ValueError as exc:
            if type(exc).__name__ != "JSONDecodeError":  # the SDK reads files with simplejson
                raise
            _fail(f"The state or catalog file is not valid JSON: {exc}; fix or remove it")


def _fail(message: str) -> None:
    LOGGER.error("%s", message)
    sys.exit(1)


def _log_ends(family: list[Any], wall: float) -> None:
    """One end line per stream; a parent's seconds are its own, its children's taken out."""
    parent, children = family[0], family[1:]
    parent.seconds = max(0.0, wall - sum(child.seconds for child in children))
    for stream in family:
        stream.moco_log.info("%s", end_line(stream))


_DISCOVERY_CONFIG = {"api_key": "discovery", "api_url": "http://127.0.0.1/api/v1"}


def _discard_progress(stream: Any) -> None:
    """Drop what a failed stream (and its children) read this run: no bookmark moves."""
    for each in [stream, *stream.child_streams]:
        each.stream_state.pop("progress_markers", None)
        each.stream_state.pop("replication_key_signpost", None)
        each.stream_state.pop("starting_replication_value", None)


def main() -> None:
    """The `tap-moco` command: the SDK's command line, with the tap's logging config."""
    use_default_log_config()
    TapMoco.cli()


if __name__ == "__main__":
    main()
