"""Exam results (R4, R5): importing the scores the district returns, what each enrolment has passed (a course counts
as passed when any attempt reached the rules' pass mark), and the statuses that follow — passed, back to studying for
a retake, or a graduate's certificate revoked when a corrected score fails a course it rested on.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Generic, Mapping, Sequence, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import clock, idcard, synonyms
from adultschool.errors import AdultSchoolError, Where
from adultschool.jobs import JobContext, NullJob
from adultschool.models import (
    CLOSED_STATUSES,
    Enrolment,
    EnrolmentStatus,
    ExamApplication,
    ExamMark,
    ExamResult,
    Learner,
    Level,
    SiteKind,
)
from adultschool.services import audit, certificates, permissions
from adultschool.services.journal import Journal
from adultschool.services.registration import CHUNK, mask_name
from adultschool.services.rules import load_rules
from adultschool.services.sheet_import import ImportReport, RowSink, cell, keep_mapping, open_report, rows_with_progress
from adultschool.services.site import get_site, require_school
from adultschool.services.study import match_course
from adultschool.rule_defaults import Rules
from adultschool.textnorm import clean_name, clean_token
from adultschool.xlsx import Column, HeaderMatch, Sheet, cell_text, date_value, id_text, read_table


def required_courses(rules: Rules, level: Level) -> tuple[str, ...]:
    """R5: the academic courses of the level, from the rules table."""
    return rules.courses(level.value)


def passed_courses(session: Session, enrolment_ids: Sequence[int]) -> dict[int, set[str]]:
    return {e: set(courses) for e, courses in passing_dates(session, enrolment_ids).items()}


def passing_dates(session: Session, enrolment_ids: Sequence[int]) -> dict[int, dict[str, list[date]]]:
    """Per enrolment, each passed course and the days it was passed: the exam date, or the day the result was
    entered when the sheet gave no date."""
    found: dict[int, dict[str, list[date]]] = {}
    for start in range(0, len(enrolment_ids), CHUNK):
        for enrolment_id, course, exam_date, created_at in session.execute(
            select(ExamResult.enrolment_id, ExamResult.course, ExamResult.exam_date, ExamResult.created_at)
            .where(ExamResult.enrolment_id.in_(enrolment_ids[start:start + CHUNK]), ExamResult.passed.is_(True))
        ):
            found.setdefault(enrolment_id, {}).setdefault(course, []).append(exam_date or created_at.date())
    return found


RESULT_COLUMNS: tuple[Column, ...] = synonyms.with_aliases("results", (
    Column("id_number", "身份证号码", ("身份证号", "公民身份号码", "身份证")),
    Column("student_number", "学籍号", ("学号",)),
    Column("name", "姓名", ("学员姓名", "考生姓名")),
    Column("course", "课程", ("科目", "考试科目", "课程名称"), required=True),
    Column("score", "成绩", ("分数", "考试成绩", "得分"), required=True),
    Column("exam_date", "考试日期", ("日期",)),
))
RESULT_LABELS = {c.field: c.label for c in RESULT_COLUMNS}
SCORE_MARKS = {"缺考": ExamMark.ABSENT, "缺": ExamMark.ABSENT, "作弊": ExamMark.CHEATING, "违纪": ExamMark.CHEATING}


def parse_score(value: object, where: Where) -> tuple[ExamMark, float | None]:
    text = clean_token(cell_text(value))
    if text is None:
        raise AdultSchoolError("成绩为空：请填写 0–100 的分数，或“缺考”“作弊”。", where, field="score")
    if text in SCORE_MARKS:
        return SCORE_MARKS[text], None
    # '75分' as marked by hand: the unit is dropped, the number kept (nothing else is taken off).
    number = text[:-1].strip() if text.endswith("分") else text
    try:
        score = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float(number)
    except ValueError:
        raise AdultSchoolError(f"成绩“{text}”无法识别：请填写 0–100 的分数，或“缺考”“作弊”。", where, field="score") from None
    if not 0 <= score <= 100:
        raise AdultSchoolError(f"成绩 {score:g} 不在 0–100 之间。", where, field="score")
    return ExamMark.SCORED, score


@dataclass(frozen=True)
class _Result:
    number: int
    cells: tuple[object, ...]
    enrolment_id: int
    course: str
    mark: ExamMark
    score: float | None
    exam_date: date | None


EnrolmentKey = TypeVar("EnrolmentKey")  # what a caller's lookups hold for an enrolment: its id, or its student number


@dataclass(frozen=True)
class ResultRow(Generic[EnrolmentKey]):
    """One checked row of a results table; `key` is what the caller's lookups hold for the enrolment."""

    key: EnrolmentKey
    name: str
    course: str
    mark: ExamMark
    score: float | None
    exam_date: date | None


def read_result_row(cells: tuple[object, ...], header: HeaderMatch, where: Callable[[str], Where], rules: Rules,
                    today: date, by_number: Mapping[str, tuple[EnrolmentKey, str, Level]],
                    by_person: Mapping[str, Mapping[Level, tuple[EnrolmentKey, str]]], *, unknown_number: str,
                    unknown_person: str) -> ResultRow[EnrolmentKey]:
    """The learner (by student number, or by ID number and the course's level), course, score and date of a row of
    a results table, each checked; AdultSchoolError with the field otherwise. `unknown_number` and `unknown_person`
    say where the learner was looked for ({number} and {masked} are filled in)."""
    course, kind = match_course(cell_text(cell(cells, header, "course")), rules)
    if kind == "skills":
        raise AdultSchoolError(f"“{course}”是技能培训，不是结业考试科目。", field="course")
    level = Level(kind)
    student_number = cell_text(cell(cells, header, "student_number"))
    if student_number:
        found = by_number.get(student_number)
        if found is None:
            raise AdultSchoolError(unknown_number.format(number=student_number), field="student_number")
        key, name, enrolment_level = found
        if enrolment_level != level:
            raise AdultSchoolError(f"学籍号 {student_number} 是{enrolment_level.label}学籍，“{course}”是{level.label}课程。",
                                   field="course")
    else:
        raw = id_text(cell(cells, header, "id_number"), where("id_number"))
        if not raw:
            raise AdultSchoolError("身份证号码和学籍号都为空。", field="id_number")
        resident = idcard.parse(raw)
        levels = by_person.get(resident.number)
        if not levels:
            raise AdultSchoolError(unknown_person.format(masked=idcard.mask(resident.number)), field="id_number")
        if level not in levels:
            raise AdultSchoolError(f"此人没有{level.label}学籍，“{course}”的成绩无处记入。", field="course")
        key, name = levels[level]
    given_name = clean_name(cell_text(cell(cells, header, "name")))
    if given_name and given_name != name:
        raise AdultSchoolError(f"姓名“{given_name}”与登记的“{mask_name(name)}”不符。", field="name")
    mark, score = parse_score(cell(cells, header, "score"), where("score"))
    exam_date = date_value(cell(cells, header, "exam_date"), where("exam_date"))
    if exam_date is not None and exam_date > today:
        raise AdultSchoolError(f"考试日期 {exam_date} 晚于今天：请核对日期。", field="exam_date")
    return ResultRow(key, name, course, mark, score, exam_date)


def import_results(session: Session, path: Path, *, actor: str, dry_run: bool = False, allow_unapplied: bool = False,
                   job: JobContext | None = None, today: date | None = None, mapping: dict[str, str] | None = None,
                   mapping_name: str | None = None, sheets: list[Sheet] | None = None) -> ImportReport:
    """Scores per learner and course returned by the district. Re-importing a file changes nothing; a new date is a retake.

    Exam dates cannot be after today. A result for a learner who never applied for the exam is refused (with
    `allow_unapplied`, accepted with a warning). A corrected score that fails a graduate's course revokes the
    certificate, which the report says row by row. `sheets` given: they are the table (a district package's results,
    named `path`), not a file to read.

    At the district this records the scores it returns to its schools (services.district_results)."""
    job = job or NullJob()
    permissions.require(session, actor, permissions.Permission.EXAMS)
    if sheets is None and get_site(session).kind is SiteKind.DISTRICT:
        from adultschool.services import district_results  # it builds on this module

        return district_results.import_results(session, path, actor=actor, dry_run=dry_run, job=job, today=today,
                                               mapping=mapping)
    require_school(session)
    rules = load_rules(session)
    today = today or clock.today()
    if sheets is None:
        sheets = read_table(path, job=job)
    report, sheet, header = open_report(session, "results", sheets, RESULT_COLUMNS, path, dry_run=dry_run, mapping=mapping)
    if "id_number" not in header.columns and "student_number" not in header.columns:
        raise AdultSchoolError(f"“{report.file}”缺少“身份证号码”或“学籍号”列，无法知道是哪位学员。")
    sink = RowSink(report, header, RESULT_LABELS)
    by_number: dict[str, tuple[int, str, Level]] = {}
    by_person: dict[str, dict[Level, tuple[int, str]]] = {}
    applied_on: dict[int, date] = dict(session.execute(
        select(ExamApplication.enrolment_id, func.min(ExamApplication.applied_on)).group_by(ExamApplication.enrolment_id)).all())
    for enrolment_id, student_number, id_number, learner_name, level in session.execute(
        select(Enrolment.id, Enrolment.student_number, Learner.id_number, Learner.name, Enrolment.level)
        .join(Learner, Learner.id == Enrolment.learner_id).where(Enrolment.status.not_in(CLOSED_STATUSES))
    ):
        by_number[student_number] = (enrolment_id, learner_name, level)
        by_person.setdefault(id_number, {})[level] = (enrolment_id, learner_name)
    results: list[_Result] = []
    for number, cells in rows_with_progress(sheet, header, report, job, "检查成绩"):
        def where(name: str) -> Where:
            return Where(sheet.name, number, header.labels.get(name))  # noqa: B023 - called only while this row is read

        try:
            row = read_result_row(cells, header, where, rules, today, by_number, by_person,
                                  unknown_number="找不到学籍号 {number}。",
                                  unknown_person="找不到身份证号码为 {masked} 的学员。")
            enrolment_id, course, mark, score, exam_date = row.key, row.course, row.mark, row.score, row.exam_date
            first_applied = applied_on.get(enrolment_id)
            if first_applied is None or (exam_date is not None and exam_date < first_applied):
                why = ("没有申请过结业考试（考前申请）" if first_applied is None
                       else f"考试日期 {exam_date} 早于考前申请日期 {first_applied}")
                if not allow_unapplied:
                    raise AdultSchoolError(f"此学员{why}：请核对成绩表。确实参加了这次考试的，"
                                           "请勾选“接受未申请考试的成绩”（命令行 --allow-unapplied）后再导入。",
                                           field="student_number" if "student_number" in header.columns else "id_number")
                sink.warn(number, "student_number" if "student_number" in header.columns else "id_number",
                          f"此学员{why}，按您的要求仍记入成绩。")
        except AdultSchoolError as exc:
            sink.reject_error(number, cells, exc)
            continue
        results.append(_Result(number, cells, enrolment_id, course, mark, score, exam_date))

    savepoint = session.begin_nested() if dry_run else None
    journal = Journal(session, "results", report.file, [ExamResult.__table__])
    existing = {(r.enrolment_id, r.course, r.exam_date): r for r in session.execute(
        select(ExamResult).where(ExamResult.enrolment_id.in_({r.enrolment_id for r in results}))).scalars()} if results else {}
    seen: dict[tuple[int, str, date | None], int] = {}
    touched: set[int] = set()
    numbers = {enrolment_id: number for number, (enrolment_id, _, _) in by_number.items()}
    changed_before: dict[str, object] = {}
    changed_after: dict[str, object] = {}
    for result in results:
        key = (result.enrolment_id, result.course, result.exam_date)
        if key in seen:
            sink.reject(result.number, result.cells, "course", f"与第 {seen[key]} 行是同一学员同一科目同一日期的成绩（保留第一行）。")
            continue
        seen[key] = result.number
        passed = result.mark is ExamMark.SCORED and result.score is not None and result.score >= rules.pass_mark
        old = existing.get(key)
        if old is None:
            session.add(ExamResult(enrolment_id=result.enrolment_id, course=result.course, mark=result.mark,
                                   score=result.score, exam_date=result.exam_date, passed=passed))
        elif (old.mark, old.score, old.passed) != (result.mark, result.score, passed):
            key_text = f"{numbers.get(result.enrolment_id, result.enrolment_id)} {result.course} {result.exam_date or ''}".strip()
            changed_before[key_text] = {"mark": old.mark.value, "score": old.score, "passed": old.passed}
            changed_after[key_text] = {"mark": result.mark.value, "score": result.score, "passed": passed}
            journal.change("exam_results", old.uuid, {"mark": old.mark, "score": old.score, "passed": old.passed},
                           {"mark": result.mark, "score": result.score, "passed": passed})
            old.mark, old.score, old.passed = result.mark, result.score, passed
        else:
            report.imported += 1
            continue
        report.imported += 1
        report.updated += 1
        touched.add(result.enrolment_id)
    session.flush()
    statuses_before = _statuses(session, sorted(touched))
    revoked = settle_statuses(session, sorted(touched), rules, actor=actor, why=f"成绩更正（{report.file}）",
                               today=today)
    for enrolment_id, certificate in revoked.items():
        first_row = next((r.number for r in results if r.enrolment_id == enrolment_id), None)
        sink.warn(first_row or 0, "score", f"更正后此学员不再全部课程合格，毕业证书 {certificate} 已撤销，学籍回到在读。")
    session.flush()
    statuses_after = _statuses(session, sorted(touched))
    moved = {n: (statuses_before[n].value, s.value) for n, s in statuses_after.items() if statuses_before.get(n) != s}
    report.rejected.sort(key=lambda p: p.row)
    if touched:
        before: dict[str, object] = {}
        after: dict[str, object] = {}
        if changed_before:
            before["results"], after["results"] = changed_before, changed_after
        if moved:
            before["statuses"] = {n: b for n, (b, _) in moved.items()}
            after["statuses"] = {n: a for n, (_, a) in moved.items()}
        audit.record(session, actor=actor, action="exam.results", entity="exam_results",
                     summary=f"成绩导入（{report.file}）：{report.updated} 条成绩，涉及 {len(touched)} 个学籍"
                             + (f"，其中改动原有成绩 {len(changed_after)} 条" if changed_after else ""),
                     before=before or None, after=after or None)
    if savepoint is not None:
        savepoint.rollback()
    else:
        report.batch_id = journal.finish(session, actor=actor, summary=f"{report.updated} 条成绩")
        keep_mapping(session, "results", report, name=mapping_name, actor=actor)
    return report


def _statuses(session: Session, enrolment_ids: list[int]) -> dict[str, EnrolmentStatus]:
    """Student number → status, for the audit log's before and after."""
    found: dict[str, EnrolmentStatus] = {}
    for start in range(0, len(enrolment_ids), CHUNK):
        found.update(session.execute(select(Enrolment.student_number, Enrolment.status)
                                     .where(Enrolment.id.in_(enrolment_ids[start:start + CHUNK]))).all())
    return found


def settle_statuses(session: Session, enrolment_ids: list[int], rules: Rules, *, actor: str, why: str,
                     today: date) -> dict[int, str]:
    """After results: all courses passed → passed; otherwise an applied enrolment studies on to retake the rest, and
    a graduate who no longer passed every course loses the certificate (revoked). Returns enrolment → revoked number."""
    passed = passed_courses(session, enrolment_ids)
    revoked: dict[int, str] = {}
    for start in range(0, len(enrolment_ids), CHUNK):
        for enrolment in session.execute(select(Enrolment).where(Enrolment.id.in_(enrolment_ids[start:start + CHUNK]))).scalars():
            if enrolment.status.is_closed:
                continue
            all_passed = set(required_courses(rules, enrolment.level)) <= passed.get(enrolment.id, set())
            if enrolment.status is EnrolmentStatus.GRADUATED:
                if not all_passed:
                    missing = [c for c in required_courses(rules, enrolment.level) if c not in passed.get(enrolment.id, set())]
                    certificate = certificates.revoke_for_enrolment(
                        session, enrolment, reason=f"{why}：{'、'.join(missing)}不再合格", actor=actor, today=today)
                    if certificate:
                        revoked[enrolment.id] = certificate
                    enrolment.status = EnrolmentStatus.ACTIVE
                continue
            if all_passed:
                enrolment.status = EnrolmentStatus.PASSED
            elif enrolment.status in (EnrolmentStatus.EXAM_APPLIED, EnrolmentStatus.PASSED):
                enrolment.status = EnrolmentStatus.ACTIVE
    return revoked
