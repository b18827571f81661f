"""首页: what the clerk has to do today, each line naming the page that acts on it.

Sessions to take roll for today, learners who become ready within the coming days and what they are short of, this
month's data package (not made yet, or not confirmed by the district), the year's registration deadline, each
township's quota progress, and the newest automatic backup with the reminder to copy one to a USB stick.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import paths
from adultschool.db import backup as backups
from adultschool.models import Attendance, ClassSession, SyncExport
from adultschool.services import classes, quotas
from adultschool.services.readiness import readiness
from adultschool.services.rules import load_rules

SOON_DAYS = 30
NAMED = 5  # learners named on one line; the page lists them all


@dataclass(frozen=True)
class HomeLine:
    section: str  # 今天上课, 即将可报考, 数据上报, 截止日期, 任务进度, 备份
    text: str
    target: str  # the window's page title, or "backup"
    class_id: int | None = None
    session_id: int | None = None
    warning: bool = False


def _sessions_today(session: Session, today: date) -> list[HomeLine]:
    names = {info.id: info.name for info in classes.list_classes(session)}
    lines = []
    for lesson in session.execute(select(ClassSession).where(ClassSession.held_on == today)
                                  .order_by(ClassSession.starts_at)).scalars():
        marked = session.execute(select(func.count()).select_from(Attendance)
                                 .where(Attendance.session_id == lesson.id)).scalar_one()
        state = "还没有点名" if not marked else f"已点名 {marked} 人"
        course = f" {lesson.course}" if lesson.course else ""
        lines.append(HomeLine("今天上课", f"{names.get(lesson.class_id, '')}{course} {lesson.hours:g} 课时：{state}",
                              "考勤", lesson.class_id, lesson.id, warning=not marked))
    if not lines:
        lines.append(HomeLine("今天上课", "今天没有登记的课。要上课，请在“考勤”页点“今天上课…”。", "考勤"))
    return lines


def _soon(session: Session, today: date, days: int) -> list[HomeLine]:
    rows = readiness(session, today)
    ready = sum(1 for r in rows if r.ready)
    # (the day each becomes ready, the row): those whom time alone makes ready within `days`, soonest first
    soon = sorted(((r.ready_on, r) for r in rows if not r.ready and r.ready_on is not None
                   and 0 < (r.ready_on - today).days <= days), key=lambda pair: pair[0])
    lines = [HomeLine("即将可报考", f"现在可报考 {ready} 人。", "可报考")]
    if not soon:
        lines.append(HomeLine("即将可报考", f"{days} 天内没有将满报考条件的学员。", "可报考"))
        return lines
    lines.append(HomeLine("即将可报考", f"{days} 天内将满报考条件 {len(soon)} 人：", "可报考"))
    for ready_on, row in soon[:NAMED]:
        short = "；".join(row.missing) if row.missing else "学习时限未满"  # each names what is short
        lines.append(HomeLine("即将可报考", f"　{row.name}（{row.student_number}）{ready_on.isoformat()} 可报考；{short}",
                              "可报考"))
    if len(soon) > NAMED:
        lines.append(HomeLine("即将可报考", f"　……另有 {len(soon) - NAMED} 人，见“可报考”页", "可报考"))
    return lines


def _package(session: Session, today: date) -> list[HomeLine]:
    first = today.replace(day=1)
    exports = session.execute(select(SyncExport).order_by(SyncExport.sequence)).scalars().all()
    this_month = [e for e in exports if e.created_at is not None and e.created_at.date() >= first]
    unconfirmed = [e.sequence for e in exports if e.confirmed_at is None]
    lines = []
    if this_month:
        lines.append(HomeLine("数据上报", f"本月已报送数据包 {len(this_month)} 个（最近第 {this_month[-1].sequence} 号）。", "数据上报"))
    else:
        lines.append(HomeLine("数据上报", f"{today.month} 月的数据包还没有报送。", "数据上报", warning=True))
    if unconfirmed:
        numbers = "、".join(str(n) for n in unconfirmed)
        lines.append(HomeLine("数据上报", f"分中心还没确认的数据包：第 {numbers} 号（收到回执后在“数据上报”页读入）。", "数据上报",
                              warning=True))
    return lines


def _deadline(session: Session, today: date) -> list[HomeLine]:
    deadline = load_rules(session).enrolment_deadline(today.year)
    if today > deadline:
        return [HomeLine("截止日期", f"{today.year} 年的报名截止日 {deadline.isoformat()} 已过。", "学员")]
    left = (deadline - today).days
    return [HomeLine("截止日期", f"{today.year} 年报名截止：{deadline.isoformat()}（还有 {left} 天）", "学员",
                     warning=left <= 14)]


def _quotas(session: Session, today: date) -> list[HomeLine]:
    report = quotas.quota_progress(session, year=today.year, month=today.month, today=today)
    lines = []
    for t in report.townships:
        share = f"，完成 {t.completion * 100:.0f}%" if t.completion is not None else "，任务数未定"
        quota = t.quota if t.quota is not None else "—"
        lines.append(HomeLine("任务进度", f"{t.township}：报名 {t.registered} / 任务 {quota}{share}", "学员"))
    return lines or [HomeLine("任务进度", "还没有街道/镇：请在“设置 → 街道/镇”里添加。", "学员")]


def _backup(db_path: Path | None, backup_dir: Path | None) -> list[HomeLine]:
    reminder = HomeLine("备份", "请定期用“文件 → 立即备份…”把数据库备份到 U 盘，U 盘放在别处。", "backup")
    if db_path is None:
        return [HomeLine("备份", "数据库在服务器上：备份由服务器管理员负责。", "backup")]
    found = backups.list_backups(backup_dir or paths.backup_dir(), db_path.stem)
    if not found:
        return [HomeLine("备份", "本机还没有这个数据库的备份（每次正常退出后自动备份一份）。", "backup", warning=True), reminder]
    newest = found[0]
    return [HomeLine("备份", f"最近一次自动备份：{newest.taken_at:%Y-%m-%d %H:%M}（{newest.path.name}）", "backup"), reminder]


def home_lines(session: Session, *, today: date, db_path: Path | None, soon_days: int = SOON_DAYS,
               backup_dir: Path | None = None) -> list[HomeLine]:
    return [*_sessions_today(session, today), *_soon(session, today, soon_days), *_package(session, today),
            *_deadline(session, today), *_quotas(session, today), *_backup(db_path, backup_dir)]
