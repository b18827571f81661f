"""Files the program writes for people (workbooks, PDFs): written to '<path>.part' and renamed over the target only
when complete (STYLE.md, habit 3), so a failure or a cancel leaves neither a .part nor a half-written file behind."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adultschool.errors import AdultSchoolError

# Who may be holding a file open when it cannot be replaced, for the message.
SPREADSHEET_PROGRAMS = "Excel 或 WPS"
PDF_PROGRAMS = "PDF 阅读器或 WPS"


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, opened_in: str) -> Iterator[Path]:
    """Yields the .part path to write; on success it is flushed to disk and replaces `path`, on any error removed.

    `opened_in` names the programs that may hold the target open (SPREADSHEET_PROGRAMS, PDF_PROGRAMS)."""
    target = Path(path)
    part = Path(f"{target}.part")
    try:
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
                f"无法保存“{target.name}”：{exc.strerror or exc}。请检查磁盘空间和保存位置后重试。"
            ) from exc
        raise
