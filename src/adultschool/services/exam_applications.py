"""考前申请 (R4): the ready learners apply for the courses they still need, and the application list goes to the district.

`apply_and_write_list` is the clerk's action (the window and the command line both call it): apply and write the list
in one transaction, or refuse and record nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Enrolment,
    EnrolmentStatus,
    ExamApplication,
    Gender,
    Learner,
    Level,
)
from adultschool.services import audit, disclosure, exam_rounds, permissions, readiness
from adultschool.services.disclosure import Exported, Protection, shown_id
from adultschool.services.exam_results import passed_courses, required_courses
from adultschool.services.registration import CHUNK
from adultschool.services.rules import load_rules
from adultschool.services.site import require_school
from adultschool.textnorm import clean_text
from adultschool.xlsx import write_table
from adultschool.services.sync_tables import update_travelling


APPLICATION_HEADERS = ("序号", "学籍号", "姓名", "性别", "身份证号码", "层次", "注册日期", "学习时限(月)", "视频学时", "课程")


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
