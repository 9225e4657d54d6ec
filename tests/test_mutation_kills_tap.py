"""tap.py, pinned in process.

One-line errors: only a JSON decoding error is blamed on the state or catalog file; any other
ValueError keeps its traceback (a bug, not a bad file). Sending ahead: at round trip L and rate
R about L x R requests fit in flight, so before each top-level stream is read the next that
many streams have had their first request sent ahead, each once.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from singer_sdk import Tap

from sandbox.runner import base_config
from tap_moco.tap import TapMoco


class AddressError(ValueError):
    """A ValueError whose name sorts before JSONDecodeError's."""


def raising(error: Exception) -> classmethod[Any, Any, None]:
    def invoke(cls: type, *args: Any, **kwargs: Any) -> None:
        raise error

    return classmethod(invoke)


def test_another_value_error_is_not_blamed_on_the_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Tap, "invoke", raising(AddressError("not about files")))
    with pytest.raises(AddressError):
        TapMoco.invoke()


def test_a_json_error_is_one_line_about_the_files(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        json.loads("{")
    except json.JSONDecodeError as exc:
        monkeypatch.setattr(Tap, "invoke", raising(exc))
    with pytest.raises(SystemExit) as exit_:
        TapMoco.invoke()
    assert exit_.value.code == 1
    assert "The state or catalog file is not valid JSON" in caplog.text


@pytest.mark.parametrize("parallel", [2, 3])
def test_the_next_parallel_streams_are_warmed_before_each_read(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch, parallel: int
) -> None:
    sandbox = sandbox_factory()
    config = base_config(sandbox.base_url, max_parallel_requests=8, delete_detection=False)
    tap = TapMoco(config=config)
    events: list[tuple[str, str]] = []
    queue = [
        stream
        for stream in tap.streams.values()
        if not stream.parent_stream_type and (stream.selected or stream.has_selected_descendents)
    ]
    assert len(queue) > 2 * parallel + 2, "too few streams to tell the look-ahead apart"
    for stream in tap.streams.values():
        monkeypatch.setattr(stream.transport, "useful_parallelism", lambda: parallel)
        monkeypatch.setattr(
            stream, "warm_up", lambda pool, name=stream.name: events.append(("warm", name))
        )
        monkeypatch.setattr(stream, "sync", lambda name=stream.name: events.append(("read", name)))
    tap.sync_all()

    names = [stream.name for stream in queue]
    assert [name for kind, name in events if kind == "read"] == names
    warmed = [name for kind, name in events if kind == "warm"]
    assert len(warmed) == len(set(warmed)), "a stream warmed twice"
    assert warmed == names[1:], "every stream after the first is warmed, in order"
    for position, name in enumerate(names):
        before = events[: events.index(("read", name))]
        ahead = names[position + 1 : position + 1 + parallel]
        assert all(("warm", each) in before for each in ahead), (name, ahead)
        beyond = names[position + 1 + parallel :]
        assert not any(("warm", each) in before for each in beyond), (name, beyond)


def test_one_request_at_a_time_warms_nothing(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = sandbox_factory()
    tap = TapMoco(config=base_config(sandbox.base_url, delete_detection=False))
    warmed: list[str] = []
    for stream in tap.streams.values():
        monkeypatch.setattr(stream.transport, "useful_parallelism", lambda: 1)
        monkeypatch.setattr(stream, "warm_up", lambda pool, name=stream.name: warmed.append(name))
        monkeypatch.setattr(stream, "sync", lambda: None)
    tap.sync_all()
    assert warmed == []
