"""scripts/mutation_sample.py picks, filters and classifies mutants as it says (no full run)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import mutation_sample as ms  # noqa: E402 - scripts/ is not a package

CALC = textwrap.dedent(
    '''
    """A tiny module: one behaviour, and text around it."""

    from __future__ import annotations

    import logging

    LOGGER = logging.getLogger(__name__)


    def add(a: int, b: int | None = None) -> int:
        """Add, and say so."""
        LOGGER.info("adding %s", a + 1)
        if b is None:
            msg = f"b is missing, a is {a * 2}"
            raise ValueError(msg)
        return a + b


    def unused(a: int) -> int:
        return a - 1
    '''
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fake repository: tap_moco/calc.py and a test that checks add()."""
    (tmp_path / "tap_moco").mkdir()
    (tmp_path / "tap_moco" / "__init__.py").write_text("")
    (tmp_path / "tap_moco" / "calc.py").write_text(CALC)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text(
        "from tap_moco.calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    return tmp_path


def line_of(text: str) -> int:
    return next(n for n, line in enumerate(CALC.splitlines(), 1) if text in line)


def test_log_message_docstring_and_annotation_mutations_are_not_candidates() -> None:
    found = ms.enumerate_mutations("tap_moco/calc.py", CALC)
    skipped = {(m.line, m.skip) for m in found if m.skip}
    assert (line_of("LOGGER.info"), "log") in skipped
    assert (line_of("msg = f"), "string") in skipped
    assert (line_of("def add"), "annotation") in skipped  # `int | None` is never evaluated
    candidates = {m.line for m in found if not m.skip}
    assert {line_of("return a + b"), line_of("if b is None"), line_of("return a - 1")} <= candidates
    assert not candidates & {line_of("LOGGER.info"), line_of("msg = f"), line_of("def add")}


def test_a_sample_is_the_same_for_a_seed_and_differs_between_seeds(repo: Path) -> None:
    first = ms.sample(repo, seed=1, per_module=3)
    assert first == ms.sample(repo, seed=1, per_module=3)
    assert len(first) == 3
    assert {m.module for m in first} == {"tap_moco/calc.py"}
    others = [ms.sample(repo, seed=seed, per_module=3) for seed in range(2, 6)]
    assert any(other != first for other in others)


def test_every_drawn_mutant_compiles(repo: Path) -> None:
    source = (repo / "tap_moco" / "calc.py").read_text()
    for mutation in ms.sample(repo, seed=7, per_module=50):
        mutated = ms.mutate(source, mutation)
        assert mutated is not None
        assert mutated != source


def test_classification_from_pytest_results() -> None:
    assert ms.classify(0, "1 passed") == ("survived", "")
    assert ms.classify(1, "FAILED tests/test_a.py::test_b - assert 1 == 2\n") == (
        "killed",
        "tests/test_a.py::test_b",
    )
    hung = "+++++++++++ Timeout +++++++++++\nFAILED tests/test_a.py::test_b - Failed: Timeout\n"
    assert ms.classify(1, hung) == ("timeout", "tests/test_a.py::test_b")
    assert ms.classify(None, "") == ("timeout", "")
    assert ms.classify(2, "ERROR tests/test_a.py\n")[0] == "killed"  # the mutant broke imports
    assert ms.classify(4, "usage")[0] == "error"


def test_covering_tests_skip_failures_count_import_time_and_run_fastest_first() -> None:
    cmap = ms.CoverageMap(
        tree="x",
        tests={
            "t_slow": {"outcome": "passed", "seconds": 5.0},
            "t_fast": {"outcome": "passed", "seconds": 0.1},
            "t_red": {"outcome": "failed", "seconds": 0.1},
            "t_other": {"outcome": "passed", "seconds": 1.0},
        },
        lines={"m.py": {"1": [""], "5": ["t_slow", "t_fast", "t_red"], "9": ["t_other"]}},
    )

    def at(line: int) -> ms.Mutation:
        return ms.Mutation("m.py", "core/AddNot", 0, line, line, line)

    assert cmap.covering(at(5)) == ["t_fast", "t_slow"]
    assert cmap.covering(at(1)) == ["t_fast", "t_other", "t_slow"]  # module level: all its users
    assert cmap.covering(at(7)) == []


def test_a_mutant_is_killed_by_its_covering_test_and_the_copy_restored(repo: Path) -> None:
    source = (repo / "tap_moco" / "calc.py").read_text()
    plus = next(
        m
        for m in ms.enumerate_mutations("tap_moco/calc.py", source)
        if m.line == line_of("return a + b") and m.operator.endswith("_Add_Sub")
    )
    cmap = ms.CoverageMap(
        tree="x", tests={"tests/test_calc.py::test_add": {"outcome": "passed", "seconds": 0.1}}
    )
    result = ms.run_mutant(repo, plus, ["tests/test_calc.py::test_add"], cmap)
    assert (result.status, result.killed_by) == ("killed", "tests/test_calc.py::test_add")
    assert (result.before, result.after) == ("return a + b", "return a - b")
    assert (repo / "tap_moco" / "calc.py").read_text() == source
    assert ms.run_mutant(repo, plus, [], cmap).status == "no-coverage"


def test_equivalents_carry_a_reason_and_match_on_text() -> None:
    entries = ms.load_equivalents()
    assert all(entry["reason"].strip() for entry in entries)
    result = ms.Result("id", "m.py", 3, "core/AddNot", 0, "if a:", "if not a:", "survived")
    listed = [{"module": "m.py", "operator": "core/AddNot", "before": "if a:",
               "after": "if not a:", "reason": "a is always true here"}]  # fmt: skip
    assert ms.equivalent_reason(result, listed) == "a is always true here"
    assert ms.equivalent_reason(result, []) == ""
