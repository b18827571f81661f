"""Kill tests: run a real command in a child process, SIGKILL it at a random moment, and prove the database kept all or none.

The child marks when its write transaction began and when it committed, so each kill is known to have landed before,
during or after the operation. Module level imports only the standard library: a fork server imports this file.
"""
from __future__ import annotations

import importlib
import json
import os
import random
import select
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal, Mapping, Sequence

Outcome = Literal["none", "all"]
Phase = Literal["before", "during", "after", "finished"]

TESTS_DIR = Path(__file__).resolve().parent
# Share of kills aimed at the write transaction itself (a random point after it began); the rest fall anywhere in
# the command's whole run, start-up and the work after the commit included.
AIMED_SHARE = 0.75
CHILD_TIMEOUT_SECONDS = 120.0


# --- the child side: one command with markers -----------------------------------------------------------------------

def _install_markers(marks_path: str) -> None:
    """Append 'S t' now, 'B t' when a write transaction has begun and 'C t' once it has committed (monotonic clock,
    which Linux shares between processes). os.write on an O_APPEND file: what was written survives SIGKILL."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    fd = os.open(marks_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def mark(letter: str) -> None:
        os.write(fd, f"{letter} {time.monotonic():.6f}\n".encode())

    def after_begin(_session, _transaction, connection) -> None:
        if not connection.get_execution_options().get("adultschool_read_only"):
            mark("B")

    def after_commit(session) -> None:
        mark("C")

    event.listen(Session, "after_begin", after_begin)
    event.listen(Session, "after_commit", after_commit)
    mark("S")


def run_command(request: Mapping[str, object]) -> int:
    """In the child: environment, the tests' clock, output files, markers, then the real command line
    (adultschool.cli.main)."""
    os.environ.update(request.get("env") or {})  # type: ignore[arg-type]
    import testclock

    testclock.freeze()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    out = os.open(str(request["output"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    _install_markers(str(request["marks"]))
    from adultschool.cli import main

    code = main([str(a) for a in request["argv"]])  # type: ignore[union-attr]
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def fork_server_main() -> None:
    """A fork server: imports the program once, then forks one child per request read from stdin.

    Replies with one JSON line when the child started ({"pid": N}) and one when it ended ({"pid": N, "status": S},
    S negative for a signal). Saves the ~1.3 s interpreter start-up per kill; the child is still a process of its own.
    """
    import testclock

    testclock.freeze()  # the forked children inherit the tests' day
    import adultschool.cli  # preload: every command module (a command line imports its own lazily), Alembic, openpyxl

    for module in adultschool.cli.command_modules():
        importlib.import_module(f"adultschool.cli.{module}")
    import alembic.command  # noqa: F401
    import openpyxl  # noqa: F401
    import sqlalchemy.orm  # noqa: F401

    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                code = run_command(request)
            finally:
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(status)}), flush=True)


SPAWN_DRIVER = "import json, sys, faultlib; sys.exit(faultlib.run_command(json.loads(sys.argv[1])))"


# --- the test side: starting, killing, reaping ------------------------------------------------------------------------

class Child:
    """One started command: wait for it with a time-out, or kill it."""

    def __init__(self, pid: int, wait: Callable[[float | None], int | None]):
        self.pid = pid
        self._wait = wait
        self.status: int | None = None

    def wait(self, timeout: float | None) -> int | None:
        """The exit status once the child ended (negative: killed by that signal); None if still running at timeout."""
        if self.status is None:
            self.status = self._wait(timeout)
        return self.status

    def kill(self) -> int:
        if self.wait(0) is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:  # it ended between the look and the kill
                pass
        status = self.wait(CHILD_TIMEOUT_SECONDS)
        assert status is not None, f"child {self.pid} did not end after SIGKILL"
        return status


class ForkServer:
    """Starts commands by forking a pre-loaded `python -c` process (see fork_server_main)."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import faultlib; faultlib.fork_server_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )
        self._buffer = b""

    def _line(self, timeout: float | None) -> dict | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        fd = self.process.stdout.fileno()  # type: ignore[union-attr]
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"fork server ended (status {self.process.wait()})")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def start(self, request: Mapping[str, object]) -> Child:
        self.process.stdin.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        started = self._line(CHILD_TIMEOUT_SECONDS)
        assert started is not None, "fork server did not answer"
        pid = started["pid"]

        def wait(timeout: float | None) -> int | None:
            ended = self._line(timeout)
            if ended is None:
                return None
            assert ended["pid"] == pid
            return ended["status"]

        return Child(pid, wait)

    def close(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait(timeout=30)


class SpawnRunner:
    """Starts each command as a fresh `python -c` process: slower, nothing shared with anything before it."""

    def start(self, request: Mapping[str, object]) -> Child:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
        process = subprocess.Popen([sys.executable, "-c", SPAWN_DRIVER, json.dumps(request)], env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def wait(timeout: float | None) -> int | None:
            try:
                return process.wait(timeout)
            except subprocess.TimeoutExpired:
                return None

        return Child(process.pid, wait)

    def close(self) -> None:
        pass


Runner = ForkServer | SpawnRunner


# --- one operation, killed many times ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Marks:
    started: float | None
    began: list[float]
    committed: list[float]

    @classmethod
    def read(cls, path: Path) -> Marks:
        started, began, committed = None, [], []
        text = path.read_text() if path.exists() else ""
        for line in text.splitlines():
            letter, _, value = line.partition(" ")
            try:
                moment = float(value)
            except ValueError:  # a line cut short by the kill
                continue
            if letter == "S":
                started = moment
            elif letter == "B":
                began.append(moment)
            elif letter == "C":
                committed.append(moment)
        return cls(started, began, committed)

    def phase(self) -> Phase:
        if not self.began:
            return "before"
        if len(self.committed) < len(self.began):
            return "during"
        return "after"


@dataclass(frozen=True)
class Timing:
    """A complete run, seconds from the child's start: write transaction began, committed, process ended."""

    began: float
    committed: float
    ended: float


@dataclass
class KillTally:
    """What happened to the kills of one operation."""

    name: str
    timing: Timing | None = None
    kills: int = 0
    by_phase: Counter = field(default_factory=Counter)  # (phase, outcome) → count
    during_tenths: Counter = field(default_factory=Counter)  # tenth of the transaction a 'during' kill hit
    retried: int = 0

    def count(self, phase: str, outcome: str | None = None) -> int:
        return sum(n for (p, o), n in self.by_phase.items() if p == phase and (outcome is None or o == outcome))

    def summary(self) -> str:
        parts = ", ".join(f"{p}/{o} {n}" for (p, o), n in sorted(self.by_phase.items()))
        timing = (f"transaction {self.timing.began:.3f}–{self.timing.committed:.3f} s of {self.timing.ended:.3f} s"
                  if self.timing else "")
        tenths = "/".join(str(self.during_tenths.get(i, 0)) for i in range(10))
        return (f"{self.name}: {self.kills} kills ({parts}); mid-operation {self.count('during')}, "
                f"tenths hit {tenths}; re-run after kill {self.retried}; {timing}")


def kill_count(default: int) -> int:
    """Kills per operation: the module's CI default, or ADULTSCHOOL_KILLS for a long local run."""
    return int(os.environ.get("ADULTSCHOOL_KILLS") or default)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's online backup (the source's WAL folded in), nothing else beside it."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def check_database(path: Path, check: Callable[[object], Outcome]) -> Outcome:
    """The database after a kill: opens with open_database, integrity_check is ok, the audit chain is intact,
    and `check` (given the open Database) finds all or none of the operation."""
    from adultschool.db import open_database, read_session
    from adultschool.services import audit
    from sqlalchemy import text

    db = open_database(path)
    try:
        with db.engine.connect() as connection:
            result = connection.execute(text("PRAGMA integrity_check")).scalars().all()
        assert result == ["ok"], f"integrity_check: {result[:5]}"
        with read_session(db.engine) as session:
            verified = audit.verify(session)
        assert verified.broken_at is None, f"audit chain broken at entry {verified.broken_at}"
        outcome = check(db)
        assert outcome in ("none", "all"), outcome
        return outcome
    finally:
        db.close()


def kill_repeatedly(
    runner: Runner,
    *,
    name: str,
    template: Path,
    work_dir: Path,
    argv: Callable[[Path], Sequence[str]],
    check: Callable[[object], Outcome],
    kills: int,
    env: Mapping[str, str] | None = None,
    seed: int = 7,
    retry_every: int = 10,
) -> KillTally:
    """Kill one command `kills` times at random moments; after each kill the database must open, pass
    integrity_check and the audit chain, and hold all or none of the command's work (`check`).

    Generic on purpose: a new case is a template database (ready for the command), the command line as
    `argv(db_path)` (adultschool's arguments, without the program name), and `check(database) -> "none" | "all"`
    that asserts the partial states away. For example, a sync package import is added with

        kill_repeatedly(runner, name="sync import", template=district_db, work_dir=tmp_path,
                        argv=lambda db: ["sync", "import", str(package), "--db", str(db)],
                        check=lambda db: "all" if packages_in(db) == 1 else "none",
                        env={"ADULTSCHOOL_PASSPHRASE": "..."}, kills=kill_count(KILLS))

    First two full runs measure the command (each must end in "all" with exit status 0 or 1). Then each kill goes to a
    fresh copy of the template: three in four are aimed at the write transaction (a random point between its begin and
    its measured length), the rest at a random point of the whole run. The first and every `retry_every`-th copy that
    holds none of the work is run again to completion, which must then succeed and hold "all": a kill leaves nothing
    (a lock, a half-written journal) that blocks the next run.
    """
    rng = random.Random(seed)
    work_dir.mkdir(parents=True, exist_ok=True)
    tally = KillTally(name)
    base_env = {"ADULTSCHOOL_DATA_DIR": str(work_dir / "userdata")} | dict(env or {})

    def start(db: Path, marks: Path) -> Child:
        marks.unlink(missing_ok=True)
        return runner.start({"argv": list(argv(db)), "env": base_env, "marks": str(marks),
                             "output": str(work_dir / "output.txt")})

    def run_to_end(db: Path, marks: Path) -> tuple[Marks, float]:
        started_at = time.monotonic()
        status = start(db, marks).wait(CHILD_TIMEOUT_SECONDS)
        ended = time.monotonic() - started_at
        assert status in (0, 1), f"{name}: exit status {status}: {(work_dir / 'output.txt').read_text()[-2000:]}"
        found = Marks.read(marks)
        assert found.phase() == "after", f"{name}: no committed write transaction: {found}"
        assert check_database(db, check) == "all", f"{name}: a full run must hold everything"
        return found, ended

    db, marks = work_dir / "killed.sqlite3", work_dir / "marks.txt"
    # The transaction's length, from every run that got to the end: two measuring runs first, then each run that
    # finished before its kill or was re-run. The median keeps one slow run (a busy machine) from skewing the aim.
    lengths: list[float] = []
    timings: list[Timing] = []
    for _ in range(2):
        copy_database(template, db)
        found, ended = run_to_end(db, marks)
        assert found.started is not None
        timings.append(Timing(found.began[0] - found.started, found.committed[-1] - found.started, ended))
        lengths.append(found.committed[-1] - found.began[0])
    tally.timing = min(timings, key=lambda t: t.ended)

    rolled_back = 0
    for _ in range(kills):
        transaction = max(statistics.median(lengths), 0.001)
        timing = tally.timing
        copy_database(template, db)
        aimed = rng.random() < AIMED_SHARE
        child = start(db, marks)
        started_at = time.monotonic()
        if aimed:
            # Wait for the write transaction to begin, then a random share of its measured length (a little past it).
            while not Marks.read(marks).began and child.wait(0.0005) is None:
                pass
            deadline = time.monotonic() + rng.uniform(0, transaction * 1.05)
        else:
            deadline = started_at + rng.uniform(0, timing.ended * 1.1)
        left = deadline - time.monotonic()
        status = child.wait(left) if left > 0 else child.wait(0)
        killed_at = time.monotonic()
        if status is None:
            status = child.kill()
            phase: str = Marks.read(marks).phase()
        else:
            phase = "finished"
            assert status in (0, 1), f"{name}: exit status {status}"
        after = Marks.read(marks)
        if phase == "finished":
            lengths.append(after.committed[-1] - after.began[0])
        outcome = check_database(db, check)
        if phase == "before":
            assert outcome == "none", f"{name}: killed before the transaction began, yet it holds the work"
        elif phase in ("after", "finished"):
            assert outcome == "all", f"{name}: killed after the commit, yet the work is missing"
        elif after.began:
            share = (killed_at - after.began[-1]) / transaction
            tally.during_tenths[min(max(int(share * 10), 0), 9)] += 1
        tally.kills += phase != "finished"
        tally.by_phase[(phase, outcome)] += 1
        rolled_back += outcome == "none"
        if outcome == "none" and retry_every and rolled_back % retry_every == 1:
            found, _ = run_to_end(db, marks)
            lengths.append(found.committed[-1] - found.began[0])
            tally.retried += 1
    return tally
