"""The database: SQLite set up as STYLE.md says, migrations from the previous release, models matching migrations."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text

from adultschool.db import open_database, read_session, unit_of_work
from adultschool.db.migrate import head_revision
from adultschool.errors import AdultSchoolError
from adultschool.models import Base, Enrolment
from adultschool.services import audit

FIXTURES = Path(__file__).parent / "fixtures"
# The SQLite file's own set-up, locks and bytes stay SQLite-only; the schema check runs on PostgreSQL too.
pytestmark = pytest.mark.server_db


@pytest.mark.sqlite_only(reason="SQLite pragmas")
def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(school_db):
    with school_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA trusted_schema").scalar() == 0


@pytest.mark.sqlite_only(reason="SQLite's file lock; test_server_database.py has the PostgreSQL one")
def test_write_transaction_takes_the_write_lock_at_begin(school_db):
    with unit_of_work(school_db.engine) as session:
        session.execute(text("SELECT 1"))  # nothing written yet
        other = sqlite3.connect(school_db.path, timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


@pytest.mark.sqlite_only(reason="SQLite's file lock; test_server_database.py has the PostgreSQL one")
def test_reading_does_not_block_a_writer(school_db):
    with read_session(school_db.engine) as session:
        session.execute(text("SELECT count(*) FROM learners")).scalar()
        other = sqlite3.connect(school_db.path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
        finally:
            other.close()


def test_opening_a_missing_database_without_create_says_how_to_make_one(tmp_path):
    with pytest.raises(AdultSchoolError, match="adultschool init"):
        open_database(tmp_path / "none.sqlite3")


def test_database_of_the_previous_release_is_backed_up_and_upgraded_keeping_its_data(tmp_path, private_data_dir):
    old = tmp_path / "old.sqlite3"
    shutil.copy(FIXTURES / "db-0001.sqlite3", old)
    db = open_database(old)
    with read_session(db.engine) as session:
        assert session.execute(select(func.count(Enrolment.id))).scalar_one() == 40
        assert session.execute(select(func.count()).where(Enrolment.source.is_(None))).scalar_one() == 40
        assert audit.verify(session).intact
        version = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == head_revision()
    db.close()
    backups = list((private_data_dir / "backups").glob("old-before-migration-*.sqlite3"))
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    assert copy.execute("SELECT count(*) FROM enrolments").fetchone() == (40,)
    copy.close()


@pytest.mark.sqlite_only(reason="backups are copies of the SQLite file")
def test_current_database_is_not_backed_up_again_on_every_open(school_db, private_data_dir):
    school_db.close()
    open_database(school_db.path).close()
    assert not list((private_data_dir / "backups").glob("*before-migration*"))


def test_models_and_migrations_describe_the_same_schema(school_db):
    with school_db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_foreign_database_without_version_is_refused(tmp_path):
    path = tmp_path / "foreign.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (x)")
    connection.close()
    with pytest.raises(AdultSchoolError, match="不是本程序的数据库"):
        open_database(path)


@pytest.mark.sqlite_only(reason="alters the SQLite file behind the program's back")
def test_audit_chain_detects_an_altered_entry(school_db):
    with unit_of_work(school_db.engine) as session:
        audit.record(session, actor="tester", action="x", entity="learners", summary="一")
        audit.record(session, actor="tester", action="x", entity="learners", summary="二")
    connection = sqlite3.connect(school_db.path)
    connection.execute("UPDATE audit_entries SET summary = '改' WHERE summary = '一'")
    connection.commit()
    connection.close()
    with read_session(school_db.engine) as session:
        result = audit.verify(session)
    assert not result.intact and result.broken_at is not None


def test_a_file_that_is_not_sqlite_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "名单.xlsx.sqlite3"
    path.write_bytes(b"PK\x03\x04 this is a zip, not a database" * 100)
    with pytest.raises(AdultSchoolError, match="不是本程序的数据库"):
        open_database(path)


def test_upgrading_counts_each_registration_toward_its_calendar_year_and_sends_the_change(tmp_path, private_data_dir):
    old = tmp_path / "old.sqlite3"
    shutil.copy(FIXTURES / "db-0001.sqlite3", old)
    raw = sqlite3.connect(old)
    before = dict((u, (q, v)) for u, q, v in raw.execute("SELECT uuid, quota_year, version FROM enrolments"))
    raw.close()
    db = open_database(old)
    with read_session(db.engine) as session:
        after = {u: (day, q, v) for u, day, q, v in session.execute(
            select(Enrolment.uuid, Enrolment.registered_on, Enrolment.quota_year, Enrolment.version))}
    db.close()
    assert all(q == day.year for day, q, _ in after.values())
    moved = [u for u, (q, _) in before.items() if q != after[u][0].year]
    assert len(moved) == 39  # registered after 31 March 2026, counted toward 2027 by the old rule
    assert all(after[u][2] == before[u][1] + 1 for u in moved)  # a new version: the next package carries it
    assert all(after[u][2] == before[u][1] for u in before if u not in moved)
