"""Every location the program uses: data, logs, backups, the default database.

platformdirs decides the defaults; ADULTSCHOOL_DATA_DIR, ADULTSCHOOL_DB and --db override them (tests, scripts).
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "adultschool"


def data_dir() -> Path:
    override = os.environ.get("ADULTSCHOOL_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    override = os.environ.get("ADULTSCHOOL_DATA_DIR")
    if override:
        return Path(override) / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def backup_dir() -> Path:
    return data_dir() / "backups"


def keys_dir() -> Path:
    """The school's private signing keys (one file per database, named by the database's site id)."""
    return data_dir() / "keys"


def resources_dir() -> Path:
    """Fonts, certificate templates and translations: ADULTSCHOOL_RESOURCES, else the source tree's resources/,
    else the copy an installer put beside the package."""
    override = os.environ.get("ADULTSCHOOL_RESOURCES")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parent
    source_tree = package.parents[1] / "resources"
    return source_tree if source_tree.is_dir() else package / "resources"


def default_db_path() -> Path:
    return data_dir() / "adultschool.sqlite3"


def database_url(db: str | os.PathLike[str] | None = None) -> str:
    """`--db` value (a path or a URL), else ADULTSCHOOL_DB, else the default file, as a SQLAlchemy URL."""
    value = str(db) if db else os.environ.get("ADULTSCHOOL_DB") or str(default_db_path())
    if "://" in value:
        return value
    return "sqlite+pysqlite:///" + str(Path(value).expanduser().resolve())


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, None for a server database."""
    prefix = "sqlite+pysqlite:///"
    if url.startswith(prefix):
        return Path(url[len(prefix):])
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    return None
