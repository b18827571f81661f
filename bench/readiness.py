"""Readiness for every enrolment of a large school on one day, against one hand-written SQL aggregate over the raw rows.

Target (issue 4): 100,000 enrolments, ~2,000,000 study records, ~1,000,000 attendance rows: readiness in under 1 s.
Run: .venv/bin/python bench/readiness.py [LEARNERS]   (builds the demo school first; that takes a few minutes)
     BENCH_DB=path/to/demo.sqlite3 reuses a demo database made earlier by `adultschool demo` instead.
"""
from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import demo_database, machine, timed

from sqlalchemy import func, select

from adultschool.db import read_session, unit_of_work
from adultschool.models import Attendance, Enrolment, StudyRecord
from adultschool.services import readiness, study

RAW_AGGREGATE = """
SELECT e.id, e.registered_on, coalesce(v.minutes, 0), coalesce(a.hours, 0)
FROM enrolments e
LEFT JOIN (SELECT r.enrolment_id, sum(CASE WHEN vd.length_minutes IS NOT NULL AND r.minutes > vd.length_minutes
                                           THEN vd.length_minutes ELSE r.minutes END) AS minutes
           FROM study_records r JOIN videos vd ON vd.id = r.video_id GROUP BY r.enrolment_id) v ON v.enrolment_id = e.id
LEFT JOIN (SELECT enrolment_id, sum(hours) AS hours FROM attendance GROUP BY enrolment_id) a ON a.enrolment_id = e.id
WHERE e.status IN ('active', 'ready')
"""


def main() -> None:
    learners = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    as_of = date(2026, 11, 23)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ADULTSCHOOL_DATA_DIR"] = str(Path(tmp) / "data")
        db, built_text, reused = demo_database(Path(tmp), learners, as_of)
        with read_session(db.engine) as session:
            counts = {name: session.execute(select(func.count()).select_from(table)).scalar_one()
                      for name, table in (("enrolments", Enrolment), ("study records", StudyRecord),
                                          ("attendance rows", Attendance))}

        def raw() -> int:
            connection = sqlite3.connect(db.path)
            rows = connection.execute(RAW_AGGREGATE).fetchall()
            connection.close()
            return len(rows)

        def kept() -> tuple[int, int]:
            with read_session(db.engine) as session:
                rows = readiness.readiness(session, as_of)
            return len(rows), sum(r.ready for r in rows)

        def rebuild() -> int:
            with unit_of_work(db.engine) as session:
                return study.rebuild_totals(session)

        raw_s, raw_rows = timed(raw, 3)
        kept_s, (rows, ready) = timed(kept, 3)
        if reused:
            rebuild_s = float("nan")  # leaves a database it did not make as it found it
        else:
            rebuild_s, _ = timed(rebuild, 1)
        with read_session(db.engine) as session:
            same = study.kept_totals(session) == study.computed_totals(session)
        print(f"machine: {machine()}")
        print(f"demo school {built_text}: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
        print(f"hand-written SQL aggregate over the raw tables (sqlite3, {raw_rows} rows): {raw_s:.3f} s")
        print(f"readiness for every enrolment on {as_of} ({rows} rows, {ready} ready): {kept_s:.3f} s (target < 1 s)")
        print(f"ratio readiness / raw aggregate: {kept_s / raw_s:.2f}")
        print(f"rebuild of the kept totals from the raw rows: {rebuild_s:.3f} s; kept equals rebuilt: {same}")
        db.close()


if __name__ == "__main__":
    main()
