"""TapMoco: settings, the stream registry and the command line."""

from __future__ import annotations

import copy
import logging
import sys
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, TapCapabilities

from tap_moco.client import MocoStream
from tap_moco.errors import MocoError, MocoRetriesExhaustedError
from tap_moco.settings import CONFIG_SCHEMA, Settings, SettingsError, resolve_settings
from tap_moco.streams import STREAM_SPECS
from tap_moco.throttle import shared_limiter
from tap_moco.transport import MocoTransport

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import click

    from tap_moco.spec import StreamSpec

__version__ = "0.1.0"
LOGGER = logging.getLogger("tap-moco")


def _class_name(stream_name: str) -> str:
    return "".join(part.title() for part in stream_name.split("_")) + "Stream"


def build_stream_classes(specs: Iterable[StreamSpec]) -> dict[str, type[MocoStream]]:
    """One `MocoStream` subclass per declaration; parents before their children."""
    specs = list(specs)
    child_keys = {spec.parent: spec.parent_key for spec in specs if spec.parent}
    classes: dict[str, type[MocoStream]] = {}
    for spec in specs:
        attrs: dict[str, Any] = {
            "spec": spec,
            "name": spec.name,
            "path": spec.path,
            "primary_keys": list(spec.primary_keys),
            "replication_key": spec.replication_key,
            "selected_by_default": spec.selected_by_default,
            "child_context_key": child_keys.get(spec.name),
            "__doc__": f"MOCO `{spec.path}` as the `{spec.name}` stream.",
        }
        if spec.parent:
            attrs["parent_stream_type"] = classes[spec.parent]
            attrs["state_partitioning_keys"] = []
            attrs["ignore_parent_replication_key"] = not spec.follows_parent
        classes[spec.name] = type(_class_name(spec.name), (MocoStream,), attrs)
    return classes


STREAM_CLASSES = build_stream_classes(STREAM_SPECS)


class TapMoco(Tap):
    """Singer tap for MOCO (mocoapp.com)."""

    name = "tap-moco"
    package_name = "tap-moco"
    # A copy: the SDK appends its built-in settings to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    message_writer_class = MsgSpecWriter
    capabilities: ClassVar[list[CapabilitiesEnum]] = [*Tap.capabilities, TapCapabilities.TEST]

    @cached_property
    def settings(self) -> Settings:
        """Validated settings; raises `SettingsError` naming the bad setting."""
        return resolve_settings(self.config)

    @cached_property
    def transport(self) -> MocoTransport:
        """One throttled HTTP transport shared by every stream."""
        settings = self.settings
        limiter = shared_limiter(
            settings.host, settings.rate_limit_requests, settings.rate_limit_window_seconds
        )
        user_agent = self.config.get("user_agent") or f"tap-moco/{__version__}"
        return MocoTransport(settings, limiter, user_agent=user_agent)

    def discover_streams(self) -> Sequence[MocoStream]:
        """Every MOCO stream."""
        return [stream_class(self) for stream_class in STREAM_CLASSES.values()]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Validate settings before any request (discovery needs none)."""
        super().__init__(*args, **kwargs)
        if kwargs.get("validate_config", True):
            _ = self.settings

    def run_connection_test(self) -> bool:  # type: ignore[misc]  # SDK marks it final
        """`--test`: one `GET /session` tells whether the key and the account are right.

        The SDK's default syncs a record of every stream: ~70 requests, a minute of MOCO's
        rate limit, and it cannot tell a bad key from an unknown account.
        """
        transport = self.transport
        try:
            session = transport.get(
                transport.url_for("/session"), {}, stream="connection test", tries=2
            ).data
        except MocoRetriesExhaustedError as exc:
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
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the tap; report settings and MOCO errors as one line and exit 1."""
        try:
            super().invoke(*args, **kwargs)
        except ConfigValidationError as exc:
            first = exc.errors[0] if exc.errors else str(exc)
            _fail(f"Invalid settings: {first}")
        except (SettingsError, MocoError) as exc:
            _fail(str(exc))


def _fail(message: str) -> None:
    LOGGER.error("%s", message)
    sys.exit(1)


if __name__ == "__main__":
    TapMoco.cli()
