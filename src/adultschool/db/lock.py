"""One window per database: an OS-level lock on `<database>.lock`, and the warning for a database on a network drive.

The lock is `fcntl.flock` (msvcrt.locking on Windows), held as long as the file stays open, so the operating system
drops it when the program ends in any way: a crashed or killed program never leaves a stale lock. The file's text
says who holds it (pid, host, user, since) for the refusal message; the file itself stays (deleting a lock file races
with a program that has just opened it), its text is cleared on release.

Decision: only the GUI and `restore` take the lock. Plain CLI commands still run while the window is open, because
SQLite serialises writers itself (WAL, BEGIN IMMEDIATE, busy_timeout) and the district's scripts and the clerk's
batch files rely on importing into an open school; `restore` is refused while a window holds the lock, and a window
cannot open while `restore` runs.
"""
from __future__ import annotations

import getpass
import json
import logging
import os
import re
import socket
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from adultschool import clock
from adultschool.errors import AdultSchoolError, os_error_text

log = logging.getLogger(__name__)

# Windows locks byte ranges mandatorily: lock one byte far past the text, so another program can still read who holds it.
WINDOWS_LOCK_OFFSET = 1 << 20

# File-system types (the third field of /proc/mounts) that live on another computer.
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs", "lustre",
    "gpfs", "davfs", "fuse.sshfs", "sshfs", "fuse.davfs", "fuse.glusterfs", "fuse.cephfs", "fuse.rclone",
})
DRIVE_REMOTE = 4  # GetDriveTypeW


@dataclass(frozen=True)
class LockHolder:
    pid: int | None
    host: str
    user: str
    since: datetime | None
    program: str = ""

    def describe(self) -> str:
        since = f"{self.since:%Y-%m-%d %H:%M} 起" if self.since else ""
        who = f"电脑“{self.host or '未知'}”上的用户“{self.user or '未知'}”"
        return f"{who}{since}正在使用（进程号 {self.pid}）" if self.pid else f"{who}{since}正在使用"


class DatabaseInUse(AdultSchoolError):
    """Another window (or a restore) holds the lock of this database."""

    def __init__(self, db_path: Path, holder: LockHolder | None, *, doing: str = "打开"):
        self.db_path = db_path
        self.holder = holder
        who = holder.describe() if holder else "另一个程序正在使用"
        super().__init__(
            f"数据库 {db_path} 已被{who}，不能同时{doing}。"
            "请先关闭那边的教务程序窗口（或等恢复完成）再试；如果那台电脑已经关机，锁会自动解除。"
        )


class DatabaseBusy(AdultSchoolError):
    """Another program holds SQLite's own lock on the file past the wait: the database is fine, only busy."""

    def __init__(self, db_path: Path, waited_seconds: int):
        self.db_path = db_path
        self.waited_seconds = waited_seconds
        super().__init__(
            f"数据库 {db_path} 正被另一个程序占用（例如另一台电脑或另一个窗口里的教务程序正在导入，或数据库查看工具、"
            f"备份或杀毒软件打开了它），已等待 {waited_seconds} 秒仍未释放。数据库本身没有损坏，不需要恢复备份："
            "请稍等片刻或关闭那个程序后重试。"
        )


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def _try_lock(file: BinaryIO) -> bool:
    if sys.platform == "win32":
        import msvcrt

        file.seek(WINDOWS_LOCK_OFFSET)
        try:
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            file.seek(0)
        return True
    import fcntl

    try:
        # flock belongs to the open file description: a second open() of the file, even in this process, conflicts.
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(file: BinaryIO) -> None:
    if sys.platform == "win32":
        import msvcrt

        file.seek(WINDOWS_LOCK_OFFSET)
        try:
            msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        return
    import fcntl

    fcntl.flock(file.fileno(), fcntl.LOCK_UN)


def _parse_holder(text: str) -> LockHolder | None:
    try:
        data = json.loads(text)
        since = data.get("since")
        return LockHolder(pid=data.get("pid"), host=str(data.get("host", "")), user=str(data.get("user", "")),
                          since=datetime.fromisoformat(since) if since else None, program=str(data.get("program", "")))
    except (ValueError, TypeError, AttributeError):
        return None


def _read_text(path: Path) -> str:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as file:
            return file.read(4096)
    except OSError:
        return ""


def _me(program: str) -> dict[str, object]:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - some service accounts have no login name
        user = ""
    return {"pid": os.getpid(), "host": socket.gethostname(), "user": user,
            "since": clock.local_now().isoformat(timespec="seconds"), "program": program}


_held: dict[str, "DatabaseLock"] = {}


def _key(db_path: Path) -> str:
    return os.path.normcase(str(db_path.resolve()))


def held_by_this_process(db_path: Path) -> "DatabaseLock | None":
    """The lock this process holds on `db_path` (the window's own, which lets its 从备份恢复 proceed), else None."""
    lock = _held.get(_key(db_path))
    return lock if lock is not None and lock.held else None


class DatabaseLock:
    """Held from `acquire` until `release` (or until the process ends). Use as a context manager or keep it."""

    def __init__(self, db_path: Path, file: BinaryIO):
        self.db_path = db_path
        self.path = lock_path(db_path)
        self._file: BinaryIO | None = file

    @classmethod
    def acquire(cls, db_path: Path, *, program: str = "adultschool", doing: str = "打开") -> "DatabaseLock":
        """Takes the lock or raises DatabaseInUse naming who holds it; never waits."""
        path = lock_path(db_path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # "a+b" neither truncates the holder's text before we own the lock nor fails when the file is missing.
            file = open(path, "a+b")  # noqa: SIM115 - kept open while the lock is held
        except OSError as exc:
            raise AdultSchoolError(
                f"不能在 {path.parent} 建立锁文件 {path.name}（{os_error_text(exc)}）：数据库所在的文件夹必须可以写入，"
                "请把数据库放到本机可写的文件夹里（U 盘写保护、只读光盘上的数据库不能直接使用）。"
            ) from None
        try:
            if not _try_lock(file):
                raise DatabaseInUse(db_path, _parse_holder(_read_text(path)), doing=doing)
            file.seek(0)
            file.truncate()
            file.write(json.dumps(_me(program), ensure_ascii=False).encode("utf-8"))
            file.flush()
        except BaseException:
            file.close()
            raise
        log.info("database lock taken: %s", path)
        lock = cls(db_path, file)
        _held.setdefault(_key(db_path), lock)
        return lock

    @property
    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        file, self._file = self._file, None
        if file is None:
            return
        if _held.get(_key(self.db_path)) is self:
            del _held[_key(self.db_path)]
        try:
            file.seek(0)
            file.truncate()
            file.flush()
            _unlock(file)
        except OSError:
            log.warning("could not clear the lock file %s", self.path, exc_info=True)
        finally:
            file.close()
        log.info("database lock released: %s", self.path)

    def __enter__(self) -> "DatabaseLock":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def holder(db_path: Path) -> LockHolder | None:
    """Who holds the lock now, None when nobody does (checked by trying to take it, so a crashed holder counts as none)."""
    try:
        probe = DatabaseLock.acquire(db_path, program="probe")
    except DatabaseInUse as exc:
        return exc.holder or LockHolder(pid=None, host="", user="", since=None)
    probe.release()
    return None


# --- network drives --------------------------------------------------------------------------------------------

def _unescape_mount(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash in paths as octal escapes (\\040 …)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def filesystem_of(path: Path, mounts_text: str) -> tuple[str, str] | None:
    """(mount point, file-system type) of the mount that holds `path`, from the text of /proc/mounts."""
    target = str(path)
    best: tuple[str, str] | None = None
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point, fs_type = _unescape_mount(fields[1]), fields[2]
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) >= len(best[0])):
            best = (mount_point, fs_type)  # the last of equal mount points wins: it is mounted over the others
    return best


def network_filesystem(path: Path, mounts_text: str) -> str | None:
    """The network file-system type (nfs, cifs, …) holding `path`, None for a local disk."""
    found = filesystem_of(path, mounts_text)
    if found is None:
        return None
    fs_type = found[1].lower()
    return fs_type if fs_type in NETWORK_FILESYSTEMS or fs_type.split(".")[0] in {"nfs", "cifs", "smb3"} else None


def _windows_network_drive(path: Path) -> str | None:
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return "UNC"
    drive = path.drive or os.path.splitdrive(os.path.abspath(text))[0]
    if not drive:
        return None
    import ctypes

    if ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == DRIVE_REMOTE:  # type: ignore[attr-defined]
        return f"网络驱动器 {drive}"
    return None


def network_drive(path: Path) -> str | None:
    """What remote storage `path` is on ("UNC", "网络驱动器 Z:", "nfs", "cifs"…), None for a local disk or when unknown."""
    try:
        if sys.platform == "win32":
            return _windows_network_drive(path)
        mounts = Path("/proc/mounts")
        if not mounts.exists():
            return None  # macOS and others: no cheap answer, no warning
        return network_filesystem(path.resolve(), mounts.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def network_warning(db_path: Path) -> str | None:
    """The Chinese warning for a database on a network drive, None for a local one. A warning, not a refusal."""
    kind = network_drive(db_path)
    if kind is None:
        return None
    log.warning("database %s is on a network drive (%s)", db_path, kind)
    return (f"数据库 {db_path} 在网络驱动器上（{kind}）。网络断开或两台电脑同时写入都可能损坏数据库："
            "建议把数据库放在本机硬盘上，多台电脑共用请改用服务器数据库；并经常备份。")
