"""tap.py's one-line errors, pinned in process: only a JSON decoding error is blamed on the
state or catalog file; any other ValueError keeps its traceback (a bug, not a bad file)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from singer_sdk import Tap

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
