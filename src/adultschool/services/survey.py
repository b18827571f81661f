"""The resident survey (排摸, R9): survey rows become prospects (people not yet enrolled), never enrolments.

A prospect becomes a learner by registering (GUI action, or the same ID arriving in a roster).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import case, exists, func, insert, select, update
from sqlalchemy.orm import Session

from adultschool import clock, synonyms
from adultschool import idcard
from adultschool.errors import AdultSchoolError, Where
from adultschool.jobs import JobContext, NullJob
from adultschool.models import Enrolment, Gender, Learner, SurveyContact, Township, Willingness, name_keys
from adultschool.services import audit, audit_diff, permissions
from adultschool.services.journal import Journal
from adultschool.services.registration import CHUNK, RegistrationInput, mask_name
from adultschool.services.sheet_import import ImportReport, RowSink, cell, keep_mapping, open_report, rows_with_progress, yes_no
from adultschool.services.site import find_township
from adultschool.textnorm import clean_name, clean_token, normalise_phone
from adultschool.xlsx import Column, cell_text, date_value, id_text, read_table
from adultschool.services.sync_tables import update_travelling

SURVEY_COLUMNS: tuple[Column, ...] = synonyms.with_aliases("survey", (
    Column("name", "姓名", ("居民姓名",), required=True),
    # Not required: a survey of residents often has no ID numbers yet; such rows become contacts (services.contacts).
    Column("id_number", "身份证号码", ("身份证号", "公民身份号码", "身份证", "身份证件号码")),
    Column("willingness", "是否愿意提升学历", ("学历提升意愿", "提升意愿", "是否愿意参加学历提升", "意愿"), required=True),
    Column("gender", "性别"),
    Column("age", "年龄"),
    Column("household_location", "户籍所在地", ("户籍地", "户籍", "户口所在地")),
    Column("education", "文化程度", ("现文化程度", "学历")),
    Column("employer", "工作单位", ("单位", "工作单位名称")),
    Column("job", "职业", ("工作岗位", "岗位", "工种")),
    Column("preferred_learning", "意向学习方式", ("学习方式", "希望的学习方式", "学习形式")),
    Column("phone", "联系电话", ("手机号码", "手机号", "电话", "手机", "联系方式")),
    Column("township", "街道/镇", ("街道", "乡镇", "镇街", "所属街道", "所属乡镇")),
    Column("surveyed_on", "排摸日期", ("调查日期", "登记日期")),
    Column("is_migrant", "是否流动人口", ("流动人口",)),
))

LABELS = {c.field: c.label for c in SURVEY_COLUMNS}


def parse_willingness(text: str | None, where: Where) -> Willingness:
    """The words of resources/synonyms.json (values → willingness): 愿意, 有意向, 否, 待定 …"""
    value = "".join((clean_token(text) or "").split())
    meaning = synonyms.word_map("willingness").get(value)
    if meaning is not None:
        return Willingness(meaning)
    raise AdultSchoolError(f"意愿“{value}”无法识别：请填写“愿意”“不愿意”或“待定”。", where, field="willingness")


def import_survey(session: Session, path: Path, *, actor: str, surveyed_on: date, township: str | None = None,
                  dry_run: bool = False, job: JobContext | None = None, today: date | None = None,
                  mapping: dict[str, str] | None = None, mapping_name: str | None = None) -> ImportReport:
    """New residents become prospects; residents already known get their survey answers updated."""
    job = job or NullJob()
    permissions.require(session, actor, permissions.Permission.IMPORT)
    today = today or clock.today()
    default_township = find_township(session, township).name if township else None
    sheets = read_table(path, job=job)
    report, sheet, header = open_report(session, "survey", sheets, SURVEY_COLUMNS, path, dry_run=dry_run, mapping=mapping)
    sink = RowSink(report, header, LABELS)
    township_ids = dict(session.execute(select(Township.name, Township.id)).all())

    rows: list[dict] = []
    contact_rows: list[dict] = []
    first_row_of_id: dict[str, int] = {}
    first_row_of_contact: dict[tuple[str, str | None, int | None], int] = {}
    first_row_of_name: dict[tuple[str, int | None], int] = {}
    for number, cells in rows_with_progress(sheet, header, report, job, "检查排摸表"):

        def where(name: str) -> Where:
            return Where(sheet.name, number, header.labels.get(name))  # noqa: B023 - called only while this row is read

        def text(name: str) -> str | None:
            return cell_text(cell(cells, header, name))  # noqa: B023 - called only while this row is read

        try:
            name = clean_name(text("name"))
            if not name:
                raise AdultSchoolError("姓名为空。", where("name"), field="name")
            raw_id = id_text(cell(cells, header, "id_number"), where("id_number"))
            if raw_id is None:
                contact = _contact_row(text, cells, header, where, name, default_township, township_ids, surveyed_on,
                                       sink, number)
                key = (name, contact["phone"], contact["township_id"])
                if key in first_row_of_contact:
                    raise AdultSchoolError(f"与第 {first_row_of_contact[key]} 行是同一街道/镇的同一人（姓名、电话相同，保留第一行）。",
                                           field="name")
                first_row_of_contact[key] = number
                same_name = first_row_of_name.get((name, contact["township_id"]))
                if same_name is not None:
                    sink.warn(number, "name", f"与第 {same_name} 行同名、在同一街道/镇，电话不同或没填：请核对是不是同一人。")
                first_row_of_name.setdefault((name, contact["township_id"]), number)
                contact_rows.append({"_row": number, "_cells": cells, **contact})
                continue
            resident = idcard.parse(raw_id, today=today)
            for note in resident.warnings:
                sink.warn(number, "id_number", note)
            if resident.number in first_row_of_id:
                raise AdultSchoolError(f"与第 {first_row_of_id[resident.number]} 行的身份证号码重复（保留第一行）。", field="id_number")
            township_name = text("township") or default_township
            if township_name and township_name not in township_ids:
                raise AdultSchoolError(f"没有名为“{township_name}”的街道/镇，请先在设置里添加。", field="township")
            row: dict[str, Any] = {
                "name": name,
                "id_number": resident.number,
                "gender": Gender(resident.gender),
                "birth_date": resident.birth_date,
                "willingness": parse_willingness(text("willingness"), where("willingness")),
                "household_location": text("household_location"),
                "education": text("education"),
                "employer": text("employer"),
                "job": text("job"),
                "preferred_learning": text("preferred_learning"),
                "phone": _optional_phone(text("phone"), sink, number),
                "township_id": township_ids.get(township_name) if township_name else None,
                "surveyed_on": date_value(cell(cells, header, "surveyed_on"), where("surveyed_on")) or surveyed_on,
                "is_migrant": yes_no(text("is_migrant"), where("is_migrant"), "is_migrant"),
            }
        except AdultSchoolError as exc:
            sink.reject_error(number, cells, exc)
            continue
        first_row_of_id[resident.number] = number
        stated_age = text("age")
        actual_age = idcard.age_on(resident.birth_date, row["surveyed_on"])
        if stated_age and stated_age.isdigit() and int(stated_age) != actual_age:
            sink.warn(number, "age", f"年龄填写为 {stated_age}，按身份证号码应为 {actual_age} 周岁；以身份证为准。")
        rows.append({"_row": number, "_cells": cells, **row})

    savepoint = session.begin_nested() if dry_run else None
    journal = Journal(session, "survey", report.file, [Learner.__table__, SurveyContact.__table__])
    known: dict[str, tuple[int, str]] = {}
    ids = [r["id_number"] for r in rows]
    for start in range(0, len(ids), CHUNK):
        for id_number, learner_id, name in session.execute(
            select(Learner.id_number, Learner.id, Learner.name).where(Learner.id_number.in_(ids[start:start + CHUNK]))
        ):
            known[id_number] = (learner_id, name)
    details_before = audit_diff.learner_details(session, [learner_id for learner_id, _ in known.values()])
    changed_before: dict[str, dict] = {}
    changed_after: dict[str, dict] = {}
    new_rows = []
    for row in rows:
        number, cells = row.pop("_row"), row.pop("_cells")
        existing = known.get(row["id_number"])
        if existing is None:
            new_rows.append(row)
            continue
        learner_id, name = existing
        if name != row["name"]:
            sink.reject(number, cells, "id_number", f"这个身份证号码已登记在“{mask_name(name)}”名下，与姓名“{row['name']}”不符。")
            continue
        # Survey answers are refreshed; registration details already held are not blanked by a sparser survey row.
        given = {k: v for k, v in row.items() if v is not None and k not in ("id_number", "name", "gender", "birth_date")}
        old, new = audit_diff.diff(details_before.get(learner_id, {}), given)
        if new:
            key = details_before[learner_id]["uuid"]
            changed_before[key], changed_after[key] = old, new
            journal.change("learners", key, {k: details_before[learner_id].get(k) for k in given}, given)
        session.execute(update_travelling(Learner).where(Learner.id == learner_id).values(**given),
                        execution_options={"synchronize_session": False})
        report.updated += 1
    for start in range(0, len(new_rows), 2000):
        session.execute(insert(Learner), new_rows[start:start + 2000])
    report.imported = len(new_rows)
    report.imported += _write_contacts(session, contact_rows, sink, report)
    if new_rows:
        from adultschool.services.contacts import match_contacts

        new_ids = [i for i, in session.execute(select(Learner.id).where(
            Learner.id_number.in_([r["id_number"] for r in new_rows][:CHUNK * 20])))]
        match_contacts(session, new_ids, today=today)
    report.rejected.sort(key=lambda p: p.row)
    audit.record(session, actor=actor, action="survey.import", entity="learners",
                 summary=f"排摸导入（{report.file}）：新增 {report.imported} 人，更新 {report.updated} 人",
                 before={"learners": changed_before} if changed_before else None,
                 after={"learners": changed_after} if changed_after else None)
    if savepoint is not None:
        savepoint.rollback()
    else:
        report.batch_id = journal.finish(session, actor=actor,
                                         summary=f"新增 {report.imported} 人，更新 {report.updated} 人")
        keep_mapping(session, "survey", report, name=mapping_name, actor=actor)
    return report


def _optional_phone(text: str | None, sink: RowSink, number: int) -> str | None:
    """The phone is optional: a value that is no phone is a warning, and is not kept (never guessed)."""
    if text is None:
        return None
    if text in synonyms.no_value_words():
        return None
    try:
        return normalise_phone(text)
    except AdultSchoolError as exc:
        sink.warn(number, "phone", f"{exc.message}（电话没有保存）")
        return None


def _contact_row(text, cells, header, where, name: str, default_township: str | None,  # noqa: ANN001
                 township_ids: dict[str, int], surveyed_on: date, sink: RowSink, number: int) -> dict:
    """A survey row without an ID number: the resident is known by name, phone and township until the ID arrives."""
    township_name = text("township") or default_township
    if township_name and township_name not in township_ids:
        raise AdultSchoolError(f"没有名为“{township_name}”的街道/镇，请先在设置里添加。", field="township")
    phone = _optional_phone(text("phone"), sink, number)
    if phone is None and not township_name:
        raise AdultSchoolError("没有身份证号码时，至少要有联系电话或街道/镇，才能在身份证号码补来时认出这个人。",
                               field="phone")
    age_text = text("age")
    age = int(age_text) if age_text and age_text.isdigit() and 0 < int(age_text) < 130 else None
    from adultschool.services.registration import parse_gender

    return {
        "name": name,
        "phone": phone,
        "township_id": township_ids.get(township_name) if township_name else None,
        "gender": parse_gender(text("gender")),
        "age": age,
        "willingness": parse_willingness(text("willingness"), where("willingness")),
        "household_location": text("household_location"),
        "education": text("education"),
        "employer": text("employer"),
        "job": text("job"),
        "preferred_learning": text("preferred_learning"),
        "surveyed_on": date_value(cell(cells, header, "surveyed_on"), where("surveyed_on")) or surveyed_on,
        "is_migrant": yes_no(text("is_migrant"), where("is_migrant"), "is_migrant"),
    }


def _write_contacts(session: Session, rows: list[dict], sink: RowSink, report: ImportReport) -> int:
    """New contacts are added; one already kept with the same name, phone and township gets its answers refreshed."""
    if not rows:
        return 0
    names = sorted({r["name"] for r in rows})
    known: dict[tuple[str, str | None, int | None], int] = {}
    for start in range(0, len(names), CHUNK):
        for found_id, name, phone, township_id in session.execute(
            select(SurveyContact.id, SurveyContact.name, SurveyContact.phone, SurveyContact.township_id)
            .where(SurveyContact.name.in_(names[start:start + CHUNK]))
        ):
            known[(name, phone, township_id)] = found_id
    new: list[dict] = []
    for row in rows:
        number, _cells = row.pop("_row"), row.pop("_cells")
        contact_id = known.get((row["name"], row["phone"], row["township_id"]))
        if contact_id is None:
            new.append(row)
            continue
        given = {k: v for k, v in row.items() if v is not None and k not in ("name", "phone", "township_id")}
        session.execute(update(SurveyContact).where(SurveyContact.id == contact_id).values(**given),
                        execution_options={"synchronize_session": False})
        sink.warn(number, "name", "这个人（同名、同电话、同街道/镇）以前排摸过：已按这次的回答更新。")
        report.updated += 1
    for start in range(0, len(new), 2000):
        session.execute(insert(SurveyContact), new[start:start + 2000])
    return len(new)


@dataclass(frozen=True)
class ProspectRow:
    """A surveyed resident. One without an ID number yet (a survey contact) has learner_id = -contact id, id_number ""
    and the age the sheet gave (None if none)."""

    learner_id: int
    name: str
    gender: str
    id_number: str  # masked
    age: int | None
    township: str | None
    education: str | None
    employer: str | None
    willingness: str | None
    preferred_learning: str | None
    surveyed_on: date | None
    registered: bool
    name_sort: str | None = None  # the name's pinyin sort key (models.keys), for tables sorted by name

    def as_json(self) -> dict:
        return {
            "name": self.name, "gender": self.gender, "id_number": self.id_number, "age": self.age,
            "township": self.township, "education": self.education, "employer": self.employer,
            "willingness": self.willingness, "preferred_learning": self.preferred_learning,
            "surveyed_on": self.surveyed_on.isoformat() if self.surveyed_on else None, "registered": self.registered,
        }


def list_prospects(session: Session, *, township: str | None = None, include_registered: bool = False,
                   today: date | None = None) -> list[ProspectRow]:
    """Surveyed residents, by township and name; by default only those who have not registered yet."""
    today = today or clock.today()
    enrolled = exists().where(Enrolment.learner_id == Learner.id)
    query = (
        select(Learner.id, Learner.name, Learner.gender, Learner.id_number, Learner.birth_date, Township.name,
               Learner.education, Learner.employer, Learner.willingness, Learner.preferred_learning,
               Learner.surveyed_on, enrolled, Learner.name_sort)
        .outerjoin(Township, Learner.township_id == Township.id)
        .where(Learner.surveyed_on.is_not(None))
        .order_by(Township.name_sort.asc().nulls_last(), Learner.name_sort)
    )
    if not include_registered:
        query = query.where(~enrolled)
    if township:
        query = query.where(Township.name == township)
    return [
        ProspectRow(
            learner_id=r[0], name=r[1], gender=r[2].value, id_number=idcard.mask(r[3]), age=idcard.age_on(r[4], today),
            township=r[5], education=r[6], employer=r[7], willingness=r[8].value if r[8] else None,
            preferred_learning=r[9], surveyed_on=r[10], registered=bool(r[11]), name_sort=r[12],
        )
        for r in session.execute(query)
    ] + _contact_prospects(session, township=township, include_registered=include_registered)


def _contact_prospects(session: Session, *, township: str | None, include_registered: bool) -> list[ProspectRow]:
    query = (select(SurveyContact, Township.name, Township.name_sort)
             .outerjoin(Township, SurveyContact.township_id == Township.id))
    if not include_registered:
        query = query.where(SurveyContact.learner_id.is_(None))
    if township:
        query = query.where(Township.name == township)
    # A contact keeps no stored key (it has no learner row yet): computed here, by township and name in pinyin order.
    found = [(t_sort, ProspectRow(
        learner_id=-c.id, name=c.name, gender=c.gender.value if c.gender else "", id_number="", age=c.age, township=t,
        education=c.education, employer=c.employer, willingness=c.willingness.value if c.willingness else None,
        preferred_learning=c.preferred_learning, surveyed_on=c.surveyed_on, registered=c.learner_id is not None,
        name_sort=name_keys(c.name)["name_sort"])) for c, t, t_sort in session.execute(query)]
    found.sort(key=lambda item: (item[0] is None, item[0] or "", item[1].name_sort or "", item[1].name))
    return [row for _, row in found]


@dataclass(frozen=True)
class SurveyProgress:
    township: str
    surveyed: int
    willing: int
    registered: int


def survey_progress(session: Session) -> list[SurveyProgress]:
    """Per township: residents surveyed, willing to upgrade, and already registered (R9 completion)."""
    enrolled = exists().where(Enrolment.learner_id == Learner.id)
    query = (
        select(
            func.coalesce(Township.name, "（未指定）"),
            func.count(Learner.id),
            func.sum(case((Learner.willingness == Willingness.YES, 1), else_=0)),
            func.sum(case((enrolled, 1), else_=0)),
        )
        .outerjoin(Township, Learner.township_id == Township.id)
        .where(Learner.surveyed_on.is_not(None))
        .group_by(Township.name)
    )
    found = {t: [s, int(w or 0), int(r or 0)] for t, s, w, r in session.execute(query)}
    contacts = (
        select(func.coalesce(Township.name, "（未指定）"), func.count(SurveyContact.id),
               func.sum(case((SurveyContact.willingness == Willingness.YES, 1), else_=0)),
               func.sum(case((SurveyContact.learner_id.is_not(None), 1), else_=0)))
        .outerjoin(Township, SurveyContact.township_id == Township.id).group_by(Township.name)
    )
    for t, s, w, r in session.execute(contacts):  # residents without an ID yet count where they were surveyed
        entry = found.setdefault(t, [0, 0, 0])
        entry[0] += s
        entry[1] += int(w or 0)
        entry[2] += int(r or 0)
    order = dict(session.execute(select(Township.name, Township.name_sort)).all())  # pinyin; 未指定 last
    return [SurveyProgress(t, *found[t]) for t in sorted(found, key=lambda t: (t not in order, order.get(t) or "", t))]


def registration_from_prospect(session: Session, learner_id: int, *, level: str | None = None, registered_on: date,
                               phone: str | None = None) -> RegistrationInput:
    """A registration form filled from what the survey knows about the person; the clerk confirms it.

    A negative id is a survey contact (no ID number yet: the clerk types it)."""
    if learner_id < 0:
        contact = session.get(SurveyContact, -learner_id)
        if contact is None:
            raise AdultSchoolError("找不到这位居民，可能已被删除。")
        return RegistrationInput(
            name=contact.name, id_number=None, level=level, registered_on=registered_on, phone=phone or contact.phone,
            education=contact.education, employer=contact.employer, job=contact.job,
            household_location=contact.household_location,
            township=contact.township.name if contact.township else None, is_migrant=contact.is_migrant)
    learner = session.get(Learner, learner_id)
    if learner is None:
        raise AdultSchoolError("找不到这位居民，可能已被删除。")
    return RegistrationInput(
        name=learner.name, id_number=learner.id_number, level=level, registered_on=registered_on,
        phone=phone or learner.phone, education=learner.education, employer=learner.employer,
        address=learner.address, job=learner.job, household_location=learner.household_location,
        township=learner.township.name if learner.township else None, is_migrant=learner.is_migrant,
    )
