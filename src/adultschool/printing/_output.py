"""Write a PDF to '<path>.part' and rename it over the target only when complete (STYLE.md, habit 3).

A failure or a cancel leaves neither the .part nor a half-written target behind.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adultschool.errors import AdultSchoolError


@contextmanager
def atomic_pdf(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield the .part path to write; on success it replaces `path`, on any error it is removed."""
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
                f"无法保存“{target.name}”：文件可能正在 PDF 阅读器或 WPS 中打开，或没有写入权限。"
                "请关闭该文件或换一个保存位置后重试。"
            ) from exc
        if isinstance(exc, OSError):
            raise AdultSchoolError(
                f"无法保存“{target.name}”：{exc.strerror or exc}。请检查磁盘空间和保存位置后重试。"
            ) from exc
        raise
