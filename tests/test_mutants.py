"""`make mutants` stays runnable: its curated list still fits the code and the tests.

The mutation run itself takes minutes (scripts/mutants.py); this checks in seconds what
makes it silently wrong when tap_moco/ or the tests change: an original text that no longer
occurs exactly once (the mutant would not apply), or a test id that no longer exists (the
mutant could never be killed).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import mutants  # noqa: E402 - scripts/ is not a package

MUTANTS = mutants.load()
ISSUE_15_SURVIVORS = {
    "overlap-zero",
    "bookmark-not-capped",
    "resume-under-another-filter",
    "link-scheme-ignored",
    "prefetch-out-of-order",
    "limiter-release-at-send",
}


def test_the_list_is_large_and_holds_issue_15s_survivors() -> None:
    assert len(MUTANTS) >= 30
    assert {mutant.id for mutant in MUTANTS} >= ISSUE_15_SURVIVORS
    assert len({mutant.file for mutant in MUTANTS}) >= 10


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.id)
def test_each_mutant_applies_exactly_once(mutant: mutants.Mutant) -> None:
    assert mutants.problems(mutant) == []
    assert mutant.defect.strip()
    assert all(test.startswith("tests/") and "::" in test for test in mutant.tests)


def test_every_named_test_exists() -> None:
    named = sorted({test for mutant in MUTANTS for test in mutant.tests})
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *named],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    found = {line.strip() for line in collected.stdout.splitlines()}
    found |= {test.split("[", 1)[0] for test in found}  # a name alone runs all its cases
    missing = [test for test in named if test not in found]
    assert missing == [], collected.stdout[-2000:] + collected.stderr[-2000:]


def test_a_mutant_that_does_not_apply_is_reported(tmp_path: Path) -> None:
    """The check above has teeth: a stale or ambiguous original text is named."""
    (tmp_path / "tap_moco").mkdir()
    (tmp_path / "tap_moco" / "x.py").write_text("a = 1\nb = 1\n")
    stale = mutants.Mutant("stale", "tap_moco/x.py", "c = 1", "c = 2", ("tests/t.py::t",), "d")
    twice = mutants.Mutant("twice", "tap_moco/x.py", "= 1", "= 2", ("tests/t.py::t",), "d")
    assert mutants.problems(stale, tmp_path) == [
        "stale: original text occurs 0 times in tap_moco/x.py"
    ]
    assert mutants.problems(twice, tmp_path) == [
        "twice: original text occurs 2 times in tap_moco/x.py"
    ]


def test_the_killing_test_is_read_from_the_summary_not_from_captured_logs():
    output = "\n".join(
        [
            "ERROR    tap-moco:tap.py:225 Interrupted by signal 15: the run is incomplete",
            "FAILED tests/test_output.py::test_a[plain http elsewhere] - AssertionError: x",
            "ERROR tests/test_b.py::test_c",
            "ERROR tests/test_d.py",
        ]
    )
    assert mutants.failed_tests(output) == [
        "tests/test_output.py::test_a[plain http elsewhere]",
        "tests/test_b.py::test_c",
        "tests/test_d.py",
    ]
