"""Finding learners: one row per enrolment, filtered, searched and sorted in SQL, paged for the GUI's lazy model.

A search of Latin letters also finds names by pinyin (`zhangwei`, `zhang`) and initials (`zw`) in the learners' stored
keys (models.keys); names and townships sort by their stored pinyin keys.

ID numbers and phones leave this module masked unless the caller asks for them in full; asking needs the
VIEW_FULL_ID permission and is written to the audit log (so it runs in a write transaction).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from adultschool import idcard, pinyin
from adultschool.models import ClassMember, Enrolment, EnrolmentStatus, Learner, Level, Township
from adultschool.services import permissions
from adultschool.textnorm import clean_text


@dataclass(frozen=True)
class LearnerFilter:
    search: str | None = None  # name (or its pinyin, or initials), ID number, phone or student number (part of any)
    level: Level | None = None
    status: EnrolmentStatus | None = None
    township_id: int | None = None
    in_no_class: bool = False  # only enrolments on no class roster yet (加入学员)


@dataclass(frozen=True)
class LearnerRow:
    enrolment_id: int
    student_number: str
    name: str
    gender: str  # 'male' | 'female'
    id_number: str  # masked unless asked
    level: str  # 'junior' | 'senior'
    status: str
    registered_on: date
    township: str | None
    phone: str | None  # masked unless asked
    education: str | None
    employer: str | None

    def as_json(self) -> dict:
        """The stable keys of `learners list --format json` (DESIGN.md)."""
        return {
            "student_number": self.student_number,
            "name": self.name,
            "gender": self.gender,
            "id_number": self.id_number,
            "level": self.level,
            "status": self.status,
            "registered_on": self.registered_on.isoformat(),
            "township": self.township,
        }


SORT_COLUMNS = {
    "student_number": Enrolment.student_number,
    "name": Learner.name_sort,  # pinyin, then the characters (models.keys)
    "gender": Learner.gender,
    "id_number": Learner.id_number,
    "level": Enrolment.level,
    "status": Enrolment.status,
    "registered_on": Enrolment.registered_on,
    "township": Township.name_sort,  # pinyin
    "phone": Learner.phone,
}


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if len(phone) == 11 and phone.isdigit():
        return phone[:3] + "****" + phone[-4:]
    return phone[:-4] + "****" if len(phone) > 4 else "****"


_Query = TypeVar("_Query", bound=Select)  # any select: its rows keep their types through the filter


def _filtered(query: _Query, flt: LearnerFilter) -> _Query:
    if flt.level is not None:
        query = query.where(Enrolment.level == flt.level)
    if flt.status is not None:
        query = query.where(Enrolment.status == flt.status)
    else:  # a voided registration was a mistake: it is shown only when asked for
        query = query.where(Enrolment.status != EnrolmentStatus.VOIDED)
    if flt.township_id is not None:
        query = query.where(Enrolment.township_id == flt.township_id)
    if flt.in_no_class:
        query = query.where(Enrolment.id.not_in(select(ClassMember.enrolment_id)))
    text = clean_text(flt.search)
    if text:
        needle = idcard.normalise(text) if any(c.isdigit() for c in text) else text
        pattern = f"%{needle.replace('%', '').replace('_', '')}%"
        matches = [
            Learner.name.like(pattern),
            Learner.id_number.like(pattern),
            Learner.phone.like(pattern),
            Enrolment.student_number.like(pattern),
        ]
        if pinyin.is_pinyin_query(text):  # the keys are stored lowercase: a plain LIKE, the same on both databases
            letters = pinyin.latin_query(text)
            matches += [Learner.name_pinyin.like(f"%{letters}%"), Learner.name_initials.like(f"{letters}%")]
        query = query.where(or_(*matches))
    return query


def count_learners(session: Session, flt: LearnerFilter = LearnerFilter()) -> int:
    query = select(func.count(Enrolment.id)).join(Learner, Enrolment.learner_id == Learner.id)
    return session.execute(_filtered(query, flt)).scalar_one()


def list_learners(
    session: Session,
    flt: LearnerFilter = LearnerFilter(),
    *,
    sort: str = "student_number",
    descending: bool = False,
    offset: int = 0,
    limit: int | None = None,
    unmasked: bool = False,
    actor: str | None = None,
    what: str = "学员名单",
) -> list[LearnerRow]:
    """With `unmasked`, the actor must be allowed full ID numbers, and `what` names the list in the audit entry."""
    if unmasked:
        permissions.require(session, actor, permissions.Permission.VIEW_FULL_ID)
    order = SORT_COLUMNS.get(sort, Enrolment.student_number)
    query = (
        select(
            Enrolment.id, Enrolment.student_number, Learner.name, Learner.gender, Learner.id_number, Enrolment.level,
            Enrolment.status, Enrolment.registered_on, Township.name, Learner.phone, Learner.education, Learner.employer,
        )
        .join(Learner, Enrolment.learner_id == Learner.id)
        .outerjoin(Township, Enrolment.township_id == Township.id)
    )
    query = _filtered(query, flt)
    # No township (NULL) sorts last going up, first going down, on SQLite as on PostgreSQL.
    query = query.order_by(order.desc().nulls_first() if descending else order.asc().nulls_last(), Enrolment.id.asc())
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for r in session.execute(query):
        rows.append(LearnerRow(
            enrolment_id=r[0], student_number=r[1], name=r[2], gender=r[3].value,
            id_number=r[4] if unmasked else idcard.mask(r[4]), level=r[5].value, status=r[6].value,
            registered_on=r[7], township=r[8], phone=r[9] if unmasked else mask_phone(r[9]),
            education=r[10], employer=r[11],
        ))
    if unmasked:
        permissions.reveal(session, actor, what=what, count=len(rows))
    return rows


@dataclass(frozen=True)
class FullIdentity:
    enrolment_id: int
    student_number: str
    name: str
    id_number: str
    phone: str | None


def reveal_ids(session: Session, enrolment_ids: list[int], *, actor: str | None,
               what: str = "学员名单") -> dict[int, FullIdentity]:
    """Full ID numbers and phones of the chosen enrolments (the GUI's 显示完整身份证号), audited with their student numbers."""
    permissions.require(session, actor, permissions.Permission.VIEW_FULL_ID)
    found: dict[int, FullIdentity] = {}
    wanted = list(dict.fromkeys(enrolment_ids))
    for start in range(0, len(wanted), 500):
        for enrolment_id, number, name, id_number, phone in session.execute(
            select(Enrolment.id, Enrolment.student_number, Learner.name, Learner.id_number, Learner.phone)
            .join(Learner, Enrolment.learner_id == Learner.id).where(Enrolment.id.in_(wanted[start:start + 500]))
        ):
            found[enrolment_id] = FullIdentity(enrolment_id, number, name, id_number, phone)
    if found:
        permissions.reveal(session, actor, what=what, count=len(found),
                           student_numbers=sorted(f.student_number for f in found.values()))
    return found
