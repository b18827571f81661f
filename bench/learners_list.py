"""The learner list over 100,000 learners: first page and a search by name, as the CLI and the GUI's model ask them.

Target (issue 3): each answered in under 0.3 s. Baseline in the same run: one plain sqlite3 query of the same page.
Run: .venv/bin/python bench/learners_list.py [LEARNERS]
"""
from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, timed  # noqa: E402

from adultschool.db import open_database, read_session, unit_of_work  # noqa: E402
from adultschool.services import demo, learners  # noqa: E402
from adultschool.services.learners import LearnerFilter  # noqa: E402

PAGE = 200


def page(db, flt: LearnerFilter, sort: str = "student_number") -> tuple[int, int]:
    """What the list shows first: the total and the first page (a fresh read session, as the GUI model does)."""
    with read_session(db.engine) as session:
        total = learners.count_learners(session, flt)
        rows = learners.list_learners(session, flt, sort=sort, limit=PAGE)
    return total, len(rows)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ADULTSCHOOL_DATA_DIR"] = str(Path(tmp) / "data")
        db = open_database(Path(tmp) / "big.sqlite3", create=True)
        start = time.perf_counter()
        with unit_of_work(db.engine) as session:
            demo.fill_demo(session, learners=count, actor="bench")
        built = time.perf_counter() - start

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
        sort_s, _ = timed(lambda: page(db, LearnerFilter(), sort="name"), 5)
        print(f"machine: {machine()}")
        print(f"demo database: {total} enrolments built in {built:.1f} s")
        print(f"plain sqlite3 first page ({PAGE} rows, no count): {plain_s * 1000:.1f} ms")
        print(f"first page (count {total} + {shown} rows): {first_s * 1000:.1f} ms  ratio to plain {first_s / plain_s:.1f} (target < 300 ms)")
        print(f"search by name '陈' (count {found} + page): {search_s * 1000:.1f} ms (target < 300 ms)")
        print(f"search by ID digits (count {id_found} + page): {id_s * 1000:.1f} ms")
        print(f"first page sorted by name: {sort_s * 1000:.1f} ms")
        db.close()


if __name__ == "__main__":
    main()
