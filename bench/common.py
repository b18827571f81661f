"""Helpers shared by the benchmark scripts: timing, a machine line for RESULTS.md, demo workbooks."""
from __future__ import annotations

import os
import platform
import random
import statistics
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import openpyxl
from stdnum.cn import ric

if TYPE_CHECKING:
    from adultschool.db import Database

R13_HEADERS = ["序号", "姓名", "性别", "文化程度", "身份证号码", "工作单位或家庭地址", "联系电话", "学历提升层次（初中/高中）"]


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Median wall time of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


@dataclass(frozen=True)
class Pair:
    first_wall: float  # medians
    second_wall: float
    first_cpu: float
    second_cpu: float
    first_best: float  # fastest wall time of each, as timeit reports: the run the machine least disturbed
    second_best: float
    first_result: object
    second_result: object


def timed_pair(first: Callable[[], object], second: Callable[[], object], repeat: int = 5) -> Pair:
    """Median wall and CPU times of two workloads run alternately, so a busy moment hits both alike.

    CPU time is reported too because wall time on a shared virtual machine moves by tens of percent between runs."""
    walls: tuple[list[float], list[float]] = ([], [])
    cpus: tuple[list[float], list[float]] = ([], [])
    results: list[object] = [None, None]
    for _ in range(repeat):
        for index, work in enumerate((first, second)):
            wall, cpu = time.perf_counter(), time.process_time()
            results[index] = work()
            walls[index].append(time.perf_counter() - wall)
            cpus[index].append(time.process_time() - cpu)
    median = statistics.median
    return Pair(median(walls[0]), median(walls[1]), median(cpus[0]), median(cpus[1]), min(walls[0]), min(walls[1]),
                results[0], results[1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def write_r13_workbook(path: Path, rows: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["成人“双证制”学历提升报名汇总表"])
    ws.append(["单位：大碶街道成人文化技术学校"])
    ws.append(R13_HEADERS)
    used = set()
    for n in range(1, rows + 1):
        while True:
            birth = date(rng.randint(1968, 2004), rng.randint(1, 12), rng.randint(1, 28))
            body = f"330206{birth:%Y%m%d}{rng.randint(0, 999):03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in used:
                used.add(number)
                break
        male = int(number[16]) % 2 == 1
        ws.append([n, "陈" + rng.choice("伟芳娜秀英敏静丽强磊军洋") + rng.choice("堃喆赟明华"), "男" if male else "女",
                   "初中", number, "宁波富邦精业铝业有限公司", f"138{rng.randint(0, 99_999_999):08d}",
                   rng.choice(("高中", "初中"))])
    for cells in ws.iter_rows(min_row=4, min_col=5, max_col=5):
        cells[0].number_format = "@"
    wb.save(path)
    return path


def demo_database(folder: Path, learners: int, today: date) -> tuple[Database, str, bool]:
    """BENCH_DB names a demo database made earlier (`adultschool demo`) to reuse; otherwise one is built in `folder`.

    Returns (database, a line saying which, reused or not)."""
    from adultschool.db import open_database, unit_of_work
    from adultschool.services import demo, sync

    reuse = os.environ.get("BENCH_DB")
    if reuse:
        return open_database(reuse), f"reused {reuse}", True
    start = time.perf_counter()
    db = open_database(folder / "big.sqlite3", create=True)
    with unit_of_work(db.engine) as session:  # a named school, not the demo's own: bench/sync sends its packages
        sync.initialise_school(session, code="330206-01", name="北仑区大碶街道成人文化技术学校", actor="bench")
        demo.fill_demo(session, learners=learners, actor="bench", today=today)
    return db, f"built in {time.perf_counter() - start:.0f} s", False
