"""The plain Singer walkthrough (docs/singer.md), run as printed: the page is the script.

Its own file, so that it runs beside the Meltano walkthrough (a file per pytest worker).
"""

from __future__ import annotations

import json

from sandbox.expected import expected_keys
from sandbox.runner import ROOT, SECRET_KEY
from tests.walkthrough import START, Shell, base_env, readme_blocks, records_by_stream, with_api_url


def test_plain_singer_walkthrough(sandbox_factory, tmp_path):
    sandbox = sandbox_factory()
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / ".venv").symlink_to(ROOT / ".venv")  # `make install` has made it
    shell = Shell(clone, base_env(tmp_path, MOCO_API_KEY=SECRET_KEY))
    (block,) = readme_blocks("singer")
    shell.run(with_api_url(block, {"acme": sandbox.base_url}))

    work = clone / "moco-singer"
    first = records_by_stream(work / "messages.jsonl")
    assert set(first) <= {"users", "projects", "activities"}
    assert first["activities"] == len(expected_keys(sandbox, "activities", START))
    state = json.loads((work / "state.json").read_text())
    assert "activities" in state["bookmarks"]
    activities = [entry for entry in sandbox.request_log if entry.path == "/activities"]
    assert activities[0].query["updated_after"] < START.isoformat()  # first run: start_date
    assert activities[-1].query["updated_after"] > START.isoformat()  # second: state.json
    changes = records_by_stream(work / "changes.jsonl")
    assert set(changes) <= {"users", "projects", "activities"}
    assert changes.get("activities", 0) < first["activities"]
