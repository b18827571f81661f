"""Engines and sessions: SQLite set up once (WAL, synchronous=FULL, foreign keys, BEGIN IMMEDIATE for writes), and a
PostgreSQL server made to behave the same way (writers queue on one lock per database, readers see a snapshot).

`unit_of_work` is the one way services get a write transaction; `read_session` never takes the write lock.
"""
from __future__ import annotations

import importlib
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from adultschool.errors import AdultSchoolError

READ_ONLY_OPTION = "adultschool_read_only"
# The key of the transaction-level advisory lock every PostgreSQL writer takes first (any constant: it is per database).
WRITE_LOCK_KEY = 0x61647363686F6F6C  # "adschool"
WAIT_SECONDS = 30  # how long a writer waits for another one: SQLite's busy_timeout, PostgreSQL's lock_timeout
STRING_TOO_LONG = "22001"  # SQLSTATE string_data_right_truncation


def make_engine(url: str) -> Engine:
    # hide_parameters: a statement's parameters are full ID numbers, names and phones; an error message (and so the
    # log a clerk is asked to send) must never carry them.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": WAIT_SECONDS}, hide_parameters=True)
        _set_up_sqlite(engine)
        return engine
    if url.startswith("postgresql"):
        if url.partition("://")[0] == "postgresql+psycopg":
            _require_psycopg()
        # pool_pre_ping: a server restarted overnight (or a dropped Wi-Fi link) costs a reconnect, not an error.
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True,
                               connect_args={"connect_timeout": 10, "application_name": "adultschool"})
        _set_up_postgresql(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _require_psycopg() -> None:
    """psycopg is the [postgres] extra: a copy installed without it says what is missing, not "unknown address"."""
    try:
        importlib.import_module("psycopg")
    except ImportError:
        raise AdultSchoolError(
            "这台电脑上的本程序没有装 PostgreSQL 驱动（psycopg），连不了服务器数据库。"
            "请安装带 PostgreSQL 支持的版本（pip install \"adultschool[postgres]\"），或用 --db 指定数据库文件。"
        ) from None


# SQLITE_BUSY and SQLITE_LOCKED: another connection (another program) holds a lock this one waited for in vain.
_BUSY_CODES = (5, 6)


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "another program holds the database" (SQLite busy/locked), not damage."""
    original = getattr(exc, "orig", None) or exc
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _BUSY_CODES:
        return True
    text = str(original).lower()
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


def _set_up_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling defers it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            f"busy_timeout={WAIT_SECONDS * 1000}",
            "trusted_schema=OFF",
            # Big schools' lists and readiness read most of the file: a larger page cache and memory-mapped
            # reads cut the system calls per page (measured ~30% on a 100,000-enrolment database).
            "cache_size=-32768",
            "mmap_size=1073741824",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:  # noqa: ANN001
        # Writers take the lock up front, so two writers queue instead of failing mid-transaction.
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _set_up_postgresql(engine: Engine) -> None:
    """The same guarantees as SQLite's set-up. Every service reads, decides and writes in one transaction (next student
    number, the audit chain's last hash, the next package sequence), which SQLite makes safe by letting one writer in at
    a time (BEGIN IMMEDIATE). Under PostgreSQL's READ COMMITTED two PCs could both read the same "last" value, so each
    write transaction first takes one advisory lock per database: writers queue, as on SQLite, and each sees everything
    committed before it; readers never wait for it. A read-only session is one REPEATABLE READ snapshot, as on
    SQLite."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{WAIT_SECONDS}s'")
        dbapi_connection.autocommit = autocommit

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:  # noqa: ANN001
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        else:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A write transaction: commits when the block ends, rolls back on any exception (Cancelled too)."""
    session = Session(engine, expire_on_commit=False)
    try:
        with session.begin():
            yield session
    except DataError as exc:
        # PostgreSQL enforces VARCHAR(n), SQLite does not: text longer than a column that a service did not check
        # first is refused with a sentence, not a bug report. (The server does not say which column.)
        if getattr(exc.orig, "sqlstate", None) == STRING_TOO_LONG:
            raise AdultSchoolError("有一项内容太长，超过了数据库允许的长度，什么也没有保存。请缩短后再试。") from None
        raise
    finally:
        session.close()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only snapshot; never blocks writers (nor waits for them)."""
    session = Session(engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False)
    try:
        with session.begin():
            yield session
            session.rollback()
    finally:
        session.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
