"""The guarantees engine.py gives on every database, SQLite file or PostgreSQL server: writers take turns, readers never
wait, a read-only session writes nothing; and what open_database says about server databases it cannot use."""
from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from adultschool.db import open_database, read_session, shown_url, unit_of_work
from adultschool.db.migrate import head_revision
from adultschool.errors import AdultSchoolError
from adultschool.models import Township

pytestmark = pytest.mark.server_db  # SQLite and, with ADULTSCHOOL_TEST_PG, PostgreSQL (tests/conftest.py)


def test_two_writers_take_turns_and_a_reader_does_not_wait_for_either(school_db):
    """BEGIN IMMEDIATE on SQLite, one advisory lock per database on PostgreSQL: the second writer starts only after
    the first has committed, so a read-decide-write service (next student number, audit chain) never races."""
    first_inside = threading.Event()
    times: dict[str, float] = {}

    def first() -> None:
        with unit_of_work(school_db.engine) as session:
            session.execute(text("SELECT count(*) FROM townships")).scalar()
            first_inside.set()
            time.sleep(0.6)
            session.add(Township(name="霞浦街道"))
            times["first_done"] = time.monotonic()

    def second() -> None:
        first_inside.wait(10)
        with unit_of_work(school_db.engine) as session:
            count = session.execute(text("SELECT count(*) FROM townships")).scalar()
            times["second_in"] = time.monotonic()
            times["second_saw"] = count

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_inside.wait(10)
    started = time.monotonic()
    with read_session(school_db.engine) as session:
        assert session.execute(text("SELECT count(*) FROM townships")).scalar() == 2
    read_took = time.monotonic() - started
    for thread in threads:
        thread.join(30)
    assert times["second_in"] >= times["first_done"]
    assert times["second_saw"] == 3  # the first writer's township, committed before the second began
    assert read_took < 0.4


def test_a_write_inside_a_read_session_never_reaches_the_database(school_db, backend):
    try:
        with read_session(school_db.engine) as session:
            session.execute(text("UPDATE townships SET name = name || '（改）', version = version + 1"))
    except Exception as exc:  # noqa: BLE001 - PostgreSQL refuses in the read-only transaction itself
        assert backend == "postgresql" and "read-only" in str(exc)
    else:
        assert backend == "sqlite"  # SQLite's read transaction is rolled back at its end
    with read_session(school_db.engine) as session:
        assert sorted(session.execute(text("SELECT name FROM townships")).scalars()) == ["大碶街道", "新碶街道"]


def test_an_empty_database_is_set_up_when_first_opened(fresh_db, backend):
    location = fresh_db("empty", tables=False)
    if backend == "sqlite":
        Path(location).touch()
    database = open_database(location)
    try:
        with read_session(database.engine) as session:
            assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    finally:
        database.close()


def test_a_database_upgraded_by_a_newer_program_is_refused_with_advice(school_db, db_arg):
    with unit_of_work(school_db.engine) as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    school_db.close()
    with pytest.raises(AdultSchoolError, match="较新版本.*请先把本程序升级"):
        open_database(db_arg)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_server_is_named_without_its_password():
    url = f"postgresql+psycopg://clerk:s3cret-pw@127.0.0.1:{closed_port()}/school"
    with pytest.raises(AdultSchoolError, match="连接不上数据库服务器") as caught:
        open_database(url)
    assert "s3cret-pw" not in caught.value.message and "clerk:***@127.0.0.1" in caught.value.message
    assert shown_url(url) == url.replace("s3cret-pw", "***")


@pytest.mark.parametrize("url", ["postgres://clerk:pw@db.local/school", "mysql://clerk:pw@db.local/school",
                                 "postgresql+psycopg://clerk:pw@db.local:port/school"])
def test_a_database_address_the_program_cannot_use_says_what_it_takes(url):
    with pytest.raises(AdultSchoolError, match="postgresql\\+psycopg://用户名:密码@服务器:端口/数据库名") as caught:
        open_database(url)
    assert ":pw@" not in caught.value.message


def test_a_server_address_without_the_postgres_extra_says_psycopg_is_missing(monkeypatch):
    """psycopg is the [postgres] extra: without it a PostgreSQL address is not called unknown, and the message says
    what to install (and never shows the password)."""
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed: importing it raises ImportError
    with pytest.raises(AdultSchoolError, match="没有装 PostgreSQL 驱动（psycopg）") as caught:
        open_database(f"postgresql+psycopg://clerk:pw@127.0.0.1:{closed_port()}/school")
    assert "adultschool[postgres]" in caught.value.message and ":pw@" not in caught.value.message


def test_text_longer_than_its_column_is_refused_by_the_registration_check_on_either_database(school_db):
    from datetime import date

    from adultschool.services import registration, rules
    from adultschool.services.registration import RegistrationInput
    from factories import make_id

    data = RegistrationInput(township="大碶街道", name="陈堃", id_number=make_id(date(1990, 1, 5)), level="高中",
                             registered_on=date(2026, 3, 2), address="宁波市北仑区" * 60)
    with unit_of_work(school_db.engine) as session:
        with pytest.raises(AdultSchoolError, match="家庭地址太长：360 个字，最多 300 个字") as caught:
            registration.register_one(session, data, rules.load_rules(session), actor="tester", today=date(2026, 3, 2))
    assert caught.value.field == "address"


def test_too_long_text_that_no_service_checked_is_a_sentence_on_a_server_not_a_bug(school_db, backend):
    long_name = "街" * 101  # townships.name is VARCHAR(100)
    try:
        with unit_of_work(school_db.engine) as session:
            session.add(Township(name=long_name))
    except AdultSchoolError as exc:
        assert backend == "postgresql" and "太长" in exc.message
    else:
        assert backend == "sqlite"  # SQLite keeps text of any length


@pytest.fixture
def in_shanghai(monkeypatch):
    """This computer's clock in China Standard Time (UTC+8)."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_audit_log_filters_by_local_day_whatever_time_zone_the_server_is_in(school_db, backend, in_shanghai):
    from datetime import date, datetime, timezone

    from sqlalchemy import event

    from adultschool.models import AuditEntry
    from adultschool.services import audit_log

    if backend == "postgresql":  # a server set up in China: its TimeZone is Asia/Shanghai too
        school_db.engine.dispose()

        @event.listens_for(school_db.engine, "connect")
        def server_in_shanghai(dbapi_connection, _record) -> None:
            autocommit, dbapi_connection.autocommit = dbapi_connection.autocommit, True
            dbapi_connection.execute("SET TIME ZONE 'Asia/Shanghai'")
            dbapi_connection.autocommit = autocommit

    with unit_of_work(school_db.engine) as session:
        for summary, moment in (("5月11日晚上", datetime(2026, 5, 11, 12, tzinfo=timezone.utc)),   # 20:00 on the 11th
                                ("5月12日晚上", datetime(2026, 5, 12, 10, tzinfo=timezone.utc))):  # 18:00 on the 12th
            session.add(AuditEntry(at=moment, actor="tester", action="x", entity="learners", summary=summary,
                                   prev_hash="0" * 64, hash=summary.encode().hex()))
    with read_session(school_db.engine) as session:
        rows = audit_log.list_entries(session, audit_log.AuditFilter(since=date(2026, 5, 12), until=date(2026, 5, 12),
                                                                     action="x"))
    assert [row.summary for row in rows] == ["5月12日晚上"]
