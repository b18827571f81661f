"""The lists the outside world needs from the exam results: the provincial credit bank's scores (R6, R12) and the
household-registration office's graduates (R11), each written password-protected by default.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool.models import (
    Certificate,
    Enrolment,
    ExamMark,
    ExamResult,
    Learner,
    Level,
    School,
)
from adultschool.services import disclosure
from adultschool.services.disclosure import Exported, Protection, shown_id
from adultschool.xlsx import write_table

# Full ID number, name, course, score (or the mark's label), exam date, school.
CreditBankRow = tuple[str, str, str, float | str | None, str, str]
# Name, full ID number, new education level, certificate number, date of issue, school.
HouseholdRow = tuple[str, str, str, str, str, str]


def credit_bank_rows(session: Session) -> list[CreditBankRow]:
    """R6/R12: every exam result for the provincial credit bank: ID number, name, course, score, exam date, school.

    At a school its own learners; at the district every merged school's, each named by the school that enrolled it."""
    rows: list[CreditBankRow] = []
    for id_number, name, course, mark, score, exam_date, school_name in session.execute(
        select(Learner.id_number, Learner.name, ExamResult.course, ExamResult.mark, ExamResult.score, ExamResult.exam_date,
               School.name)
        .join(Enrolment, Enrolment.id == ExamResult.enrolment_id).join(Learner, Learner.id == Enrolment.learner_id)
        .join(School, School.id == Enrolment.school_id)
        .where(Learner.anonymised_on.is_(None))  # PIPL: an anonymised person's results stay counted, not listed
        .order_by(School.code, Enrolment.student_number, ExamResult.course, ExamResult.exam_date)
    ):
        shown = score if mark is ExamMark.SCORED else mark.label
        rows.append((id_number, name, course, shown, exam_date.isoformat() if exam_date else "", school_name))
    return rows


def household_rows(session: Session) -> list[HouseholdRow]:
    """R11: graduates for the household-registration office: name, ID number, new education level, certificate, date,
    school (at the district: every merged school's)."""
    return [
        (name, id_number, "初中" if level is Level.JUNIOR else "高中", number, issued_on.isoformat(), school_name)
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
