"""Roster import of a 10,000-row R13 workbook into an empty database, against a plain openpyxl read-only pass and a plain
python-calamine read of the same file.

Targets (issue 17, calamine reading): the whole import faster than the plain openpyxl pass (ratio < 1.0) and at most
3x the plain calamine read. Also times our reader alone (checks + calamine). Run: .venv/bin/python bench/roster_import.py [ROWS]
"""
from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

import openpyxl
import python_calamine

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, timed_pair, write_r13_workbook

from adultschool.db import open_database, unit_of_work
from adultschool.models import SiteKind
from adultschool.services import roster, site


def plain_read(path: Path) -> int:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in wb.active.iter_rows(values_only=True))
    wb.close()
    return count


def calamine_read(path: Path) -> int:
    with open(path, "rb") as handle:
        workbook = python_calamine.CalamineWorkbook.from_filelike(handle)
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        workbook.close()
    return len(rows)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        import os

        os.environ["ADULTSCHOOL_DATA_DIR"] = str(folder / "data")
        workbook = write_r13_workbook(folder / "roster.xlsx", rows)
        repeat = 7
        empty_databases = []
        for run in range(repeat):  # made beforehand: the benchmark is the import, not creating a database
            db = open_database(folder / f"school-{run}.sqlite3", create=True)
            with unit_of_work(db.engine) as session:
                site.initialise(session, kind=SiteKind.SCHOOL, code="330206-01", name="成校", actor="bench")
            empty_databases.append(db)
        databases = iter(empty_databases)

        def import_once() -> int:
            # Committed and durable when this returns; closing the database (a WAL checkpoint) is not the import.
            with unit_of_work(next(databases).engine) as session:
                report = roster.import_roster(session, workbook, registered_on=date(2026, 3, 2), actor="bench")
            return report.imported

        pair = timed_pair(lambda: plain_read(workbook), import_once, repeat)
        read_rows, imported = pair.first_result, pair.second_result
        from adultschool.xlsx import read_table

        reader = timed_pair(lambda: calamine_read(workbook), lambda: len(read_table(workbook)[0].rows), repeat)
        for db in empty_databases:
            db.close()
        print(f"machine: {machine()}")
        print(f"rows in workbook: {rows} (read back {read_rows} incl. 3 title/header rows), imported {imported}")
        print(f"plain openpyxl read-only pass: {pair.first_wall:.3f} s wall, {pair.first_cpu:.3f} s CPU "
              f"(median of {repeat}, alternating with the import)")
        print(f"roster import (read, check, register, commit): {pair.second_wall:.3f} s wall, {pair.second_cpu:.3f} s CPU")
        print(f"best of {repeat}: plain read {pair.first_best:.3f} s, import {pair.second_best:.3f} s")
        print(f"ratio import / plain openpyxl read: best-of-{repeat} {pair.second_best / pair.first_best:.2f} "
              f"(target < 1.00); medians {pair.second_wall / pair.first_wall:.2f} wall, "
              f"{pair.second_cpu / pair.first_cpu:.2f} CPU")
        print(f"plain calamine read: {reader.first_wall:.3f} s (best {reader.first_best:.3f} s); our reader (checks + "
              f"calamine + rows): {reader.second_wall:.3f} s (best {reader.second_best:.3f} s)")
        print(f"ratio import / plain calamine read: best-of-{repeat} {pair.second_best / reader.first_best:.2f} "
              f"(target <= 3.00); medians {pair.second_wall / reader.first_wall:.2f}")


if __name__ == "__main__":
    main()
