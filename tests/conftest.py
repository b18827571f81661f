"""Shared fixtures: a frozen clock, a private data folder per test, real school databases, valid ID numbers, roster
workbooks.

The process clock is frozen at testclock.NOW before anything else is imported (ADULTSCHOOL_TEST_NOW moves it).
Hypothesis has a "ci" profile (`--hypothesis-profile=ci`): derandomised, so a failure in CI reproduces.

Databases are SQLite files; with ADULTSCHOOL_TEST_PG set (tests/pgtest.py), every test of a module marked `server_db`
that uses `school_db`, `db_arg` or `fresh_db` runs twice, on SQLite and on a fresh PostgreSQL database (marked
`postgres`, so `pytest -m postgres` runs the PostgreSQL half alone). `sqlite_only` keeps a test on SQLite.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import pytest
from hypothesis import settings

import testclock

testclock.freeze()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)

from adultschool.db import Database, open_database, unit_of_work  # noqa: E402
from adultschool.models import SiteKind  # noqa: E402
from adultschool.services import site  # noqa: E402

from factories import SCHOOL_CODE, copy_migrated  # noqa: E402
from pgtest import PgDatabases, server_url  # noqa: E402
import versionguard  # noqa: E402

versionguard.install()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "server_db: runs on PostgreSQL as well when ADULTSCHOOL_TEST_PG is set")
    config.addinivalue_line("markers", "sqlite_only(reason): needs the SQLite file itself; never runs on PostgreSQL")
    config.addinivalue_line("markers", "postgres: the PostgreSQL run of a server_db test (pytest -m postgres)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames or server_url() is None:
        return  # unset: no parameter at all, so test ids and counts stay as they were
    definition = metafunc.definition
    if definition.get_closest_marker("server_db") is None or definition.get_closest_marker("sqlite_only") is not None:
        return
    metafunc.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "userdata"
    monkeypatch.setenv("ADULTSCHOOL_DATA_DIR", str(folder))
    monkeypatch.delenv("ADULTSCHOOL_DB", raising=False)
    return folder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "school.sqlite3"


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """"sqlite", or "postgresql" in the PostgreSQL run of a server_db test."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    url = server_url()
    if url is None:
        pytest.skip("ADULTSCHOOL_TEST_PG is not set")
    databases = PgDatabases(url)
    yield databases
    databases.close()


@pytest.fixture
def fresh_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """`fresh_db(name)`: where a new database goes, as --db and open_database take it: a file in tmp_path that does not
    exist yet, or the URL of a new, migrated PostgreSQL database with no school in it (dropped after the test).
    With `tables=False`, a PostgreSQL database without any table (as a server's administrator creates one)."""
    made: list[tuple[PgDatabases, str]] = []

    def make(name: str = "school", *, tables: bool = True) -> str:
        if backend == "sqlite":
            return str(tmp_path / f"{name}.sqlite3")
        databases = request.getfixturevalue("pg_databases")
        made.append((databases, databases.create() if tables else databases.create_empty()))
        return made[-1][1]

    yield make
    for databases, url in made:
        databases.drop(url)


@pytest.fixture
def db_arg(backend: str, db_path: Path, fresh_db: Callable[[str], str]) -> str:
    """The school database as --db takes it: db_path on SQLite, the URL of a new database on PostgreSQL."""
    return str(db_path) if backend == "sqlite" else fresh_db("school")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database that `open_database(create=True)` made and migrated to head, once per run: a SQLite
    `school_db` starts as an owner-only copy of it, since migrating from nothing costs ~0.1 s a test (the migrations
    themselves are tested from nothing in test_migrations and by every command that makes a database)."""
    folder = tmp_path_factory.mktemp("migrated")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADULTSCHOOL_DATA_DIR", str(folder / "data"))
        open_database(folder / "empty.sqlite3", create=True).close()
    return folder / "empty.sqlite3"


@pytest.fixture
def school_db(db_arg: str, backend: str, migrated_template: Path) -> Iterator[Database]:
    if backend == "sqlite":
        copy_migrated(migrated_template, Path(db_arg))
    db = open_database(db_arg, create=True)
    with unit_of_work(db.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code=SCHOOL_CODE, name="大碶街道成人文化技术学校",
                        townships=["大碶街道", "新碶街道"], actor="tester")
    yield db
    db.close()
