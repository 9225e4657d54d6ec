"""The bench runs end to end at a tiny scale (its figures are for `make bench`, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from sandbox.runner import ROOT


def test_bench_reports_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "tiny", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    report = json.loads(out.read_text())
    figures = [item["figure"] for item in report["figures"]]
    assert len(figures) == 9
    for prefix in (
        "raw loop",
        "tap-moco (max_parallel_requests=1",
        "standard plan",
        "unlimited plan",
        "whole account",
        "full sync",
        "incremental",
        "peak RSS",
    ):
        assert any(figure.startswith(prefix) for figure in figures), prefix
    assert all(isinstance(item["value"], (int, float)) for item in report["figures"])
    assert report["machine"]["cores"]
