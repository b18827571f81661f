"""Quota progress per township and responsible school (R8), with R14 counts and survey progress (R9): the district's
monthly progress table (每月统计晾晒) and, at a school, the same figures for the townships it serves.

A registration counts in the quota year whose enrolment deadline it met (R7): that year is fixed at registration
(`enrolments.quota_year`). Withdrawn enrolments do not count. Registrations and R14 counts are cumulative up to the
end of the chosen month; statuses (studying, applied, passed, graduated) are as they stand when the report is made,
and readiness is computed as of the end of the month (or today, for the current month).
"""
from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.models import (
    CLOSED_STATUSES,
    CountKind,
    Enrolment,
    EnrolmentStatus,
    Learner,
    School,
    SiteKind,
    Township,
    TownshipCount,
    TownshipQuota,
    Willingness,
)
from adultschool.services import audit, permissions, site
from adultschool.services.readiness import readiness
from adultschool.xlsx import TableSheet, write_tables

STUDYING = (EnrolmentStatus.ACTIVE, EnrolmentStatus.READY)


@dataclass(frozen=True)
class TownshipProgress:
    township: str
    school_code: str
    school_name: str
    quota: int | None
    registered: int  # counted toward this year's quota up to the month's end
    registered_this_month: int
    studying: int
    ready: int
    applied: int
    passed: int  # passed the exam, graduated or not
    graduated: int
    college_referrals: int  # R14
    training_person_times: int  # R14
    surveyed: int  # R9
    willing: int
    surveyed_registered: int

    @property
    def completion(self) -> float | None:
        return self.registered / self.quota if self.quota else None


@dataclass(frozen=True)
class QuotaReport:
    year: int
    month: int
    as_of: date
    townships: list[TownshipProgress]

    def totals(self) -> TownshipProgress:
        def total(name: str) -> int:
            return sum(getattr(t, name) or 0 for t in self.townships)
        quotas = [t.quota for t in self.townships if t.quota is not None]
        return TownshipProgress(
            "合计", "", "", sum(quotas) if quotas else None,
            *(total(n) for n in ("registered", "registered_this_month", "studying", "ready", "applied", "passed",
                                 "graduated", "college_referrals", "training_person_times", "surveyed", "willing",
                                 "surveyed_registered")))


NO_TOWNSHIP = "（未填街道/镇）"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def quota_progress(session: Session, *, year: int, month: int, today: date | None = None) -> QuotaReport:
    today = today or clock.today()
    first, last = month_bounds(year, month)
    as_of = min(last, today) if first <= today else last
    # id, name, and its school's code and name (None: no school, or the line of registrations without a township)
    townships: Sequence[tuple[int | None, str, str | None, str | None]] = session.execute(
        select(Township.id, Township.name, School.code, School.name).outerjoin(School, School.id == Township.school_id)
        .order_by(Township.name_sort)).all()
    quotas = dict(session.execute(select(TownshipQuota.township_id, TownshipQuota.quota).where(TownshipQuota.year == year)).all())

    registered: dict[int | None, int] = defaultdict(int)
    this_month: dict[int | None, int] = defaultdict(int)
    by_status: dict[tuple[int | None, EnrolmentStatus], int] = defaultdict(int)
    township_of: dict[int, int | None] = {}
    for enrolment_id, township_id, status, registered_on in session.execute(
        select(Enrolment.id, Enrolment.township_id, Enrolment.status, Enrolment.registered_on)
        .where(Enrolment.quota_year == year, Enrolment.status.not_in(CLOSED_STATUSES), Enrolment.registered_on <= last)
    ):
        township_of[enrolment_id] = township_id
        registered[township_id] += 1
        if registered_on >= first:
            this_month[township_id] += 1
        by_status[(township_id, status)] += 1
    ready: dict[int | None, int] = defaultdict(int)
    for row in readiness(session, as_of):
        if row.ready and row.enrolment_id in township_of:
            ready[township_of[row.enrolment_id]] += 1

    counts: dict[tuple[int | None, CountKind], int] = defaultdict(int)
    for township_id, kind, total in session.execute(
        select(TownshipCount.township_id, TownshipCount.kind, func.sum(TownshipCount.count))
        .where(TownshipCount.year == year, TownshipCount.month <= month)
        .group_by(TownshipCount.township_id, TownshipCount.kind)
    ):
        counts[(township_id, kind)] = int(total or 0)

    enrolled = select(Enrolment.learner_id).where(Enrolment.status.not_in(CLOSED_STATUSES)).scalar_subquery()
    survey: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for township_id, willingness, has_enrolment in session.execute(
        select(Learner.township_id, Learner.willingness, Learner.id.in_(enrolled))
        .where(Learner.surveyed_on.is_not(None), Learner.surveyed_on <= last)
    ):
        figures = survey[township_id]
        figures[0] += 1
        figures[1] += willingness == Willingness.YES
        figures[2] += bool(has_enrolment)

    rows = []
    # Registrations that name no township still count in the totals, on a line of their own that says what to mend
    # (learners correct --township, or 学籍处理 → 更正学籍).
    if registered.get(None) or survey.get(None):
        townships = [*townships, (None, NO_TOWNSHIP, None, None)]
    for township_id, name, school_code, school_name in townships:
        studying = sum(by_status[(township_id, s)] for s in STUDYING)
        surveyed, willing, surveyed_registered = survey.get(township_id, [0, 0, 0])
        rows.append(TownshipProgress(
            name, school_code or "", school_name or "", quotas.get(township_id) if township_id is not None else None,
            registered[township_id],
            this_month[township_id], studying, ready[township_id], by_status[(township_id, EnrolmentStatus.EXAM_APPLIED)],
            # 考试通过 counts everyone who passed, those since graduated too (a graduate passed first)
            by_status[(township_id, EnrolmentStatus.PASSED)] + by_status[(township_id, EnrolmentStatus.GRADUATED)],
            by_status[(township_id, EnrolmentStatus.GRADUATED)],
            counts[(township_id, CountKind.COLLEGE_REFERRAL)], counts[(township_id, CountKind.SKILLS_TRAINING)],
            surveyed, willing, surveyed_registered,
        ))
    return QuotaReport(year, month, as_of, rows)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


PROGRESS_HEADERS = ("排名", "街道/镇", "责任学校", "任务数", "累计报名", "本月报名", "完成率", "在读", "可报考", "已申请考试",
                    "考试通过", "已毕业", "推荐大专及以上", "职业技能培训人次", "排摸人数", "有意愿", "排摸后已报名")


def progress_rows(report: QuotaReport) -> list[list[object]]:
    """Townships ranked by completion (those without a quota last), then the total line."""
    ranked = sorted(report.townships, key=lambda t: (t.completion is None, -(t.completion or 0), t.township))
    rows: list[list[object]] = []
    for rank, t in enumerate(ranked, start=1):
        rows.append([rank if t.completion is not None else "", t.township, t.school_name or t.school_code, t.quota,
                     t.registered, t.registered_this_month, _percent(t.completion), t.studying, t.ready, t.applied,
                     t.passed, t.graduated, t.college_referrals, t.training_person_times, t.surveyed, t.willing,
                     t.surveyed_registered])
    total = report.totals()
    rows.append(["", total.township, "", total.quota, total.registered, total.registered_this_month,
                 _percent(total.completion), total.studying, total.ready, total.applied, total.passed, total.graduated,
                 total.college_referrals, total.training_person_times, total.surveyed, total.willing,
                 total.surveyed_registered])
    return rows


def write_quota_report(session: Session, out: Path, *, year: int, month: int, job: JobContext | None = None,
                       today: date | None = None) -> QuotaReport:
    """The workbook: the progress table, and at the district which schools have (not) sent a package that month."""
    job = job or NullJob()
    info = site.get_site(session)
    report = quota_progress(session, year=year, month=month, today=today)
    sheets = [TableSheet(f"{info.name} {year}年{month}月 学历提升任务完成情况（截至 {report.as_of.isoformat()}）",
                         PROGRESS_HEADERS, progress_rows(report), sheet_name="任务完成情况")]
    if info.kind is SiteKind.DISTRICT:
        from adultschool.services import district_status  # the district's package tables: only for its workbook

        statuses = district_status.school_statuses(session, date(year, month, 1))
        sheets.append(TableSheet(
            f"{year}年{month}月 数据包报送情况", ("学校代码", "学校", "本月已报送", "最近一次序号", "最近收到", "缺少的序号", "待处理冲突"),
            [[s.code, s.name, "是" if s.sent_this_month else "否", s.last_sequence,
              s.last_received_at.strftime("%Y-%m-%d %H:%M") if s.last_received_at else "从未收到",
              s.missing.text(), s.open_conflicts] for s in statuses],
            text_columns=("学校代码",), sheet_name="报送情况"))
    write_tables(out, sheets, job=job)
    return report


def record_count(session: Session, *, township: str, year: int, month: int, kind: CountKind, count: int,
                 note: str | None, actor: str) -> None:
    """R14: a school's count for a township and month (replaces what was entered for that month before)."""
    permissions.require(session, actor, permissions.Permission.REGISTER)
    info = site.require_school(session)
    if count < 0:
        raise AdultSchoolError("人数不能为负数。")
    if not 1 <= month <= 12:
        raise AdultSchoolError(f"月份 {month} 不对，应为 1 到 12。")
    place = site.find_township(session, township)
    row = session.execute(select(TownshipCount).where(
        TownshipCount.school_id == info.school_id, TownshipCount.township_id == place.id, TownshipCount.year == year,
        TownshipCount.month == month, TownshipCount.kind == kind)).scalar()
    before = row.count if row else None
    if row is None:
        session.add(TownshipCount(school_id=info.school_id, township_id=place.id, year=year, month=month, kind=kind,
                                  count=count, note=note))
    else:
        row.count, row.note = count, note
    audit.record(session, actor=actor, action="township.count", entity="township_counts", entity_uuid=place.uuid,
                 summary=f"{place.name} {year}年{month}月 {kind.label}", before={"count": before}, after={"count": count})
