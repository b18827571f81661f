"""Study-record import of 200,000 rows (2,000 learners × 100 videos) into a school that registered them.

Target (issue 17): under 10 s, read (xlsx through calamine, and CSV), check, merge and commit.
Run: .venv/bin/python bench/study_import.py [ROWS] — the workbooks are made first (openpyxl, write-only: slow).
"""
from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).parent))
from common import machine

from stdnum.cn import ric

COURSE = "成人高中语文"
VIDEOS = 100


def ids(count: int) -> list[str]:
    found = []
    for n in range(count):
        body = f"330206{1970 + n % 30}{1 + n % 12:02d}{1 + n % 28:02d}{n // 1000 % 1000:03d}"
        body = body[:14] + f"{n % 1000:03d}"
        found.append(body + ric.calc_check_digit(body + "0"))
    return list(dict.fromkeys(found))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    learners = rows // VIDEOS
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["ADULTSCHOOL_DATA_DIR"] = str(folder / "data")
        from adultschool.db import open_database, unit_of_work
        from adultschool.models import SiteKind
        from adultschool.services import registration, site, study
        from adultschool.rule_defaults import Rules

        people = ids(learners)
        header = ["身份证号码", "姓名", "课程", "视频", "已学时长(分钟)"]
        records = [[number, f"学员{i}", COURSE, f"第{v:03d}讲", 30 + (i + v) % 20]
                   for i, number in enumerate(people) for v in range(1, VIDEOS + 1)]
        csv_path = folder / "学习记录.csv"
        with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(records)
        xlsx_path = folder / "学习记录.xlsx"
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("学习记录")
        sheet.append(header)
        for record in records:
            sheet.append(record)
        book.save(xlsx_path)

        def school(name: str):  # noqa: ANN202
            db = open_database(folder / f"{name}.sqlite3", create=True)
            with unit_of_work(db.engine) as session:
                site.initialise(session, kind=SiteKind.SCHOOL, code="330206-01", name="成校", actor="bench")
                checked = [registration.check(registration.RegistrationInput(
                    name=f"学员{i}", id_number=number, level="高中", registered_on=date(2026, 3, 2)), Rules.defaults(),
                    today=date(2026, 12, 1)) for i, number in enumerate(people)]
                registration.register(session, checked, actor="bench")
            return db

        print(f"machine: {machine()}")
        print(f"rows: {len(records)} ({len(people)} learners × {VIDEOS} videos); xlsx {xlsx_path.stat().st_size // 1024} KB, "
              f"csv {csv_path.stat().st_size // 1024} KB")
        for label, path in (("xlsx (calamine)", xlsx_path), ("csv", csv_path)):
            times = []
            for run in range(3):
                db = school(f"{label[:4]}-{run}")
                start = time.perf_counter()
                with unit_of_work(db.engine) as session:
                    report = study.import_study(session, path, actor="bench", today=date(2026, 12, 1))
                times.append(time.perf_counter() - start)
                db.close()
            print(f"study import from {label}: best {min(times):.2f} s, median {sorted(times)[1]:.2f} s "
                  f"(imported {report.imported}, rejected {len(report.rejected_rows)}; target < 10 s)")


if __name__ == "__main__":
    main()
