"""MocoStream details best tested in process, still over real sockets to the sandbox."""

from __future__ import annotations

import json
import logging

from sandbox.runner import ROOT, base_config
from tap_moco.settings import resolve_settings
from tap_moco.tap import TapMoco


def make_tap(sandbox, **overrides) -> TapMoco:
    return TapMoco(config=base_config(sandbox.base_url, **overrides), setup_mapper=False)


def test_child_of_a_vanished_parent_has_nothing_and_no_warning(sandbox, caplog):
    tap = make_tap(sandbox)
    stream = tap.streams["project_tasks"]
    with caplog.at_level(logging.DEBUG):
        records = list(stream.get_records({"project_id": 987654321}))
    assert records == []
    assert stream.skipped is None  # the stream goes on with the next parent
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("404" in r.getMessage() and "987654321" in r.getMessage() for r in caplog.records)


def test_missing_single_object_is_not_an_error(sandbox):
    tap = make_tap(sandbox)
    stream = tap.streams["offer_customer_approvals"]
    assert list(stream.get_records({"offer_id": 987654321})) == []


def test_impersonation_and_user_agent_headers(sandbox):
    tap = make_tap(sandbox, impersonate_user_id=42, user_agent="acme-elt/1.0")
    headers = tap.transport.session.headers
    assert headers["X-IMPERSONATE-USER-ID"] == "42"
    assert headers["User-Agent"] == "acme-elt/1.0"
    assert headers["Authorization"].startswith("Token token=")


def test_sample_config_is_valid_for_the_sandbox():
    config = json.loads((ROOT / "sample_config.json").read_text())
    settings = resolve_settings(config)
    assert settings.base_url == "http://127.0.0.1:8765/api/v1"
    assert config["api_key"] == "sandbox"  # the sandbox command line's key


def _connection_test(config):
    from sandbox.runner import run_tap

    return run_tap(config, extra_args=("--test",))


def test_connection_test_names_the_cause(sandbox, sandbox_factory):
    ok = _connection_test(base_config(sandbox.base_url))
    assert ok.returncode == 0
    assert "Connection OK" in ok.stderr
    assert [entry.path for entry in sandbox.request_log][-1] == "/session"

    bad_key = _connection_test(base_config(sandbox.base_url, api_key="wrong-key-123"))
    assert bad_key.returncode != 0
    assert len(bad_key.error_lines()) == 1 and "'api_key'" in bad_key.error_lines()[0]

    unknown = sandbox_factory(unknown_subdomain=True)
    no_account = _connection_test(base_config(unknown.base_url))
    assert no_account.returncode != 0
    assert len(no_account.error_lines()) == 1 and "'domain'" in no_account.error_lines()[0]

    offline = _connection_test(base_config("http://127.0.0.1:9/api/v1", retry_backoff_seconds=0.01))
    assert offline.returncode != 0
    assert len(offline.error_lines()) == 1 and "Cannot reach MOCO" in offline.error_lines()[0]


def test_a_404_on_one_parents_children_skips_only_that_parent(sandbox_factory):
    """End to end: a parent whose children answer 404 is skipped and named once; the rest flow."""
    from sandbox.hostile import PageFault
    from sandbox.runner import run_tap

    sandbox = sandbox_factory()
    tasks = sandbox.expected("project_tasks")
    gone = min({task["project_id"] for task in tasks})
    sandbox.config.update(
        page_faults=(PageFault("404", page=1, path=f"/projects/{gone}/tasks", times=None),)
    )
    run = run_tap(base_config(sandbox.base_url), streams={"projects", "project_tasks"})
    assert run.returncode == 0, run.stderr[-3000:]
    got = {(task["project_id"], task["id"]) for task in run.records("project_tasks")}
    assert got == {(task["project_id"], task["id"]) for task in tasks if task["project_id"] != gone}
    said = [
        line
        for line in run.stderr.splitlines()
        if str(gone) in line and "METRIC" not in line and ("WARNING" in line or "INFO" in line)
    ]
    assert len(said) == 1, "a skipped parent must be named once in the log"
    assert "404" in said[0] and "gone mid-run?" not in said[0], said[0]
