"""Opening a database: locate it, set it up, back it up and migrate it to the current schema.

Services never open databases; the CLI and the GUI do, through `open_database`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, InterfaceError, OperationalError

from adultschool import paths
from adultschool.db import migrate
from adultschool.db.backup import DatabaseDamaged, backup_sqlite, check_at_start, known_revisions
from adultschool.db import engine as engine_setup
from adultschool.db.engine import is_busy, make_engine, read_session, unit_of_work
from adultschool.db.lock import DatabaseBusy
from adultschool.errors import AdultSchoolError
from adultschool.outfiles import create_private, private_folder

__all__ = ["Database", "DatabaseBusy", "DatabaseDamaged", "open_database", "read_session", "shown_url", "unit_of_work"]

log = logging.getLogger(__name__)


@dataclass
class Database:
    url: str
    engine: Engine
    path: Path | None  # the SQLite file, None on a server database

    def describe(self) -> str:
        return str(self.path) if self.path else self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()


def shown_url(url: str) -> str:
    """A database URL fit for a message or a log: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy understands: show none of it
        return "（无法识别的数据库地址）"


def _server_unreachable(url: str, exc: Exception) -> AdultSchoolError:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return AdultSchoolError(
        f"连接不上数据库服务器 {shown_url(url)}（{reason[0] if reason else type(exc).__name__}）。"
        "请检查服务器地址、端口、数据库名、用户名和密码，以及这台电脑能否连到服务器。"
    )


def open_database(db: str | Path | None = None, *, create: bool = False, check: bool = True) -> Database:
    """Opens (and with `create`, makes) the database named by --db / ADULTSCHOOL_DB / the default, migrated to head.

    An existing SQLite file whose schema is older than this program is copied to the backup folder first. With `check`,
    an existing SQLite file must pass `PRAGMA quick_check` (~0.25 s warm, ~1.3 s cold on 100 MB), else DatabaseDamaged.

    A server database (postgresql+psycopg://…) must exist on the server (its administrator creates it); an empty one is
    set up, an older one is migrated in place without a copy (its own tools back it up: pg_dump before upgrading the
    program), and there is no lock file or file check, since the server guards its own files. Two PCs that migrate
    at once take turns (engine.py's write lock), the second finding nothing left to do.
    """
    url = paths.database_url(db)
    path = paths.sqlite_path(url)
    shown = str(path) if path is not None else shown_url(url)
    if path is not None:
        if not path.exists() and not create:
            raise AdultSchoolError(
                f"找不到数据库文件 {path}。请先用 “adultschool init” 建立学校数据库，或用 --db 指定已有的数据库。"
            )
        private_folder(path.parent)
        if create:
            create_private(path)  # owner-only from the start (SQLite gives its -wal and -shm files the same mode)
        if check:
            check_at_start(path)
    try:
        engine = make_engine(url)
    except (ArgumentError, ImportError, ValueError):  # an unknown scheme or driver, a port that is no number
        raise AdultSchoolError(
            f"不认识的数据库地址 {shown}：--db 应是数据库文件的路径，"
            "或服务器数据库的地址 postgresql+psycopg://用户名:密码@服务器:端口/数据库名。"
        ) from None
    try:
        try:
            current = migrate.current_revision(engine)
        except (OperationalError, InterfaceError) as exc:
            if path is None:  # a server that is down, a wrong password, a database that does not exist
                raise _server_unreachable(url, exc) from None
            if is_busy(exc):
                raise DatabaseBusy(path, engine_setup.WAIT_SECONDS) from None
            raise AdultSchoolError(f"{shown} 不是本程序的数据库（不是 SQLite 数据库文件，或文件已损坏），不能打开。") from None
        except DatabaseError as exc:
            if path is None:  # reachable, but not usable: no rights on the database's schema, for instance
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[:1]
                raise AdultSchoolError(f"数据库服务器上的 {shown} 不能使用（{''.join(reason)}）："
                                       "请让服务器管理员检查这个账户对该数据库的权限。") from None
            raise AdultSchoolError(f"{shown} 不是本程序的数据库（不是 SQLite 数据库文件，或文件已损坏），不能打开。") from None
        head = migrate.head_revision()
        if current != head:
            has_tables = bool(inspect(engine).get_table_names())
            if current is None and has_tables:
                raise AdultSchoolError(f"{shown} 不是本程序的数据库（没有版本记录），不能打开。")
            if current is not None and current not in known_revisions():
                raise AdultSchoolError(f"数据库 {shown} 已由较新版本的本程序升级（数据库版本 {current}），"
                                       "这台电脑上的程序太旧，不能打开：请先把本程序升级到最新版本。")
            if path is not None and has_tables:
                backup_sqlite(path, paths.backup_dir(), "before-migration")
            elif has_tables:
                log.warning("migrating the server database %s from %s to %s without a copy (pg_dump backs it up)",
                            shown, current, head)
            try:
                migrate.upgrade(engine)
            except OperationalError as exc:
                if path is not None and is_busy(exc):
                    raise DatabaseBusy(path, engine_setup.WAIT_SECONDS) from None
                raise
    except Exception:
        engine.dispose()
        raise
    return Database(url=url, engine=engine, path=path)
