"""Files that carry full ID numbers out of the program: how each one is protected, and the `id.reveal` audit entry
every one of them writes (what, how many, the file name, who); and the access log that lists those entries for the
district or an inspector (PIPL Art. 51: access rights, encryption).

A list is written in one of three forms (`Protection`): a password-protected workbook (Excel's own 加密文档, with a
password the program makes up and shows once, to be told by phone), a plain one (to print here), or a masked one (first
6 and last 4 digits, phones masked), which needs no permission beyond seeing learners and writes no reveal entry.
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Sequence

from sqlalchemy.orm import Session

from adultschool import idcard
from adultschool.errors import AdultSchoolError
from adultschool.services import audit, audit_log, permissions
from adultschool.services.audit_log import AuditFilter
from adultschool.xlsx import new_password, write_table


class Protection(str, enum.Enum):
    PASSWORD = "password"
    PLAIN = "plain"
    MASKED = "masked"

    @property
    def label(self) -> str:
        return {"password": "有密码保护", "plain": "未加密（完整身份证号码）", "masked": "身份证号码已遮挡"}[self.value]

    @property
    def full_ids(self) -> bool:
        return self is not Protection.MASKED


def parse_protection(text: str | Protection) -> Protection:
    try:
        return Protection(text)
    except ValueError:
        raise AdultSchoolError(f"“{text}”不是可用的保护方式：请用 password（加密）、plain（不加密）或 masked（遮挡）。") from None


@dataclass(frozen=True)
class Exported:
    """A file written: where, how many people (or rows) it lists, how it is protected, and its password (shown once,
    stored nowhere)."""

    path: Path
    count: int
    protection: Protection
    password: str | None = None

    def lines(self) -> list[str]:
        """What the clerk is told after the file is written (the CLI prints it, the window shows it)."""
        if self.password is not None:
            return [f"文件已加密，打开密码：{self.password}",
                    "密码只显示这一次，程序不保存：请记下，另行告诉收件人（打电话或当面），不要和文件一起发送。"]
        if self.protection is Protection.MASKED:
            return ["身份证号码只显示前 6 位和后 4 位，电话号码已遮挡。"]
        return ["注意：这个文件没有加密，里面有完整身份证号码，请不要通过电子邮件或聊天软件发送。"]


def start(session: Session, actor: str | None, protection: Protection) -> str | None:
    """The check before a list is gathered: full ID numbers need the permission; returns the password to use."""
    if protection.full_ids:
        permissions.require(session, actor, permissions.Permission.VIEW_FULL_ID)
    else:
        permissions.require(session, actor, permissions.Permission.VIEW_LEARNERS)
    return new_password() if protection is Protection.PASSWORD else None


def finish(session: Session, actor: str | None, *, what: str, path: Path, count: int, protection: Protection,
           password: str | None, student_numbers: Sequence[str] | None = None) -> Exported:
    """After the file is written (in the same transaction): its one `id.reveal` entry, unless the IDs are masked."""
    if protection.full_ids:
        permissions.reveal(session, actor, what=what, count=count, student_numbers=student_numbers,
                           file=Path(path).name, protected=password is not None)
    return Exported(Path(path), count, protection, password)


def shown_id(id_number: str, protection: Protection) -> str:
    return id_number if protection.full_ids else idcard.mask(id_number)


# --- the access log ------------------------------------------------------------------------------------------------

ACCESS_HEADERS = ("时间", "账户", "内容", "个数", "文件", "加密", "学籍号")


@dataclass(frozen=True)
class AccessRow:
    at: datetime  # UTC
    actor: str
    what: str
    count: int
    file: str | None
    protected: bool | None  # None: shown on screen, not written to a file
    student_numbers: tuple[str, ...]

    def cells(self) -> list[object]:
        return [self.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), self.actor, self.what, self.count,
                self.file or "（屏幕显示）", "" if self.protected is None else ("是" if self.protected else "否"),
                "、".join(self.student_numbers)]


def access_rows(session: Session, *, actor: str | None, since: date | None = None,
                until: date | None = None) -> list[AccessRow]:
    """Every time full ID numbers were shown or exported (the `id.reveal` entries), oldest first."""
    entries = audit_log.list_entries(session, AuditFilter(action="id.reveal", since=since, until=until), actor=actor)
    rows = []
    for entry in reversed(entries):
        after = json.loads(entry.after) if entry.after else {}
        rows.append(AccessRow(entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=timezone.utc), entry.actor,
                              str(after.get("what", entry.summary)), int(after.get("count") or 0), after.get("file"),
                              after.get("protected") if "file" in after else None,
                              tuple(after.get("student_numbers") or ())))
    return rows


def export_access_log(session: Session, out: Path, *, actor: str | None, since: date | None = None,
                      until: date | None = None) -> Exported:
    """访问记录: who saw or exported full ID numbers, when and how many, as a workbook for the district or an inspector
    (it names files and student numbers, no ID numbers). Administrators only; the export itself is audited."""
    who = permissions.require(session, actor, permissions.Permission.VIEW_AUDIT)
    rows = access_rows(session, actor=actor, since=since, until=until)
    span = f"{since or '最早'} 至 {until or '今天'}"
    write_table(out, title=f"查看和导出完整身份证号码的记录（{span}）", headers=ACCESS_HEADERS,
                rows=[r.cells() for r in rows], widths=(20, 14, 30, 8, 36, 6, 40))
    audit.record(session, actor=who.name, action="audit.access_log", entity="audit_entries",
                 summary=f"导出身份证号码访问记录：{len(rows)} 条（{span}），文件“{Path(out).name}”",
                 after={"rows": len(rows), "since": since, "until": until, "file": Path(out).name})
    return Exported(Path(out), len(rows), Protection.MASKED)
