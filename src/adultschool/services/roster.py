"""Roster import (R13 summary forms and township rosters) and the registration summary form export.

Every row is registered or rejected with its sheet row number and a Chinese reason; accepted rows land in one transaction.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import clock, synonyms
from adultschool.errors import AdultSchoolError, Where
from adultschool.jobs import JobContext, NullJob
from adultschool.models import Enrolment, EnrolmentStatus, Learner, Level, School
from adultschool.services import disclosure, permissions, registration
from adultschool.services.disclosure import Exported, Protection, shown_id
from adultschool.services.learners import mask_phone
from adultschool.services.journal import Journal
from adultschool.services.registration import CheckedRegistration, RegistrationInput
from adultschool.services.rules import load_rules
from adultschool.services.site import find_township, require_school
from adultschool.services.sheet_import import ImportReport, RowSink, cell, keep_mapping, open_report, rows_with_progress, yes_no
from adultschool.xlsx import Column, HeaderMatch, SummaryRow, cell_text, date_value, id_text, read_table, write_summary_form

ROSTER_COLUMNS: tuple[Column, ...] = synonyms.with_aliases("roster", (
    Column("name", "姓名", ("学员姓名",), required=True),
    Column("id_number", "身份证号码", ("身份证号", "公民身份号码", "身份证", "身份证件号码"), required=True),
    Column("level", "学历提升层次", ("层次", "报读层次", "学历层次", "提升层次", "报名层次"), required=True),
    Column("gender", "性别"),
    Column("education", "文化程度", ("原文化程度", "现文化程度", "学历")),
    Column("address", "工作单位或家庭地址", ("家庭地址", "家庭住址", "住址", "联系地址", "地址")),
    Column("employer", "工作单位", ("单位", "工作单位名称")),
    Column("phone", "联系电话", ("手机号码", "手机号", "电话", "手机", "联系方式", "电话号码")),
    Column("household_location", "户籍所在地", ("户籍地", "户籍", "户口所在地")),
    Column("job", "职业", ("工作岗位", "岗位", "工种")),
    Column("township", "街道/镇", ("街道", "乡镇", "镇街", "所属街道", "所属乡镇", "镇（街道）")),
    Column("registered_on", "报名日期", ("注册日期", "登记日期")),
    Column("learning_mode", "学习方式", ("学习形式",)),
    Column("is_migrant", "是否流动人口", ("流动人口",)),
))


def import_roster(
    session: Session,
    path: Path,
    *,
    registered_on: date,
    actor: str,
    township: str | None = None,
    dry_run: bool = False,
    job: JobContext | None = None,
    today: date | None = None,
    mapping: dict[str, str] | None = None,
    mapping_name: str | None = None,
) -> ImportReport:
    """Reads the workbook, checks every row, registers the good ones. With dry_run the same work is rolled back."""
    job = job or NullJob()
    today = today or clock.today()
    permissions.require(session, actor, permissions.Permission.IMPORT)
    require_school(session)
    rules = load_rules(session)
    if township:
        township = find_township(session, township).name
    sheets = read_table(path, job=job)
    report, sheet, header = open_report(session, "roster", sheets, ROSTER_COLUMNS, path, dry_run=dry_run, mapping=mapping)
    sink = RowSink(report, header, registration.FIELD_LABELS)
    checked: list[CheckedRegistration] = []
    row_numbers: list[int] = []
    first_row_of_id: dict[str, int] = {}

    cells_by_row: dict[int, tuple[object, ...]] = {}
    for row_number, cells in rows_with_progress(sheet, header, report, job, "检查名单"):
        cells_by_row[row_number] = cells
        try:
            data = _row_input(cells, header, sheet.name, row_number, registered_on, township)
        except AdultSchoolError as exc:
            sink.reject_error(row_number, cells, exc)
            continue
        one = registration.check(data, rules, today=today, optional_as_warnings=True)
        if one.id_number and one.id_number in first_row_of_id:
            sink.reject(row_number, cells, "id_number", f"与第 {first_row_of_id[one.id_number]} 行的身份证号码重复（保留第一行）。")
            continue
        if one.id_number:
            first_row_of_id[one.id_number] = row_number
        if not one.ok:
            for problem in one.errors:
                sink.reject(row_number, cells, problem.field, problem.message)
            continue
        for problem in one.warnings:
            sink.warn(row_number, problem.field, problem.message)
        checked.append(one)
        row_numbers.append(row_number)

    savepoint = session.begin_nested() if dry_run else None
    journal = Journal(session, "roster", report.file, [Learner.__table__, Enrolment.__table__])
    batch = registration.register(
        session, checked, actor=actor, job=job, source=f"名单导入（{report.file}）",
        row_sources=[f"名单导入：{report.file} 第 {n} 行"[:200] for n in row_numbers], journal=journal, today=today,
    )
    for rejected in batch.rejected:
        row_number = row_numbers[rejected.index]
        for problem in rejected.problems:
            sink.reject(row_number, cells_by_row[row_number], problem.field, problem.message)
    report.rejected.sort(key=lambda p: p.row)
    report.registered = batch.registered
    report.imported = len(batch.registered)
    if savepoint is not None:
        savepoint.rollback()
    else:
        report.batch_id = journal.finish(session, actor=actor, summary=f"登记 {report.imported} 人")
        keep_mapping(session, "roster", report, name=mapping_name, actor=actor)
    return report


def _row_input(cells: tuple[object, ...], header: HeaderMatch, sheet: str, row_number: int,
               registered_on: date, township: str | None) -> RegistrationInput:
    def where(name: str) -> Where:
        return Where(sheet, row_number, header.labels.get(name))

    # Only the columns the sheet has are read (a roster has 8 of the 14 known ones), each once.
    width = len(cells)
    texts = {name: cell_text(cells[index]) for name, index in header.columns.items()
             if index < width and name not in ("id_number", "registered_on")}
    text = texts.get

    row_date = date_value(cell(cells, header, "registered_on"), where("registered_on")) if "registered_on" in header.columns else None
    is_migrant = yes_no(text("is_migrant"), where("is_migrant"), "is_migrant") if "is_migrant" in texts else None
    id_value = id_text(cell(cells, header, "id_number"), where("id_number"))
    return RegistrationInput(
        name=text("name"),
        id_number=id_value,
        level=text("level"),
        registered_on=row_date or registered_on,
        phone=text("phone"),
        gender=text("gender"),
        education=text("education"),
        employer=text("employer"),
        address=text("address"),
        job=text("job"),
        household_location=text("household_location"),
        township=text("township") or township,
        learning_mode=text("learning_mode"),
        is_migrant=is_migrant,
    )


CURRENT_STATUSES = (EnrolmentStatus.ACTIVE, EnrolmentStatus.READY, EnrolmentStatus.EXAM_APPLIED, EnrolmentStatus.PASSED)


def summary_rows(session: Session, level: Level | None = None, *,
                 protection: Protection = Protection.PLAIN) -> list[SummaryRow]:
    """R13 rows of current learners (not withdrawn, not yet graduated), in student-number order; ID numbers and
    phones masked for a masked list."""
    query = (
        select(Learner.name, Learner.gender, Learner.education, Learner.id_number, Learner.address, Learner.employer,
               Learner.phone, Enrolment.level)
        .join(Enrolment, Enrolment.learner_id == Learner.id)
        .where(Enrolment.status.in_(CURRENT_STATUSES))
        .order_by(Enrolment.student_number)
    )
    if level is not None:
        query = query.where(Enrolment.level == level)
    full = protection.full_ids
    return [
        SummaryRow(
            name=name, gender=gender.label, education=education or "", id_number=shown_id(id_number, protection),
            employer_or_address=address or employer or "", phone=(phone or "") if full else (mask_phone(phone) or ""),
            level=lvl.label,
        )
        for name, gender, education, id_number, address, employer, phone, lvl in session.execute(query)
    ]


def export_roster(session: Session, path: Path, *, level: Level | None = None, job: JobContext | None = None,
                  actor: str | None = None, protection: Protection = Protection.PLAIN) -> Exported:
    """Writes the R13 registration summary form (full ID numbers and phones, unless masked; with a password when
    protected); the result says how many learners are on it and the password, if any."""
    password = disclosure.start(session, actor, protection)
    site = require_school(session)
    school_name = session.execute(select(School.name).where(School.id == site.school_id)).scalar_one()
    rows = summary_rows(session, level, protection=protection)
    write_summary_form(path, unit=school_name, rows=rows, job=job, password=password)
    return disclosure.finish(session, actor, what="报名汇总表" + (f"（{Level(level).label}）" if level else ""), path=path,
                             count=len(rows), protection=protection, password=password)
