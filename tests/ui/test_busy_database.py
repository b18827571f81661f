"""A database another program holds at start: the window says it is busy (not damaged) and offers to try again."""
from __future__ import annotations

import sqlite3

import pytest

from adultschool.db import DatabaseBusy, engine as engine_setup
from adultschool.ui import app

pytestmark = pytest.mark.gui


def test_the_window_offers_to_retry_while_another_program_holds_the_database(school_db, monkeypatch):
    monkeypatch.setattr(engine_setup, "WAIT_SECONDS", 1)
    path = school_db.path
    school_db.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    asked: list[str] = []

    def clerk_closes_the_other_program_and_retries(busy: DatabaseBusy) -> bool:
        asked.append(str(busy))
        holder.execute("COMMIT")
        holder.close()
        return True

    database = app.open_while_busy(str(path), ask=clerk_closes_the_other_program_and_retries)
    assert len(asked) == 1 and "正被另一个程序占用" in asked[0] and "不需要恢复备份" in asked[0]
    database.close()


def test_declining_to_retry_gives_up_with_the_busy_message(school_db, monkeypatch):
    monkeypatch.setattr(engine_setup, "WAIT_SECONDS", 1)
    path = school_db.path
    school_db.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseBusy):
            app.open_while_busy(str(path), ask=lambda _busy: False)
    finally:
        holder.execute("COMMIT")
        holder.close()
