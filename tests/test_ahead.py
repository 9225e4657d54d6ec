"""Streams' first requests sent ahead on slow networks: overlap, same requests, same records."""

from __future__ import annotations

from sandbox.runner import base_config, run_tap

SMALL = {"units", "tags", "deal_categories", "user_roles", "purchase_categories", "web_hooks"}


def _run(sandbox, parallel: int):
    sandbox.reset_log()
    run = run_tap(
        base_config(sandbox.base_url, max_parallel_requests=parallel, delete_detection=False),
        streams=SMALL,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run, list(sandbox.request_log)


def _streams_overlap(log) -> bool:
    return any(
        a.path != b.path and a.time < b.finished and b.time < a.finished
        for i, a in enumerate(log)
        for b in log[i + 1 :]
    )


def test_first_requests_of_next_streams_overlap_and_change_nothing(sandbox_factory):
    sandbox = sandbox_factory(latency=0.1)
    ahead, ahead_log = _run(sandbox, 4)
    one, one_log = _run(sandbox, 1)
    assert _streams_overlap(ahead_log), "no stream's first request was sent ahead"
    assert not _streams_overlap(one_log)
    assert sorted((e.path, sorted(e.query.items())) for e in ahead_log) == sorted(
        (e.path, sorted(e.query.items())) for e in one_log
    ), "requests sent ahead must be the ones the read uses: nothing extra, nothing missing"
    for stream in SMALL:
        assert ahead.records(stream) == one.records(stream)
    assert [m["stream"] for m in ahead.messages if m["type"] == "RECORD"] == [
        m["stream"] for m in one.messages if m["type"] == "RECORD"
    ], "records still leave stream by stream"


def test_counts_sent_ahead_still_come_before_the_read_and_find_deletes(sandbox_factory):
    sandbox = sandbox_factory(latency=0.1)
    streams = {"units", "tags", "companies", "deals", "contacts"}

    def run(parallel: int, state=None):
        config = base_config(sandbox.base_url, max_parallel_requests=parallel)
        result = run_tap(config, streams=streams, state=state)
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    first = run(4)
    gone = sandbox.expected("companies")[5]["id"]
    sandbox.delete("companies", gone)
    sandbox.reset_log()
    second = run(4, first.last_state)
    log = list(sandbox.request_log)
    for path in {entry.path for entry in log}:
        mine = [entry for entry in log if entry.path == path]
        counts = [entry for entry in mine if entry.query.get("per_page") == "1"]
        reads = [entry for entry in mine if entry.query.get("per_page") != "1"]
        if counts and reads:  # the read starts only after the count was answered
            assert min(r.time for r in reads) >= min(c.finished for c in counts), path
    assert _streams_overlap(log)
    assert gone not in {record["id"] for record in second.records("companies")}
    versions = [m for m in second.messages if m["type"] == "ACTIVATE_VERSION"]
    assert any(m["stream"] == "companies" for m in versions), "the delete was not propagated"
