"""`make mutants`: plant realistic defects in tap_moco/ one at a time; the tests must catch each.

Why a curated list and not mutmut 3 or cosmic-ray: the suite's tests that guard tap_moco/ are
mostly end-to-end runs of the tap against the sandbox (seconds each, the whole suite about six
minutes on two cores), and a generated mutant set over tap_moco/ is well over a thousand
mutants, most of them in messages and logging. Re-running even a coverage-selected part of the
suite per generated mutant takes hours here. `scripts/mutants.toml` instead lists defects a
maintainer could really make (a boundary moved, a check loosened, a step skipped), each with
the few tests that must fail on it, so one mutant costs seconds.

How: every worker (at most two) copies the repository (tracked plus untracked, not ignored
files; no venvs) to a temporary directory, applies one mutation there (its `original` text must
occur exactly once), runs the mutant's tests with this interpreter, `cwd` the copy and
`PYTHONPATH` the copy (the venv's editable install points at the working tree, which is never
touched), and restores the file. Before any mutant it checks that the copy's `tap_moco` and
`sandbox` are the ones imported, and runs every selected test once unmutated (a test that
fails anyway proves nothing). A test failure or a hang kills the mutant. The score is killed /
all; a survivor must carry an `equivalent` explanation in the list, or the run fails.

Usage: python scripts/mutants.py [--jobs 2] [--only ID ...] [--list] [--no-baseline]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DEFECTS = ROOT / "scripts" / "mutants.toml"
GOAL = 0.95
MAX_JOBS = 2  # the machine has two cores; the tests themselves start the tap as a subprocess
TEST_TIMEOUT = 120  # per test (pytest-timeout); a mutant that hangs a test is killed
RUN_TIMEOUT = 600  # per mutant, however many tests it has
PYTEST = ("-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", f"--timeout={TEST_TIMEOUT}")


@dataclass(frozen=True)
class Mutant:
    """One planted defect: `original` in `file` becomes `replacement`."""

    id: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]
    defect: str
    equivalent: str | None = None


@dataclass
class Outcome:
    """What the tests said about one mutant."""

    mutant: Mutant
    status: str  # killed | survived | error
    seconds: float
    detail: str = ""
    failed: list[str] = field(default_factory=list)


def load(path: Path = DEFECTS) -> list[Mutant]:
    """The curated list; raises ValueError on a malformed entry."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    mutants = []
    known = {item.name for item in fields(Mutant)}
    for entry in data.get("mutant", []):
        missing = known - {"equivalent"} - entry.keys()
        unknown = entry.keys() - known
        if missing or unknown:
            msg = (
                f"mutant {entry.get('id', '?')}: missing {', '.join(sorted(missing)) or '-'}, "
                f"unknown {', '.join(sorted(unknown)) or '-'}"
            )
            raise ValueError(msg)
        mutants.append(Mutant(**{**entry, "tests": tuple(entry["tests"])}))
    ids = [m.id for m in mutants]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        msg = f"duplicate mutant ids: {', '.join(duplicates)}"
        raise ValueError(msg)
    return mutants


def problems(mutant: Mutant, root: Path = ROOT) -> list[str]:
    """Why `mutant` cannot be applied to the tree at `root` (empty when it can)."""
    path = root / mutant.file
    if not mutant.file.startswith("tap_moco/") or not path.is_file():
        return [f"{mutant.id}: {mutant.file} is not a file under tap_moco/"]
    found = []
    count = path.read_text(encoding="utf-8").count(mutant.original)
    if count != 1:
        found.append(f"{mutant.id}: original text occurs {count} times in {mutant.file}")
    if mutant.original == mutant.replacement:
        found.append(f"{mutant.id}: replacement equals the original")
    if not mutant.tests:
        found.append(f"{mutant.id}: names no test")
    return found


# -- the copy ---------------------------------------------------------------------------------


def repository_files(root: Path = ROOT) -> list[str]:
    """Tracked and untracked-but-not-ignored files, without virtual environments."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [
        name
        for name in listed.split("\0")
        if name and not name.split("/", 1)[0].startswith(".venv") and (root / name).is_file()
    ]


def make_copy(files: list[str]) -> Path:
    """A fresh copy of the repository's files in a temporary directory."""
    copy = Path(tempfile.mkdtemp(prefix="tap-moco-mutant-"))
    for name in files:
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return copy


def environment(copy: Path) -> dict[str, str]:
    """The tests' environment: the copy first on the path, no stale bytecode."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(copy), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a same-size edit within a second must not hit a .pyc
    env.setdefault("MELTANO_BIN", str(ROOT / ".venv-meltano" / "bin" / "meltano"))
    return env


def check_copy_is_imported(copy: Path) -> None:
    """Fail loudly unless the copy's packages are what the tests (and their taps) import."""
    probe = "import sandbox.runner, tap_moco; print(tap_moco.__file__); print(sandbox.runner.ROOT)"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=copy,
        env=environment(copy),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for path in out:
        if not Path(path).resolve().is_relative_to(copy.resolve()):
            msg = f"the tests would import {path}, not the copy in {copy}"
            raise SystemExit(msg)


CANARY = Mutant(
    id="canary",
    file="tap_moco/tap.py",
    original="\nclass TapMoco(Tap):",
    replacement='\nraise SystemExit("mutants canary")\n\n\nclass TapMoco(Tap):',
    tests=("tests/test_nothing_lost.py::test_record_updated_in_the_bookmark_second_comes_back",),
    defect="every tap run fails: proves the tap the tests start is the mutated copy's",
)


def run_tests(
    copy: Path, tests: tuple[str, ...], *, stop_first: bool = True, timeout: float = RUN_TIMEOUT
) -> tuple[int, str]:
    """Run pytest on `tests` in `copy`: (exit code, output); -1 when it ran out of time."""
    args = [sys.executable, *PYTEST, *tests]
    if not stop_first:
        args.remove("-x")
    try:
        proc = subprocess.run(
            args,
            cwd=copy,
            env=environment(copy),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -1, f"no result within {timeout:.0f}s"
    return proc.returncode, proc.stdout + proc.stderr


def failed_tests(output: str) -> list[str]:
    """The node ids pytest's summary names as failed (not captured `ERROR` log lines)."""
    return re.findall(r"^(?:FAILED|ERROR) (\S+\.py(?:::.+?)?)(?: - .*)?$", output, re.MULTILINE)


def try_mutant(copy: Path, mutant: Mutant) -> Outcome:
    """Apply `mutant` to the copy, run its tests, restore the file."""
    path = copy / mutant.file
    source = path.read_text(encoding="utf-8")
    if source.count(mutant.original) != 1:
        return Outcome(mutant, "error", 0.0, "original text not found exactly once")
    started = time.monotonic()
    path.write_text(source.replace(mutant.original, mutant.replacement), encoding="utf-8")
    try:
        code, output = run_tests(copy, mutant.tests)
    finally:
        path.write_text(source, encoding="utf-8")
    seconds = time.monotonic() - started
    if code == -1:
        return Outcome(mutant, "killed", seconds, output)
    if code == 0:
        return Outcome(mutant, "survived", seconds)
    if code == 1:
        return Outcome(mutant, "killed", seconds, failed=failed_tests(output))
    tail = "\n".join(output.strip().splitlines()[-5:])
    return Outcome(mutant, "error", seconds, f"pytest exit {code}: {tail}")


# -- the run ----------------------------------------------------------------------------------


def baseline(copies: list[Path], mutants: list[Mutant]) -> set[str]:
    """Every selected test once on the unmutated copies: the tests that fail anyway."""
    tests = sorted({test for mutant in mutants for test in mutant.tests})
    chunks = [tests[i :: len(copies)] for i in range(len(copies))]

    def run(pair: tuple[Path, list[str]]) -> tuple[int, str]:
        # A chunk holds dozens of tests: one mutant's cap would, on a busy machine (`make
        # test` runs this beside the suite), mark every test of the chunk as failing anyway.
        # pytest-timeout still fails a test that hangs, and only that test.
        cap = max(RUN_TIMEOUT, TEST_TIMEOUT * len(pair[1]))
        return run_tests(pair[0], tuple(pair[1]), stop_first=False, timeout=cap)

    with concurrent.futures.ThreadPoolExecutor(len(copies)) as pool:
        results = list(pool.map(run, zip(copies, chunks, strict=True)))
    broken: set[str] = set()
    for (code, output), chunk in zip(results, chunks, strict=True):
        if code not in (0, 1):  # collection error, timeout: nothing in the chunk is trusted
            broken.update(chunk)
        broken.update(failed_tests(output))
    return broken


def report(outcomes: list[Outcome], seconds: float) -> int:
    """Print the score and the survivors; 0 when the goal is met and every survivor explained."""
    killed = [o for o in outcomes if o.status == "killed"]
    survived = [o for o in outcomes if o.status == "survived"]
    errors = [o for o in outcomes if o.status == "error"]
    score = len(killed) / len(outcomes) if outcomes else 0.0
    print(
        f"\n{len(killed)} of {len(outcomes)} mutants killed ({score:.0%}), "
        f"{len(survived)} survived, {len(errors)} errors, in {seconds:.0f}s"
    )
    unexplained = [o for o in survived if not o.mutant.equivalent]
    for outcome in survived:
        why = outcome.mutant.equivalent or "NOT EXPLAINED: write a test that kills it"
        print(f"  survivor {outcome.mutant.id} ({outcome.mutant.file}): {why}")
    for outcome in errors:
        print(f"  error {outcome.mutant.id}: {outcome.detail}")
    ok = score >= GOAL and not unexplained and not errors
    print(f"goal {GOAL:.0%} killed, every survivor explained: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Run the curated mutants; the exit status says whether the goal is met."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=MAX_JOBS, help="parallel mutants (max 2)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    args = parser.parse_args(argv)

    mutants = load()
    if args.only:
        unknown = set(args.only) - {m.id for m in mutants}
        if unknown:
            parser.error(f"unknown mutant ids: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.id in args.only]
    if args.list:
        for mutant in mutants:
            print(f"{mutant.id:32} {mutant.file:28} {mutant.defect}")
        return 0
    bad = [problem for mutant in mutants for problem in problems(mutant)]
    if bad:
        print("\n".join(bad))
        return 2

    started = time.monotonic()
    jobs = max(1, min(args.jobs, MAX_JOBS, len(mutants)))
    outcomes = run_all(mutants, jobs, with_baseline=not args.no_baseline)
    return report(outcomes, time.monotonic() - started)


def run_all(mutants: list[Mutant], jobs: int, *, with_baseline: bool) -> list[Outcome]:
    """Each mutant on one of `jobs` copies, after the import check, canary and baseline."""
    started = time.monotonic()
    files = repository_files()
    copies = [make_copy(files) for _ in range(jobs)]
    broken: set[str] = set()
    free: queue.Queue[Path] = queue.Queue()
    lock = threading.Lock()

    def one(mutant: Mutant) -> Outcome:
        unsound = sorted(set(mutant.tests) & broken)
        if unsound:
            return Outcome(mutant, "error", 0.0, f"fails unmutated: {', '.join(unsound)}")
        copy = free.get()
        try:
            outcome = try_mutant(copy, mutant)
        finally:
            free.put(copy)
        with lock:
            caught = f" by {outcome.failed[0]}" if outcome.failed else ""
            print(f"{outcome.status:8} {mutant.id:32} {outcome.seconds:5.1f}s{caught}", flush=True)
        return outcome

    try:
        check_copy_is_imported(copies[0])
        if try_mutant(copies[0], CANARY).status != "killed":
            msg = "the canary mutant survived: the tests do not run the copy's tap_moco"
            raise SystemExit(msg)
        print(f"canary killed: the tests import and run the copy's tap_moco ({copies[0]})")
        if with_baseline:
            broken = baseline(copies, mutants)
            took = time.monotonic() - started
            print(f"baseline: {len(broken)} selected tests fail unmutated ({took:.0f}s)")
            for test in sorted(broken):
                print(f"  fails without a mutant (its mutants are not run): {test}")
        for copy in copies:
            free.put(copy)
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            return list(pool.map(one, mutants))
    finally:
        for copy in copies:
            shutil.rmtree(copy, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
