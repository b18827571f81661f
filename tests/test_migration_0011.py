"""Migration 0011 (issue 18): a district database of 0010 keeps its packages and gains the audit head column (and loses
it again going down)."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import inspect

from adultschool.db import migrate
from adultschool.db.engine import make_engine
from adultschool.paths import database_url

pytestmark = pytest.mark.sqlite_only("builds a 0010 SQLite file")


def test_a_0010_database_upgrades_keeping_its_packages_and_downgrades_again(tmp_path):
    path = tmp_path / "district-0010.sqlite3"
    engine = make_engine(database_url(path))
    try:
        migrate.upgrade(engine, "0010")
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("INSERT INTO sync_packages (school_code, epoch, sequence, made_at, received_at, full, "
                               "sha256, counts, received_by) VALUES ('330206-01', 0, 7, '2026-11-30', "
                               "'2026-11-30 08:00:00', 0, ?, '{}', 'district')", ("0" * 64,))
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert "audit_head" in {c["name"] for c in inspect(engine).get_columns("sync_packages")}
        assert {"consent_notice", "consent_on", "consent_id_number", "consent_photo", "anonymised_on",
                "anonymised_reason"} <= {c["name"] for c in inspect(engine).get_columns("learners")}
        with sqlite3.connect(path) as connection:
            assert connection.execute("SELECT sequence, audit_head FROM sync_packages").fetchall() == [(7, None)]
        from alembic import command

        command.downgrade(migrate.alembic_config(engine), "0010")
        assert "audit_head" not in {c["name"] for c in inspect(engine).get_columns("sync_packages")}
        assert "anonymised_on" not in {c["name"] for c in inspect(engine).get_columns("learners")}
        with sqlite3.connect(path) as connection:
            assert connection.execute("SELECT sequence FROM sync_packages").fetchall() == [(7,)]
    finally:
        engine.dispose()
