"""Correcting a learner's details after registration (name, phone, address, work, education, household, township,
migrant status), refused when someone else saved the same learner since it was opened (optimistic locking).

Not the ID number, gender, level or registration date: those are corrections of a registration's facts, audited
with a reason and refused once exams rest on them (services.enrolments.correct). The row version is checked in the
UPDATE itself (`WHERE id = ? AND version = ?`), so two saves racing on two PCs cannot both win, on SQLite or on PostgreSQL.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, select
from sqlalchemy.orm import Session

from adultschool import idcard
from adultschool.errors import AdultSchoolError
from adultschool.models import Enrolment, Gender, Learner, Township, with_name_keys
from adultschool.services import audit, audit_diff, permissions, site
from adultschool.services.learners import mask_phone
from adultschool.services.registration import DETAIL_TEXT_FIELDS, FIELD_LABELS, MAX_LENGTHS, length_problems
from adultschool.textnorm import clean_name, clean_text, normalise_phone
from adultschool.services.sync_tables import update_travelling

STALE_MESSAGE = "这个学员的信息刚被别人（或另一个窗口）修改过，您的修改没有保存。请重新打开后再改。"

LABELS = {**FIELD_LABELS, "is_migrant": "流动人口"}


class _Keep:
    """The value of a LearnerChanges field that is not to be changed."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


@dataclass(frozen=True)
class LearnerChanges:
    """What to change; a field left at KEEP stays as it is. Text is raw (cleaned here); "" or None clears an optional
    field (the name cannot be cleared). `township` is a township's name; `is_migrant` True, False or None (unknown)."""

    name: str | None = KEEP
    phone: str | None = KEEP
    address: str | None = KEEP
    employer: str | None = KEEP
    job: str | None = KEEP
    education: str | None = KEEP
    household_location: str | None = KEEP
    township: str | None = KEEP
    is_migrant: bool | None = KEEP

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not KEEP}


@dataclass(frozen=True)
class LearnerForEdit:
    """A learner's details as the edit dialog shows them, with the row version the save must still find."""

    learner_id: int
    version: int
    name: str
    id_number: str  # masked: not editable, shown so the clerk knows whom they edit
    gender: str  # 男 / 女
    birth_date: date
    phone: str | None  # masked: typing a new number replaces it
    address: str | None
    employer: str | None
    job: str | None
    education: str | None
    household_location: str | None
    township: str | None
    is_migrant: bool | None
    student_numbers: tuple[str, ...]


@dataclass(frozen=True)
class LearnerEdited:
    learner_id: int
    version: int  # the row version after the save (unchanged when nothing changed)
    changed: tuple[str, ...]  # field names, in LearnerChanges order

    def describe(self) -> str:
        return "、".join(LABELS.get(f, f) for f in self.changed) if self.changed else "没有改动"


class StaleLearner(AdultSchoolError):
    """Someone saved this learner after it was opened here; nothing of this save was written."""

    def __init__(self) -> None:
        super().__init__(STALE_MESSAGE)


def find_learner_id(session: Session, student_number: str) -> int:
    """The learner behind a student number (学籍号)."""
    number = clean_text(student_number) or ""
    learner_id = session.execute(select(Enrolment.learner_id).where(Enrolment.student_number == number)).scalar()
    if learner_id is None:
        raise AdultSchoolError(f"找不到学籍号为“{number}”的学员。", field="student_number")
    return learner_id


def _learner(session: Session, learner_id: int) -> Learner:
    learner = session.get(Learner, learner_id, populate_existing=True)
    if learner is None:
        raise AdultSchoolError("找不到这个学员（可能已被删除）。")
    return learner


def load_for_edit(session: Session, learner_id: int, *, actor: str) -> LearnerForEdit:
    permissions.require(session, actor, permissions.Permission.VIEW_LEARNERS)
    learner = _learner(session, learner_id)
    numbers = session.execute(select(Enrolment.student_number).where(Enrolment.learner_id == learner_id)
                              .order_by(Enrolment.registered_on, Enrolment.id)).scalars().all()
    return LearnerForEdit(
        learner_id=learner.id, version=learner.version, name=learner.name, id_number=idcard.mask(learner.id_number),
        gender=Gender(learner.gender).label, birth_date=learner.birth_date, phone=mask_phone(learner.phone),
        address=learner.address, employer=learner.employer, job=learner.job, education=learner.education,
        household_location=learner.household_location,
        township=learner.township.name if learner.township is not None else None,
        is_migrant=learner.is_migrant, student_numbers=tuple(numbers),
    )


def _refuse_too_long(values: dict[str, Any]) -> None:
    problems = length_problems({f: values[f] for f in MAX_LENGTHS if f in values})
    if problems:
        raise AdultSchoolError(problems[0].message, field=problems[0].field)


def clean_changes(session: Session, changes_: LearnerChanges) -> dict[str, Any]:
    """The given fields as they would be stored (column name → value), or an AdultSchoolError naming the field.
    The same normalisers the registration uses: clean_name, normalise_phone, clean_text."""
    given = changes_.given()
    values: dict[str, Any] = {}
    if "name" in given:
        name = clean_name(given["name"])
        if not name:
            raise AdultSchoolError("姓名为空。", field="name")
        values["name"] = name
    if "phone" in given:
        values["phone"] = normalise_phone(given["phone"])
    for field in DETAIL_TEXT_FIELDS:
        if field in given:
            values[field] = clean_text(given[field])
    _refuse_too_long(values)
    if "township" in given:
        township = clean_text(given["township"])
        if township is None:
            values["township_id"] = None
        else:
            try:
                values["township_id"] = site.find_township(session, township).id
            except AdultSchoolError as exc:
                raise AdultSchoolError(exc.message, field="township") from None
    if "is_migrant" in given:
        if given["is_migrant"] not in (True, False, None):
            raise AdultSchoolError("流动人口只能是“是”“否”或不填。", field="is_migrant")
        values["is_migrant"] = given["is_migrant"]
    return values


def _township_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Township.id, Township.name).where(Township.id.in_(wanted))).all())


def update_learner(session: Session, learner_id: int, expected_version: int, changes_: LearnerChanges,
                   actor: str) -> LearnerEdited:
    """Saves the changes if the learner is still at `expected_version` (the version the clerk opened), else raises
    StaleLearner and writes nothing. The caller owns the (write) transaction. Audited with before → after."""
    permissions.require(session, actor, permissions.Permission.REGISTER)
    site.require_school(session)
    values = clean_changes(session, changes_)
    before = audit_diff.learner_details(session, [learner_id]).get(learner_id)
    if before is None:
        raise AdultSchoolError("找不到这个学员（可能已被删除）。")
    changed = {k: v for k, v in values.items() if v != before.get(k)}
    if not changed:
        current = session.execute(select(Learner.version).where(Learner.id == learner_id)).scalar_one()
        if current != expected_version:
            raise StaleLearner()
        return LearnerEdited(learner_id, current, ())
    # The version test is in the UPDATE itself: a save that lost a race finds no row, whatever the isolation level
    # (and the write lock of engine.py makes the second writer wait for the first one's commit).
    result = cast(CursorResult, session.execute(  # an UPDATE's result: its rowcount
        update_travelling(Learner).where(Learner.id == learner_id, Learner.version == expected_version)
        .values(**with_name_keys(changed)),
        execution_options={"synchronize_session": False},
    ))
    if result.rowcount != 1:
        raise StaleLearner()
    old, new = audit_diff.diff(before, changed)
    if "township_id" in changed:  # names, not ids, for the people who read the audit log
        names = _township_names(session, {before.get("township_id"), changed["township_id"]})
        old.pop("township_id", None)
        new.pop("township_id", None)
        old["township"] = names.get(before.get("township_id"))  # type: ignore[arg-type]
        new["township"] = names.get(changed["township_id"])
    order = [f.name for f in fields(LearnerChanges)]
    field_names = tuple(f for f in order if (("township_id" if f == "township" else f) in changed))
    name = changed.get("name", before.get("name"))
    audit.record(
        session, actor=actor, action="learner.edit", entity="learners",
        entity_uuid=before["uuid"],
        summary=f"修改学员“{name}”的登记信息：" + "、".join(LABELS.get(f, f) for f in field_names),
        before=old, after=new,
    )
    session.expire_all()  # ORM objects loaded earlier in this session must not show the old version
    return LearnerEdited(learner_id, expected_version + 1, field_names)


__all__ = [
    "KEEP",
    "MAX_LENGTHS",
    "LearnerChanges",
    "LearnerEdited",
    "LearnerForEdit",
    "STALE_MESSAGE",
    "StaleLearner",
    "clean_changes",
    "find_learner_id",
    "load_for_edit",
    "update_learner",
]
