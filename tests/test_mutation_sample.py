"""scripts/mutation_sample.py picks, filters and classifies mutants as it says (no full run)."""

from __future__ import annotations

import dataclasses
import json
import sys
import textwrap
import time
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
    broken = "2 errors in 0.17s\nERROR: found no collectors for /c/tests/test_a.py::test_b\n"
    assert ms.classify(4, broken) == ("killed", "(collection)")  # node ids of a broken module


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


def test_a_mutant_that_runs_past_its_cap_is_a_timeout_and_its_processes_go(
    repo: Path, tmp_path: Path
) -> None:
    pidfile = tmp_path / "child.pid"
    (repo / "tests" / "test_calc.py").write_text(
        "import subprocess, sys, time\n"
        "from tap_moco.calc import add\n\n"
        "def test_add():\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"    open({str(pidfile)!r}, 'w').write(str(child.pid))\n"
        "    if add(2, 3) != 5:\n"
        "        time.sleep(60)\n"
    )
    source = (repo / "tap_moco" / "calc.py").read_text()
    plus = next(
        m
        for m in ms.enumerate_mutations("tap_moco/calc.py", source)
        if m.line == line_of("return a + b") and m.operator.endswith("_Add_Sub")
    )
    cmap = ms.CoverageMap(
        tree="x", tests={"tests/test_calc.py::test_add": {"outcome": "passed", "seconds": 0.1}}
    )
    result = ms.run_mutant(repo, plus, ["tests/test_calc.py::test_add"], cmap, cap=20)
    assert result.status == "timeout"  # 0.1s unmutated: a hang
    assert result.seconds < 50
    assert (repo / "tap_moco" / "calc.py").read_text() == source
    pid = int(pidfile.read_text())
    for _ in range(50):  # the killed group's orphan is reaped by init shortly after
        if not Path(f"/proc/{pid}").exists() or "Z" in _state(pid):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the test's child {pid} outlived the timeout")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "Z"


def test_rescore_applies_the_equivalents_as_listed_now(tmp_path: Path) -> None:
    def result(status: str, after: str, reason: str = "") -> dict[str, object]:
        found = ms.Result("id", "m.py", 3, "core/AddNot", 0, "if a:", after, status)
        found.reason = reason
        return dataclasses.asdict(found)

    path = tmp_path / "run.json"
    path.write_text(
        json.dumps(
            {
                "mutants": [
                    result("survived", "if not a:"),
                    result("equivalent", "if a and b:", "was listed once"),
                    result("killed", "if not a:"),
                ]
            }
        )
    )
    listed = [{"module": "m.py", "operator": "core/AddNot", "before": "if a:",
               "after": "if not a:", "reason": "a is always true here"}]  # fmt: skip
    rescored = ms.rescore(path, listed)
    assert [(r.status, r.reason) for r in rescored] == [
        ("equivalent", "a is always true here"),
        ("survived", ""),
        ("killed", ""),
    ]


def test_retry_reads_the_last_run_of_the_same_seed_and_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    monkeypatch.setattr(ms, "CACHE", tmp_path)
    args = argparse.Namespace(seed=3, per_module=2, ref=None, retry=["timeout"])
    with pytest.raises(SystemExit, match="no earlier run"):
        ms.previous_results(args)
    done = ms.Result("m.py:3:core/AddNot#0", "m.py", 3, "core/AddNot", 0, "a", "b", "timeout")
    payload = {"commit": "", "mutants": [dataclasses.asdict(done)]}
    (tmp_path / "sample-seed3-n2.json").write_text(json.dumps(payload))
    assert ms.previous_results(args) == {done.id: done}


def test_an_equivalent_with_a_scope_matches_only_there() -> None:
    source = textwrap.dedent(
        """
        @dataclass(frozen=True)
        class Anchor:
            key: int

            def unread(self) -> int:
                return 1


        @dataclass(frozen=True)
        class _Found:
            page: int
        """
    )
    lines = source.splitlines()

    def line(text: str) -> int:
        return lines.index(text) + 1

    assert ms.scope_of(source, line("@dataclass(frozen=True)")) == "Anchor"
    assert ms.scope_of(source, line("        return 1")) == "Anchor.unread"
    assert ms.scope_of(source, line("class _Found:") - 1) == "_Found"  # its decorator
    assert ms.scope_of(source, line("")) == ""
    entry = {"module": "m.py", "operator": "core/ReplaceTrueWithFalse", "scope": "_Found",
             "before": "@dataclass(frozen=True)", "after": "@dataclass(frozen=False)",
             "reason": "private, never hashed"}  # fmt: skip
    found = ms.Result("id", "m.py", 9, entry["operator"], 1, entry["before"], entry["after"], "")
    found.scope = "_Found"
    assert ms.equivalent_reason(found, [entry]) == "private, never hashed"
    found.scope = "Anchor"
    assert ms.equivalent_reason(found, [entry]) == ""


def calc_minus_mutant(repo: Path) -> ms.Mutation:
    """The `a - 1` -> `a + 1` mutant of the fixture's calc.py, which no mapped test covers."""
    source = (repo / "tap_moco" / "calc.py").read_text()
    return next(
        m
        for m in ms.enumerate_mutations("tap_moco/calc.py", source)
        if m.line == line_of("return a - 1") and m.operator.endswith("_Sub_Add")
    )


def test_extra_tests_run_for_a_mutant_no_mapped_test_covers(repo: Path) -> None:
    minus = calc_minus_mutant(repo)
    (repo / "tests" / "test_new.py").write_text(
        "from tap_moco.calc import unused\n\ndef test_unused():\n    assert unused(3) == 2\n"
    )
    cmap = ms.CoverageMap(tree="x", tests={})
    assert ms.run_mutant(repo, minus, [], cmap).status == "no-coverage"
    extra = ms.check_extra_tests(repo, ["tests/test_new.py"])
    assert list(extra.passing) == ["tests/test_new.py::test_unused"]
    assert extra.unusable == {}
    result = ms.run_mutant(repo, minus, [], cmap, extra=extra.passing)
    assert (result.status, result.killed_by) == ("killed", "tests/test_new.py::test_unused")


def test_extra_tests_that_fail_unmutated_are_reported_not_counted_as_kills(repo: Path) -> None:
    minus = calc_minus_mutant(repo)
    (repo / "tests" / "test_new.py").write_text(
        "from tap_moco.calc import unused\n\n"
        "def test_wrong():\n    assert unused(3) == 7\n\n"  # fails on the unmutated code
        "def test_right():\n    assert unused(3) == 2\n"
    )
    (repo / "tests" / "test_broken.py").write_text("import no_such_module\n")
    extra = ms.check_extra_tests(repo, ["tests/test_new.py", "tests/test_broken.py"])
    assert list(extra.passing) == ["tests/test_new.py::test_right"]
    assert extra.unusable["tests/test_new.py::test_wrong"] == "failed unmutated"
    assert extra.unusable["tests/test_broken.py"].startswith("collected no test unmutated")
    cmap = ms.CoverageMap(tree="x", tests={})
    result = ms.run_mutant(repo, minus, [], cmap, extra=extra.passing)
    assert (result.status, result.killed_by) == ("killed", "tests/test_new.py::test_right")
    (repo / "tests" / "test_new.py").write_text(
        "from tap_moco.calc import unused\n\ndef test_wrong():\n    assert unused(3) == 7\n"
    )
    extra = ms.check_extra_tests(repo, ["tests/test_new.py"])
    assert extra.passing == {}
    assert ms.run_mutant(repo, minus, [], cmap, extra=extra.passing).status == "no-coverage"
    report = ms.markdown([], 1, 4, 60, extra.unusable)
    assert "tests/test_new.py::test_wrong: failed unmutated" in report


def test_covering_tests_run_in_the_runners_order_whatever_the_conftest_does(repo: Path) -> None:
    (repo / "tests" / "conftest.py").write_text(
        "def pytest_collection_modifyitems(items):\n    items.reverse()\n"
    )
    (repo / "tests" / "test_calc.py").write_text(
        "from tap_moco.calc import add\n\n"
        "def test_fast():\n    assert add(2, 3) == 5\n\n"
        "def test_slow():\n    assert add(1, 1) == 2\n"
    )
    source = (repo / "tap_moco" / "calc.py").read_text()
    plus = next(
        m
        for m in ms.enumerate_mutations("tap_moco/calc.py", source)
        if m.line == line_of("return a + b") and m.operator.endswith("_Add_Sub")
    )
    fast, slow = "tests/test_calc.py::test_fast", "tests/test_calc.py::test_slow"
    cmap = ms.CoverageMap(
        tree="x",
        tests={
            fast: {"outcome": "passed", "seconds": 0.1},
            slow: {"outcome": "passed", "seconds": 9},
        },
    )
    result = ms.run_mutant(repo, plus, [fast, slow], cmap)
    assert (result.status, result.killed_by) == ("killed", fast)  # -x: the first to fail
    assert result.baseline == 9.1
    assert result.cap == round(ms.mutant_cap(9.1), 1)


def test_a_cap_too_tight_for_the_unmutated_tests_is_inconclusive_not_a_hang(repo: Path) -> None:
    (repo / "tests" / "test_calc.py").write_text(
        "import time\nfrom tap_moco.calc import add\n\n"
        "def test_add():\n    time.sleep(30)\n    assert add(2, 3) == 5\n"
    )
    source = (repo / "tap_moco" / "calc.py").read_text()
    plus = next(
        m
        for m in ms.enumerate_mutations("tap_moco/calc.py", source)
        if m.line == line_of("return a + b") and m.operator.endswith("_Add_Sub")
    )
    cmap = ms.CoverageMap(
        tree="x", tests={"tests/test_calc.py::test_add": {"outcome": "passed", "seconds": 30}}
    )
    result = ms.run_mutant(repo, plus, ["tests/test_calc.py::test_add"], cmap, cap=3)
    assert result.status == "inconclusive"
    assert ms.is_hang(30, ms.mutant_cap(30))  # the default cap leaves room
    assert not ms.is_hang(30, 40)
    assert ms.timeout_for(0.5) == ms.PER_TEST_FLOOR
    assert ms.timeout_for(100) == 100 * ms.PER_TEST_FACTOR


def test_the_score_counts_hangs_as_detected_and_inconclusive_runs_against() -> None:
    def result(status: str) -> ms.Result:
        return ms.Result("id", "m.py", 3, "core/AddNot", 0, "a", "b", status)

    statuses = ["killed"] * 6 + ["timeout", "inconclusive", "survived", "equivalent", "error"]
    table = ms.score_table([result(s) for s in statuses])
    assert table[-1]["module"] == "all"
    assert table[-1]["score"] == 7 / 9
    assert table[-1]["inconclusive"] == 1


def test_runs_side_by_side_merge_into_one_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    monkeypatch.setattr(ms, "CACHE", tmp_path)

    def run(name: str, *results: ms.Result) -> Path:
        path = tmp_path / f"run-{name}.json"
        payload = {"seed": 1, "per_module": 4, "commit": "c", "complete": True, "seconds": 60}
        payload["mutants"] = [dataclasses.asdict(r) for r in results]
        path.write_text(json.dumps(payload))
        return path

    a = ms.Result("a.py:1:core/AddNot#0", "a.py", 1, "core/AddNot", 0, "x", "y", "survived")
    b = ms.Result("b.py:1:core/AddNot#0", "b.py", 1, "core/AddNot", 0, "x", "y", "killed")
    again = dataclasses.replace(a, status="killed")
    args = argparse.Namespace(merge=[run("1", a, b), run("2", again)], name="", ref=None)
    assert ms.merge(args) == 0
    merged = json.loads((tmp_path / "sample-seed1-n4.json").read_text())
    assert [(m["id"], m["status"]) for m in merged["mutants"]] == [
        (a.id, "killed"),
        (b.id, "killed"),
    ]
