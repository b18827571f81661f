"""Shared fixtures: a private data folder per test, real SQLite school databases, valid ID numbers, roster workbooks."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from adultschool.db import Database, open_database, unit_of_work  # noqa: E402
from adultschool.models import SiteKind  # noqa: E402
from adultschool.services import site  # noqa: E402

from factories import SCHOOL_CODE  # noqa: E402


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
def school_db(db_path: Path) -> Iterator[Database]:
    db = open_database(db_path, create=True)
    with unit_of_work(db.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code=SCHOOL_CODE, name="大碶街道成人文化技术学校",
                        townships=["大碶街道", "新碶街道"], actor="tester")
    yield db
    db.close()
