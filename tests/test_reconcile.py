"""A reconciling run (`activate_version_streams`) works whatever the catalog says."""

from __future__ import annotations

from sandbox.runner import base_config, catalog_selecting, run_tap


def _catalog_forcing_incremental(stream: str):
    catalog = catalog_selecting({stream})
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] == stream:
            entry["replication_method"] = "INCREMENTAL"
            for meta in entry["metadata"]:
                if meta["breadcrumb"] == []:
                    meta["metadata"]["forced-replication-method"] = "INCREMENTAL"
                    meta["metadata"]["replication-method"] = "INCREMENTAL"
    return catalog


def test_reconcile_sends_activate_version_even_when_the_catalog_says_incremental(sandbox):
    config = base_config(sandbox.base_url, activate_version_streams=["companies"])
    run = run_tap(config, catalog=_catalog_forcing_incremental("companies"))
    assert run.returncode == 0, run.stderr[-3000:]
    versions = [m for m in run.messages if m["type"] == "ACTIVATE_VERSION"]
    assert versions and all(m["stream"] == "companies" for m in versions)
    records = run.records("companies")
    assert len(records) == len(sandbox.expected("companies"))
    version = versions[0]["version"]
    assert all(
        m.get("version") == version
        for m in run.messages
        if m["type"] == "RECORD" and m["stream"] == "companies"
    )


def test_reconcile_reads_whole_even_with_a_bookmark(sandbox):
    first = run_tap(base_config(sandbox.base_url), streams={"companies"})
    config = base_config(sandbox.base_url, activate_version_streams=["companies"])
    again = run_tap(config, streams={"companies"}, state=first.last_state)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(again.records("companies")) == len(sandbox.expected("companies"))


def test_without_reconcile_an_incremental_stream_sends_no_version(sandbox):
    run = run_tap(base_config(sandbox.base_url), streams={"companies"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert not [m for m in run.messages if m["type"] == "ACTIVATE_VERSION"]
