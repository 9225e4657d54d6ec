"""The singer-sdk members tap-moco relies on still exist, with the signatures it calls.

An SDK release that removes, renames or re-signs one of them fails here, by name, before a
sync can fail in production. The lists are the contract: `CALLED` are methods and properties
the tap calls or overrides (name -> parameter names, None where not callable), `ATTRIBUTES`
the private instance attributes it reads or sets. The scan test keeps the contract whole: a
private SDK member used, overridden or shadowed anywhere in tap_moco/ without being listed
here fails it (the SDK's development branch adds a private `PluginBase._terminate`, which a
method of the same name here would silently have replaced).
"""

from __future__ import annotations

import inspect
import re

import pytest
from singer_sdk import Tap
from singer_sdk.plugin_base import PluginBase
from singer_sdk.streams import RESTStream

from sandbox.runner import ROOT

CALLED: dict[tuple[type, str], list[str] | None] = {
    # the run: the tap owns the loop over streams (a failed stream keeps its bookmark)
    (Tap, "sync_all"): ["self"],
    (Tap, "_reset_state_progress_markers"): ["self"],
    (Tap, "_set_compatible_replication_methods"): ["self"],
    (Tap, "_validate_config"): ["self", "raise_errors"],
    (Tap, "_handle_termination"): ["self", "signum", "frame"],
    (Tap, "run_connection_test"): ["self"],
    (Tap, "cb_test"): ["ctx", "param", "value"],
    (Tap, "get_singer_command"): [],
    (Tap, "invoke"): None,
    (Tap, "state_writer"): None,
    (PluginBase, "setup_mapper"): ["self"],
    (PluginBase, "initialized_at"): None,
    # a stream: one request, records, SCHEMA once, versions, bookmarks
    (RESTStream, "_request"): ["self", "prepared_request", "context"],
    (RESTStream, "request_decorator"): ["self", "func"],
    (RESTStream, "backoff_wait_generator"): ["self"],
    (RESTStream, "backoff_max_tries"): ["self"],
    (RESTStream, "backoff_jitter"): ["self", "value"],
    (RESTStream, "backoff_handler"): ["self", "details"],
    (RESTStream, "allow_redirects"): None,
    (RESTStream, "prepare_request"): ["self", "context", "next_page_token"],
    (RESTStream, "get_http_request_counter"): ["self"],
    (RESTStream, "update_sync_costs"): ["self", "request", "response", "context"],
    (RESTStream, "_generate_record_messages"): ["self", "record"],
    (RESTStream, "_write_schema_message"): ["self"],
    (RESTStream, "_write_activate_version_message"): ["self", "full_table_version"],
    (RESTStream, "_write_starting_replication_value"): ["self", "context"],
    (RESTStream, "_finalize_state"): ["self", "state"],
    (RESTStream, "_parse_datetime"): ["self", "value"],
    (RESTStream, "finalize_state_progress_markers"): ["self", "state"],
    (RESTStream, "apply_catalog"): ["self", "catalog"],
    (RESTStream, "get_context_state"): ["self", "context"],
    (RESTStream, "get_replication_key_signpost"): ["self", "context"],
    (RESTStream, "get_starting_replication_key_value"): ["self", "context"],
    (RESTStream, "emit_activate_version_messages"): None,
    (RESTStream, "get_child_context"): ["self", "record", "context"],
    (RESTStream, "generate_child_contexts"): ["self", "record", "context"],
    (RESTStream, "post_process"): ["self", "row", "context"],
    (RESTStream, "validate_response"): ["self", "response"],
    (RESTStream, "parse_response"): ["self", "response"],
    (RESTStream, "get_url_params"): ["self", "context", "next_page_token"],
}
ATTRIBUTES = ("_tap", "_stream_version", "_input_schema", "_stream_maps")
"""Private instance attributes of a stream: its tap (the shared state writer and the
registry), the version the SDK stamps on RECORD messages (no public setter), and the schema
and stream maps a custom field retyped since discovery replaces."""
PRIVATE_MODULES = ("singer_sdk.helpers._catalog",)


@pytest.mark.parametrize(
    ("owner", "name"), list(CALLED), ids=lambda item: getattr(item, "__name__", item)
)
def test_a_member_the_tap_uses_is_still_there(owner: type, name: str) -> None:
    assert hasattr(owner, name), f"singer-sdk's {owner.__name__}.{name} is gone"
    expected = CALLED[(owner, name)]
    if expected is None:
        return
    member = inspect.getattr_static(owner, name)
    function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
    parameters = list(inspect.signature(function).parameters)
    if isinstance(member, classmethod):
        parameters = parameters[1:]
    assert parameters == expected, f"{owner.__name__}.{name} now takes {parameters}"


def test_a_streams_private_attributes_are_still_there() -> None:
    from tap_moco.tap import TapMoco

    tap = TapMoco(config={}, validate_config=False)
    stream = tap.streams["activities"]
    for name in ATTRIBUTES:
        assert hasattr(stream, name), f"singer-sdk streams no longer have {name}"
    assert stream._tap is tap


def test_the_private_modules_still_offer_what_the_tap_imports() -> None:
    from singer_sdk.helpers import _catalog

    assert callable(_catalog.get_selected_schema)
    assert list(inspect.signature(_catalog.get_selected_schema).parameters)[:3] == [
        "stream_name",
        "schema",
        "mask",
    ]


def test_every_private_sdk_member_the_tap_uses_is_in_the_contract() -> None:
    source = "\n".join(path.read_text() for path in (ROOT / "tap_moco").rglob("*.py"))
    listed = {name for _, name in CALLED} | set(ATTRIBUTES)
    used = set()
    # members read or called, and methods defined here that override (or shadow) the SDK's
    candidates = re.findall(r"\.(_[a-z][a-z0-9_]*)\b", source)
    candidates += re.findall(r"def (_[a-z][a-z0-9_]*)\(", source)
    for name in set(candidates):
        if any(hasattr(owner, name) for owner in (RESTStream, Tap, PluginBase)):
            used.add(name)
    for name in ATTRIBUTES:
        if f".{name}" in source:
            used.add(name)
    assert used <= listed, f"private SDK members used but not in the contract: {used - listed}"
    imported = set(re.findall(r"from (singer_sdk\.[\w.]*\._\w+) import", source))
    assert imported <= set(PRIVATE_MODULES), imported - set(PRIVATE_MODULES)


def test_the_contract_lists_nothing_the_tap_no_longer_uses() -> None:
    source = "\n".join(path.read_text() for path in (ROOT / "tap_moco").rglob("*.py"))
    unused = [name for _, name in CALLED if not re.search(rf"\b{name}\b", source)]
    assert unused == [], f"listed but unused (drop them): {unused}"


def test_private_sdk_members_are_reached_from_tap_moco_sdk_alone() -> None:
    """`tap_moco/sdk.py` is the one module that reads, sets or calls them; elsewhere only
    overrides of private methods remain, in the class they belong to."""
    source = "\n".join(path.read_text() for path in (ROOT / "tap_moco").rglob("*.py"))
    overridden = set(re.findall(r"def (_[a-z][a-z0-9_]*)\(", source))  # the tap's own now
    listed = {name for _, name in CALLED if name.startswith("_")} | set(ATTRIBUTES)
    listed -= overridden
    pattern = re.compile(r"\.(" + "|".join(sorted(listed)) + r")\b")
    offenders = []
    for path in (ROOT / "tap_moco").rglob("*.py"):
        if path.name == "sdk.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and "super()." not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "\n".join(offenders)
