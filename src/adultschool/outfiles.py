"""Files the program writes (workbooks, PDFs, packages, backups, keys): owner-only, written to '<path>.part' and renamed
over the target only when complete (STYLE.md, habit 3), so a failure or a cancel leaves neither a .part nor a
half-written file behind.

A process killed while writing cannot clean up after itself, and a .part of a list with full ID numbers must not stay
on the disk: every .part being written is noted in the data folder (`writing/`), in a note the writer holds open and
locked, and the next start of the program (`clean_interrupted`) removes the .part of every note whose writer is gone.

Owner-only: on POSIX new files are created 0600 and the program's own folders 0700. On Windows the mode bits mean
nothing; files inherit the ACL of the folder they are made in, which for the user's profile (the data folder,
Documents) already keeps other users out, so nothing more is done there.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from adultschool import paths
from adultschool.errors import AdultSchoolError, os_error_text

log = logging.getLogger(__name__)

# Who may be holding a file open when it cannot be replaced, for the message.
SPREADSHEET_PROGRAMS = "Excel 或 WPS"
# What spreadsheet programs (and CSV-injection advisories) treat as the start of a formula: a cell of a file we write
# (xlsx or CSV) that starts so is kept as text. The full-width forms are included because a Chinese IME produces them and
# WPS has been seen to accept them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
PDF_PROGRAMS = "PDF 阅读器或 WPS"
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(folder: Path, *, made: list[Path] | None = None) -> Path:
    """Makes `folder` (and its parents) if missing; folders made here are owner-only (0700 on POSIX) and, with
    `made`, listed there (innermost last)."""
    folder = Path(folder)
    missing = []
    probe = folder
    while not probe.is_dir() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        if made is not None:
            made.append(path)
    return folder


def create_private(path: Path) -> bool:
    """Creates an empty owner-only file at `path` unless one exists (SQLite then keeps the mode for the database and
    gives its -wal and -shm files the same one). True when the file was made here."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def _fresh_private(path: Path) -> None:
    """An empty owner-only file at `path`, replacing whatever was there (a leftover keeps its old mode otherwise)."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE))


# --- notes of files being written --------------------------------------------------------------------------------


def notes_dir() -> Path:
    return paths.data_dir() / "writing"


def _lock(handle: BinaryIO) -> bool:
    if sys.platform == "win32":
        return True  # an open file cannot be deleted on Windows: the open handle is the lock
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextmanager
def noted(part: Path) -> Iterator[None]:
    """While the block runs, a locked note says `part` is being written; if the process dies, the next start removes
    `part`. Without a writable data folder there is no note (writing must not fail for it)."""
    note: Path | None = None
    handle: BinaryIO | None = None
    made: list[Path] = []
    try:
        folder = private_folder(notes_dir(), made=made)
        note = folder / f"{uuid.uuid4().hex}.json"
        handle = open(note, "w+b")  # noqa: SIM115 - held open (and locked) while the part is written
        _lock(handle)
        handle.write(json.dumps({"part": str(Path(part).resolve()), "pid": os.getpid()}).encode())
        handle.flush()
    except OSError:
        log.warning("could not note %s as being written", part, exc_info=True)
        if handle is not None:
            handle.close()
        handle, note = None, None
    try:
        yield
    finally:
        if handle is not None:
            handle.close()
        if note is not None:
            note.unlink(missing_ok=True)
        for path in reversed(made):  # folders made only for the note go with it
            try:
                path.rmdir()
            except OSError:
                break


def clean_interrupted() -> list[Path]:
    """At start: removes the .part files that killed or crashed runs left behind; returns what was removed."""
    folder = notes_dir()
    removed: list[Path] = []
    try:
        notes = sorted(folder.glob("*.json"))
    except OSError:
        return removed
    for note in notes:
        try:
            with open(note, "rb") as handle:
                if not _lock(handle):
                    continue  # its writer is still at work
                text = handle.read(64 * 1024)
            if sys.platform == "win32":
                note.unlink()  # fails while the writer holds it open
            part = Path(json.loads(text.decode("utf-8"))["part"])
        except (OSError, ValueError, KeyError, TypeError):
            if sys.platform == "win32":
                continue
            part = None
        if part is not None and part.name.endswith(".part") and part.exists():
            try:
                part.unlink()
                removed.append(part)
                log.warning("removed %s, left behind by an interrupted run", part)
            except OSError:
                log.warning("could not remove %s", part, exc_info=True)
                continue
        note.unlink(missing_ok=True)
    return removed


# --- writing -------------------------------------------------------------------------------------------------------


def write_file(path: str | os.PathLike[str], data: bytes | str) -> None:
    """A small file written whole (this PC's settings, audit anchors, key files): owner-only, to '<path>.part',
    flushed to disk and renamed over `path`; on any error the .part is gone and `path` is as it was."""
    target = Path(path)
    part = Path(f"{target}.part")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        _fresh_private(part)
        with open(part, "r+b") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, opened_in: str) -> Iterator[Path]:
    """Yields the .part path to write (already made, owner-only); on success it is flushed to disk and replaces
    `path`, on any error removed.

    `opened_in` names the programs that may hold the target open (SPREADSHEET_PROGRAMS, PDF_PROGRAMS)."""
    target = Path(path)
    part = Path(f"{target}.part")
    try:
        with noted(part):
            _fresh_private(part)
            yield part
            with open(part, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(part, target)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        if isinstance(exc, PermissionError):
            raise AdultSchoolError(
                f"无法保存“{target.name}”：文件可能正在 {opened_in} 中打开，或没有写入权限。"
                "请关闭该文件或换一个保存位置后重试。"
            ) from exc
        if isinstance(exc, OSError):
            raise AdultSchoolError(
                f"无法保存“{target.name}”：{os_error_text(exc)}。请检查磁盘空间和保存位置后重试。"
            ) from exc
        raise
