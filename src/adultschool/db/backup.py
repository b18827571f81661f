"""Consistent copies of a SQLite database (online backup API), named by reason and time, rotated by a calendar scheme,
and the integrity check that decides whether a database (or a backup) can be trusted.

Automatic copies (REASON_EXIT, made on every clean exit of the window) keep the newest copy of each of the last 7 days,
4 weeks and 12 months that have one; the safety copies made before a migration or a restore keep their newest few.
The rotation is pure (`copies_to_keep` takes dates), so a test runs a simulated year in milliseconds.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from adultschool import clock
from adultschool import paths
from adultschool.db import engine as engine_setup
from adultschool.db.lock import DatabaseBusy
from adultschool.db.migrate import MIGRATIONS_DIR
from adultschool.errors import AdultSchoolError
from adultschool.outfiles import create_private, noted, private_folder

REASON_EXIT = "exit"
REASON_BEFORE_MIGRATION = "before-migration"
REASON_BEFORE_RESTORE = "before-restore"
REASON_DAMAGED = "damaged"  # a damaged database saved byte for byte before a restore replaced it
# Copies that were healthy when made: the candidates for "the newest good backup".
GOOD_REASONS = (REASON_EXIT, REASON_BEFORE_MIGRATION, REASON_BEFORE_RESTORE)

SQLITE_MAGIC = b"SQLite format 3\x00"
STAMP_FORMAT = "%Y%m%d-%H%M%S-%f"
# Pages copied per step of the online backup: small enough for progress reports, large enough to stay fast.
PAGES_PER_STEP = 4096
# How many backups `newest_good_backup` checks (newest first) before giving up: each check reads the whole copy.
GOOD_BACKUP_CANDIDATES = 5


@dataclass(frozen=True)
class Rotation:
    """Which copies of one reason survive: the newest `newest`, plus the newest copy of each of the last `daily`
    days, `weekly` ISO weeks and `monthly` months that have a copy (as borg's --keep-daily/-weekly/-monthly)."""

    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    newest: int = 0


# The rotation scheme per reason: data, not literals in the code (STYLE.md "Rules are data").
ROTATION: dict[str, Rotation] = {
    REASON_EXIT: Rotation(daily=7, weekly=4, monthly=12, newest=1),
    REASON_BEFORE_MIGRATION: Rotation(newest=10),
    REASON_BEFORE_RESTORE: Rotation(newest=10),
    REASON_DAMAGED: Rotation(newest=3),
}
DEFAULT_ROTATION = Rotation(newest=10)


@dataclass(frozen=True)
class BackupFile:
    """One copy in the backup folder, as its name tells: `<db stem>-<reason>-<YYYYmmdd-HHMMSS-ffffff>.sqlite3`."""

    path: Path
    db_stem: str
    reason: str
    taken_at: datetime  # local time, as the clerk's clock showed it


class DatabaseDamaged(AdultSchoolError):
    """The database failed SQLite's integrity check at start-up; `backup` is the newest copy that passes it, if any."""

    def __init__(self, path: Path, problem: str, backup: BackupFile | None):
        self.path = path
        self.problem = problem
        self.backup = backup
        if backup is not None:
            advice = (f"最近一份完好的备份是 {backup.path}（{backup.taken_at:%Y-%m-%d %H:%M}）。"
                      f"请运行 “adultschool restore {backup.path}” 用它恢复（当前文件会先另存一份），"
                      "或在图形界面里按提示恢复。")
        else:
            advice = "没有找到可用的备份：请不要再往这个文件里写数据，把它复制一份后联系技术支持。"
        super().__init__(f"数据库文件 {path} 已损坏（完整性检查未通过：{problem}）。{advice}")


# --- names and rotation (pure) ---------------------------------------------------------------------------------

def backup_name(db_stem: str, reason: str, taken_at: datetime) -> str:
    return f"{db_stem}-{reason}-{taken_at.strftime(STAMP_FORMAT)}.sqlite3"


_NAME = re.compile(r"^(?P<stem>.+?)-(?P<reason>[a-z]+(?:-[a-z]+)*)-(?P<stamp>\d{8}-\d{6}-\d{6})\.sqlite3$")


def parse_backup_name(path: Path, db_stem: str | None = None) -> BackupFile | None:
    """The copy a file name describes, None for any other file (or a copy of another database when db_stem is given)."""
    if db_stem is not None:
        prefix = f"{db_stem}-"
        if not path.name.startswith(prefix):
            return None
        match = re.match(r"^(?P<reason>[a-z]+(?:-[a-z]+)*)-(?P<stamp>\d{8}-\d{6}-\d{6})\.sqlite3$",
                         path.name[len(prefix):])
        stem = db_stem
    else:
        match = _NAME.match(path.name)
        stem = match.group("stem") if match else ""
    if match is None:
        return None
    try:
        taken_at = datetime.strptime(match.group("stamp"), STAMP_FORMAT)
    except ValueError:
        return None
    return BackupFile(path=path, db_stem=stem, reason=match.group("reason"), taken_at=taken_at)


def _day(stamp: datetime) -> tuple[int, ...]:
    return (stamp.year, stamp.month, stamp.day)


def _week(stamp: datetime) -> tuple[int, ...]:
    iso = stamp.isocalendar()
    return (iso.year, iso.week)


def _month(stamp: datetime) -> tuple[int, ...]:
    return (stamp.year, stamp.month)


def copies_to_keep(stamps: Iterable[datetime], rotation: Rotation) -> set[datetime]:
    """The times of the copies that survive `rotation` (the others are deleted)."""
    ordered = sorted(set(stamps), reverse=True)
    keep = set(ordered[: max(rotation.newest, 0)])
    for count, period in ((rotation.daily, _day), (rotation.weekly, _week), (rotation.monthly, _month)):
        periods: set[tuple[int, ...]] = set()
        for stamp in ordered:  # newest first: the first copy seen in a period is that period's newest
            key = period(stamp)
            if key in periods:
                continue
            if len(periods) >= count:
                break
            periods.add(key)
            keep.add(stamp)
    return keep


def rotation_for(reason: str) -> Rotation:
    return ROTATION.get(reason, DEFAULT_ROTATION)


# --- the backup folder -----------------------------------------------------------------------------------------

def list_backups(dest_dir: Path, db_stem: str, *, reasons: Iterable[str] | None = None) -> list[BackupFile]:
    """Copies of the database named `db_stem` in dest_dir, newest first (only the given reasons, default: all known)."""
    wanted = set(reasons) if reasons is not None else set(ROTATION)
    if not dest_dir.is_dir():
        return []
    found = []
    for path in dest_dir.glob(f"{glob_escape(db_stem)}-*.sqlite3"):
        backup = parse_backup_name(path, db_stem)
        if backup is not None and backup.reason in wanted:
            found.append(backup)
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def rotate(dest_dir: Path, db_stem: str, reason: str, rotation: Rotation | None = None) -> list[Path]:
    """Deletes the copies of this database and reason that `rotation` does not keep; returns what was deleted."""
    copies = list_backups(dest_dir, db_stem, reasons=[reason])
    keep = copies_to_keep([c.taken_at for c in copies], rotation or rotation_for(reason))
    removed = []
    for copy in copies:
        if copy.taken_at not in keep:
            copy.path.unlink(missing_ok=True)
            removed.append(copy.path)
    return removed


# --- copying -----------------------------------------------------------------------------------------------------

def _read_only_uri(path: Path) -> str:
    # as_uri() percent-encodes '#', '?' and spaces, which a hand-built "file:" URI would get wrong.
    return path.resolve().as_uri() + "?mode=ro"


def looks_like_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _fsync(path: Path) -> None:
    """A copy on a USB stick must be on the stick, not in the write cache, when we say it is done."""
    fd = os.open(path, os.O_RDWR)  # Windows flushes only a handle opened for writing
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_database(source_path: Path, target: Path, *,
                  progress: Callable[[int, int], None] | None = None) -> Path:
    """A consistent copy of a live database (other programs may keep writing) as one self-contained file.

    Written to `target.part` and renamed when complete. The copy is left in rollback-journal mode, so it opens
    from a read-only medium without -wal/-shm files. Raises sqlite3.DatabaseError for a file that is not SQLite.
    """
    part = target.with_name(target.name + ".part")
    for leftover in (part, part.with_name(part.name + "-journal")):
        leftover.unlink(missing_ok=True)
    with noted(part):
        create_private(part)  # a backup holds every ID number: owner-only, as the database
        source = sqlite3.connect(_read_only_uri(source_path), uri=True, timeout=engine_setup.WAIT_SECONDS)
        try:
            copy = sqlite3.connect(part)
            try:
                def step(_status: int, remaining: int, total: int) -> None:
                    if progress is not None:
                        progress(total - remaining, total)

                source.backup(copy, pages=PAGES_PER_STEP, progress=step)
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
        except UnicodeDecodeError as exc:  # SQLite's complaint quoted bytes of a damaged page
            part.unlink(missing_ok=True)
            raise sqlite3.DatabaseError("database disk image is malformed") from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        finally:
            source.close()
        _fsync(part)
        os.replace(part, target)
    return target


def copy_files_raw(db_path: Path, target: Path) -> Path:
    """A byte copy of the database file and its -wal (when SQLite itself cannot read a damaged file)."""
    part = target.with_name(target.name + ".part")
    with noted(part):
        part.unlink(missing_ok=True)
        create_private(part)
        shutil.copyfile(db_path, part)
        os.replace(part, target)
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        wal_copy = target.with_name(target.name + "-wal")
        create_private(wal_copy)
        shutil.copyfile(wal, wal_copy)
    return target


def backup_sqlite(db_path: Path, dest_dir: Path, reason: str, *, now: datetime | None = None,
                  rotation: Rotation | None = None, progress: Callable[[int, int], None] | None = None) -> Path:
    """Writes `<db stem>-<reason>-<timestamp>.sqlite3` into dest_dir and rotates that reason's copies."""
    private_folder(dest_dir)
    target = dest_dir / backup_name(db_path.stem, reason, now or clock.local_now())
    copy_database(db_path, target, progress=progress)
    rotate(dest_dir, db_path.stem, reason, rotation)
    return target


def backup_on_exit(db_path: Path, *, now: datetime | None = None) -> Path:
    """The automatic copy made when the window closes cleanly (DESIGN.md: on every clean exit)."""
    return backup_sqlite(db_path, paths.backup_dir(), REASON_EXIT, now=now)


def known_revisions() -> set[str]:
    """Every schema revision this program can migrate from (a backup with another one comes from a newer program)."""
    from alembic.script import ScriptDirectory  # only when a database or backup is not at this program's head

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return {revision.revision for revision in script.walk_revisions()}


# --- integrity -------------------------------------------------------------------------------------------------

def _check(path: Path, pragma: str) -> str | None:
    """None when `PRAGMA quick_check`/`integrity_check` says ok, else SQLite's first complaint."""
    try:
        connection = sqlite3.connect(_read_only_uri(path), uri=True, timeout=engine_setup.WAIT_SECONDS)
    except sqlite3.Error as exc:
        if engine_setup.is_busy(exc):
            raise DatabaseBusy(path, engine_setup.WAIT_SECONDS) from None
        return str(exc)
    # A damaged page can put any bytes into SQLite's complaint: read it as text whatever it holds.
    connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        rows = connection.execute(f"PRAGMA {pragma}").fetchall()
    except sqlite3.DatabaseError as exc:
        if engine_setup.is_busy(exc):
            raise DatabaseBusy(path, engine_setup.WAIT_SECONDS) from None
        return str(exc)
    except UnicodeDecodeError:
        # SQLite quoted damaged bytes in its complaint, which Python cannot even turn into the error message.
        return "数据页内容损坏（检查报告里有无法识别的字节）"
    finally:
        connection.close()
    if rows == [("ok",)]:
        return None
    lines = [line.strip() for row in rows for line in str(row[0]).splitlines()]
    complaints = [line for line in lines if line and not line.startswith("***")]  # "*** in database main ***"
    return "；".join(complaints[:3]) or "未知问题"


def quick_check(path: Path) -> str | None:
    """SQLite's quick_check: every page readable and well-formed (not index contents); None means ok."""
    return _check(path, "quick_check")


def integrity_check(path: Path) -> str | None:
    """SQLite's full integrity_check (indexes too); slower, used on a backup before it replaces the database."""
    return _check(path, "integrity_check")


def newest_good_backup(db_path: Path, dest_dir: Path | None = None) -> BackupFile | None:
    """The newest backup of this database that passes quick_check (only the newest few are tried)."""
    candidates = list_backups(dest_dir or paths.backup_dir(), db_path.stem, reasons=GOOD_REASONS)
    for backup in candidates[:GOOD_BACKUP_CANDIDATES]:
        if looks_like_sqlite(backup.path) and quick_check(backup.path) is None:
            return backup
    return None


def check_at_start(db_path: Path) -> None:
    """Raises DatabaseDamaged when an existing SQLite file fails quick_check (a non-SQLite file is left to the caller,
    which refuses it as "not a database of this program")."""
    if not db_path.exists() or db_path.stat().st_size == 0 or not looks_like_sqlite(db_path):
        return
    problem = quick_check(db_path)
    if problem is not None:
        raise DatabaseDamaged(db_path, problem, newest_good_backup(db_path))


def audit_head_of(path: Path) -> tuple[int, int | None, str | None, str | None] | None:
    """The audit chain's head inside a backup file (entries, last id, last hash, site code), read without changing the
    file; None when it is not a readable database of ours."""
    try:
        connection = sqlite3.connect(_read_only_uri(path), uri=True)
    except sqlite3.Error:
        return None
    try:
        entries, last_id = connection.execute("SELECT count(*), max(id) FROM audit_entries").fetchone()
        last_hash = None
        if last_id is not None:
            last_hash = connection.execute("SELECT hash FROM audit_entries WHERE id = ?", (last_id,)).fetchone()[0]
        code = connection.execute("SELECT value FROM site_settings WHERE key = 'site.code'").fetchone()
        return int(entries), last_id, last_hash, code[0] if code else None
    except (sqlite3.Error, UnicodeDecodeError, TypeError):
        return None
    finally:
        connection.close()
