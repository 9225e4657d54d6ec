"""The target model the data-loss tests judge with behaves as an SDK SQL target does."""

from __future__ import annotations

import pytest

from sandbox.warehouse import Warehouse


def schema(stream="s"):
    return {"type": "SCHEMA", "stream": stream, "key_properties": ["id"], "schema": {}}


def record(rid, version=None, **fields):
    message = {"type": "RECORD", "stream": "s", "record": {"id": rid, **fields}}
    if version is not None:
        message["version"] = version
    return message


@pytest.mark.parametrize("hard", [True, False])
def test_activate_version_drops_older_rows_at_once(hard):
    house = Warehouse(hard_delete=hard)
    house.apply_all([schema(), record(1), record(2, 5), record(3, 7)])
    house.apply({"type": "ACTIVATE_VERSION", "stream": "s", "version": 7})
    assert set(house.live("s")) == {(3,)}
    gone = house.row("s", (1,))
    assert (gone is None) if hard else (gone.deleted and gone.record == {"id": 1})


@pytest.mark.parametrize("hard", [True, False])
def test_sdc_deleted_at_removes_or_marks_exactly_that_row(hard):
    house = Warehouse(hard_delete=hard)
    house.apply_all([schema(), record(1, name="a"), record(2)])
    house.apply(record(1, _sdc_deleted_at="2026-01-01T00:00:00Z"))
    assert set(house.live("s")) == {(2,)}
    if not hard:
        assert house.row("s", (1,)).deleted


def test_a_later_record_revives_a_soft_deleted_row_and_upserts_by_key():
    house = Warehouse(hard_delete=False)
    house.apply_all(
        [
            schema(),
            record(1, 1, name="a"),
            {"type": "ACTIVATE_VERSION", "stream": "s", "version": 2},
        ]
    )
    house.apply(record(1, 2, name="b"))
    assert house.live("s") == {(1,): {"id": 1, "name": "b"}}


def test_a_line_cut_by_a_kill_is_skipped_and_a_record_before_its_schema_fails():
    house = Warehouse()
    house.apply_stdout(
        '{"type":"SCHEMA","stream":"s","key_properties":["id"],"schema":{}}\n{"type":"REC'
    )
    assert house.live("s") == {}
    with pytest.raises(AssertionError):
        Warehouse().apply(record(1))
