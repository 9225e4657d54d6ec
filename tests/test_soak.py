"""Chaos soak: after faults, kills and concurrent changes, one clean run makes the warehouse
equal MOCO (`sandbox.chaos`).

A few seeds in the suite; `make soak SEEDS=N` runs N seeds with longer schedules
(`SOAK_SEEDS`, `SOAK_RUNS`). A failure prints the seed, the run log and the diff. The rate
window is real (the sandbox enforces `RATE`, the tap is told it), so the soak also checks
that the tap never tripped it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from sandbox.chaos import COUNTS, FAULT_FAMILIES, RATE, soak

if TYPE_CHECKING:
    from collections.abc import Callable

    from sandbox import Sandbox

SEEDS = [
    int(seed) for seed in os.environ.get("SOAK_SEED_LIST", "").split(",") if seed.strip()
] or list(range(1, int(os.environ.get("SOAK_SEEDS", "3")) + 1))
RUNS = int(os.environ.get("SOAK_RUNS", "5"))


@pytest.mark.parametrize("seed", SEEDS)
def test_after_chaos_one_clean_run_leaves_the_warehouse_equal_to_moco(
    sandbox_factory: Callable[..., Sandbox], seed: int
) -> None:
    sandbox = sandbox_factory(seed=seed, counts=COUNTS, rate_limit=RATE)
    result = soak(sandbox, seed, runs=RUNS)
    spoiled = {entry.fault for entry in sandbox.request_log if entry.fault}
    page_kinds = {kind for spec in FAULT_FAMILIES.values() for kind in spec.get("page_kinds", ())}
    # the chaos was real: faults fired, the tap was killed both ways, records changed
    assert spoiled & page_kinds and spoiled - page_kinds, result.explain()
    assert {"SIGKILL", "SIGTERM"} & set(result.kills), result.explain()
    assert sandbox.mutation_log, result.explain()
    assert result.ok, result.explain()
    # the tap honoured the window it was told (a spoiled answer's 429 is no trip)
    assert result.real_429 == 0, result.explain()
