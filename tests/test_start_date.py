"""`start_date` bounds event streams; reference tables are read whole on a first run."""

from __future__ import annotations

from sandbox.runner import base_config, run_tap
from tap_moco.streams import SPECS_BY_NAME


def test_reference_streams_ignore_start_date_on_a_first_run(sandbox):
    late = f"{sandbox.today.isoformat()}T00:00:00Z"  # after almost every record's updated_at
    run = run_tap(base_config(sandbox.base_url, start_date=late), streams={"users", "companies"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert SPECS_BY_NAME["users"].reference and SPECS_BY_NAME["companies"].reference
    assert len(run.records("users")) == len(sandbox.expected("users"))
    assert len(run.records("companies")) == len(sandbox.expected("companies"))


def test_event_streams_start_at_start_date(sandbox):
    late = f"{sandbox.today.isoformat()}T00:00:00Z"
    run = run_tap(base_config(sandbox.base_url, start_date=late), streams={"activities"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert not SPECS_BY_NAME["activities"].reference
    got = run.records("activities")
    assert len(got) < len(sandbox.expected("activities"))
    assert all(record["updated_at"] >= f"{sandbox.today}T00:00:00Z" for record in got)


def test_reference_streams_are_incremental_after_the_first_run(sandbox):
    first = run_tap(base_config(sandbox.base_url), streams={"users"})
    second = run_tap(base_config(sandbox.base_url), streams={"users"}, state=first.last_state)
    assert second.returncode == 0
    assert len(second.records("users")) < len(first.records("users"))
