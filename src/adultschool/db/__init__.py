"""Opening a database: locate it, set it up, back it up and migrate it to the current schema.

Services never open databases; the CLI and the GUI do, through `open_database`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import DatabaseError

from adultschool import paths
from adultschool.db import migrate
from adultschool.db.backup import DatabaseDamaged, backup_sqlite, check_at_start
from adultschool.db.engine import make_engine, read_session, unit_of_work
from adultschool.errors import AdultSchoolError

__all__ = ["Database", "DatabaseDamaged", "open_database", "read_session", "unit_of_work"]


@dataclass
class Database:
    url: str
    engine: Engine
    path: Path | None  # the SQLite file, None on a server database

    def describe(self) -> str:
        return str(self.path) if self.path else self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()


def open_database(db: str | Path | None = None, *, create: bool = False, check: bool = True) -> Database:
    """Opens (and with `create`, makes) the database named by --db / ADULTSCHOOL_DB / the default, migrated to head.

    An existing SQLite file whose schema is older than this program is copied to the backup folder first. With `check`,
    an existing SQLite file must pass `PRAGMA quick_check` (~0.25 s warm, ~1.3 s cold on 100 MB), else DatabaseDamaged.
    """
    url = paths.database_url(db)
    path = paths.sqlite_path(url)
    if path is not None:
        if not path.exists() and not create:
            raise AdultSchoolError(
                f"找不到数据库文件 {path}。请先用 “adultschool init” 建立学校数据库，或用 --db 指定已有的数据库。"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        if check:
            check_at_start(path)
    engine = make_engine(url)
    try:
        try:
            current = migrate.current_revision(engine)
        except DatabaseError:
            raise AdultSchoolError(f"{path or url} 不是本程序的数据库（不是 SQLite 数据库文件，或文件已损坏），不能打开。") from None
        head = migrate.head_revision()
        if current != head:
            has_tables = bool(inspect(engine).get_table_names())
            if current is None and has_tables:
                raise AdultSchoolError(f"{path or url} 不是本程序的数据库（没有版本记录），不能打开。")
            if path is not None and has_tables:
                backup_sqlite(path, paths.backup_dir(), "before-migration")
            migrate.upgrade(engine)
    except Exception:
        engine.dispose()
        raise
    return Database(url=url, engine=engine, path=path)
