"""A chaos soak: seeded scheduled runs of the real tap against one sandbox, then one clean run.

Each chaos run starts from the state the previous one left (its last complete STATE line, as
Meltano keeps it), meets server faults (5xx, 429, dropped connections, truncated and HTML
bodies, stalls, slow pages, short or empty pages, 403/404 mid-list), may be killed (SIGKILL
or SIGTERM after a random number of requests or a random delay), while a thread creates,
updates and deletes records (parents with their children included). Then the faults stop and
one ordinary run follows. A `Warehouse` fed every run's stdout in order must then equal the
sandbox, except that month-window reports (`MONTH_REPORTS`) need only hold every row with its
current values: an ordinary run re-reads only their recent windows, so a row that vanished
from a month it no longer reads stays until a reconciling run. One more run naming them in
`activate_version_streams` (the documented weekly reconcile) must then leave the whole
warehouse equal to the sandbox. Everything random comes from one seed, so a failing seed can
be replayed; the timing of a real process is not, so the run log says what actually happened.

Nothing here imports the tap: it is driven through its command line (`runner.tap_command`).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.hostile import PageFault
from sandbox.runner import ROOT, base_config, catalog_selecting, tap_command
from sandbox.warehouse import Warehouse

if TYPE_CHECKING:
    from sandbox.server import LogEntry, Sandbox

STREAMS = ("activities", "companies", "projects", "project_tasks", "todos", "report_cashflow")
"""An incremental top-level list with delete detection (activities), reference tables read
whole on a first run (companies, projects), a per-parent child (project_tasks), a full-table
list (todos) and a month-windowed report (report_cashflow)."""
WATCHED = ("activities", "companies")
"""Incremental lists with count-based delete detection: their state and log lines are noted."""
NOTED = ("predicted", "resum", "re-reading", "still changing", "X-Total", "ACTIVATE", "deleted")
MONTH_REPORTS = ("report_cashflow",)
"""Month-window reports among `STREAMS`: deleted rows are removed by a reconciling run."""
COUNTS = {"activities": 240, "companies": 40, "projects": 12}
START_DATE = "2023-01-01T00:00:00Z"
"""The sandbox's history starts in 2023: every report window since then is a request."""
PER_PAGE = 20
RATE = (8, 1.0)
"""A real window, enforced by the sandbox and honoured by the tap, scaled down from MOCO's."""
QUIET = 1.1
"""Seconds between the last change and the clean run: MOCO stamps whole seconds."""
GAP = RATE[1]
"""Seconds between two runs: a new process cannot know the rate window its predecessor
(killed a moment ago) filled, and a scheduler starts the next run later than that anyway."""

FAULT_FAMILIES: dict[str, dict[str, Any]] = {
    "5xx": {"fault_kinds": ("500", "502", "503", "504")},
    "429": {"fault_kinds": ("429",)},
    "close": {"fault_kinds": ("close", "truncate")},
    "html200": {"fault_kinds": ("html200",)},
    "stall": {"fault_kinds": ("stall",), "latency": 0.02},
    "short": {"page_kinds": ("empty", "short_total", "no_link")},
    "refuse": {"page_kinds": ("403", "404", "503")},
    "slow": {"page_kinds": ("slow",), "latency": 0.05},
}
"""What a chaos run can meet; every seed's schedule covers every family."""
PAGED_PATHS = {"/activities": 2, "/companies": 2, "/todos": 2, "/report/cashflow": 1, "tasks": 1}
"""Lists a page fault may hit, with the first page it may hit: a refusal on page 1 of a list
skips the stream (MOCO's answer for a module the key may not read), so lists with several
pages are hit later; each report window and each project's tasks are one page (`tasks`: a
random project's, a mid-list refusal of the parent walk)."""


@dataclass
class RunReport:
    """What one tap run met and did."""

    number: int
    faults: list[str]
    kill: str
    exit_code: int | None = None
    requests: int = 0
    faulted: dict[str, int] = field(default_factory=dict)
    real_429: list[str] = field(default_factory=list)
    records: int = 0
    state_saved: bool = False
    stderr_tail: str = ""
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        faults = ", ".join(self.faults) or "none"
        spoiled = ", ".join(f"{k}x{v}" for k, v in sorted(self.faulted.items())) or "-"
        text = (
            f"run {self.number}: faults [{faults}]; kill {self.kill}; exit {self.exit_code}; "
            f"{self.requests} requests (spoiled {spoiled}; rate-limit 429s {len(self.real_429)}); "
            f"{self.records} records; state {'saved' if self.state_saved else 'kept'}"
        )
        if self.real_429:
            text += "\n    rate-limit 429 at " + ", ".join(self.real_429[:8])
        if self.exit_code not in (0, None) and self.stderr_tail:
            text += "\n    " + self.stderr_tail.replace("\n", "\n    ")
        for note in self.notes:
            text += "\n    " + note
        return text


class Mutator:
    """Seeded creates, updates and deletes of the soak's resources, parents included."""

    def __init__(self, sandbox: Sandbox, rng: random.Random, log: list[str]) -> None:
        """Bind to the sandbox; every change is appended to `log`."""
        self.sandbox = sandbox
        self.rng = rng
        self.log = log
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.where = "between runs"

    def ids(self, resource: str) -> list[int]:
        store = self.sandbox.store
        with store.lock:
            return sorted(store.table(resource))

    def once(self) -> None:
        """One random change (the lock keeps the seeded sequence in one thread at a time)."""
        with self._lock:
            self._change()

    def _change(self) -> None:
        sb, rng = self.sandbox, self.rng
        resource = rng.choice(
            ["activities"] * 4
            + ["companies"] * 2
            + ["projects"] * 2
            + ["project_tasks"] * 2
            + ["todos", "invoice_payments"]
        )
        kind = rng.choice(["create", "update", "update", "delete", "delete"])
        ids = self.ids(resource)
        today = sb.today
        if resource == "invoice_payments":
            # A payment moves report_cashflow; only recent ones, inside the re-read horizon.
            recent = [
                rid
                for rid in ids
                if str((sb.record(resource, rid) or {}).get("date", ""))
                >= (today - dt.timedelta(days=60)).isoformat()
            ]
            if kind == "create" or not recent:
                record = sb.create(resource, date=today.isoformat())
                self._note("create", resource, record["id"])
            elif kind == "update":
                target = rng.choice(recent)
                sb.update(resource, target, paid_total=round(rng.uniform(10, 900), 2))
                self._note("update", resource, target)
            else:
                target = rng.choice(recent)
                sb.delete(resource, target)
                self._note("delete", resource, target)
            return
        if kind == "create" or not ids:
            if resource == "project_tasks":
                record = sb.create(resource, project_id=rng.choice(self.ids("projects")))
            else:
                record = sb.create(resource)
            extra = ""
            if resource == "projects":
                tasks = [t for t in sb.expected("project_tasks") if t["project_id"] == record["id"]]
                extra = f" with {len(tasks)} tasks"
            self._note("create", resource, record["id"], extra)
            return
        target = rng.choice(ids)
        if kind == "update":
            sb.update(resource, target)
            self._note("update", resource, target)
            return
        before = len(self.ids("project_tasks"))
        sb.delete(resource, target)
        extra = ""
        if resource == "projects":
            extra = f" and its {before - len(self.ids('project_tasks'))} tasks"
        self._note("delete", resource, target, extra)

    def _note(self, kind: str, resource: str, record_id: int, extra: str = "") -> None:
        self.log.append(f"  {self.where}: {kind} {resource} {record_id}{extra}")

    def start(self, where: str) -> None:
        """Change records from a thread every 0.2 to 1.5 s until `stop()`."""
        self.where = where
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                pause = self.rng.uniform(0.2, 1.5)
            if self._stop.wait(pause):
                return
            self.once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.where = "between runs"


@dataclass
class SoakResult:
    """The outcome of one seed: the run log, the final run's exit code and the diff."""

    seed: int
    log: list[str]
    final_exit: int | None
    diff: dict[str, dict[str, list[Any]]]
    """Per stream after the quiet run, and per stream after the reconcile (`reconciled: `)."""
    real_429: int
    kills: list[str]

    @property
    def ok(self) -> bool:
        return self.final_exit == 0 and not any(any(v.values()) for v in self.diff.values())

    def explain(self) -> str:
        lines = [f"seed {self.seed}: final run exit {self.final_exit}", "run log:", *self.log]
        lines.append("diff (warehouse vs sandbox):")
        for stream, parts in sorted(self.diff.items()):
            for name, keys in parts.items():
                if keys:
                    lines.append(f"  {stream} {name} ({len(keys)}): {keys[:10]}")
        return "\n".join(lines)


class Soak:
    """One seed's schedule against one running sandbox."""

    def __init__(self, sandbox: Sandbox, seed: int, runs: int = 5) -> None:
        """`runs` chaos runs, then one clean one."""
        self.sandbox = sandbox
        self.seed = seed
        self.runs = runs
        self.rng = random.Random(seed)
        self.log: list[str] = [f"seed {seed}: {runs} chaos runs, rate limit {RATE}"]
        self.mutator = Mutator(sandbox, random.Random(seed * 31 + 7), self.log)
        self.warehouse = Warehouse()
        self.state: dict[str, Any] | None = None
        self.catalog = catalog_selecting(set(STREAMS))
        self.config = base_config(
            sandbox.base_url,
            start_date=START_DATE,
            per_page=PER_PAGE,
            rate_limit_requests=RATE[0],
            rate_limit_window_seconds=RATE[1],
            request_timeout=2,
            max_tries=8,
            retry_backoff_seconds=0.2,
        )
        self.kills: list[str] = []

    # --- the schedule ----------------------------------------------------------------------

    def schedule(self) -> list[tuple[list[str], str]]:
        """Per chaos run: its fault families and its kill (every family and kind appear)."""
        families = list(FAULT_FAMILIES)
        self.rng.shuffle(families)
        per_run: list[list[str]] = [[] for _ in range(self.runs)]
        for index, family in enumerate(families):
            per_run[index % self.runs].append(family)
        kills = ["SIGKILL", "SIGTERM"] + [
            self.rng.choice(["SIGKILL", "SIGTERM", "none", "none"]) for _ in range(self.runs - 2)
        ]
        self.rng.shuffle(kills)
        return list(zip(per_run, kills, strict=True))

    def run(self) -> SoakResult:
        """The chaos runs, then the clean run, then the comparison."""
        sb = self.sandbox
        for number, (families, kill) in enumerate(self.schedule(), start=1):
            time.sleep(GAP)
            for _ in range(self.rng.randint(1, 4)):
                self.mutator.once()
            self._arm(families)
            self.mutator.start(f"during run {number}")
            try:
                report = self._tap_run(number, families, kill)
            finally:
                self.mutator.stop()
            self.log.append(report.line())
        sb.config.update(fault_rate=0.0, page_faults=(), latency=0.0)
        sb.app.hostile.reset()
        time.sleep(QUIET)
        final = self._tap_run(self.runs + 1, [], "none")
        self.log.append(final.line().replace(f"run {self.runs + 1}", "clean run", 1))
        diff = self.diff(reports_exact=False)
        time.sleep(GAP)
        reconcile = {**self.config, "activate_version_streams": list(MONTH_REPORTS)}
        again = self._tap_run(self.runs + 2, [], "none", config=reconcile)
        self.log.append(again.line().replace(f"run {self.runs + 2}", "reconciling run", 1))
        diff |= {f"reconciled: {k}": v for k, v in self.diff(reports_exact=True).items()}
        exit_code = final.exit_code or again.exit_code
        real_429 = sum(1 for e in sb.request_log if e.status == 429 and e.fault is None)
        return SoakResult(self.seed, self.log, exit_code, diff, real_429, list(self.kills))

    def _arm(self, families: list[str]) -> None:
        """Switch on this run's faults."""
        kinds: list[str] = []
        page_faults: list[PageFault] = []
        latency = 0.0
        for family in families:
            spec = FAULT_FAMILIES[family]
            kinds += spec.get("fault_kinds", ())
            latency = max(latency, spec.get("latency", 0.0))
            for kind in spec.get("page_kinds", ()):
                path = self.rng.choice(sorted(PAGED_PATHS))
                first = 1 if kind == "slow" else PAGED_PATHS[path]
                page = first if first == 1 else self.rng.randint(first, 4)
                if path == "tasks":
                    path = f"/projects/{self.rng.choice(self.mutator.ids('projects'))}/tasks"
                seconds = 0.6 if kind == "slow" else 0.0
                page_faults.append(PageFault(kind, page=page, path=path, times=1, seconds=seconds))
        self.sandbox.app.hostile.reset()
        self.sandbox.config.update(
            fault_rate=self.rng.uniform(0.05, 0.15) if kinds else 0.0,
            fault_kinds=tuple(kinds) or ("500",),
            page_faults=tuple(page_faults),
            latency=latency,
            stall_seconds=3.0,
        )

    def _tap_run(
        self, number: int, families: list[str], kill: str, config: dict[str, Any] | None = None
    ) -> RunReport:
        """One tap process; its stdout goes to the warehouse, its last STATE is kept."""
        sb = self.sandbox
        described = [
            *families,
            *(f"{fault.kind}@{fault.path}#p{fault.page}" for fault in sb.config.page_faults),
        ]
        if sb.config.fault_rate:
            described.append(f"rate {sb.config.fault_rate:.2f}")
        trigger = ""
        after_requests = after_seconds = None
        if kill != "none":
            if self.rng.random() < 0.5:
                after_requests = self.rng.randint(3, 60)
                trigger = f"after {after_requests} requests"
            else:
                after_seconds = round(self.rng.uniform(0.5, 8.0), 2)
                trigger = f"after {after_seconds}s"
        start = len(sb.request_log)
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            args = tap_command(
                config or self.config, directory, catalog=self.catalog, state=self.state
            )
            out_path, err_path = directory / "stdout", directory / "stderr"
            with out_path.open("w") as out, err_path.open("w") as err:
                began = time.monotonic()
                process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=err)
                sent = self._watch(process, start, began, after_requests, after_seconds, kill)
                try:
                    code = process.wait(timeout=300)
                except subprocess.TimeoutExpired:
                    process.kill()
                    code = process.wait()
                    sent = "timed out, SIGKILL"
            stdout = out_path.read_text()
            stderr = err_path.read_text()
        kill_text = "none"
        if kill != "none":
            kill_text = f"{kill} {trigger}: " + (sent or "not sent (the run ended first)")
            if sent:
                self.kills.append(kill)
        elif sent:
            kill_text = sent
        log = sb.request_log[start:]
        report = RunReport(number, described, kill_text, code, len(log))
        for entry in log:
            if entry.fault:
                report.faulted[entry.fault] = report.faulted.get(entry.fault, 0) + 1
        report.real_429 = [
            f"{e.path}?{'&'.join(f'{k}={v}' for k, v in e.query.items())} +{e.time - began:.2f}s "
            f"(busiest 1 s: {busiest(log, e.time)})"
            for e in log
            if e.status == 429 and e.fault is None
        ]
        self.warehouse.apply_stdout(stdout)
        report.records, state = self._read(stdout)
        if state is not None:
            self.state, report.state_saved = state, True
        report.notes = [
            line.split(" - ", 2)[-1][:200]
            for line in stderr.splitlines()
            if any(f"'{name}'" in line for name in WATCHED) and any(w in line for w in NOTED)
        ]
        for name in WATCHED:
            saved = ((self.state or {}).get("bookmarks") or {}).get(name) or {}
            report.notes.append(
                f"state {name}: "
                + json.dumps({k: v for k, v in saved.items() if k != "progress_markers"})
            )
        report.stderr_tail = "\n".join(
            line for line in stderr.splitlines()[-40:] if "ERROR" in line or "Traceback" in line
        )[-1500:]
        return report

    def _watch(
        self,
        process: subprocess.Popen[bytes],
        start: int,
        began: float,
        after_requests: int | None,
        after_seconds: float | None,
        kill: str,
    ) -> str | None:
        """Send the kill when its trigger is reached; what was sent (None: the run ended)."""
        if kill == "none":
            return None
        sig = signal.SIGKILL if kill == "SIGKILL" else signal.SIGTERM
        while process.poll() is None:
            seen = len(self.sandbox.request_log) - start
            elapsed = time.monotonic() - began
            if (after_requests is not None and seen >= after_requests) or (
                after_seconds is not None and elapsed >= after_seconds
            ):
                process.send_signal(sig)
                if sig == signal.SIGTERM:
                    try:
                        process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        return f"sent at {seen} requests, ignored for 30 s, then SIGKILL"
                return f"sent at {seen} requests, {elapsed:.1f}s"
            time.sleep(0.02)
        return None

    @staticmethod
    def _read(stdout: str) -> tuple[int, dict[str, Any] | None]:
        """Records emitted and the last complete STATE (what Meltano would have kept)."""
        records, state = 0, None
        for line in stdout.splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            if message.get("type") == "RECORD":
                records += 1
            elif message.get("type") == "STATE":
                state = message.get("value")
        return records, state

    # --- the property ----------------------------------------------------------------------

    def truth(self, stream: str) -> dict[tuple[Any, ...], dict[str, Any]]:
        """What the sandbox holds now, by the warehouse's key."""
        names = self.warehouse.keys.get(stream) or ["id"]
        sb = self.sandbox
        if stream == "report_cashflow":
            # from start_date through next year: MOCO holds scheduled payments ahead of today
            first = int(START_DATE[:4])
            records = sb.expected(stream, window_years=range(first, sb.today.year + 2))
        else:
            records = sb.expected(stream)
        return {tuple(r.get(n) for n in names): r for r in records}

    def diff(self, *, reports_exact: bool) -> dict[str, dict[str, list[Any]]]:
        """Per stream: rows missing, rows deleted in MOCO still there, rows of an old version
        (`updated_at`); for month reports (no `updated_at`) rows whose own values differ, and
        their deleted rows only with `reports_exact`."""
        out: dict[str, dict[str, list[Any]]] = {}
        for stream in STREAMS:
            wanted = self.truth(stream)
            live = self.warehouse.live(stream)
            held = {key: stamp(record.get("updated_at")) for key, record in live.items()}
            extra = set(held) - set(wanted)
            if stream in MONTH_REPORTS and not reports_exact:
                extra = set()
            out[stream] = {
                "missing": sorted(set(wanted) - set(held)),
                "deleted but still there (key, date)": sorted(
                    (*key, live[key].get("date")) for key in extra
                ),
                "stale updated_at": sorted(
                    key
                    for key in set(held) & set(wanted)
                    if held[key] != stamp(wanted[key].get("updated_at"))
                ),
                "stale values (key, field)": sorted(
                    (*key, name)
                    for key in set(held) & set(wanted)
                    for name in stale_fields(wanted[key], live[key])
                    if stream in MONTH_REPORTS
                ),
            }
        return out


COPIED = frozenset({"company", "user", "project", "customer"})
"""Report fields that copy another record (a name), as of the month's last re-read."""


def stale_fields(truth: dict[str, Any], row: dict[str, Any]) -> list[str]:
    """The record's own fields the warehouse row holds with another value (numbers as numbers:
    the tap conforms `"12.50"` to 12.5). Not the nested copies of other records (a company's
    name): a report row in a month no longer re-read keeps the name it had until the
    reconcile, as its documentation says."""
    stale = []
    for name, value in truth.items():
        if name not in row or name in COPIED or isinstance(value, (dict, list)):
            continue
        held = row[name]
        if name.endswith("_at"):
            same = stamp(value) == stamp(held)
        elif isinstance(value, (int, float, str)) and isinstance(held, (int, float)):
            try:
                same = float(value) == float(held)
            except ValueError:
                same = False
        else:
            same = value == held
        if not same:
            stale.append(name)
    return stale


def busiest(log: list[LogEntry], moment: float) -> int:
    """Requests that arrived in the window second up to `moment` (the 429 included)."""
    return sum(1 for e in log if moment - RATE[1] < e.time <= moment)


def stamp(value: Any) -> int | None:
    """A timestamp as whole epoch seconds, whatever its rendering (None stays None)."""
    if not isinstance(value, str) or not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return int(parsed.timestamp())


def soak(sandbox: Sandbox, seed: int, runs: int = 5) -> SoakResult:
    """Run one seed's soak against a fresh sandbox (see the module docstring)."""
    return Soak(sandbox, seed, runs).run()
