"""Results the district scores centrally: imported at the district from the same kind of sheet a school imports
(学籍号 or 身份证号码, 课程, 成绩, 考试日期), kept per school and sent to each school in the district's package, where
they are recorded as the school's own results (and come back to the district in the school's next package).

Re-importing a file changes nothing; a corrected score for the same course and date replaces the one kept; a file's
results can be taken back (`remove_source`) — a school that already applied them undoes its import there.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.errors import AdultSchoolError, Where
from adultschool.jobs import JobContext, NullJob
from adultschool.models import (
    CLOSED_STATUSES,
    DistrictResult,
    Enrolment,
    ExamMark,
    Learner,
    Level,
    School,
    SiteKind,
)
from adultschool.services import audit, permissions, site
from adultschool.services.exam_results import RESULT_COLUMNS, RESULT_LABELS, read_result_row
from adultschool.services.rules import load_rules
from adultschool.services.sheet_import import ImportReport, RowSink, open_report, rows_with_progress
from adultschool.xlsx import read_table


@dataclass(frozen=True)
class ResultForSchool:
    student_number: str
    name: str
    course: str
    mark: ExamMark
    score: float | None
    exam_date: date | None

    @property
    def score_text(self) -> str:
        return f"{self.score:g}" if self.mark is ExamMark.SCORED and self.score is not None else self.mark.label


def _require_district(session: Session) -> None:
    if site.get_site(session).kind is not SiteKind.DISTRICT:
        raise AdultSchoolError("这是学校的数据库：分中心统一阅卷的成绩要在分中心的数据库里导入。")


def import_results(session: Session, path: Path, *, actor: str, dry_run: bool = False, job: JobContext | None = None,
                   today: date | None = None, mapping: dict[str, str] | None = None) -> ImportReport:
    """At the district: scores for learners of its schools (as merged from their packages), kept for each school's
    next district package. Rows for unknown or closed enrolments, wrong levels, names that differ, scores out of
    range or dates after today are rejected with their sheet row; the rest is kept in one transaction."""
    job = job or NullJob()
    permissions.require(session, actor, permissions.Permission.EXAMS)
    _require_district(session)
    rules = load_rules(session)
    today = today or clock.today()
    sheets = read_table(path, job=job)
    report, sheet, header = open_report(session, "results", sheets, RESULT_COLUMNS, path, dry_run=dry_run,
                                        mapping=mapping)
    if "id_number" not in header.columns and "student_number" not in header.columns:
        raise AdultSchoolError(f"“{report.file}”缺少“身份证号码”或“学籍号”列，无法知道是哪位学员。")
    sink = RowSink(report, header, RESULT_LABELS)
    by_number: dict[str, tuple[str, str, Level]] = {}  # student number → (student number, name, level)
    by_person: dict[str, dict[Level, tuple[str, str]]] = {}  # ID → level → (student number, name)
    school_of: dict[str, str] = {}
    for enrolled_number, id_number, name, level, school_code in session.execute(
        select(Enrolment.student_number, Learner.id_number, Learner.name, Enrolment.level, School.code)
        .join(Learner, Learner.id == Enrolment.learner_id).join(School, School.id == Enrolment.school_id)
        .where(Enrolment.status.not_in(CLOSED_STATUSES))
    ):
        by_number[enrolled_number] = (enrolled_number, name, level)
        by_person.setdefault(id_number, {})[level] = (enrolled_number, name)
        school_of[enrolled_number] = school_code
    kept: dict[tuple[str, str, date | None], tuple[int, ResultForSchool, str]] = {}
    for number, cells in rows_with_progress(sheet, header, report, job, "检查成绩"):
        def where(name: str) -> Where:
            return Where(sheet.name, number, header.labels.get(name))  # noqa: B023 - called only while this row is read

        try:
            row = read_result_row(cells, header, where, rules, today, by_number, by_person,
                                  unknown_number="分中心汇总的数据里没有在读的学籍号 {number}。",
                                  unknown_person="分中心汇总的数据里没有身份证号码为 {masked} 的在读学员。")
        except AdultSchoolError as exc:
            sink.reject_error(number, cells, exc)
            continue
        student_number, name, course, mark, score, exam_date = (
            row.key, row.name, row.course, row.mark, row.score, row.exam_date)
        key = (student_number, course, exam_date)
        if key in kept:
            sink.reject(number, cells, "course", f"与第 {kept[key][0]} 行是同一学员同一科目同一日期的成绩（保留第一行）。")
            continue
        kept[key] = (number, ResultForSchool(student_number, name, course, mark, score, exam_date),
                     school_of[student_number])

    savepoint = session.begin_nested() if dry_run else None
    existing = {(r.student_number, r.course, r.exam_date): r for r in session.execute(select(DistrictResult)).scalars()}
    schools: dict[str, int] = {}
    for key, (_number, result, school_code) in kept.items():
        old = existing.get(key)
        report.imported += 1
        if old is None:
            session.add(DistrictResult(school_code=school_code, student_number=result.student_number, name=result.name,
                                       course=result.course, mark=result.mark, score=result.score,
                                       exam_date=result.exam_date, source=report.file, recorded_by=actor))
        elif (old.mark, old.score) != (result.mark, result.score):
            old.mark, old.score, old.source, old.recorded_by = result.mark, result.score, report.file, actor
            old.recorded_at = clock.now()
        else:
            continue
        report.updated += 1
        schools[school_code] = schools.get(school_code, 0) + 1
    session.flush()
    if schools:
        audit.record(session, actor=actor, action="exam.district_results", entity="district_results",
                     summary=f"分中心成绩导入（{report.file}）：{report.updated} 条，涉及 {len(schools)} 所学校",
                     after={"file": report.file, "per_school": schools})
    report.rejected.sort(key=lambda p: p.row)
    if savepoint is not None:
        savepoint.rollback()
    return report


def results_for_school(session: Session, school_code: str) -> list[ResultForSchool]:
    """At the district: every result it recorded for the school's learners, in student-number order."""
    return [
        ResultForSchool(r.student_number, r.name, r.course, r.mark, r.score, r.exam_date)
        for r in session.execute(select(DistrictResult).where(DistrictResult.school_code == school_code)
                                 .order_by(DistrictResult.student_number, DistrictResult.course,
                                           DistrictResult.exam_date)).scalars()
    ]


@dataclass(frozen=True)
class ResultSource:
    file_name: str
    results: int
    schools: int
    recorded_at: datetime | None  # the latest of its rows (max() of none would be NULL)


def sources(session: Session) -> list[ResultSource]:
    """At the district: the files its results came from, newest first (what `remove_source` can take back)."""
    return [ResultSource(name, count, schools, at) for name, count, schools, at in session.execute(
        select(DistrictResult.source, func.count(), func.count(DistrictResult.school_code.distinct()),
               func.max(DistrictResult.recorded_at))
        .group_by(DistrictResult.source).order_by(func.max(DistrictResult.recorded_at).desc()))]


def counts_by_school(session: Session) -> dict[str, int]:
    return dict(session.execute(select(DistrictResult.school_code, func.count()).group_by(DistrictResult.school_code)).all())


def remove_source(session: Session, file_name: str, *, reason: str, actor: str) -> int:
    """At the district: takes back every result that came from `file_name` (a wrong file); schools that already
    applied them undo their import (学员 → 导入记录与撤销). Returns how many were removed."""
    permissions.require(session, actor, permissions.Permission.EXAMS)
    _require_district(session)
    if not (reason or "").strip():
        raise AdultSchoolError("请写明撤回这些成绩的原因。", field="reason")
    per_school = dict(session.execute(select(DistrictResult.school_code, func.count())
                                      .where(DistrictResult.source == file_name)
                                      .group_by(DistrictResult.school_code)).all())
    total = sum(per_school.values())
    if not total:
        known = "、".join(sorted(set(session.execute(select(DistrictResult.source)).scalars()))) or "（还没有）"
        raise AdultSchoolError(f"没有来自文件“{file_name}”的成绩。已导入的文件：{known}。", field="file")
    session.execute(delete(DistrictResult).where(DistrictResult.source == file_name))
    audit.record(session, actor=actor, action="exam.district_results.remove", entity="district_results",
                 summary=f"撤回分中心成绩（{file_name}）：{total} 条，原因：{reason.strip()}",
                 before={"file": file_name, "per_school": per_school})
    return total
