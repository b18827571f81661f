"""Every location the program uses: data, logs, backups, the default database.

platformdirs decides the defaults; ADULTSCHOOL_DATA_DIR, ADULTSCHOOL_DB and --db override them (tests, scripts).
"""
from __future__ import annotations

import json
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


BACKUP_DIR_ENV = "ADULTSCHOOL_BACKUP_DIR"


def local_settings_file() -> Path:
    """Settings of this PC rather than of a database (the backup folder): JSON beside the data."""
    return data_dir() / "local-settings.json"


def _local_settings() -> dict:
    try:
        value = json.loads(local_settings_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def default_backup_dir() -> Path:
    return data_dir() / "backups"


def backup_dir() -> Path:
    """ADULTSCHOOL_BACKUP_DIR, else the folder chosen in the settings dialog, else `backups` in the data folder."""
    override = os.environ.get(BACKUP_DIR_ENV)
    if override:
        return Path(override)
    chosen = _local_settings().get("backup_dir")
    return Path(chosen) if isinstance(chosen, str) and chosen else default_backup_dir()


def set_backup_dir(folder: Path | None) -> None:
    """Stores this PC's backup folder (None: back to the default)."""
    set_local_setting("backup_dir", None if folder is None else str(Path(folder).resolve()))


def local_setting(key: str) -> object:
    """One of this PC's settings (None when not set)."""
    return _local_settings().get(key)


def set_local_setting(key: str, value: object) -> None:
    """Stores one of this PC's settings (None removes it), replacing the settings file in one rename."""
    settings = _local_settings()
    if value is None:
        settings.pop(key, None)
    else:
        settings[key] = value
    from adultschool.outfiles import write_file  # outfiles imports this module

    target = local_settings_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    write_file(target, json.dumps(settings, ensure_ascii=False, indent=1))


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


def audit_anchor_file(database_key: str) -> Path:
    """This PC's record of the newest audit-chain head it saw for one database (`database_key`: a digest of its URL)."""
    return data_dir() / "audit-anchors" / f"{database_key}.json"


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
