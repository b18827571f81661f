"""Every schema revision's database (tests/fixtures/revisions, a row in every table, made by
tests/fixtures/make_revision_databases.py) upgrades to the head as the program does on start-up: no row is lost, the
schema ends as the models describe it, and the program reads the upgraded rows."""
from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from adultschool.db import open_database, read_session
from adultschool.db.migrate import head_revision
from adultschool.models import Base
from adultschool.services import learners

pytestmark = pytest.mark.sqlite_only("fixture files are SQLite databases")

FOLDER = Path(__file__).parent / "fixtures" / "revisions"
TABLES = json.loads((FOLDER / "tables.json").read_text(encoding="utf-8"))


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        names = [n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                 if n != "alembic_version" and not n.startswith("sqlite_")]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def test_there_is_a_fixture_for_every_revision_before_the_head():
    """A new revision needs its predecessor's fixture: run tests/fixtures/make_revision_databases.py and commit it."""
    spec = importlib.util.spec_from_file_location("make_revision_databases", FOLDER.parent / "make_revision_databases.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    chain = maker.revisions()
    assert chain[-1] == head_revision() and sorted(TABLES) == sorted(chain[:-1])
    assert all((FOLDER / f"{revision}.sqlite3").is_file() for revision in TABLES)


@pytest.mark.parametrize("revision", sorted(TABLES))
def test_a_database_of_each_revision_upgrades_keeping_every_row(revision, tmp_path, private_data_dir):
    path = tmp_path / f"{revision}.sqlite3"
    shutil.copy(FOLDER / f"{revision}.sqlite3", path)
    before = counts(path)
    assert sorted(before) == TABLES[revision] and all(n == 1 for n in before.values())  # a row in every table
    database = open_database(path)  # upgrades on start-up, after a backup copy
    try:
        with database.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                    Base.metadata) == []
        with read_session(database.engine) as session:
            assert learners.count_learners(session, learners.LearnerFilter()) >= 0
    finally:
        database.close()
    after = counts(path)
    lost = {table: (rows, after.get(table, 0)) for table, rows in before.items() if after.get(table, 0) < rows}
    assert lost == {}
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    assert len(list((private_data_dir / "backups").glob(f"{revision}-before-migration-*.sqlite3"))) == 1
