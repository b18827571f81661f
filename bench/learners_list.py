"""The learner list over 100,000 learners: first page and a search by name (characters, pinyin, initials), as the CLI
and the GUI's model ask them.

Target (issue 3): each answered in under 0.3 s. Baseline in the same run: one plain sqlite3 query of the same page.
Run: .venv/bin/python bench/learners_list.py [LEARNERS]   (BENCH_DB=demo.sqlite3 reuses a demo database)
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

from adultschool.db import Database, read_session
from adultschool.services import learners
from adultschool.services.learners import LearnerFilter

PAGE = 200


def page(db: Database, flt: LearnerFilter, sort: str = "student_number") -> tuple[int, int]:
    """What the list shows first: the total and the first page (a fresh read session, as the GUI model does)."""
    with read_session(db.engine) as session:
        total = learners.count_learners(session, flt)
        rows = learners.list_learners(session, flt, sort=sort, limit=PAGE)
    return total, len(rows)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ADULTSCHOOL_DATA_DIR"] = str(Path(tmp) / "data")
        db, built_text, _ = demo_database(Path(tmp), count, date.today())

        def plain_page() -> int:
            connection = sqlite3.connect(db.path)
            rows = connection.execute(
                "SELECT e.student_number, l.name, l.gender, l.id_number, e.level, e.status, e.registered_on "
                "FROM enrolments e JOIN learners l ON l.id = e.learner_id ORDER BY e.student_number LIMIT ?", (PAGE,)
            ).fetchall()
            connection.close()
            return len(rows)

        plain_s, _ = timed(plain_page, 5)
        first_s, (total, shown) = timed(lambda: page(db, LearnerFilter()), 5)
        search_s, (found, _) = timed(lambda: page(db, LearnerFilter(search="陈")), 5)
        id_s, (id_found, _) = timed(lambda: page(db, LearnerFilter(search="0521199")), 5)
        pinyin_s, (pinyin_found, _) = timed(lambda: page(db, LearnerFilter(search="chen")), 5)
        initials_s, (initials_found, _) = timed(lambda: page(db, LearnerFilter(search="zw")), 5)
        sort_s, _ = timed(lambda: page(db, LearnerFilter(), sort="name"), 5)
        print(f"machine: {machine()}")
        print(f"demo database ({built_text}): {total} enrolments")
        print(f"plain sqlite3 first page ({PAGE} rows, no count): {plain_s * 1000:.1f} ms")
        print(f"first page (count {total} + {shown} rows): {first_s * 1000:.1f} ms  "
              f"ratio to plain {first_s / plain_s:.1f} (target < 300 ms)")
        print(f"search by name '陈' (count {found} + page): {search_s * 1000:.1f} ms (target < 300 ms)")
        print(f"search by ID digits (count {id_found} + page): {id_s * 1000:.1f} ms")
        print(f"search by pinyin 'chen' (count {pinyin_found} + page): {pinyin_s * 1000:.1f} ms; "
              f"by initials 'zw' (count {initials_found} + page): {initials_s * 1000:.1f} ms (target < 300 ms)")
        print(f"first page sorted by name: {sort_s * 1000:.1f} ms")
        model_figures(db)
        db.close()


def model_figures(db: Database) -> None:
    """The window's table model over the same database: first page shown, and a name search."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from adultschool.ui.learner_model import LearnerTableModel

    app = QApplication.instance() or QApplication([])
    model = LearnerTableModel(db.engine)
    first_s, _ = timed(lambda: model.set_filter(LearnerFilter()), 5)
    rows_after_first = model.rowCount()
    search_s, _ = timed(lambda: model.set_filter(LearnerFilter(search="陈")), 5)
    model.set_filter(LearnerFilter())
    scroll_s, _ = timed(model.fetchMore, 5)
    print(f"GUI model: first page ({rows_after_first} of {model.total} rows loaded): {first_s * 1000:.1f} ms; "
          f"search '陈': {search_s * 1000:.1f} ms; next page on scrolling: {scroll_s * 1000:.1f} ms (target < 300 ms)")
    del app


if __name__ == "__main__":
    main()
