"""Registering learners (R1, R2, R7): one check used by the dialog's live validation, the roster import and the CLI.

`check` is pure (no database); `register` adds what only the database knows and writes in bulk.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Sequence

from sqlalchemy import String, func, select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool import idcard, synonyms
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.models import (
    CLOSED_STATUSES,
    Enrolment,
    EnrolmentStatus,
    Gender,
    LearningMode,
    Learner,
    Level,
    StudentNumberCounter,
    Township,
)
from adultschool.db.bulk import bulk_insert
from adultschool.models.base import new_uuid
from adultschool.models.keys import with_name_keys
from adultschool.services import audit, audit_diff, permissions
from adultschool.services.journal import Journal
from adultschool.services.privacy import NOTICE_VERSION
from adultschool.services.site import require_school
from adultschool.rule_defaults import Rules
from adultschool.textnorm import clean_name, clean_text, normalise_phone
from adultschool.services.field_labels import FIELD_LABELS
from adultschool.services.sync_tables import update_travelling


CHUNK = 500  # stays under SQLite's bound-parameter limit for IN (...)
# Free-text details a registration (or a later correction) stores as given, after clean_text.
DETAIL_TEXT_FIELDS = ("education", "employer", "address", "job", "household_location")


def _column_length(field: str) -> int:
    column_type = Learner.__table__.c[field].type
    if not isinstance(column_type, String) or column_type.length is None:
        raise TypeError(f"learners.{field} is not a VARCHAR of a given length")
    return column_type.length


# The longest text each learner field takes (its column's length). PostgreSQL refuses longer text where SQLite would
# keep it, so the check refuses it on both databases, naming the field.
MAX_LENGTHS: dict[str, int] = {field: _column_length(field) for field in ("name", *DETAIL_TEXT_FIELDS)}


def length_problems(values: dict[str, str | None]) -> list[Problem]:
    """A Problem for each (cleaned) value longer than its field takes."""
    return [Problem(field, f"{FIELD_LABELS[field]}太长：{len(value)} 个字，最多 {MAX_LENGTHS[field]} 个字。")
            for field, value in values.items() if value is not None and len(value) > MAX_LENGTHS[field]]


@dataclass(frozen=True)
class RegistrationInput:
    """What a clerk typed or a roster row held; raw text, normalised by `check`."""

    name: str | None
    id_number: str | None
    level: str | None
    registered_on: date
    phone: str | None = None
    gender: str | None = None  # as given; the ID number decides
    education: str | None = None
    employer: str | None = None
    address: str | None = None
    job: str | None = None
    household_location: str | None = None
    township: str | None = None
    learning_mode: str | None = None
    is_migrant: bool | None = None
    # PIPL consent given at the desk (the registration dialog's two boxes); None: not asked here (imports)
    consent_id_number: bool | None = None
    consent_photo: bool | None = None


@dataclass(frozen=True)
class Problem:
    field: str  # code name, see FIELD_LABELS
    message: str  # Chinese


@dataclass(frozen=True)
class CheckedRegistration:
    """The outcome of `check`: normalised values, derived facts, errors (refuse) and warnings (tell)."""

    source: RegistrationInput
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    name: str | None = None
    id_number: str | None = None
    birth_date: date | None = None
    gender: Gender | None = None
    age: int | None = None
    level: Level | None = None
    phone: str | None = None
    learning_mode: LearningMode | None = None
    quota_year: int | None = None
    dropped: tuple[str, ...] = ()  # optional fields whose value was not usable: warned about, stored as empty

    @property
    def ok(self) -> bool:
        return not self.errors

    def first_error(self) -> str:
        return "；".join(p.message for p in self.errors)


@functools.lru_cache(maxsize=256)  # a roster repeats a handful of spellings ten thousand times
def parse_level(text: str | None) -> Level:
    """Anything naming 初中 is junior, 高中 senior ("成人高中", "高 中" too; the words are in resources/synonyms.json);
    nothing else is guessed."""
    value = clean_text(text) or ""
    compact = "".join(value.split()).lower()
    words = synonyms.value_words("level")
    is_junior = any(w.lower() in compact for w in words.get("junior", ("初中",))) or compact == Level.JUNIOR.value
    is_senior = any(w.lower() in compact for w in words.get("senior", ("高中",))) or compact == Level.SENIOR.value
    if is_junior != is_senior:
        return Level.JUNIOR if is_junior else Level.SENIOR
    if not value:
        raise AdultSchoolError("学历提升层次为空：请填写“初中”或“高中”。", field="level")
    raise AdultSchoolError(f"学历提升层次“{value}”无法识别：请填写“初中”或“高中”。", field="level")


@functools.lru_cache(maxsize=256)
def parse_gender(text: str | None) -> Gender | None:
    value = (clean_text(text) or "").lower()
    if value in ("男", "male", "m", "男性"):
        return Gender.MALE
    if value in ("女", "female", "f", "女性"):
        return Gender.FEMALE
    return None


def parse_learning_mode(text: str | None) -> LearningMode | None:
    value = (clean_text(text) or "").lower()
    if not value:
        return None
    if value in ("线上", "网上", "在线", "网络", "online"):
        return LearningMode.ONLINE
    if value in ("线下", "面授", "送教上门", "offline"):
        return LearningMode.OFFLINE
    raise AdultSchoolError(f"学习方式“{value}”无法识别：请填写“线上”或“线下”。", field="learning_mode")


def check(data: RegistrationInput, rules: Rules, *, today: date | None = None,
          optional_as_warnings: bool = False) -> CheckedRegistration:
    """Every rule a registration must meet that needs no database: R1 age, ID number, level, phone, dates.

    With `optional_as_warnings` (a roster row, which nobody can correct on the spot), an unusable phone or detail is a
    warning and is not stored; at the keyboard it is refused beside its field, to be corrected there."""
    today = today or clock.today()
    errors: list[Problem] = []
    warnings: list[Problem] = []
    values: dict = {}

    name = clean_name(data.name)
    if not name:
        errors.append(Problem("name", "姓名为空。"))
    values["name"] = name

    if data.registered_on > today:
        errors.append(Problem("registered_on", f"报名日期 {data.registered_on} 晚于今天，不能预先登记。"))

    try:
        resident = idcard.parse(data.id_number, today=today)
    except AdultSchoolError as exc:
        errors.append(Problem("id_number", exc.message))
    else:
        values.update(id_number=resident.number, birth_date=resident.birth_date, gender=Gender(resident.gender))
        if resident.kind == "foreign_permanent" and not rules.values["accept_foreign_permanent_residents"]:
            errors.append(Problem(
                "id_number", "这是外国人永久居留身份证号码：按规则表，本校不接受持这种证件者报名"
                "（规则“接受持外国人永久居留身份证者报名”，由分中心规定）。"))
        for note in resident.warnings:
            warnings.append(Problem("id_number", note))
        age = idcard.age_on(resident.birth_date, data.registered_on)
        values["age"] = age
        if not rules.min_age <= age <= rules.max_age:
            errors.append(Problem(
                "id_number",
                f"报名当天（{data.registered_on}）年龄 {age} 周岁，不在可报名的 {rules.min_age}–{rules.max_age} 周岁之间。",
            ))
        given = parse_gender(data.gender)
        if clean_text(data.gender) and given is None:
            warnings.append(Problem("gender", f"性别“{clean_text(data.gender)}”无法识别，"
                                              f"已按身份证号码登记为{Gender(resident.gender).label}。"))
        elif given is not None and given.value != resident.gender:
            warnings.append(Problem(
                "gender", f"性别填写为“{given.label}”，但身份证号码显示为{Gender(resident.gender).label}；已按身份证号码登记。"
            ))

    try:
        values["level"] = parse_level(data.level)
    except AdultSchoolError as exc:
        errors.append(Problem("level", exc.message))

    # The phone and the details are optional: a value that cannot be used is a warning and is not stored (never a
    # guess), and the registration is still made.
    dropped: list[str] = []
    optional_problems = warnings if optional_as_warnings else errors
    phone_text = clean_text(data.phone)
    if phone_text is not None and phone_text in synonyms.no_value_words() and optional_as_warnings:
        warnings.append(Problem("phone", f"联系电话写的是“{phone_text}”，没有电话号码：登记时电话留空。"))
        dropped.append("phone")
        values["phone"] = None
    else:
        try:
            values["phone"] = normalise_phone(data.phone)
        except AdultSchoolError as exc:
            if optional_as_warnings:
                warnings.append(Problem("phone", f"{exc.message}（电话没有保存，报名照常登记；核实后可在学员信息里补上。）"))
            else:
                errors.append(Problem("phone", exc.message))
            dropped.append("phone")
            values["phone"] = None

    try:
        values["learning_mode"] = parse_learning_mode(data.learning_mode)
    except AdultSchoolError as exc:
        errors.append(Problem("learning_mode", exc.message))

    errors += length_problems({"name": name})
    for problem in length_problems({f: clean_text(getattr(data, f)) for f in DETAIL_TEXT_FIELDS}):
        optional_problems.append(Problem(problem.field, f"{problem.message}这一项没有保存，报名照常登记。")
                                 if optional_as_warnings else problem)
        dropped.append(problem.field)
    values["dropped"] = tuple(dropped)

    quota_year = rules.quota_year(data.registered_on)
    values["quota_year"] = quota_year
    if rules.is_late(data.registered_on):
        deadline = rules.enrolment_deadline(data.registered_on.year)
        warnings.append(Problem(
            "registered_on",
            f"报名日期已过 {data.registered_on.year} 年的报名截止日（{deadline}）：请确认分中心仍接收这批报名。"
            f"这次报名计入 {quota_year} 年的任务数。",
        ))
    return CheckedRegistration(source=data, errors=tuple(errors), warnings=tuple(warnings), **values)


@dataclass(frozen=True)
class Registered:
    student_number: str
    name: str
    level: Level
    enrolment_uuid: str


@dataclass(frozen=True)
class Rejected:
    index: int  # position in the input sequence
    problems: tuple[Problem, ...]


@dataclass
class RegistrationBatch:
    registered: list[Registered] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    uuid: str


@dataclass(frozen=True, slots=True)
class _Passed:
    """A row of a batch that passed `check`, with the facts `check` gives every row without an error."""

    index: int
    row: CheckedRegistration
    id_number: str
    name: str
    level: Level


def _passed(index: int, row: CheckedRegistration) -> _Passed:
    if row.id_number is None or row.name is None or row.level is None:
        raise ValueError(f"row {index} has no error but lacks its name, ID number or level")
    return _Passed(index, row, row.id_number, row.name, row.level)


def _existing_people(session: Session, id_numbers: Sequence[str]) -> dict[str, _Person]:
    found: dict[str, _Person] = {}
    for start in range(0, len(id_numbers), CHUNK):
        chunk = id_numbers[start:start + CHUNK]
        for row in session.execute(
            select(Learner.id_number, Learner.id, Learner.name, Learner.uuid).where(Learner.id_number.in_(chunk))
        ):
            found[row[0]] = _Person(row[1], row[2], row[3])
    return found


def _open_enrolments(session: Session, learner_ids: Sequence[int]) -> dict[tuple[int, Level], str]:
    found: dict[tuple[int, Level], str] = {}
    for start in range(0, len(learner_ids), CHUNK):
        chunk = learner_ids[start:start + CHUNK]
        for learner_id, level, number in session.execute(
            select(Enrolment.learner_id, Enrolment.level, Enrolment.student_number).where(
                Enrolment.learner_id.in_(chunk), Enrolment.status.not_in(CLOSED_STATUSES)
            )
        ):
            found[(learner_id, level)] = number
    return found


def conflicts(session: Session, checked: CheckedRegistration) -> tuple[Problem, ...]:
    """What only the database knows: the ID held by someone of another name, or already enrolled at the level."""
    if checked.id_number is None:
        return ()
    person = _existing_people(session, [checked.id_number]).get(checked.id_number)
    if person is None:
        return ()
    problems = []
    if checked.name and person.name != checked.name:
        problems.append(Problem("id_number", f"这个身份证号码已登记在“{mask_name(person.name)}”名下，与姓名“{checked.name}”不符。"))
    if checked.level is not None:
        number = _open_enrolments(session, [person.id]).get((person.id, checked.level))
        if number:
            problems.append(Problem("level", f"此人已在读{checked.level.label}（学籍号 {number}），同一层次不能重复报名。"))
    return tuple(problems)


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1)


def _next_serials(session: Session, school_id: int, year: int, count: int) -> int:
    """Reserves `count` serials for the school and year; returns the first. Never reuses one (R2)."""
    counter = session.execute(
        select(StudentNumberCounter).where(StudentNumberCounter.school_id == school_id, StudentNumberCounter.year == year)
    ).scalar()
    if counter is None:
        counter = StudentNumberCounter(school_id=school_id, year=year, last_serial=0)
        session.add(counter)
        session.flush()
    first = counter.last_serial + 1
    counter.last_serial += count
    session.flush()
    return first


def student_number(school_code: str, year: int, serial: int) -> str:
    """R2: readable and unique: school code, year, serial (330205-01-2026-00017)."""
    return f"{school_code}-{year}-{serial:05d}"


def school_townships(session: Session, school_id: int) -> dict[str, int]:
    """The townships whose quota this school is responsible for (R8), by name."""
    return dict(session.execute(select(Township.name, Township.id).where(Township.school_id == school_id)
                                .order_by(Township.name_sort)).all())


def township_of(row: CheckedRegistration, own: dict[str, int]) -> str:
    """The township a registration counts toward: as given, or the school's only township."""
    return clean_text(row.source.township) or (next(iter(own)) if len(own) == 1 else "")


def _township_ids(session: Session, rows: Iterable[CheckedRegistration]) -> dict[str, int]:
    wanted = {clean_text(r.source.township) for r in rows if clean_text(r.source.township)}
    if not wanted:
        return {}
    return dict(session.execute(select(Township.name, Township.id).where(Township.name.in_(wanted))).all())


def register(session: Session, rows: Sequence[CheckedRegistration], *, actor: str, job: JobContext | None = None,
             source: str = "手工登记", row_sources: Sequence[str] | None = None,
             journal: Journal | None = None, today: date | None = None) -> RegistrationBatch:
    """Registers every row that passes `check` and `conflicts`; the rest come back as Rejected.

    `source` names the batch in the audit log; `row_sources` (one per row) is kept on each enrolment; `journal`
    notes the details of people already known that this batch changed (an import's way back); `today` (by default
    the clock's) is the day survey contacts whose ID has now arrived are matched on.

    Bulk and set-based: a few queries per 500 rows, whatever the batch size. The caller owns the transaction.
    """
    job = job or NullJob()
    permissions.require(session, actor, permissions.Permission.REGISTER)
    site = require_school(session)
    school_id = site.school_id
    assert school_id is not None  # require_school refuses a site without its school
    batch = RegistrationBatch()
    townships = _township_ids(session, rows)
    own = school_townships(session, school_id)
    if len(own) == 1:
        townships.update(own)
    candidates: list[_Passed] = []
    for index, row in enumerate(rows):
        problems = list(row.errors)
        township = clean_text(row.source.township)
        if township and township not in townships:
            problems.append(Problem("township", f"没有名为“{township}”的街道/镇，请先在设置里添加。"))
        elif not township and len(own) > 1:
            problems.append(Problem("township", f"没有填写街道/镇：本校负责 {len(own)} 个街道/镇（{'、'.join(own)}），"
                                                "请写明这次报名计入哪一个的任务数（导入名单时也可用“街道/镇”列或 --township 指定）。"))
        if problems:
            batch.rejected.append(Rejected(index, tuple(problems)))
        else:
            candidates.append(_passed(index, row))
    job.check_cancelled()

    people = _existing_people(session, [c.id_number for c in candidates])
    open_levels = _open_enrolments(session, [p.id for p in people.values()])
    accepted: list[_Passed] = []
    seen: dict[str, int] = {}
    for candidate in candidates:
        index, id_number = candidate.index, candidate.id_number
        person = people.get(id_number)
        problems = []
        if id_number in seen:
            problems.append(Problem("id_number", f"与同一批第 {seen[id_number] + 1} 条的身份证号码重复。"))
        seen.setdefault(id_number, index)
        if person is not None:
            if person.name != candidate.name:
                problems.append(Problem("id_number", f"这个身份证号码已登记在“{mask_name(person.name)}”名下，"
                                                     f"与姓名“{candidate.name}”不符。"))
            number = open_levels.get((person.id, candidate.level))
            if number:
                problems.append(Problem("level", f"此人已在读{candidate.level.label}（学籍号 {number}），同一层次不能重复报名。"))
        if problems:
            batch.rejected.append(Rejected(index, tuple(problems)))
        else:
            accepted.append(candidate)
    batch.rejected.sort(key=lambda r: r.index)
    if not accepted:
        return batch

    # New people in one INSERT; people already known (prospects from a survey, or enrolled at the other level)
    # get the details this registration gave, never blanked by what it left out.
    new_people = [a for a in accepted if a.id_number not in people]
    known = [a for a in accepted if a.id_number in people]
    # db.bulk: the ORM's unit of work, or even Core's per-row parameter building, costs more than SQLite here.
    person_values = [_person_values(a.row, townships, own) for a in new_people]
    # The write lock keeps other writers out: what lies above today's largest id after the insert is this batch.
    since = session.execute(select(func.coalesce(func.max(Learner.id), 0))).scalar_one() if new_people else 0
    for start in range(0, len(person_values), 2000):
        chunk = person_values[start:start + 2000]
        bulk_insert(session, Learner.__table__, chunk)
        job.report(start + len(chunk), len(accepted) * 2, "写入学员")
    if new_people:  # the rows just inserted, found by id rather than by 10,000 ID numbers
        for learner_id, id_number, name, uuid in session.execute(
                select(Learner.id, Learner.id_number, Learner.name, Learner.uuid).where(Learner.id > since)):
            people[id_number] = _Person(learner_id, name, uuid)
    details_before = audit_diff.learner_details(session, [people[a.id_number].id for a in known])
    changed_before: dict[str, dict] = {}
    changed_after: dict[str, dict] = {}
    for passed in known:
        given = {k: v for k, v in _person_values(passed.row, townships, own).items()
                 if v is not None and k not in ("id_number",)}
        person = people[passed.id_number]
        old, new = audit_diff.diff(details_before.get(person.id, {}), given)
        if new:
            changed_before[person.uuid], changed_after[person.uuid] = old, new
        if journal is not None:
            journal.change("learners", person.uuid, {k: details_before.get(person.id, {}).get(k) for k in given}, given)
        session.execute(
            update_travelling(Learner).where(Learner.id == person.id)
            .values(**with_name_keys(given)), execution_options={"synchronize_session": False}
        )

    by_year: dict[int, list[_Passed]] = {}
    for item in accepted:
        by_year.setdefault(item.row.source.registered_on.year, []).append(item)
    enrolment_values: list[dict[str, Any]] = []
    registered: list[Registered] = []
    for year, items in sorted(by_year.items()):
        first = _next_serials(session, school_id, year, len(items))
        for offset, item in enumerate(items):
            row = item.row
            number = student_number(site.code, year, first + offset)
            enrolment_uuid = new_uuid()
            enrolment_values.append({
                "uuid": enrolment_uuid,
                "source": row_sources[item.index] if row_sources else source,
                "learner_id": people[item.id_number].id,
                "school_id": school_id,
                "level": item.level,
                "student_number": number,
                "registered_on": row.source.registered_on,
                "learning_mode": row.learning_mode,
                "status": EnrolmentStatus.ACTIVE,
                "township_id": townships.get(township_of(row, own)),
                "quota_year": row.quota_year,
            })
            registered.append(Registered(number, item.name, item.level, enrolment_uuid))
    for start in range(0, len(enrolment_values), 2000):
        chunk = enrolment_values[start:start + 2000]
        bulk_insert(session, Enrolment.__table__, chunk)
        job.report(len(accepted) + start + len(chunk), len(accepted) * 2, "发放学籍号")
    batch.registered = registered

    from adultschool.services.contacts import match_contacts  # survey contacts whose ID has now arrived

    match_contacts(session, [people[a.id_number].id for a in accepted], today=today)
    audit.record(
        session, actor=actor, action="learner.register", entity="enrolments",
        entity_uuid=batch.registered[0].enrolment_uuid if len(batch.registered) == 1 else None,
        summary=f"{source}：登记 {len(batch.registered)} 人"
                + (f"，其中 {len(changed_after)} 人的登记信息有改动" if changed_after else ""),
        before={"learners": changed_before} if changed_before else None,
        after={"student_numbers": [r.student_number for r in batch.registered],
               **({"learners": changed_after} if changed_after else {})},
    )
    return batch


def _person_values(row: CheckedRegistration, townships: dict[str, int], own: dict[str, int]) -> dict:
    source = row.source

    def detail(field_name: str) -> str | None:
        return None if field_name in row.dropped else clean_text(getattr(source, field_name))

    return {
        "name": row.name,
        "id_number": row.id_number,
        "gender": row.gender,
        "birth_date": row.birth_date,
        "phone": row.phone,
        "education": detail("education"),
        "employer": detail("employer"),
        "address": detail("address"),
        "job": detail("job"),
        "household_location": detail("household_location"),
        "is_migrant": source.is_migrant,
        "township_id": townships.get(township_of(row, own)),
        **_consent_values(source),
    }


def _consent_values(source: RegistrationInput) -> dict:
    asked = source.consent_id_number is not None or source.consent_photo is not None
    return {"consent_notice": NOTICE_VERSION if asked else None, "consent_on": source.registered_on if asked else None,
            "consent_id_number": source.consent_id_number, "consent_photo": source.consent_photo}


CARD_PHOTO_SOURCE = "身份证读卡器"


def register_one(session: Session, data: RegistrationInput, rules: Rules, *, actor: str,
                 today: date | None = None, card_photo: bytes | None = None) -> tuple[Registered, tuple[Problem, ...]]:
    """Keyboard registration: the same checks and writer as the roster import; raises on the first refusal.

    `card_photo`: the photo the ID card reader gave, which the clerk chose to use; kept as the learner's registration
    photo (a small JPEG, like any other) in the same transaction, and only with the person's consent to the photo."""
    if card_photo is not None and not data.consent_photo:
        raise AdultSchoolError("要使用证件照片，须本人同意使用照片：请勾选“本人同意使用照片”，或不用证件照片。",
                               field="consent_photo")
    checked = check(data, rules, today=today)
    batch = register(session, [checked], actor=actor, today=today)
    if batch.rejected:
        problem = batch.rejected[0].problems[0]
        raise AdultSchoolError(problem.message, field=problem.field)
    registered = batch.registered[0]
    if card_photo is not None:
        from adultschool.services import photos  # Pillow only when a photo comes with the form

        photos.set_photo(session, registered.student_number, card_photo, source=CARD_PHOTO_SOURCE, actor=actor,
                         smallest=photos.CARD_PHOTO_SIZE)
    return registered, checked.warnings


__all__ = [
    "CheckedRegistration",
    "Problem",
    "Registered",
    "RegistrationBatch",
    "RegistrationInput",
    "check",
    "conflicts",
    "parse_level",
    "register",
    "register_one",
]
