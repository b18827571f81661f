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
