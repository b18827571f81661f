"""Backing up, previewing and restoring a school's SQLite database file: the use cases behind `adultschool backup`,
`adultschool restore` and the window's 立即备份 / 从备份恢复 / exit backup.

A backup is checked on a private copy (never opened in place, so a file on a USB stick is not touched), must pass
`PRAGMA quick_check` for a preview and the full `integrity_check` before a restore, carry a schema revision this
program knows, and be a database of this program.
Restore holds the database lock, saves the current file first ("before-restore"), writes the backup into the live
file with SQLite's backup API (one transaction: other programs see the old or the new database, never a mixture),
migrates it when it is older, and records "database.restore" in the audit log.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from adultschool import clock
from adultschool import paths
from adultschool.db import backup as backups
from adultschool.outfiles import private_folder
from adultschool.db import lock as db_lock
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from adultschool.db import migrate, read_session, unit_of_work
from adultschool.db.engine import make_engine
from adultschool.errors import AdultSchoolError, os_error_text
from adultschool.jobs import JobContext, NullJob
from adultschool.services import audit, permissions, site, sync
from adultschool.services.sync_tables import SPECS

log = logging.getLogger(__name__)

SERVER_DATABASE_MESSAGE = "这是服务器数据库（不是本机的数据库文件）：请用数据库服务器自己的备份工具（如 pg_dump / pg_restore）备份和恢复。"


def _sealed():  # noqa: ANN202 - the module
    """adultschool.aspkg.sealed, imported when a backup is sealed or opened (it needs cryptography, which starting the
    window does not)."""
    from adultschool.aspkg import sealed

    return sealed


SEALED_SUFFIX = ".asbackup"  # as sync.sealed names it (checked by the tests), without importing cryptography


def is_sealed_backup(file: Path) -> bool:
    return _sealed().is_sealed(file)


def check_backup_passphrase(passphrase: str) -> None:
    """Refuses (AdultSchoolError) a passphrase too weak to seal a backup with."""
    _sealed().check_passphrase(passphrase)


@dataclass(frozen=True)
class BackupPreview:
    """What a backup file holds, shown before it replaces the database."""

    file: Path
    size_bytes: int
    taken_at: datetime | None  # from the backup's name, else the file's modification time (local time)
    site_kind: str
    site_code: str
    site_name: str
    revision: str
    current_revision: str  # the revision this program migrates to
    learners: int  # people, including survey prospects
    enrolments: int
    certificates: int
    newest_change: datetime | None  # the newest audit entry, local time
    warnings: tuple[str, ...] = field(default=())  # things to notice before restoring, in Chinese

    @property
    def needs_upgrade(self) -> bool:
        return self.revision != self.current_revision

    def lines(self) -> list[str]:
        """The preview as the CLI prints it and the window shows it: the facts, then the warnings."""
        return self.facts() + [f"注意：{w}" for w in self.warnings]

    def facts(self) -> list[str]:
        kind = {"school": "学校", "district": "区级分中心"}.get(self.site_kind, self.site_kind or "未初始化")
        lines = [
            f"备份文件：{self.file}（{self.size_bytes / 1_048_576:.1f} MB）",
            f"备份时间：{self.taken_at:%Y-%m-%d %H:%M}" if self.taken_at else "备份时间：不详",
            f"{kind}：{self.site_name or '（未命名）'}（{self.site_code or '无代码'}）",
            f"数据库版本：{self.revision}" + ("（较旧，恢复后会自动升级）" if self.needs_upgrade else "（与本程序相同）"),
            f"学员 {self.learners} 人（含排摸对象），学籍 {self.enrolments} 个，毕业证书 {self.certificates} 张",
            f"最后一次改动：{self.newest_change:%Y-%m-%d %H:%M}" if self.newest_change else "最后一次改动：无记录",
        ]
        return lines

    def summary(self) -> str:
        return f"learners {self.learners}, enrolments {self.enrolments}, certificates {self.certificates}"


@dataclass(frozen=True)
class BackupMade:
    path: Path
    size_bytes: int
    preview: BackupPreview


@dataclass(frozen=True)
class RestoreResult:
    preview: BackupPreview
    safety_copy: Path | None  # the database as it was before the restore (None when there was none)
    upgraded_from: str | None  # the backup's revision when it was migrated, else None
    sync_note: str | None = None  # a school's: its next package is full, and why (services.sync.begin_epoch)
    keys_restored: tuple[Path, ...] = ()  # signing keys a sealed backup put back on this PC


def require_file(db_path: Path | None) -> Path:
    """The SQLite file behind --db; a server database has its own tools."""
    if db_path is None:
        raise AdultSchoolError(SERVER_DATABASE_MESSAGE)
    return db_path


def _require(db_path: Path, actor: str | None, permission: permissions.Permission) -> None:
    """Roles are enforced here, as in every service. Call only for a healthy database: a missing or damaged
    one has no accounts to ask, and restoring is then the way back."""
    engine = make_engine(paths.database_url(db_path))
    try:
        if "accounts" not in inspect(engine).get_table_names():
            return  # a database from before accounts existed: single-user
        with read_session(engine) as session:
            permissions.require(session, actor, permission)
    finally:
        engine.dispose()


# --- reading a backup ------------------------------------------------------------------------------------------

def _utc_text_to_local(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)  # SQLAlchemy keeps UTC wall time in SQLite
    return value.astimezone().replace(tzinfo=None)


def _not_ours(file: Path) -> AdultSchoolError:
    return AdultSchoolError(f"{file} 不是本程序的数据库或备份文件，不能用来恢复。请选择教务程序做的备份（.sqlite3 文件）。")


def _describe(copy: Path, original: Path) -> BackupPreview:
    """Reads what a checked copy holds; refuses a database of another program or of a newer version of this one."""
    connection = sqlite3.connect(copy.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"alembic_version", "site_settings", "learners"} <= tables:
            raise _not_ours(original)
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if row is None:
            raise _not_ours(original)
        revision, head = str(row[0]), migrate.head_revision()
        if revision not in backups.known_revisions():
            raise AdultSchoolError(
                f"备份文件 {original} 来自更新版本的教务程序（数据库版本 {revision}，本程序最高认识 {head}），"
                "本程序不能打开它。请先把教务程序升级到最新版本，再恢复这份备份。"
            )
        settings = dict(connection.execute("SELECT key, value FROM site_settings").fetchall())

        def count(table: str) -> int:
            return connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] if table in tables else 0

        newest = None
        if "audit_entries" in tables:
            newest = connection.execute("SELECT max(at) FROM audit_entries").fetchone()[0]
        learners, enrolments, certificates = count("learners"), count("enrolments"), count("certificates")
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        raise _not_ours(original) from None
    finally:
        connection.close()
    named = backups.parse_backup_name(original)
    taken_at = named.taken_at if named else datetime.fromtimestamp(original.stat().st_mtime)
    return BackupPreview(
        file=original, size_bytes=original.stat().st_size, taken_at=taken_at,
        site_kind=settings.get("site.kind", ""), site_code=settings.get("site.code", ""),
        site_name=settings.get("site.name", ""), revision=revision, current_revision=head,
        learners=learners, enrolments=enrolments, certificates=certificates,
        newest_change=_utc_text_to_local(newest),
    )


def _stage(file: Path, folder: Path, job: JobContext, *, thorough: bool,
           passphrase: str | None = None, keys_out: dict[str, bytes] | None = None) -> tuple[Path, BackupPreview]:
    """A private, checked copy of the backup in `folder`, and what it holds. `thorough` runs the full integrity_check
    (indexes too, ~6× slower than quick_check: about 2 s against 0.3 s on 100 MB) for a copy about to go live. A sealed
    backup is opened with `passphrase` into `folder` first."""
    file = Path(file)
    if not file.is_file():
        raise AdultSchoolError(f"找不到备份文件 {file}：请检查路径，或 U 盘是否插好。")
    shown = file
    if _sealed().is_sealed(file):
        if not passphrase:
            raise BackupNeedsPassphrase(f"备份文件 {file.name} 已加密：请输入备份时设定的备份密码。")
        job.report(0, None, "正在解密备份文件……")
        opened = _sealed().unseal(file, folder, passphrase)
        if DATABASE_MEMBER not in opened:
            raise _not_ours(file)
        if keys_out is not None:
            keys_out.update({Path(name).name: path.read_bytes() for name, path in opened.items()
                             if name.startswith(KEY_MEMBER_PREFIX)})
        file = opened[DATABASE_MEMBER]
    if not backups.looks_like_sqlite(file):
        raise _not_ours(shown)
    job.report(0, None, "正在检查备份文件……")
    staged = folder / "staged.sqlite3"
    try:
        backups.copy_database(file, staged, progress=lambda done, total: job.report(done, total, "正在读取备份文件……"))
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # damaged bytes can break even SQLite's message
        damage = exc if isinstance(exc, sqlite3.DatabaseError) else "数据页内容损坏"
        raise AdultSchoolError(f"备份文件 {file} 已损坏，读不出来（{damage}），不能用来恢复。请换一份备份。") from None
    job.report(0, None, "正在检查备份文件是否完好……")
    problem = backups.integrity_check(staged) if thorough else backups.quick_check(staged)
    if problem is not None:
        raise AdultSchoolError(f"备份文件 {file} 已损坏（完整性检查未通过：{problem}），不能用来恢复。请换一份备份。")
    preview = _describe(staged, file)
    if shown != file:
        preview = replace(preview, file=shown, size_bytes=shown.stat().st_size, taken_at=_sealed_time(shown))
    return staged, preview


def _sealed_time(file: Path) -> datetime | None:
    try:
        return datetime.fromisoformat(str(_sealed().readable_header(file).get("taken_at")))
    except (ValueError, AdultSchoolError):
        return datetime.fromtimestamp(file.stat().st_mtime)


class BackupNeedsPassphrase(AdultSchoolError):
    """The backup is sealed: the CLI asks for the passphrase, the window shows a field."""


def _put_back_keys(keys: dict[str, bytes]) -> list[Path]:
    """The school's signing key from a sealed backup, put back into the keys folder when this PC does not have it (a
    new PC after the old one died); an existing key file is never replaced."""
    written = []
    for name, pem in keys.items():
        target = paths.keys_dir() / Path(name).name
        if not target.exists():
            sync.write_key_file(target, pem)
            written.append(target)
    return written


def _replaced_state(db_path: Path) -> sync.ReplacedState | None:
    """What the database about to be replaced says about sync (its key, the packages and row versions it sent), read
    before it is replaced; None when it cannot be read (damaged, not ours): the restore then says so."""
    try:
        connection = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        settings = dict(connection.execute("SELECT key, value FROM site_settings").fetchall())
        highest_sequence = connection.execute("SELECT max(sequence) FROM sync_exports").fetchone()[0] \
            if "sync_exports" in tables else None
        versions = [0]
        for table in [spec.name for spec in SPECS if spec.name in tables] + (["sync_sent"] if "sync_sent" in tables else []):
            versions.append(connection.execute(f'SELECT max(version) FROM "{table}"').fetchone()[0] or 0)
    except (sqlite3.Error, ValueError):
        log.warning("could not read the sync state of %s before the restore", db_path, exc_info=True)
        return None
    finally:
        connection.close()
    try:
        epoch = int(settings.get(sync.EPOCH) or 0)
        floor = int(settings.get(sync.SEQUENCE_FLOOR) or 0)
    except ValueError:
        epoch, floor = 0, 0
    return sync.ReplacedState(
        site_code=settings.get("site.code"), site_id=settings.get(sync.SITE_ID),
        public_key=settings.get(sync.PUBLIC_KEY), fingerprint=settings.get(sync.FINGERPRINT),
        district_public=settings.get(sync.DISTRICT_PUBLIC), epoch=epoch,
        highest_sequence=max(int(highest_sequence or 0), floor), highest_version=int(max(versions)))


def _site_code(db_path: Path) -> str | None:
    try:
        connection = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT value FROM site_settings WHERE key = 'site.code'").fetchone()
        finally:
            connection.close()
    except (sqlite3.Error, UnicodeDecodeError):  # a damaged page can break even SQLite's error message
        return None
    return row[0] if row else None


def _with_warnings(preview: BackupPreview, db_path: Path | None) -> BackupPreview:
    warnings = []
    current_code = _site_code(db_path) if db_path is not None and db_path.exists() else None
    if current_code and preview.site_code and current_code != preview.site_code:
        warnings.append(f"这份备份属于“{preview.site_name}”（{preview.site_code}），"
                        f"而当前数据库是 {current_code}：请确认没有拿错备份。")
    if preview.site_kind == "":
        warnings.append("这份备份里还没有建立学校。")
    return replace(preview, warnings=tuple(warnings))


def _private_temp(prefix: str) -> tempfile.TemporaryDirectory:
    """A scratch folder inside the data folder: an opened sealed backup never lands in the shared temp folder."""
    private_folder(paths.data_dir())
    return tempfile.TemporaryDirectory(prefix=prefix, dir=paths.data_dir())


def preview_backup(file: Path, *, db_path: Path | None = None, job: JobContext | None = None,
                   passphrase: str | None = None) -> BackupPreview:
    """What `file` holds, after the same checks a restore makes; `db_path` (the current database) adds warnings."""
    with _private_temp(".adultschool-preview-") as folder:
        _staged, preview = _stage(Path(file), Path(folder), job or NullJob(), thorough=False, passphrase=passphrase)
    return _with_warnings(preview, db_path)


# --- backing up ------------------------------------------------------------------------------------------------

def _file_name_part(text: str) -> str:
    return "".join("_" if c in '\\/:*?"<>|' or c.isspace() else c for c in text).strip("._") or "adultschool"


def _signing_key_file(db_path: Path) -> Path | None:
    """The school's sync signing key beside this database (None: a district, or no key made yet)."""
    engine = make_engine(paths.database_url(db_path))
    try:
        with read_session(engine) as session:
            return sync.signing_key_file(session) if site.is_initialised(session) else None
    finally:
        engine.dispose()


def back_up_now(db_path: Path | None, out_dir: Path, *, actor: str | None, job: JobContext | None = None,
                now: datetime | None = None, passphrase: str | None = None) -> BackupMade:
    """A consistent copy of the database now, into `out_dir` (a USB stick…), named `<school code>-<date>-<time>.sqlite3`;
    with `passphrase`, sealed (`<…>.asbackup`, with the school's signing key inside): a file that leaves the data
    folder holds every ID number, so only the passphrase opens it."""
    job = job or NullJob()
    if passphrase is not None:
        _sealed().check_passphrase(passphrase)
    db_path = require_file(db_path)
    if not db_path.exists():
        raise AdultSchoolError(f"找不到数据库文件 {db_path}，没有可备份的内容。")
    _require(db_path, actor, permissions.Permission.BACKUP)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AdultSchoolError(f"不能在 {out_dir} 建立文件夹（{os_error_text(exc)}）：请检查 U 盘是否插好、是否写保护。") from None
    code = _file_name_part(_site_code(db_path) or db_path.stem)
    stamp = (now or clock.local_now()).strftime("%Y%m%d-%H%M%S")
    suffix = _sealed().SUFFIX if passphrase is not None else ".sqlite3"
    target = out_dir / f"{code}-{stamp}{suffix}"
    number = 1
    while target.exists():
        number += 1
        target = out_dir / f"{code}-{stamp}-{number}{suffix}"
    if passphrase is not None:
        return _sealed_backup(db_path, target, passphrase, job)
    try:
        backups.copy_database(db_path, target, progress=lambda done, total: job.report(done, total, "正在备份……"))
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise AdultSchoolError(f"数据库 {db_path} 读不出来（{exc}），不能备份：请联系技术支持。") from None
    except OSError as exc:
        raise AdultSchoolError(f"不能写入 {target}（{os_error_text(exc)}）：请检查 U 盘是否插好、空间是否足够、是否写保护。") from None
    job.report(0, None, "正在检查备份是否完好……")
    problem = backups.quick_check(target)
    if problem is not None:
        target.unlink(missing_ok=True)
        raise AdultSchoolError(f"备份出来的文件没有通过检查（{problem}），已删除。数据库可能已损坏：请联系技术支持。")
    preview = _describe(target, target)
    log.info("backup written to %s", target)
    return BackupMade(path=target, size_bytes=target.stat().st_size, preview=preview)


def _sealed_backup(db_path: Path, target: Path, passphrase: str, job: JobContext) -> BackupMade:
    """The plain copy is made and checked in a private folder beside the database (never on the stick), then sealed."""
    with tempfile.TemporaryDirectory(prefix=".adultschool-seal-", dir=db_path.parent) as folder:
        copy = Path(folder) / "database.sqlite3"
        try:
            backups.copy_database(db_path, copy, progress=lambda done, total: job.report(done, total, "正在备份……"))
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise AdultSchoolError(f"数据库 {db_path} 读不出来（{exc}），不能备份：请联系技术支持。") from None
        problem = backups.quick_check(copy)
        if problem is not None:
            raise AdultSchoolError(f"备份出来的文件没有通过检查（{problem}），没有写出。数据库可能已损坏：请联系技术支持。")
        preview = _describe(copy, copy)
        members = {DATABASE_MEMBER: copy}
        key = _signing_key_file(db_path)
        if key is not None and key.exists():
            members[KEY_MEMBER_PREFIX + key.name] = key
        job.report(0, None, "正在加密备份……")
        try:
            _sealed().seal(members, target, passphrase, readable={"site_code": preview.site_code,
                                                              "taken_at": clock.local_now().isoformat(timespec="seconds")})
        except OSError as exc:
            raise AdultSchoolError(f"不能写入 {target}（{os_error_text(exc)}）：请检查 U 盘是否插好、空间是否足够、是否写保护。") from None
    log.info("sealed backup written to %s", target)
    return BackupMade(path=target, size_bytes=target.stat().st_size, preview=replace(preview, file=target,
                                                                                        size_bytes=target.stat().st_size))


DATABASE_MEMBER = "database.sqlite3"
KEY_MEMBER_PREFIX = "keys/"


def back_up_on_exit(db_path: Path | None) -> Path | None:
    """The automatic, rotated copy made when the window closes (None for a server database or a missing file)."""
    if db_path is None or not db_path.exists():
        return None
    path = backups.backup_on_exit(db_path)
    log.info("exit backup written to %s", path)
    return path


# --- restoring -------------------------------------------------------------------------------------------------

def _safety_copy(db_path: Path, damaged: bool, job: JobContext) -> Path:
    """The current database, saved before it is replaced; a damaged one is saved byte for byte under "damaged"."""
    job.report(0, None, "正在另存当前数据库……")
    folder = paths.backup_dir()
    if not damaged:
        try:
            return backups.backup_sqlite(db_path, folder, backups.REASON_BEFORE_RESTORE)
        except (sqlite3.DatabaseError, UnicodeDecodeError):
            log.warning("online backup of %s failed; copying the file as it is", db_path, exc_info=True)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / backups.backup_name(db_path.stem, backups.REASON_DAMAGED, clock.local_now())
    backups.copy_files_raw(db_path, target)
    backups.rotate(folder, db_path.stem, backups.REASON_DAMAGED)
    return target


def _remove_sidecars(db_path: Path) -> None:
    # A stale -wal left beside a replaced file would be replayed onto it: it must go with the old file.
    for suffix in ("-wal", "-shm", "-journal"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)


def _write_into(db_path: Path, staged: Path, job: JobContext) -> None:
    """Replaces the content of the live database with `staged`, atomically for every other connection."""
    if not db_path.exists():
        _remove_sidecars(db_path)
        os.replace(staged, db_path)
        return
    try:
        source = sqlite3.connect(staged)
        live = sqlite3.connect(db_path, timeout=30)
        try:
            live_page_size = live.execute("PRAGMA page_size").fetchone()[0]
            if source.execute("PRAGMA page_size").fetchone()[0] != live_page_size:
                # The backup API cannot change the page size of a WAL database: convert the private copy instead.
                source.execute(f"PRAGMA page_size = {int(live_page_size)}")
                source.execute("VACUUM")
            source.backup(live, pages=backups.PAGES_PER_STEP,
                          progress=lambda _s, remaining, total: job.report(total - remaining, total, "正在恢复……"))
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            live.close()
            source.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        # The live file is too damaged for SQLite to write into; we hold the lock, so replace the file itself.
        log.warning("backup API into %s failed; replacing the file", db_path, exc_info=True)
        _remove_sidecars(db_path)
        os.replace(staged, db_path)


def restore_backup(db_path: Path | None, file: Path, *, actor: str, job: JobContext | None = None,
                   passphrase: str | None = None) -> RestoreResult:
    """Replaces the database with the backup `file` (checked first), keeping the current one in the backup folder.

    Refused while another program holds the database lock (a window of this process that holds it may restore), and
    to anyone but an administrator once accounts exist (unless the database is damaged: then it has no accounts to ask).
    """
    job = job or NullJob()
    db_path = require_file(db_path)
    file = Path(file)
    if db_path.exists() and file.resolve() == db_path.resolve():
        raise AdultSchoolError("所选的文件就是当前正在使用的数据库，不能用它自己来恢复。请选择备份文件。")
    held = db_lock.held_by_this_process(db_path)
    lock = held or db_lock.DatabaseLock.acquire(db_path, program="adultschool restore", doing="恢复")
    try:
        damaged = db_path.exists() and backups.quick_check(db_path) is not None
        if db_path.exists() and not damaged:
            _require(db_path, actor, permissions.Permission.RESTORE)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".adultschool-restore-", dir=db_path.parent) as folder:
            keys: dict[str, bytes] = {}
            staged, preview = _stage(file, Path(folder), job, thorough=True, passphrase=passphrase, keys_out=keys)
            preview = _with_warnings(preview, db_path)
            replaced = _replaced_state(db_path) if db_path.exists() else None
            safety = _safety_copy(db_path, damaged, job) if db_path.exists() else None
            job.report(0, None, "正在恢复……")
            _write_into(db_path, staged, job)
        keys_restored = _put_back_keys(keys)
        engine = make_engine(paths.database_url(db_path))
        try:
            upgraded_from = None
            if migrate.current_revision(engine) != migrate.head_revision():
                job.report(0, None, "正在升级数据库……")
                upgraded_from = preview.revision
                migrate.upgrade(engine)
            with unit_of_work(engine) as session:
                sync_note = sync.begin_epoch(session, replaced, actor=actor) if site.is_initialised(session) else None
                session.info[audit.NEW_CHAIN] = True  # the chain is the backup's now: so is this PC's anchor
                audit.record(
                    session, actor=actor, action="database.restore", entity="database",
                    summary=f"从备份恢复数据库：{file.name}"
                            + (f"（备份于 {preview.taken_at:%Y-%m-%d %H:%M}）" if preview.taken_at else ""),
                    before={"saved_as": str(safety) if safety else None},
                    after={"file": str(file), "revision": preview.revision, "upgraded": upgraded_from is not None,
                           "learners": preview.learners, "enrolments": preview.enrolments,
                           "certificates": preview.certificates},
                )
        finally:
            engine.dispose()
    finally:
        if held is None:
            lock.release()
    log.info("database %s restored from %s (saved before as %s)", db_path, file, safety)
    return RestoreResult(preview=preview, safety_copy=safety, upgraded_from=upgraded_from, sync_note=sync_note,
                         keys_restored=tuple(keys_restored))


# --- the audit chain against its anchors -----------------------------------------------------------------------

def backup_anchor(file: Path) -> audit.Anchor | None:
    """The chain head inside a backup file, as an anchor (None: not a readable backup of ours)."""
    found = backups.audit_head_of(Path(file))
    if found is None:
        return None
    entries, last_id, last_hash, _code = found
    named = backups.parse_backup_name(Path(file))
    at = named.taken_at.astimezone(timezone.utc) if named else None
    return audit.Anchor(f"备份 {Path(file).name} ", audit.AuditHead(entries, last_id, last_hash or audit.GENESIS), at)


def verify_audit(session: Session, db_path: Path | None, *, backup_files: Sequence[Path] = ()) -> audit.AuditReport:
    """`audit verify`: the chain, and the anchors that show whether its tail was cut: this PC's anchor file, this
    database's backups in the backup folder taken since the last restore (a restore replaces the chain), and the
    backup files named (a copy on a USB stick)."""
    extra: list[audit.Anchor] = []
    for file in backup_files:
        anchor = backup_anchor(Path(file))
        if anchor is None:
            raise AdultSchoolError(f"{file} 不是本程序的备份文件（读不出审计记录）。")
        extra.append(anchor)
    if db_path is not None:
        code = site.get_site(session).code if site.is_initialised(session) else None
        reset_at = audit.local_reset_at(session)
        for found in backups.list_backups(paths.backup_dir(), db_path.stem):
            head = backups.audit_head_of(found.path)
            if head is None or (code and head[3] != code):
                continue
            taken = found.taken_at.astimezone(timezone.utc)
            if reset_at is not None and taken <= reset_at:
                continue  # taken before the last restore: its chain was replaced on purpose, and audited
            extra.append(audit.Anchor(f"备份 {found.path.name} ",
                                      audit.AuditHead(head[0], head[1], head[2] or audit.GENESIS), taken))
    return audit.check_chain(session, extra)


def set_backup_folder(session: Session, folder: Path | None, *, actor: str | None) -> Path:
    """This PC's folder for automatic backups (None: the default in the data folder). The folder must be writable:
    a probe file is written and removed first, so a read-only or missing drive is refused now, not at the next exit."""
    who = permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    before = paths.backup_dir()
    target = Path(folder) if folder is not None else paths.default_backup_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target, prefix=".adultschool-probe-"):
            pass
    except OSError as exc:
        raise AdultSchoolError(f"无法在文件夹 {target} 里写入文件（{os_error_text(exc)}）。请换一个文件夹。") from None
    audit.record(session, actor=who.name, action="settings.backup_dir",
                 entity="local-settings", summary=f"自动备份文件夹：{target}", before={"folder": str(before)},
                 after={"folder": str(target)})
    paths.set_backup_dir(folder)
    return paths.backup_dir()
