"""The singer-sdk members tap-moco needs that are not public API, in this one module.

Each function names the private member it reaches and why no public hook serves;
`tests/test_sdk_contract.py` checks every one of them (and every override of a private
method in `kinds/base.py` and `tap.py`) against the installed SDK, so an SDK release that
removes or changes one fails the suite by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk.helpers._catalog import get_selected_schema as _selected_schema
from singer_sdk.streams import RESTStream

if TYPE_CHECKING:
    from collections.abc import Iterator

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.singerlib import RecordMessage


def tap_of(stream: RESTStream[Any]) -> Tap:
    """`Stream._tap`: the SDK keeps a stream's tap private (the registry, the state writer)."""
    return stream._tap


def write_state(stream: RESTStream[Any]) -> None:
    """The whole tap's STATE now (a page checkpoint, a settled window, a new baseline).

    `Tap.state_writer` is public, but a stream reaches it only through `_tap`.
    """
    tap_of(stream).state_writer.write_state(stream.tap_state)


def version_of(stream: RESTStream[Any]) -> int | None:
    """`Stream._stream_version`: the version the SDK stamps on RECORD messages."""
    return stream._stream_version


def set_version(stream: RESTStream[Any], version: int) -> None:
    """Set `_stream_version` (no public setter) before the records it covers."""
    stream._stream_version = version


def activate_version(stream: RESTStream[Any], version: int) -> None:
    """`_write_activate_version_message`: no public hook sends it after the records.

    The SDK sends it only before the first record; the tap sends it after a complete read.
    """
    stream._write_activate_version_message(version)


def send(stream: RESTStream[Any], prepared: requests.PreparedRequest, context: Any) -> Any:
    """`_request`: one request with the SDK's metrics, retried by `request_decorator`.

    `request_records` reads a list in one fixed loop; the paged read needs the requests
    one by one (audit, passes, pages in flight).
    """
    return stream.request_decorator(stream._request)(prepared, context)


def sender(stream: RESTStream[Any]) -> Any:
    """The retried `_request` itself, for a request sent ahead in another thread."""
    return stream.request_decorator(stream._request)


def record_messages(stream: RESTStream[Any], record: dict[str, Any]) -> Iterator[RecordMessage]:
    """The SDK's own `_generate_record_messages` (selection masks and stream maps)."""
    return RESTStream._generate_record_messages(stream, record)


def write_schema(stream: RESTStream[Any]) -> None:
    """The SDK's own `_write_schema_message`."""
    RESTStream._write_schema_message(stream)


def finalize_state(stream: RESTStream[Any], state: dict[str, Any] | None) -> None:
    """The SDK's own `_finalize_state` (bookmark promotion at the end of a sync)."""
    RESTStream._finalize_state(stream, state)


def start_replication_value(stream: RESTStream[Any], context: Context | None) -> None:
    """`_write_starting_replication_value`: what a sync does first (`--plan` mirrors it)."""
    stream._write_starting_replication_value(context)


def prepare_run(tap: Tap) -> None:
    """What `Tap.sync_all` does before its streams (the tap owns the loop over streams).

    Progress markers reset, replication methods made compatible with the catalog.
    """
    tap._reset_state_progress_markers()
    tap._set_compatible_replication_methods()


def compatible_replication_methods(tap: Tap) -> None:
    """`_set_compatible_replication_methods` alone (`--plan` counts what a sync would read)."""
    tap._set_compatible_replication_methods()


def selected_schema(name: str, schema: dict[str, Any], mask: Any) -> dict[str, Any]:
    """`helpers._catalog.get_selected_schema`: the schema of a catalog's selected fields."""
    return _selected_schema(name, schema, mask)


def replace_schema(stream: RESTStream[Any], schema: dict[str, Any]) -> None:
    """Send `schema` instead of the catalog's (a custom field retyped since discovery).

    The SDK keeps the catalog's schema in `_input_schema` and the stream maps built from it
    in `_stream_maps` (rebuilt when None); the mapper must learn the selected schema too.
    """
    stream._input_schema = schema
    selected = selected_schema(stream.name, schema, stream.mask)
    tap_of(stream).mapper.register_raw_stream_schema(stream.name, selected, stream.primary_keys)
    stream._stream_maps = None
