"""Start-up (issue 15): how long a clerk waits for `adultschool --version`, `--help`, a read-only command on the demo
school, and the window's first appearance, each a fresh process, against a bare `python -c pass` in the same run.

Goals here: --version and --help < 0.3 s, `learners list` on the demo < 0.8 s, the GUI's first window < 1.2 s.
The window is timed from starting the process to the first paint of its first top-level window (offscreen Qt), by a
small driver that makes the QApplication, watches for that paint, and then closes the window (ui.app.run reuses the
QApplication, so the start is the program's own). Bytecode is written and warmed first, as the installer ships it.
Two floors show what is not ours to cut: importing SQLAlchemy's ORM and the models and configuring the mappers (what any
database command needs), and Qt alone (a QApplication and an empty QMainWindow's first paint).
CPU time (user + system of the process, from the kernel's accounting of reaped children) is printed beside the wall
time: on this shared machine wall times move with the other work, CPU time much less. The window's CPU time runs to the
process's exit (it closes right after the first paint).
Run: .venv/bin/python bench/startup.py [REPEAT]   (BENCH_SRC=other/src times another tree, e.g. the code before)
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine

ROOT = Path(__file__).resolve().parent.parent

GUI_DRIVER = r"""
import sys
from adultschool.ui import app
from PySide6.QtCore import QEvent, QObject, QTimer

class FirstPaint(QObject):  # also used by QT_FLOOR
    done = False
    def eventFilter(self, watched, event):
        if not self.done and event.type() == QEvent.Type.Paint and watched.isWidgetType() and watched.isWindow():
            self.done = True
            print("shown", watched.windowTitle(), flush=True)
            QTimer.singleShot(0, watched.close)
        return False

qt = app.create_application()
watcher = FirstPaint()
qt.installEventFilter(watcher)
sys.exit(app.run(sys.argv[1]))
"""
ORM_FLOOR = "import sqlalchemy.orm, adultschool.models; sqlalchemy.orm.configure_mappers()"
QT_FLOOR = r"""
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and watched.isWidgetType() and watched.isWindow():
            print("shown", flush=True)
            QTimer.singleShot(0, QApplication.quit)
        return False

qt = QApplication(sys.argv[:1])
watcher = FirstPaint()
qt.installEventFilter(watcher)
window = QMainWindow()
window.resize(1280, 720)
window.show()
qt.exec()
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: list[str], env: dict[str, str], *, until_line: str | None = None) -> tuple[float, float]:
    """Wall time from starting `command` to its exit (or to the first output line starting with `until_line`), and
    the CPU time the process used in all."""
    cpu = children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               encoding="utf-8")
    if until_line is None:
        out, err = process.communicate(timeout=120)
        elapsed = time.perf_counter() - start
        if process.returncode not in (0, 2) or (process.returncode == 2 and "--help" not in command and not out):
            raise SystemExit(f"{command} failed ({process.returncode}): {err}")
        return elapsed, children_cpu() - cpu
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(until_line):
            elapsed = time.perf_counter() - start
            break
    else:
        process.wait(timeout=60)
        raise SystemExit(f"{command} never printed {until_line!r}: {process.stderr.read() if process.stderr else ''}")
    process.communicate(timeout=120)
    return elapsed, children_cpu() - cpu


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME")}
        env.update(ADULTSCHOOL_DATA_DIR=str(Path(tmp) / "data"), QT_QPA_PLATFORM="offscreen",
                   PYTHONPATH=os.environ.get("BENCH_SRC") or str(ROOT / "src"))
        demo = str(Path(tmp) / "demo.sqlite3")
        subprocess.run([python, "-m", "adultschool", "demo", "--db", demo], env=env, check=True, capture_output=True)
        workloads = {
            "python -c pass (baseline)": ([python, "-c", "pass"], None),
            "adultschool --version": ([python, "-m", "adultschool", "--version"], None),
            "adultschool --help": ([python, "-m", "adultschool", "--help"], None),
            "adultschool learners list (demo, 300)": ([python, "-m", "adultschool", "learners", "list", "--db", demo],
                                                      None),
            "window: first paint (demo)": ([python, "-c", GUI_DRIVER, demo], "shown"),
            "floor: SQLAlchemy ORM + models + configured mappers": ([python, "-c", ORM_FLOOR], None),
            "floor: Qt alone, an empty QMainWindow's first paint": ([python, "-c", QT_FLOOR], "shown"),
        }
        for command, until in workloads.values():  # writes and warms the bytecode and the file cache
            measure(command, env, until_line=until)
        times: dict[str, list[float]] = {name: [] for name in workloads}
        cpu: dict[str, list[float]] = {name: [] for name in workloads}
        for _ in range(repeat):  # alternated, so a busy moment of this shared machine hits every workload alike
            for name, (command, until) in workloads.items():
                wall, used = measure(command, env, until_line=until)
                times[name].append(wall)
                cpu[name].append(used)
    bare = statistics.median(times["python -c pass (baseline)"])
    goals = {"adultschool --version": 0.3, "adultschool --help": 0.3, "adultschool learners list (demo, 300)": 0.8,
             "window: first paint (demo)": 1.2}
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}; {repeat} runs each, alternated; "
          f"code: {os.environ.get('BENCH_SRC') or 'this tree'}")
    print("| what | median | best | minus bare python | CPU (median) | goal |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, values in times.items():
        median = statistics.median(values)
        goal = goals.get(name)
        print(f"| {name} | {median:.3f} s | {min(values):.3f} s | {median - bare:+.3f} s | "
              f"{statistics.median(cpu[name]):.3f} s | {f'< {goal} s' if goal else ''} |")


if __name__ == "__main__":
    main()
