"""The one error type a person sees: a Chinese sentence they can act on, and where it happened.

Everything that is not an AdultSchoolError is a bug and is reported as such by the CLI and the GUI.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Where:
    """A place in an input file: sheet name, 1-based sheet row number, column header."""

    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def describe(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"“{self.column}”列")
        return "，".join(parts)


class AdultSchoolError(Exception):
    """A problem a clerk can fix: `message` is Chinese, `where` points into the input if any."""

    def __init__(self, message: str, where: Where | None = None, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        # The input field (code name, e.g. "id_number") the message is about, for forms.
        self.field = field

    def __str__(self) -> str:
        if self.where is not None and self.where.describe():
            return f"{self.where.describe()}：{self.message}"
        return self.message


class Cancelled(AdultSchoolError):
    """Raised by JobContext.check_cancelled(); the transaction rolls back."""

    def __init__(self) -> None:
        super().__init__("操作已取消，数据库没有任何改动。")


# What the operating system said, in Chinese: Python's texts ("No such file or directory") are English on every PC.
_ERRNO_TEXT = {
    "ENOENT": "找不到这个文件或文件夹",
    "EACCES": "没有权限（文件可能正被其他程序打开，或文件夹只读）",
    "EPERM": "没有权限（文件可能正被其他程序打开，或文件夹只读）",
    "ENOSPC": "磁盘空间不足",
    "EROFS": "磁盘或 U 盘是只读的（写保护）",
    "EEXIST": "已经有同名的文件",
    "EISDIR": "这是一个文件夹，不是文件",
    "ENOTDIR": "路径中有一段不是文件夹",
    "EBUSY": "文件正被使用",
    "EIO": "读写出错（U 盘或硬盘可能有问题）",
    "ENAMETOOLONG": "文件名或路径太长",
    "EINVAL": "文件名无效（不能含 \\ / : * ? \" < > |）",
    "ENODEV": "找不到这个磁盘（U 盘可能已拔出）",
    "ENXIO": "找不到这个磁盘（U 盘可能已拔出）",
    "EMFILE": "打开的文件太多，请关闭一些程序后再试",
    "ETIMEDOUT": "网络磁盘没有响应",
    "EHOSTUNREACH": "连不上网络磁盘",
}
_WINERROR_TEXT = {
    32: "文件正被其他程序使用（例如在 Excel 或 WPS 里打开着），请关掉它再试",
    33: "文件的一部分被其他程序锁定，请关掉使用它的程序再试",
    21: "磁盘没有准备好（U 盘可能已拔出）",
    53: "找不到网络路径",
    1392: "文件或文件夹已损坏，无法读取",
}


def os_error_text(exc: OSError) -> str:
    """A Chinese sentence for what went wrong with a file (the name is the caller's to give)."""
    import errno  # small, and only when something went wrong

    winerror = getattr(exc, "winerror", None)
    if winerror in _WINERROR_TEXT:
        return _WINERROR_TEXT[winerror]
    name = errno.errorcode.get(exc.errno or -1)
    if name in _ERRNO_TEXT:
        return _ERRNO_TEXT[name]
    detail = exc.strerror or type(exc).__name__
    return f"系统报告的错误：{detail}"
