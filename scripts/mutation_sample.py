"""`make mutation`: an honest mutation score from a seeded sample of cosmic-ray's mutants.

`make mutants` (scripts/mutants.py) plants hand-picked defects next to the tests chosen to kill
them; it is a regression list, and its 100% says nothing about what nobody thought of. Here
the mutants come from cosmic-ray's operators (parso-based, each mutation addressed by
operator and occurrence, so one mutant is cheap to apply without cosmic-ray's session
database), and the tests that run against each are the ones coverage saw executing the mutated
line, not tests named by hand.

How:
1. Copy the repository (tracked plus untracked, not ignored files) to a temporary directory
   once; every step works on that snapshot, so edits in the working tree meanwhile do not mix
   in. The copy is first on PYTHONPATH (the venv's editable install points at the tree).
2. The coverage map (.mutation/coverage-map.json): the fast suite runs once under coverage in
   the copy, this file loaded as a pytest plugin. Per test, the plugin switches coverage's
   context to the test's node id in process, and sets MUTATION_TEST_CONTEXT, which the taps
   the test starts (`python -m tap_moco`) pick up: coverage's .pth starts coverage in every
   subprocess that inherits COVERAGE_PROCESS_START, with `context = ${MUTATION_TEST_CONTEXT}`.
   Lines run at import time (context "") count for every test that ran the module. The map is
   reused while tap_moco/, tests/ and sandbox/ hash the same. The slow tiers (Meltano,
   PostgreSQL, targets, packaging, bench, the curated mutants) are not in it.
3. Every operator occurrence in tap_moco/ (not schemas/), minus those in log calls, exception
   messages (`msg = ...`), string literals and docstrings, and annotations (never evaluated
   under `from __future__ import annotations`); then `--per-module` of them per module,
   drawn with `--seed`.
4. Each mutant: its covering tests, fastest first (this plugin undoes the conftest's
   slow-files-first order), `-x`, so the first failure ends the run. Every test gets a timeout
   of its own from its unmutated time (`PER_TEST_FACTOR` x that, at least `PER_TEST_FLOOR`),
   and the mutant's whole run a cap of `CAP_FACTOR` x its tests' unmutated time plus
   `CAP_MARGIN` (or `--mutant-timeout`).
   killed: a test failed; timeout: a test ran out of its own timeout, or the run out of a cap
   its tests' unmutated time fits well inside (at most `HANG_SHARE` of it), i.e. the mutant
   hangs or crawls; inconclusive: the run ran out of a cap too tight for its tests even
   unmutated (raise --mutant-timeout); survived: all passed; no-coverage: no test runs the
   line. Survivors listed in scripts/mutation_equivalents.toml (each with a reason) are
   equivalent. Score = (killed + timeout) / (total - equivalent - error): a hang is detected
   (the tests fail on it, if slowly), an inconclusive run is not.
5. `--extra-tests` (test files not in the map, e.g. new kill tests) run first, unmutated, once:
   only those that pass there run against the mutants (each with a timeout from its unmutated
   time); a failing, skipped or uncollectable one is reported and never counted as a kill.

Usage: python scripts/mutation_sample.py [--seed 1] [--per-module 8] [--module tap_moco/x.py]
       [--ref HEAD] [--mutant-timeout SECONDS]
       python scripts/mutation_sample.py --rescore .mutation/sample-seed1-n8.json
--mutant-timeout caps each mutant's run (a mutant that reaches it is a timeout, not a kill);
--rescore applies the equivalents as they are now to a finished run, without rerunning.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import functools
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency on Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Mapping, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import mutants  # noqa: E402 - scripts/ is not a package; its copy helpers are reused

CACHE = ROOT / ".mutation"
EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.toml"
PACKAGE = "tap_moco"
CONTEXT_VAR = "MUTATION_TEST_CONTEXT"
OUTCOMES_VAR = "MUTATION_TEST_OUTCOMES"
HASHED = ("tap_moco", "tests", "sandbox")
# Slow or external tiers, left out of the map: Meltano, PostgreSQL, target venvs, builds, the
# benchmark, the curated mutants, the OpenAPI generator, and this runner's own tests.
SLOW_TESTS = (
    "tests/test_meltano.py",
    "tests/test_targets.py",
    "tests/test_deletes.py",
    "tests/test_packaging.py",
    "tests/test_bench.py",
    "tests/test_mutants.py",
    "tests/test_readme_walkthrough.py",
    "tests/test_singer_walkthrough.py",
    "tests/test_schemas.py",
    "tests/test_mutation_sample.py",
    "tests/test_soak.py",
)
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
)
MESSAGE_NAMES = frozenset({"msg"})
STRING_TYPES = frozenset({"string", "fstring", "strings"})
ORDER_VAR = "MUTATION_TEST_ORDER"
MAP_TIMEOUT = 3600
PER_TEST_FLOOR = 60  # seconds: no test's timeout is shorter (fixtures set up on first use)
PER_TEST_FACTOR = 5  # a test's timeout is this many times its unmutated time
CAP_FACTOR = 2.5  # a mutant's cap: this many times its tests' unmutated time ...
CAP_MARGIN = 60  # ... plus this many seconds (pytest's start and collection)
HANG_SHARE = 0.5  # a run out of its cap is a hang if its tests' unmutated time is at most this
EXTRA_TIMEOUT = 600  # seconds for the unmutated run of the --extra-tests


# -- the mutants ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """One cosmic-ray mutation: `operator`'s `occurrence`-th position in `module`."""

    module: str
    operator: str
    occurrence: int
    line: int
    end_line: int
    first_line: int  # the enclosing statement's first line, for the coverage lookup
    skip: str = ""  # why it is not a candidate (message, docstring, annotation); "" if it is

    @property
    def ident(self) -> str:
        """Stable within one tree: module, line, operator, occurrence."""
        return f"{self.module}:{self.line}:{self.operator}#{self.occurrence}"


@functools.cache
def operators() -> dict[str, Any]:
    """cosmic-ray's core operators that need no arguments, by name, instantiated."""
    from cosmic_ray import plugins  # type: ignore[import-untyped]

    found = {}
    for name in sorted(plugins.operator_names()):
        cls = plugins.get_operator(name)
        if not cls.arguments():
            found[name] = cls()
    return found


def _statement_start(node: Any) -> int:
    """The first line of the statement (or compound header) holding `node`."""
    stops = {"simple_stmt", "decorator", "if_stmt", "while_stmt", "for_stmt", "with_stmt"}
    stops |= {"try_stmt", "funcdef", "classdef", "async_stmt", "file_input"}
    current = node
    while current.parent is not None and current.type not in stops:
        current = current.parent
    return int(current.start_pos[0])


def _is_log_call(trailer: Any) -> bool:
    """`trailer` is the `(...)` of `<x>.info(...)` and friends, or `warnings.warn(...)`."""
    if trailer.type != "trailer" or trailer.children[0].value != "(":
        return False
    siblings = trailer.parent.children
    before = siblings[siblings.index(trailer) - 1]
    return (
        before.type == "trailer"
        and before.children[0].value == "."
        and before.children[1].value in LOG_METHODS
    )


def skip_reason(node: Any) -> str:
    """Why a mutation at `node` is text or typing, not behaviour ("" when it is behaviour)."""
    current = node
    while current is not None:
        why = _region(node, current)
        if why:
            return why
        current = current.parent
    return ""


def _region(node: Any, around: Any) -> str:
    """What `around` (an ancestor of `node`) makes of it: string, log, message, annotation."""
    kind = around.type
    if kind in STRING_TYPES:
        return "string"
    if kind == "trailer" and _is_log_call(around):
        return "log"
    annotation = None
    if kind == "expr_stmt":
        target = around.children[0]
        if target.type == "name" and target.value in MESSAGE_NAMES:
            return "message"
        if len(around.children) > 1 and around.children[1].type == "annassign":
            annotation = around.children[1].children[1]
    elif kind in ("param", "funcdef"):
        annotation = around.annotation
    elif kind == "if_stmt" and around.children[1].get_code().strip() == "TYPE_CHECKING":
        annotation = around.children[1]
        if node is around:
            return "annotation"
    if annotation is not None and _within(node, annotation):
        return "annotation"
    return ""


def _within(node: Any, outer: Any) -> bool:
    return bool(outer.start_pos <= node.start_pos and node.end_pos <= outer.end_pos)


def enumerate_mutations(module: str, source: str) -> list[Mutation]:
    """Every position of every operator in `source`, in cosmic-ray's occurrence order."""
    from cosmic_ray.ast import ast_nodes, get_ast  # type: ignore[import-untyped]

    found = []
    nodes = list(ast_nodes(get_ast(source)))
    for name, operator in operators().items():
        occurrence = 0
        for node in nodes:
            for start, end in operator.mutation_positions(node):
                found.append(
                    Mutation(
                        module=module,
                        operator=name,
                        occurrence=occurrence,
                        line=start[0],
                        end_line=end[0],
                        first_line=_statement_start(node),
                        skip=skip_reason(node),
                    )
                )
                occurrence += 1
    return found


def mutate(source: str, mutation: Mutation) -> str | None:
    """The mutated source; None if cosmic-ray applies nothing or the result does not compile.

    cosmic-ray's binary-operator replacement also rewrites `**` of `f(**kwargs)`, which does not
    compile: such a mutant is incompetent, not a test gap, and is not drawn.
    """
    from cosmic_ray.mutating import mutate_code  # type: ignore[import-untyped]

    mutated = mutate_code(source, operators()[mutation.operator], mutation.occurrence)
    if mutated is None:
        return None
    try:
        compile(mutated, mutation.module, "exec")
    except SyntaxError:
        return None
    return str(mutated)


def runnable(mutated: str) -> str:
    """ExceptionReplacer catches a class of cosmic-ray's own: define it at the module's end."""
    if "CosmicRayTestingException" not in mutated:
        return mutated
    return mutated + "\n\nclass CosmicRayTestingException(Exception):  # noqa: N818\n    pass\n"


def describe(source: str, mutated: str) -> tuple[str, str]:
    """The changed lines before and after, stripped and joined: what a reader needs to see."""
    before, after = [], []
    for line in difflib.ndiff(source.splitlines(), mutated.splitlines()):
        if line.startswith("- "):
            before.append(line[2:].strip())
        elif line.startswith("+ "):
            after.append(line[2:].strip())
    return " / ".join(before), " / ".join(after)


def modules(root: Path) -> list[str]:
    """The package's modules, relative to `root`, without the generated schemas."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in (root / PACKAGE).rglob("*.py")
        if "schemas" not in path.relative_to(root / PACKAGE).parts
    )


def sample(root: Path, seed: int, per_module: int, only: Iterable[str] = ()) -> list[Mutation]:
    """`per_module` candidates of each module, drawn reproducibly from `seed`."""
    chosen = []
    wanted = set(only)
    for module in modules(root):
        if wanted and module not in wanted:
            continue
        source = (root / module).read_text(encoding="utf-8")
        candidates = [m for m in enumerate_mutations(module, source) if not m.skip]
        random.Random(f"{seed}:{module}").shuffle(candidates)
        picked: list[Mutation] = []
        for mutation in candidates:
            if len(picked) == per_module:
                break
            if mutate(source, mutation) is not None:
                picked.append(mutation)
        chosen.extend(sorted(picked, key=lambda m: (m.line, m.operator, m.occurrence)))
    return chosen


# -- the coverage map -------------------------------------------------------------------------


def tree_hash(root: Path) -> str:
    """What the map depends on: the sources of the package, the tests and the sandbox."""
    digest = hashlib.sha256()
    for top in HASHED:
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def coverage_rc(copy: Path, data: Path) -> str:
    """Coverage settings for the map run; every process's context is its test's node id."""
    return (
        "[run]\n"
        f"source = {copy / PACKAGE}\n"
        f"omit = {copy / PACKAGE / 'schemas'}/*\n"
        f"data_file = {data / '.coverage'}\n"
        "parallel = true\n"
        "sigterm = true\n"
        f"context = ${{{CONTEXT_VAR}}}\n"
    )


@dataclass
class CoverageMap:
    """Which tests ran which lines, and how each test did unmutated."""

    tree: str
    tests: dict[str, dict[str, Any]]  # node id -> {"outcome": ..., "seconds": ...}
    lines: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # module -> line -> ids

    def covering(self, mutation: Mutation) -> list[str]:
        """The passing tests that ran the mutated statement, fastest first."""
        by_line = self.lines.get(mutation.module, {})
        found: set[str] = set()
        for line in range(mutation.first_line, mutation.end_line + 1):
            found.update(by_line.get(str(line), ()))
        if "" in found:  # import time: whoever ran anything in the module depends on it
            found.discard("")
            found.update(t for ids in by_line.values() for t in ids if t)
        usable = [t for t in found if self.tests.get(t, {}).get("outcome") == "passed"]
        return sorted(usable, key=lambda t: (self.tests[t]["seconds"], t))


def build_map(copy: Path, tree: str, tests: Iterable[str] = ()) -> CoverageMap:
    """Run the fast suite (or `tests`) once in `copy` under coverage, one context per test."""
    import coverage

    work = CACHE / "map-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rc = work / "coveragerc"
    rc.write_text(coverage_rc(copy, work), encoding="utf-8")
    outcomes = work / "outcomes.json"
    env = mutants.environment(copy)
    plugin = Path(__file__).resolve().parent  # this file, also when the copy is a commit's
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(plugin)])
    env.update({"COVERAGE_PROCESS_START": str(rc), CONTEXT_VAR: "", OUTCOMES_VAR: str(outcomes)})
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "mutation_sample"]
    args += list(tests) or [f"--ignore={name}" for name in SLOW_TESTS]
    print(f"coverage map: running the fast suite under coverage in {copy}", flush=True)
    started = time.monotonic()
    proc = subprocess.run(
        args, cwd=copy, env=env, capture_output=True, text=True, timeout=MAP_TIMEOUT, check=False
    )
    (work / "pytest.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    tail = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"coverage map: {tail} ({time.monotonic() - started:.0f}s)", flush=True)
    if proc.returncode not in (0, 1) or not outcomes.is_file():  # 1: some tests failed
        msg = f"the map run broke (pytest exit {proc.returncode}), see {work / 'pytest.log'}"
        raise SystemExit(msg)
    cov = coverage.Coverage(config_file=str(rc))
    cov.combine(data_paths=[str(work)])
    data = cov.get_data()
    lines: dict[str, dict[str, list[str]]] = {}
    for measured in data.measured_files():
        module = Path(measured).resolve().relative_to(copy.resolve()).as_posix()
        by_line = data.contexts_by_lineno(measured)
        lines[module] = {str(n): sorted(set(ids)) for n, ids in sorted(by_line.items())}
    ran: dict[str, dict[str, Any]] = json.loads(outcomes.read_text(encoding="utf-8"))
    return CoverageMap(tree=tree, tests=ran, lines=lines)


def load_map(copy: Path, *, rebuild: bool = False) -> CoverageMap:
    """The cached map if it was built from the same tree, else a new one (then cached)."""
    path = CACHE / "coverage-map.json"
    tree = tree_hash(copy)
    if path.is_file() and not rebuild:
        cached = CoverageMap(**json.loads(path.read_text(encoding="utf-8")))
        if cached.tree == tree:
            print(f"coverage map: cached ({path}), {len(cached.tests)} tests", flush=True)
            return cached
        print("coverage map: tap_moco/, tests/ or sandbox/ changed, rebuilding", flush=True)
    built = build_map(copy, tree)
    CACHE.mkdir(exist_ok=True)
    path.write_text(json.dumps(asdict(built)), encoding="utf-8")
    return built


# -- the pytest plugin of the map run (`-p mutation_sample`) --------------------------------

_OUTCOMES: dict[str, dict[str, Any]] = {}


def _switch(context: str) -> None:
    """In-process context for coverage, environment context for the tests' subprocesses."""
    import coverage

    os.environ[CONTEXT_VAR] = context
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(context)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: Any) -> Generator[None, Any, Any]:
    """Everything `item` runs, setup and teardown included, counts for its node id."""
    _switch(item.nodeid)
    try:
        return (yield)
    finally:
        _switch("")


def pytest_runtest_logreport(report: Any) -> None:
    """A test passed if no phase failed and its call ran (skipped tests cannot kill)."""
    entry = _OUTCOMES.setdefault(report.nodeid, {"outcome": "passed", "seconds": 0.0})
    entry["seconds"] = round(entry["seconds"] + report.duration, 3)
    if report.failed:
        entry["outcome"] = "failed"
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[Any]) -> None:
    """A mutant run: the tests in the runner's order (fastest first), each with its timeout.

    tests/conftest.py puts the slow files first for `make test`; here that would run minutes
    of tests before the one that fails fast. The --extra-tests come first in the order; a
    test it does not name keeps its place ahead of the named ones.
    """
    path = os.environ.get(ORDER_VAR)
    if not path:
        return
    timeouts: dict[str, float] = json.loads(Path(path).read_text(encoding="utf-8"))
    rank = {node: n for n, node in enumerate(timeouts)}
    items.sort(key=lambda item: rank.get(item.nodeid, -1))
    for item in items:
        if item.nodeid in timeouts:
            item.add_marker(pytest.mark.timeout(timeouts[item.nodeid]))


def pytest_sessionfinish() -> None:
    """Hand the outcomes to the runner."""
    target = os.environ.get(OUTCOMES_VAR)
    if target:
        Path(target).write_text(json.dumps(_OUTCOMES, sort_keys=True), encoding="utf-8")


# -- running the mutants ----------------------------------------------------------------------


@dataclass
class Result:
    """What happened to one mutant."""

    id: str
    module: str
    line: int
    operator: str
    occurrence: int
    before: str
    after: str
    status: str  # killed | timeout | inconclusive | survived | no-coverage | equivalent | error
    tests: int = 0
    seconds: float = 0.0
    baseline: float = 0.0  # the covering tests' unmutated seconds, from the map
    cap: float = 0.0  # the seconds the mutant's run was allowed
    killed_by: str = ""
    reason: str = ""
    scope: str = ""  # the def or class around the line, e.g. "PagedRead._find"


def classify(code: int | None, output: str) -> tuple[str, str]:
    """(status, first failing test) from pytest's exit code (None: the run ran out of time)."""
    if code is None:
        return "timeout", ""
    failed = mutants.failed_tests(output)
    if code == 0:
        return "survived", ""
    if code == 1 and re.search(r"^\+{5,} Timeout \+{5,}$", output, re.MULTILINE):
        return "timeout", failed[0] if failed else ""
    if code in (1, 2):  # 2: collection broke, e.g. the mutated module no longer imports
        return "killed", failed[0] if failed else "(collection)"
    if code == 4 and "ERROR: found no collectors for" in output:
        return "killed", "(collection)"  # a test module named by node id no longer imports
    return "error", f"pytest exit {code}"


def load_equivalents(path: Path = EQUIVALENTS) -> list[dict[str, Any]]:
    """The listed equivalent mutants; each needs module, operator, before, after and reason."""
    if not path.is_file():
        return []
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
    for entry in entries:
        missing = {"module", "operator", "before", "after", "reason"} - entry.keys()
        if missing or not entry.get("reason", "").strip():
            msg = f"equivalent {entry}: missing {', '.join(sorted(missing)) or 'reason'}"
            raise ValueError(msg)
    return list(entries)


def equivalent_reason(result: Result, entries: list[dict[str, Any]]) -> str:
    """The reason a survivor is listed as equivalent, matched on text (lines move).

    An entry's optional `scope` (the def or class around the line) tells apart the same text
    in two places, e.g. `@dataclass(frozen=True)` on two classes.
    """
    for entry in entries:
        if (entry["module"], entry["operator"], entry["before"], entry["after"]) == (
            result.module,
            result.operator,
            result.before,
            result.after,
        ) and entry.get("scope", result.scope) == result.scope:
            return str(entry["reason"])
    return ""


def scope_of(source: str, line: int) -> str:
    """The qualified name of the innermost def or class holding `line`, or "" at module level.

    A decorator's line belongs to what it decorates.
    """
    found: tuple[int, str] = (-1, "")

    def visit(node: ast.AST, prefix: str) -> None:
        nonlocal found
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                if start <= line <= (child.end_lineno or child.lineno) and start > found[0]:
                    found = (start, name)
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found[1]


def run_tests(
    copy: Path, args: list[str], budget: float, extra_env: dict[str, str] | None = None
) -> tuple[int | None, str]:
    """Run pytest: its exit code and output; (None, partial output) when `budget` ran out.

    pytest runs in a session of its own, and on timeout the whole group goes (taps and sandbox
    servers a test started included), not only pytest. `extra_env`'s PYTHONPATH is appended.
    """
    env = mutants.environment(copy)
    for name, value in (extra_env or {}).items():
        env[name] = os.pathsep.join([env[name], value]) if name == "PYTHONPATH" else value
    proc = subprocess.Popen(
        args,
        cwd=copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        return None, output
    return proc.returncode, output


def run_mutant(
    copy: Path,
    mutation: Mutation,
    tests: list[str],
    cmap: CoverageMap,
    *,
    cap: float | None = None,
    extra: Mapping[str, float] | None = None,
) -> Result:
    """Apply `mutation` in `copy`, run `tests` fastest first until one fails, restore.

    `cap` (seconds) bounds the whole run of one mutant; a mutant that hits it is a timeout.
    `extra` (node id -> unmutated seconds: tests not in the map that passed on the unmutated
    copy, see `check_extra_tests`) run first, for every mutant, the mutated module's own first.
    """
    extra = dict(extra or {})
    tests = [t for t in tests if t not in extra]
    path = copy / mutation.module
    source = path.read_text(encoding="utf-8")
    mutated = mutate(source, mutation)
    result = Result(
        mutation.ident, mutation.module, mutation.line, mutation.operator, mutation.occurrence,
        *(describe(source, mutated) if mutated else ("", "")), status="error", tests=len(tests),
    )  # fmt: skip
    result.scope = scope_of(source, mutation.line)
    if mutated is None:
        result.reason = "cosmic-ray produced no compilable mutant"
        return result
    if not tests and not extra:
        result.status = "no-coverage"
        return result
    baseline = sum(cmap.tests[t]["seconds"] for t in tests) + sum(extra.values())
    budget = mutant_cap(baseline) if cap is None else cap
    result.baseline, result.cap = round(baseline, 1), round(budget, 1)
    own = {module_kills(mutation.module), f"test_mutation_kills_{Path(mutation.module).stem}"}
    first = sorted(extra, key=lambda node: (Path(node.split("::")[0]).stem not in own, node))
    timeouts = {t: timeout_for(extra[t]) for t in first}
    timeouts.update({t: timeout_for(cmap.tests[t]["seconds"]) for t in tests})
    order = copy / ".mutation-order.json"
    order.write_text(json.dumps(timeouts), encoding="utf-8")
    args = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
    args += ["-p", "mutation_sample", "-p", "no:randomly", f"--timeout={PER_TEST_FLOOR}"]
    args += [*first, *tests]
    env = {ORDER_VAR: str(order), "PYTHONPATH": str(Path(__file__).resolve().parent)}
    started = time.monotonic()
    path.write_text(runnable(mutated), encoding="utf-8")
    try:
        code, output = run_tests(copy, args, budget, env)
    finally:
        path.write_text(source, encoding="utf-8")
    result.seconds = round(time.monotonic() - started, 1)
    result.status, result.killed_by = classify(code, output)
    if code is None:
        if is_hang(baseline, budget):
            result.reason = f"ran out of its {budget:.0f}s cap; unmutated {baseline:.0f}s"
        else:
            result.status = "inconclusive"
            result.reason = (
                f"ran out of {budget:.0f}s, too tight for its tests' unmutated {baseline:.0f}s"
            )
    elif result.status == "timeout":
        result.reason = f"{result.killed_by} ran out of its own timeout"
    if result.status == "error":
        result.reason = "\n".join(output.strip().splitlines()[-3:])
    return result


def module_kills(module: str) -> str:
    """The stem of a module's own kill tests: tap_moco/kinds/base.py -> ..._kinds_base."""
    parts = Path(module).with_suffix("").parts[1:]
    return "test_mutation_kills_" + "_".join(parts)


def timeout_for(seconds: float) -> float:
    """One test's timeout from its unmutated time."""
    return float(max(PER_TEST_FLOOR, round(PER_TEST_FACTOR * seconds)))


def mutant_cap(baseline: float) -> float:
    """A mutant's cap from its tests' unmutated time: generous enough that only a hang hits."""
    return CAP_FACTOR * baseline + CAP_MARGIN


def is_hang(baseline: float, cap: float) -> bool:
    """A run out of `cap` is a hang when its tests, unmutated, fit well inside the cap."""
    return baseline <= HANG_SHARE * cap


def add_extra_tests(copy: Path, patterns: Iterable[str]) -> list[str]:
    """Copy the working tree's test files matching `patterns` into `copy`; their paths.

    Called after the map is loaded, so they do not change its hash.
    """
    added = []
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            name = path.relative_to(ROOT).as_posix()
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy / name)
            added.append(name)
    return added


@dataclass
class ExtraTests:
    """The --extra-tests as they did on the unmutated copy."""

    passing: dict[str, float] = field(default_factory=dict)  # node id -> seconds
    unusable: dict[str, str] = field(default_factory=dict)  # node id or file -> why not used


def check_extra_tests(copy: Path, files: Sequence[str]) -> ExtraTests:
    """Run `files` once on the unmutated `copy`: a test that fails there would "kill" every mutant.

    Only the passing tests run against the mutants; failing and skipped ones, and files that
    collect no test (e.g. an import error), are `unusable`, with the reason, for the report.
    """
    found = ExtraTests()
    if not files:
        return found
    outcomes = copy / ".mutation-extra-outcomes.json"
    outcomes.unlink(missing_ok=True)
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    args += ["-p", "mutation_sample", "-p", "no:randomly", "--continue-on-collection-errors"]
    args += list(files)
    env = {OUTCOMES_VAR: str(outcomes), "PYTHONPATH": str(Path(__file__).resolve().parent)}
    code, output = run_tests(copy, args, EXTRA_TIMEOUT, env)
    seen: dict[str, dict[str, Any]] = {}
    if outcomes.is_file():
        seen = json.loads(outcomes.read_text(encoding="utf-8"))
    for node, entry in sorted(seen.items()):
        if entry["outcome"] == "passed":
            found.passing[node] = float(entry["seconds"])
        else:
            found.unusable[node] = f"{entry['outcome']} unmutated"
    for name in files:
        if not any(node.split("::")[0] == name for node in seen):
            why = "ran out of time unmutated" if code is None else "collected no test unmutated"
            tail = " | ".join(output.strip().splitlines()[-2:])
            found.unusable[name] = f"{why} (pytest exit {code}: {tail})"
    return found


def snapshot(ref: str | None) -> Path:
    """A private copy of the working tree (tracked and untracked files), or of commit `ref`."""
    if not ref:
        return mutants.make_copy(mutants.repository_files())
    copy = Path(tempfile.mkdtemp(prefix="tap-moco-mutant-"))
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(copy)], input=archive, check=True)
    return copy


# -- the report -------------------------------------------------------------------------------


def score_table(results: list[Result]) -> list[dict[str, Any]]:
    """Per module and in total: counts and killed / (total - equivalent)."""
    rows = []
    groups = [*sorted({r.module for r in results}), "all"]
    for module in groups:
        mine = [r for r in results if module in ("all", r.module)]
        counts = {s: sum(r.status == s for r in mine) for s in STATUSES}
        scored = len(mine) - counts["equivalent"] - counts["error"]
        score = (counts["killed"] + counts["timeout"]) / scored if scored else None
        rows.append({"module": module, "total": len(mine), **counts, "score": score})
    return rows


STATUSES = (
    "killed", "timeout", "inconclusive", "survived", "no-coverage", "equivalent", "error"
)  # fmt: skip


def markdown(
    results: list[Result],
    seed: int,
    per_module: int,
    seconds: float,
    unusable: Mapping[str, str] | None = None,
) -> str:
    """The table and the survivors (and the --extra-tests not used), as a reader wants them."""
    out = [
        f"# Mutation sample: seed {seed}, {per_module} per module, cosmic-ray operators",
        "",
        f"{len(results)} mutants in {seconds / 60:.0f} min. Score = (killed + timeout) / "
        "(total - equivalent - error). timeout: the mutant hangs (a test ran past its own "
        f"timeout, {PER_TEST_FACTOR}x its unmutated time, or the run past a cap its tests' "
        f"unmutated time fits in at most {HANG_SHARE:.0%} of); inconclusive: the cap was too "
        "tight for the tests even unmutated, not counted as detected.",
        "",
        "| module | total | " + " | ".join(STATUSES) + " | score |",
        "|---|" + "---:|" * (len(STATUSES) + 2),
    ]
    for row in score_table(results):
        score = "-" if row["score"] is None else f"{row['score']:.0%}"
        cells = " | ".join(str(row[s]) for s in STATUSES)
        name = f"**{row['module']}**" if row["module"] == "all" else row["module"]
        out.append(f"| {name} | {row['total']} | {cells} | {score} |")
    for status in ("survived", "no-coverage", "inconclusive", "timeout", "equivalent", "error"):
        listed = [r for r in results if r.status == status]
        if listed:
            out += ["", f"## {status}", ""]
            for r in listed:
                extra = f" ({r.tests} tests, {r.seconds:.0f}s" if r.tests else ""
                if extra:
                    extra += f"; unmutated {r.baseline:.0f}s, cap {r.cap:.0f}s)" if r.cap else ")"
                why = f" - {r.reason}" if r.reason else ""
                out.append(
                    f"- {r.module}:{r.line}{f' ({r.scope})' if r.scope else ''} {r.operator}: "
                    f"`{r.before}` -> `{r.after}`{extra}{why}"
                )
    if unusable:
        out += ["", "## extra tests not run against the mutants (they do not pass unmutated)", ""]
        out += [f"- {node}: {why}" for node, why in sorted(unusable.items())]
    return "\n".join(out) + "\n"


def write_report(
    results: list[Result],
    args: argparse.Namespace,
    seconds: float,
    *,
    complete: bool,
    unusable: Mapping[str, str] | None = None,
) -> str:
    """The markdown table and the JSON under .mutation/ (rewritten after every mutant)."""
    report = markdown(results, args.seed, args.per_module, seconds, unusable)
    if not complete:
        report += "\n(incomplete: the run is still going or was stopped)\n"
    CACHE.mkdir(exist_ok=True)
    stem = report_stem(args)
    stem.with_suffix(".md").write_text(report, encoding="utf-8")
    payload = {
        "seed": args.seed,
        "per_module": args.per_module,
        "ref": args.ref or "working tree",
        "commit": args.ref or "",
        "complete": complete,
        "seconds": round(seconds),
        "table": score_table(results),
        "extra_tests_unusable": dict(unusable or {}),
        "mutants": [asdict(r) for r in results],
    }
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return report


def rescore(path: Path, entries: list[dict[str, Any]]) -> list[Result]:
    """The results in `path` with the equivalents as listed now; nothing is rerun.

    Listed survivors become equivalent; an equivalent whose entry is gone is a survivor again.
    """
    payload = json.loads(path.read_text(encoding="utf-8"))
    results = [Result(**entry) for entry in payload["mutants"]]
    commit = payload.get("commit") or payload.get("ref", "")
    for result in results:  # a report from before scopes were recorded
        if not result.scope and commit and commit != "working tree":
            shown = subprocess.run(
                ["git", "show", f"{commit}:{result.module}"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if shown.returncode == 0:
                result.scope = scope_of(shown.stdout, result.line)
    for result in results:
        if result.status == "equivalent":
            result.status, result.reason = "survived", ""
        if result.status == "survived":
            reason = equivalent_reason(result, entries)
            if reason:
                result.status, result.reason = "equivalent", reason
    return results


def merge(args: argparse.Namespace) -> int:
    """One report from runs of the same seed and size over other modules (a later run wins)."""
    payloads = [json.loads(path.read_text(encoding="utf-8")) for path in args.merge]
    if len({(p["seed"], p["per_module"], p.get("commit", "")) for p in payloads}) != 1:
        msg = "--merge: the runs differ in seed, size or commit"
        raise SystemExit(msg)
    by_id = {entry["id"]: Result(**entry) for p in payloads for entry in p["mutants"]}
    results = sorted(by_id.values(), key=lambda r: (r.module, r.line, r.operator, r.occurrence))
    args.seed, args.per_module = payloads[0]["seed"], payloads[0]["per_module"]
    args.ref = payloads[0].get("commit") or None
    complete = all(p["complete"] for p in payloads)
    unusable = {k: v for p in payloads for k, v in p.get("extra_tests_unusable", {}).items()}
    seconds = sum(p["seconds"] for p in payloads)
    print(write_report(results, args, seconds, complete=complete, unusable=unusable))
    return 0


def report_stem(args: argparse.Namespace) -> Path:
    """Where a run's report goes: .mutation/sample-seed<S>-n<N> (.md and .json)."""
    name = f"-{args.name}" if getattr(args, "name", "") else ""
    return CACHE / f"sample-seed{args.seed}-n{args.per_module}{name}"


def previous_results(args: argparse.Namespace) -> dict[str, Result]:
    """The last run's results for this seed and size, by mutant id (for `--retry`)."""
    path = report_stem(args).with_suffix(".json")
    if not path.is_file():
        msg = f"--retry: no earlier run at {path}"
        raise SystemExit(msg)
    payload = json.loads(path.read_text(encoding="utf-8"))
    if args.ref and payload.get("commit") and payload["commit"] != resolve(args.ref):
        msg = f"--retry: {path} is of commit {payload['commit']}, not {args.ref}"
        raise SystemExit(msg)
    return {entry["id"]: Result(**entry) for entry in payload["mutants"]}


def resolve(ref: str) -> str:
    """The commit `ref` names."""
    return subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-module", type=int, default=8)
    parser.add_argument("--module", action="append", default=[], help="only these modules")
    parser.add_argument("--list", action="store_true", help="list the sample and exit")
    parser.add_argument(
        "--mutant",
        action="append",
        default=[],
        metavar="ID",
        help="run only these mutants of the sample (ids as --list prints them); with --retry"
        " the earlier run's other results are kept",
    )
    parser.add_argument(
        "--name",
        default="",
        help="a suffix for the report's file names, so that runs of other modules side by side"
        " do not overwrite each other's (merge them with --merge)",
    )
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="merge finished runs' .json (same seed and size, other modules) into one report",
    )
    parser.add_argument("--rebuild-map", action="store_true")
    parser.add_argument(
        "--ref", help="mutate this commit (git archive) instead of the working tree, e.g. HEAD"
    )
    parser.add_argument(
        "--mutant-timeout",
        type=float,
        metavar="SECONDS",
        help=f"at most this long per mutant (default: {CAP_FACTOR}x its tests' unmutated time"
        f" + {CAP_MARGIN}s); a run out of it counts as a timeout only if that time is at most"
        f" {HANG_SHARE:.0%}% of it, else as inconclusive",
    )
    parser.add_argument(
        "--rescore",
        type=Path,
        metavar="JSON",
        help="apply scripts/mutation_equivalents.toml to a finished run's .json and rewrite its"
        " report, without running anything",
    )
    parser.add_argument(
        "--retry",
        action="append",
        default=[],
        choices=STATUSES,
        help="rerun only the mutants the last run of this seed and size left with this status"
        " (e.g. timeout, error), keeping the other results",
    )
    parser.add_argument(
        "--extra-tests",
        action="append",
        default=[],
        metavar="GLOB",
        help="test files of the working tree (e.g. 'tests/test_mutation_kills_*.py') copied into"
        " the snapshot after the map is loaded, run once unmutated, and those of their tests"
        " that pass there run first for every mutant (the others are reported, never kills)",
    )
    return parser.parse_args(argv)


def rescore_command(args: argparse.Namespace) -> int:
    """--rescore: rewrite a finished run's report with the equivalents as listed now."""
    payload = json.loads(args.rescore.read_text(encoding="utf-8"))
    args.seed, args.per_module = payload["seed"], payload["per_module"]
    args.ref = None if payload["ref"] == "working tree" else payload["ref"]
    results = rescore(args.rescore, load_equivalents())
    unusable = payload.get("extra_tests_unusable", {})
    seconds, complete = payload["seconds"], payload["complete"]
    print(write_report(results, args, seconds, complete=complete, unusable=unusable))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Sample, map, run, report; exit 0 unless the run itself broke."""
    args = parse_args(argv)
    if args.ref:
        args.ref = resolve(args.ref)  # HEAD moves; the report names the commit

    if args.merge:
        return merge(args)

    if args.rescore:
        return rescore_command(args)

    started = time.monotonic()
    copy = snapshot(args.ref)
    try:
        chosen = sample(copy, args.seed, args.per_module, args.module)
        if args.mutant:  # a few of the sample, by id (the rest of an earlier run stays)
            chosen = [m for m in chosen if m.ident in args.mutant]
        if args.list:
            for m in chosen:
                print(m.ident)
            return 0
        mutants.check_copy_is_imported(copy)
        cmap = load_map(copy, rebuild=args.rebuild_map)
        extra = check_extra_tests(copy, add_extra_tests(copy, args.extra_tests))
        for node, why in extra.unusable.items():
            print(f"extra test not used: {node}: {why}", flush=True)
        equivalents = load_equivalents()
        earlier = previous_results(args) if args.retry else {}
        results = []
        for number, mutation in enumerate(chosen, 1):
            kept = earlier.get(mutation.ident)
            if kept is not None and kept.status not in args.retry:
                results.append(kept)
                continue
            covering = cmap.covering(mutation)
            result = run_mutant(
                copy, mutation, covering, cmap, cap=args.mutant_timeout, extra=extra.passing
            )
            if result.status == "survived":
                reason = equivalent_reason(result, equivalents)
                if reason:
                    result.status, result.reason = "equivalent", reason
            results.append(result)
            elapsed = time.monotonic() - started
            write_report(results, args, elapsed, complete=False, unusable=extra.unusable)
            print(
                f"[{number}/{len(chosen)}] {result.status:11} {result.id} "
                f"({result.tests} tests, {result.seconds:.0f}s) {result.killed_by}",
                flush=True,
            )
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    drawn = {r.id for r in results}  # --retry with --module: the other modules' results stay
    results += [r for r in earlier.values() if r.id not in drawn]
    results.sort(key=lambda r: (r.module, r.line, r.operator, r.occurrence))
    elapsed = time.monotonic() - started
    report = write_report(results, args, elapsed, complete=True, unusable=extra.unusable)
    print(report)
    print(f"written: {report_stem(args)}.md and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
