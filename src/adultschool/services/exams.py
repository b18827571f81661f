"""Final exams and what follows (R4, R5, R11, R12): applying ready learners, importing results, graduating,
certificate numbers and printings, and the lists the credit bank and the household office need.

A course counts as passed when any attempt reached the rules' pass mark; graduation needs every required course.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import clock, idcard, synonyms
from adultschool.errors import AdultSchoolError, Where
from adultschool.jobs import JobContext, NullJob
from adultschool.models import (
    CLOSED_STATUSES,
    Certificate,
    CertificateCounter,
    CertificatePrint,
    Enrolment,
    EnrolmentStatus,
    ExamApplication,
    ExamMark,
    ExamResult,
    Gender,
    Learner,
    Level,
    School,
    SiteKind,
    SiteSetting,
    SkillCertificate,
)
from adultschool.services import audit, certificates, disclosure, exam_rounds, permissions, readiness
from adultschool.services.disclosure import Exported, Protection, shown_id
from adultschool.services.journal import Journal
from adultschool.services.registration import CHUNK, mask_name
from adultschool.services.rules import load_rules
from adultschool.services.sheet_import import ImportReport, RowSink, cell, keep_mapping, open_report, rows_with_progress
from adultschool.services.site import get_site, require_school
from adultschool.services.study import match_course
from adultschool.rule_defaults import Rules
from adultschool.textnorm import clean_name, clean_text, clean_token
from adultschool.xlsx import Column, HeaderMatch, Sheet, cell_text, date_value, id_text, read_table, write_table
from adultschool.services.sync_tables import update_travelling

APPLICATION_HEADERS = ("序号", "学籍号", "姓名", "性别", "身份证号码", "层次", "注册日期", "学习时限(月)", "视频学时", "课程")


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


@dataclass(frozen=True)
class ApplicationRow:
    student_number: str
    name: str
    gender: str  # 男 / 女
    id_number: str
    level: str  # 初中 / 高中
    registered_on: date
    months_done: int
    video_hours: float
    courses: tuple[str, ...]

    def cells(self, number: int) -> list[object]:
        return [number, self.student_number, self.name, self.gender, self.id_number, self.level,
                self.registered_on.isoformat(), self.months_done, self.video_hours, "、".join(self.courses)]


def apply_for_exam(session: Session, as_of: date, *, round_name: str, actor: str,
                   student_numbers: Sequence[str] | None = None, today: date | None = None) -> list[ApplicationRow]:
    """考前申请 (R4): the ready learners (R3) — all, or those named — apply for the courses they still need.

    Their enrolments are marked as applied on `as_of`, which cannot be after today: readiness is judged on the day
    the application is made. A named learner who is not ready is refused with the reason.
    """
    rows, _chosen = _apply(session, as_of, round_name=round_name, actor=actor, student_numbers=student_numbers,
                           today=today)
    return rows


def _apply(session: Session, as_of: date, *, round_name: str, actor: str, student_numbers: Sequence[str] | None,
           today: date | None) -> tuple[list[ApplicationRow], int]:
    """The applications recorded, and how many ready learners were chosen (those with every course passed apply for
    nothing)."""
    permissions.require(session, actor, permissions.Permission.EXAMS)
    today = today or clock.today()
    if as_of > today:
        raise AdultSchoolError(f"申请日期 {as_of} 晚于今天：考前申请只能按今天（或以前）是否可报考来办理。"
                               "要看谁在那天能报考，请用“可报考”名单（adultschool readiness --as-of）。")
    rules = load_rules(session)
    round_name = clean_text(round_name) or ""
    if not round_name:
        raise AdultSchoolError("请填写考试批次名称（如“2026年12月结业考试”）。")
    standing = {r.student_number: r for r in readiness.readiness(session, as_of)}
    if student_numbers is not None:
        wanted = [clean_text(n) or "" for n in student_numbers]
        for number in wanted:
            row = standing.get(number)
            if row is None:
                raise AdultSchoolError(f"学籍号 {number} 不在读或已申请考试，不能报考。")
            if not row.ready:
                raise AdultSchoolError(f"学籍号 {number}（{row.name}）还不能报考：{'；'.join(row.missing)}")
        chosen = [standing[n] for n in dict.fromkeys(wanted)]
    else:
        chosen = [r for r in standing.values() if r.ready]
    passed = passed_courses(session, [r.enrolment_id for r in chosen])
    people: dict[int, tuple[Gender, str]] = {}
    chosen_ids = [r.enrolment_id for r in chosen]
    for start in range(0, len(chosen_ids), CHUNK):
        for enrolment_id, gender, id_number in session.execute(
            select(Enrolment.id, Learner.gender, Learner.id_number).join(Learner, Learner.id == Enrolment.learner_id)
            .where(Enrolment.id.in_(chosen_ids[start:start + CHUNK]))):
            people[enrolment_id] = (gender, id_number)
    rows = []
    applied_ids: list[int] = []
    for row in sorted(chosen, key=lambda r: r.student_number):
        level = Level(row.level)
        courses = tuple(c for c in required_courses(rules, level) if c not in passed.get(row.enrolment_id, set()))
        if not courses:
            continue  # every course already passed: graduation, not another exam
        session.add(ExamApplication(enrolment_id=row.enrolment_id, round_name=round_name, applied_on=as_of,
                                    courses=json.dumps(courses, ensure_ascii=False)))
        applied_ids.append(row.enrolment_id)
        gender, id_number = people[row.enrolment_id]
        rows.append(ApplicationRow(row.student_number, row.name, gender.label, id_number,
                                   level.label, row.registered_on, row.months_done, row.video_hours, courses))
    for start in range(0, len(applied_ids), CHUNK):
        session.execute(
            update_travelling(Enrolment).where(Enrolment.id.in_(applied_ids[start:start + CHUNK]))
            .values(status=EnrolmentStatus.EXAM_APPLIED),
            execution_options={"synchronize_session": False},
        )
    if rows:
        session.flush()
        audit.record(session, actor=actor, action="exam.apply", entity="exam_applications",
                     summary=f"{round_name}：申请 {len(rows)} 人", after={"student_numbers": [r.student_number for r in rows]})
    return rows, len(chosen)


def write_application_list(session: Session, path: Path, rows: Sequence[ApplicationRow], *, school_name: str,
                           round_name: str, actor: str | None = None,
                           protection: Protection = Protection.PASSWORD) -> Exported:
    """考前申请名单 for the district: password-protected by default (it goes by e-mail with full ID numbers), or plain
    to print here, or masked; a list with full IDs writes its `id.reveal` entry."""
    password = disclosure.start(session, actor, protection)
    cells = [r.cells(i) for i, r in enumerate(rows, start=1)]
    if not protection.full_ids:
        id_column = APPLICATION_HEADERS.index("身份证号码")
        for line in cells:
            line[id_column] = shown_id(str(line[id_column]), protection)
    write_table(path, title=f"{school_name} {round_name} 考前申请名单", headers=APPLICATION_HEADERS,
                rows=cells, text_columns=("学籍号", "身份证号码"),
                widths=(6, 22, 10, 6, 22, 6, 12, 12, 10, 60), password=password)
    return disclosure.finish(session, actor, what=f"考前申请名单（{round_name}）", path=path, count=len(rows),
                             protection=protection, password=password,
                             student_numbers=[r.student_number for r in rows])


@dataclass(frozen=True)
class AppliedList:
    """What 考前申请 did: who applied for which round, and the list written for the district; `lines()` are the words
    of the report, the same in the window and on the command line."""

    round_name: str
    path: Path
    rows: tuple[ApplicationRow, ...]
    exported: Exported

    @property
    def summary(self) -> str:
        return f"已申请 {len(self.rows)} 人，名单已保存"

    def lines(self) -> list[str]:
        return [f"{self.summary}：{self.path}", f"考试批次：{self.round_name}", *self.exported.lines()]


def apply_and_write_list(session: Session, as_of: date, path: Path, *, actor: str, round_name: str | None = None,
                         student_numbers: Sequence[str] | None = None, protection: Protection = Protection.PASSWORD,
                         today: date | None = None) -> AppliedList:
    """考前申请 as the clerk does it: the ready learners (all, or those named) apply for `round_name` (by default the
    district's next open round, services.exam_rounds.default_round_name) and their list for the district is written
    to `path` (atomically), in the caller's one transaction: if the list cannot be written the error rolls back the
    applications. Nobody to apply is refused, saying why, and writes no file."""
    school = require_school(session)
    round_name = clean_text(round_name) or exam_rounds.default_round_name(session, as_of)
    rows, chosen = _apply(session, as_of, round_name=round_name, actor=actor, student_numbers=student_numbers,
                          today=today)
    if not rows:
        if student_numbers is not None and not chosen:
            raise AdultSchoolError("没有可申请考试的学员：没有选择学员。")
        if not chosen:
            raise AdultSchoolError(f"没有可申请考试的学员：{as_of} 没有人达到报考条件（学习时限和视频学时），名单没有写出。"
                                   "谁还差什么，请看“可报考”名单（adultschool readiness）。")
        who = "所选学员" if student_numbers is not None else "可报考的学员"
        raise AdultSchoolError(f"没有可申请考试的学员：{who}的课程都已考试通过，不需要再申请考试，请办理毕业。")
    exported = write_application_list(session, path, rows, school_name=school.name, round_name=round_name,
                                      actor=actor, protection=protection)
    return AppliedList(round_name, path, tuple(rows), exported)

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


@dataclass(frozen=True)
class ResultRow:
    """One checked row of a results table; `key` is what the caller's lookups hold for the enrolment."""

    key: object
    name: str
    course: str
    mark: ExamMark
    score: float | None
    exam_date: date | None


def read_result_row(cells: tuple[object, ...], header: HeaderMatch, where: Callable[[str], Where], rules: Rules,
                    today: date, by_number: dict[str, tuple[object, str, Level]],
                    by_person: dict[str, dict[Level, tuple[object, str]]], *, unknown_number: str,
                    unknown_person: str) -> ResultRow:
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
    for enrolment_id, number, id_number, name, level in session.execute(
        select(Enrolment.id, Enrolment.student_number, Learner.id_number, Learner.name, Enrolment.level)
        .join(Learner, Learner.id == Enrolment.learner_id).where(Enrolment.status.not_in(CLOSED_STATUSES))
    ):
        by_number[number] = (enrolment_id, name, level)
        by_person.setdefault(id_number, {})[level] = (enrolment_id, name)
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
        row = next((r.number for r in results if r.enrolment_id == enrolment_id), None)
        sink.warn(row or 0, "score", f"更正后此学员不再全部课程合格，毕业证书 {certificate} 已撤销，学籍回到在读。")
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


@dataclass
class GraduationReport:
    graduated: list[tuple[str, str, str]] = field(default_factory=list)  # student number, name, certificate number
    held_back: list[tuple[str, str, str]] = field(default_factory=list)  # student number, name, reason


def certificate_number(school_code: str, year: int, serial: int) -> str:
    return f"{school_code}-BY{year}-{serial:04d}"


def _certificate_secret(session: Session) -> bytes:
    row = session.get(SiteSetting, "certificate.secret")
    if row is None:
        row = SiteSetting(key="certificate.secret", value=secrets.token_hex(32))
        session.add(row)
        session.flush()
    return bytes.fromhex(row.value)


def graduate(session: Session, as_of: date, *, actor: str, today: date | None = None, dry_run: bool = False,
             only: Sequence[str] | None = None) -> GraduationReport:
    """Every enrolment that passed all required courses by `as_of` graduates on that day; numbers are given in
    student-number order. A course passed at an exam after `as_of` does not count yet, and after a revoked
    certificate only courses passed again after the revocation do.

    `dry_run` writes nothing and reports who would graduate with the numbers they would get (the preview the clerk
    confirms); `only` limits the graduation to those student numbers (exactly whom the preview showed)."""
    permissions.require(session, actor, permissions.Permission.EXAMS)
    site = require_school(session)
    rules = load_rules(session)
    today = today or clock.today()
    if as_of > today:
        raise AdultSchoolError(f"毕业日期 {as_of} 晚于今天：毕业只能按已考完的成绩办理。")
    candidates = session.execute(
        select(Enrolment, Learner).join(Learner, Learner.id == Enrolment.learner_id)
        .where(Enrolment.status.not_in((EnrolmentStatus.GRADUATED, *CLOSED_STATUSES)),
               ~Enrolment.id.in_(select(Certificate.enrolment_id).where(Certificate.revoked_on.is_(None))))
        .order_by(Enrolment.student_number)
    ).all()
    ids = [e.id for e, _ in candidates]
    passing = passing_dates(session, ids)
    revoked_on: dict[int, date] = {}
    for start in range(0, len(ids), CHUNK):
        for enrolment_id, day in session.execute(
            select(Certificate.enrolment_id, func.max(Certificate.revoked_on))
            .where(Certificate.enrolment_id.in_(ids[start:start + CHUNK]), Certificate.revoked_on.is_not(None))
            .group_by(Certificate.enrolment_id)):
            revoked_on[enrolment_id] = day
    passed = {e: {c for c, days in courses.items() if min(days) <= as_of} for e, courses in passing.items()}
    with_skill = set(session.execute(select(SkillCertificate.learner_id)).scalars()) if rules.graduation_requires_skill else set()
    report = GraduationReport()
    ready = []
    for enrolment, learner in candidates:
        courses = required_courses(rules, enrolment.level)
        days = passing.get(enrolment.id, {})
        if all(c in days for c in courses) and any(c not in passed.get(enrolment.id, set()) for c in courses):
            last = max(min(days[c]) for c in courses)
            report.held_back.append((enrolment.student_number, learner.name,
                                     f"最后一门课程的考试日期是 {last}，晚于毕业日期 {as_of}"))
            continue
        missing = [c for c in courses if c not in passed.get(enrolment.id, set())]
        if missing:
            continue
        if enrolment.id in revoked_on and not any(revoked_on[enrolment.id] <= day <= as_of
                                                  for c in courses for day in days[c]):
            report.held_back.append((enrolment.student_number, learner.name,
                                     f"证书已于 {revoked_on[enrolment.id]} 撤销：要在撤销之后有新的合格成绩（重考）才能再次毕业"))
            continue
        if rules.graduation_requires_skill and learner.id not in with_skill:
            report.held_back.append((enrolment.student_number, learner.name, "还没有登记职业技能证书（本区规定毕业须有）"))
            continue
        ready.append((enrolment, learner))
    if only is not None:
        wanted = {clean_text(n) or "" for n in only}
        ready = [(e, learner) for e, learner in ready if e.student_number in wanted]
    if not ready:
        return report
    counter = session.execute(select(CertificateCounter).where(
        CertificateCounter.school_id == site.school_id, CertificateCounter.year == as_of.year)).scalar()
    if dry_run:
        serial = counter.last_serial if counter is not None else 0
        for offset, (enrolment, learner) in enumerate(ready, start=1):
            report.graduated.append((enrolment.student_number, learner.name,
                                     certificate_number(site.code, as_of.year, serial + offset)))
        return report
    if counter is None:
        counter = CertificateCounter(school_id=site.school_id, year=as_of.year, last_serial=0)
        session.add(counter)
    secret = _certificate_secret(session)
    statuses_before = {enrolment.student_number: enrolment.status.value for enrolment, _ in ready}
    for enrolment, learner in ready:
        counter.last_serial += 1
        number = certificate_number(site.code, as_of.year, counter.last_serial)
        session.add(Certificate(enrolment_id=enrolment.id, number=number, year=as_of.year, serial=counter.last_serial,
                                issued_on=as_of, check_code=certificates.check_code(secret, number, learner.id_number, as_of)))
        enrolment.status = EnrolmentStatus.GRADUATED
        report.graduated.append((enrolment.student_number, learner.name, number))
    session.flush()
    audit.record(session, actor=actor, action="graduate", entity="certificates",
                 summary=f"{as_of} 毕业 {len(report.graduated)} 人", before={"statuses": statuses_before},
                 after={"certificates": [g[2] for g in report.graduated],
                        "statuses": {g[0]: EnrolmentStatus.GRADUATED.value for g in report.graduated},
                        "certificate_of": {g[0]: g[2] for g in report.graduated}})
    return report


def record_skill_certificate(session: Session, *, student_number: str, name: str, number: str, issued_on: date,
                             actor: str) -> None:
    """The vocational skill certificate (R5) of the learner behind a student number."""
    permissions.require(session, actor, permissions.Permission.EXAMS)
    learner = session.execute(select(Learner).join(Enrolment, Enrolment.learner_id == Learner.id)
                              .where(Enrolment.student_number == (clean_text(student_number) or ""))).scalar()
    if learner is None:
        raise AdultSchoolError(f"找不到学籍号 {student_number}。")
    name, number = clean_text(name) or "", clean_text(number) or ""
    if not name or not number:
        raise AdultSchoolError("请填写职业技能证书的名称和编号。")
    if session.execute(select(SkillCertificate.id).where(SkillCertificate.learner_id == learner.id,
                                                         SkillCertificate.number == number)).first():
        raise AdultSchoolError(f"这张证书（编号 {number}）已经登记过。")
    session.add(SkillCertificate(learner_id=learner.id, name=name, number=number, issued_on=issued_on))
    session.flush()
    audit.record(session, actor=actor, action="skill.add", entity="skill_certificates", entity_uuid=learner.uuid,
                 summary=f"登记职业技能证书：{name}", after={"name": name, "number": number, "issued_on": issued_on})


@dataclass(frozen=True)
class CertificateToPrint:
    """What a printed certificate shows, as plain values (the printing package turns it into a page)."""

    school_name: str
    learner_name: str
    gender: str
    birth_date: date
    level: str
    study_from: date
    study_to: date
    certificate_number: str
    issued_on: date
    check_code: str
    skill_certificate: str | None
    reprint: bool
    student_number: str
    learner_id: int = 0


def certificates_to_print(session: Session, *, actor: str, student_numbers: Sequence[str] | None = None,
                          reprint: bool = False, reason: str | None = None,
                          record: bool = True) -> list[CertificateToPrint]:
    """Returns what to print and, with `record`, records the printing. A first printing is of certificates never
    printed (all, or those named); printing one again is a reprint (补发): it needs the numbers and a reason, and keeps
    the number. Without `record` (a preview) the same checks run and nothing is written."""
    permissions.require(session, actor, permissions.Permission.PRINT)
    reason = clean_text(reason)
    if reprint and not reason:
        raise AdultSchoolError("补发证书必须写明原因（如“原证书遗失”）。")
    if reprint and not student_numbers:
        raise AdultSchoolError("补发证书请指定学籍号。")
    query = (select(Certificate, Enrolment, Learner).join(Enrolment, Enrolment.id == Certificate.enrolment_id)
             .join(Learner, Learner.id == Enrolment.learner_id).order_by(Certificate.number))
    if student_numbers:
        wanted = [clean_text(n) or "" for n in student_numbers]
        query = query.where(Enrolment.student_number.in_(wanted))
    found = session.execute(query).all()
    revoked = [(c, e) for c, e, _ in found if c.revoked_on is not None]
    found = [f for f in found if f[0].revoked_on is None]
    if student_numbers:
        valid = {e.student_number for _, e, _ in found}
        named_revoked = [f"{c.number}（{c.revoked_on} 撤销）" for c, e in revoked if e.student_number not in valid]
        if named_revoked:
            raise AdultSchoolError(f"证书 {'、'.join(named_revoked)} 已撤销，不能打印或补发。")
        missing = set(wanted) - valid
        if missing:
            raise AdultSchoolError(f"这些学籍号没有毕业证书：{'、'.join(sorted(missing))}。")
    printed = {c for c in session.execute(select(CertificatePrint.certificate_id)).scalars()}
    if reprint:
        never = [e.student_number for c, e, _ in found if c.id not in printed]
        if never:
            raise AdultSchoolError(f"学籍号 {'、'.join(never)} 的证书还没有打印过，不是补发：请先正常打印。")
    else:
        already = [e.student_number for c, e, _ in found if c.id in printed]
        if student_numbers and already:
            raise AdultSchoolError(f"学籍号 {'、'.join(already)} 的证书已经打印过；再次打印是补发，请选择补发并写明原因。")
        found = [f for f in found if f[0].id not in printed]
    school_name = session.execute(select(School.name).where(School.id == require_school(session).school_id)).scalar_one()
    skills: dict[int, str] = {}
    for learner_id, name, number, issued_on in session.execute(
        select(SkillCertificate.learner_id, SkillCertificate.name, SkillCertificate.number, SkillCertificate.issued_on)
        .order_by(SkillCertificate.issued_on)
    ):
        skills[learner_id] = f"{name}（编号 {number}，{issued_on:%Y年%m月%d日}）"
    out = []
    for certificate, enrolment, learner in found:
        if record:
            session.add(CertificatePrint(certificate_id=certificate.id, printed_by=actor, reprint=reprint,
                                         reason=reason if reprint else None))
        out.append(CertificateToPrint(
            school_name=school_name, learner_name=learner.name, gender=learner.gender.label, birth_date=learner.birth_date,
            level=enrolment.level.value, study_from=enrolment.registered_on, study_to=certificate.issued_on,
            certificate_number=certificate.number, issued_on=certificate.issued_on, check_code=certificate.check_code,
            skill_certificate=skills.get(learner.id), reprint=reprint, student_number=enrolment.student_number,
            learner_id=learner.id,
        ))
    if out and record:
        session.flush()
        audit.record(session, actor=actor, action="certificate.reprint" if reprint else "certificate.print",
                     entity="certificate_prints",
                     summary=f"{'补发' if reprint else '打印'}证书 {len(out)} 张" + (f"：{reason}" if reprint else ""),
                     after={"certificates": [c.certificate_number for c in out]})
    return out


def credit_bank_rows(session: Session) -> list[list[object]]:
    """R6/R12: every exam result for the provincial credit bank: ID number, name, course, score, exam date, school.

    At a school its own learners; at the district every merged school's, each named by the school that enrolled it."""
    rows = []
    for id_number, name, course, mark, score, exam_date, school_name in session.execute(
        select(Learner.id_number, Learner.name, ExamResult.course, ExamResult.mark, ExamResult.score, ExamResult.exam_date,
               School.name)
        .join(Enrolment, Enrolment.id == ExamResult.enrolment_id).join(Learner, Learner.id == Enrolment.learner_id)
        .join(School, School.id == Enrolment.school_id)
        .where(Learner.anonymised_on.is_(None))  # PIPL: an anonymised person's results stay counted, not listed
        .order_by(School.code, Enrolment.student_number, ExamResult.course, ExamResult.exam_date)
    ):
        shown = score if mark is ExamMark.SCORED else mark.label
        rows.append([id_number, name, course, shown, exam_date.isoformat() if exam_date else "", school_name])
    return rows


def household_rows(session: Session) -> list[list[object]]:
    """R11: graduates for the household-registration office: name, ID number, new education level, certificate, date,
    school (at the district: every merged school's)."""
    return [
        [name, id_number, "初中" if level is Level.JUNIOR else "高中", number, issued_on.isoformat(), school_name]
        for name, id_number, level, number, issued_on, school_name in session.execute(
            select(Learner.name, Learner.id_number, Enrolment.level, Certificate.number, Certificate.issued_on, School.name)
            .join(Enrolment, Enrolment.id == Certificate.enrolment_id).join(Learner, Learner.id == Enrolment.learner_id)
            .join(School, School.id == Enrolment.school_id)
            .where(Certificate.revoked_on.is_(None), Learner.anonymised_on.is_(None)).order_by(Certificate.number)
        )
    ]


def write_credit_bank(session: Session, path: Path, *, actor: str | None = None,
                      protection: Protection = Protection.PASSWORD) -> Exported:
    """学分银行成绩清单 (R12): password-protected by default, since it goes out by e-mail with full ID numbers."""
    password = disclosure.start(session, actor, protection)
    rows = [[shown_id(row[0], protection), *row[1:]] for row in credit_bank_rows(session)]
    write_table(path, title="学分银行成绩清单", headers=("身份证号码", "姓名", "课程", "成绩", "考试日期", "学校"), rows=rows,
                text_columns=("身份证号码",), widths=(22, 10, 30, 8, 12, 36), password=password)
    return disclosure.finish(session, actor, what="学分银行成绩清单（成绩条数）", path=path, count=len(rows),
                             protection=protection, password=password)


def write_household(session: Session, path: Path, *, actor: str | None = None,
                    protection: Protection = Protection.PASSWORD) -> Exported:
    """毕业学员名单 for the household-registration office (R11): password-protected by default."""
    password = disclosure.start(session, actor, protection)
    rows = [[row[0], shown_id(row[1], protection), *row[2:]] for row in household_rows(session)]
    write_table(path, title="成人“双证制”毕业学员名单（户籍学历变更）",
                headers=("姓名", "身份证号码", "现文化程度", "毕业证书编号", "毕业日期", "学校"),
                rows=rows, text_columns=("身份证号码", "毕业证书编号"), widths=(10, 22, 12, 26, 12, 36), password=password)
    return disclosure.finish(session, actor, what="户籍学历变更名单", path=path, count=len(rows),
                             protection=protection, password=password)


@dataclass(frozen=True)
class CertificateRow:
    student_number: str
    name: str
    level: str  # 'junior' | 'senior'
    number: str
    issued_on: date
    prints: int  # how many times printed (0: not yet)
    revoked_on: date | None = None
    revoked_reason: str | None = None


def list_certificates(session: Session) -> list[CertificateRow]:
    """Every certificate (revoked ones with when and why) with how often it was printed, in number order."""
    printed = (select(CertificatePrint.certificate_id, func.count().label("n"))
               .group_by(CertificatePrint.certificate_id).subquery())
    return [
        CertificateRow(number_, name, level.value, cert_number, issued_on, prints, revoked_on, revoked_reason)
        for number_, name, level, cert_number, issued_on, prints, revoked_on, revoked_reason in session.execute(
            select(Enrolment.student_number, Learner.name, Enrolment.level, Certificate.number, Certificate.issued_on,
                   func.coalesce(printed.c.n, 0), Certificate.revoked_on, Certificate.revoked_reason)
            .join(Enrolment, Enrolment.id == Certificate.enrolment_id).join(Learner, Learner.id == Enrolment.learner_id)
            .outerjoin(printed, printed.c.certificate_id == Certificate.id).order_by(Certificate.number)
        )
    ]
