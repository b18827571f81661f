"""Exam readiness (R3): per open enrolment on a day, months studied, video and class hours, and what is missing.

One query over enrolments and their kept totals; the calendar-month arithmetic runs on the fetched rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence
from datetime import date
from operator import itemgetter

from sqlalchemy import String, and_, exists, func, select, type_coerce
from sqlalchemy.orm import Session

from adultschool import idcard
from adultschool.errors import AdultSchoolError
from adultschool.gcpause import collection_paused
from adultschool.models import (
    Attendance,
    ClassMember,
    ClassSession,
    Enrolment,
    EnrolmentStatus,
    Learner,
    Level,
    SchoolClass,
    StudyRecord,
    StudyTotal,
    Video,
)
from adultschool.months import add_months, months_completed
from adultschool.services import permissions
from adultschool.services.rules import load_rules
from adultschool.rule_defaults import Rules

# Readiness concerns learners still studying; those who applied, passed or graduated have moved on.
STUDYING = (EnrolmentStatus.ACTIVE, EnrolmentStatus.READY)


class ReadinessRow(NamedTuple):
    """One enrolment's standing; a named tuple because readiness makes 100,000 of these in well under a second."""

    enrolment_id: int
    student_number: str
    name: str
    id_number: str  # masked unless asked
    level: str
    registered_on: date
    months_done: int
    video_hours: float
    class_hours: float
    ready: bool
    ready_on: date | None  # when time alone makes it ready, if the hours already suffice
    missing: tuple[str, ...]
    name_sort: str | None = None  # the name's stored pinyin sort key (models.keys), for tables sorted by name

    def days_to_ready(self, as_of: date) -> int | None:
        if self.ready:
            return 0
        return (self.ready_on - as_of).days if self.ready_on else None

    def as_json(self) -> dict:
        """The stable keys of `readiness --format json` (DESIGN.md)."""
        return {
            "student_number": self.student_number, "name": self.name, "id_number": self.id_number, "level": self.level,
            "registered_on": self.registered_on.isoformat(), "months_done": self.months_done,
            "video_hours": self.video_hours, "class_hours": self.class_hours, "ready": self.ready,
            "ready_on": self.ready_on.isoformat() if self.ready_on else None, "missing": list(self.missing),
        }


def readiness(session: Session, as_of: date, *, level: Level | None = None, class_id: int | None = None,
              enrolment_ids: Sequence[int] | None = None, unmasked: bool = False,
              actor: str | None = None) -> list[ReadinessRow]:
    """With `unmasked`, the actor must be allowed full ID numbers, and the showing is audited (a write transaction).
    `enrolment_ids`: only these (one learner's page)."""
    if unmasked:
        permissions.require(session, actor, permissions.Permission.VIEW_FULL_ID)
    rules = load_rules(session)
    min_hours = float(rules.min_video_hours)
    count_class_hours = rules.class_hours_count
    hours_word = "课程视频及面授" if count_class_hours else "课程视频"
    # Level and date come as the stored text: converting each row's value costs more than the rest of the work,
    # and registrations cluster on a few hundred days, so the calendar arithmetic is done once per day and level.
    query = (
        select(Enrolment.id, Enrolment.student_number, Learner.name, Learner.name_sort, Learner.id_number,
               type_coerce(Enrolment.level, String), type_coerce(Enrolment.registered_on, String),
               func.coalesce(StudyTotal.video_minutes, 0.0), func.coalesce(StudyTotal.class_hours, 0.0))
        .join(Learner, Learner.id == Enrolment.learner_id)
        .outerjoin(StudyTotal, StudyTotal.enrolment_id == Enrolment.id)
        .where(Enrolment.status.in_(STUDYING), Enrolment.registered_on <= as_of)
        # Key order reads the table in place; student numbers follow it almost everywhere, so the sort
        # below costs little, where ORDER BY student_number made SQLite sort every row in a temporary tree.
        .order_by(Enrolment.id)
    )
    if level is not None:
        query = query.where(Enrolment.level == level)
    if enrolment_ids is not None:
        query = query.where(Enrolment.id.in_(list(enrolment_ids)))
    if class_id is not None:
        query = query.where(exists().where(and_(ClassMember.enrolment_id == Enrolment.id, ClassMember.class_id == class_id)))
    by_day: dict[tuple[str, str], tuple[date, date, int, tuple[str, ...]]] = {}
    mask = (lambda n: n) if unmasked else idcard.mask
    rows = []
    with collection_paused():
        for enrolment_id, number, name, name_sort, id_number, level_value, day_text, video_minutes, class_hours in (
            session.connection().execute(query).all()
        ):
            timing = by_day.get((day_text, level_value))
            if timing is None:
                timing = by_day[(day_text, level_value)] = _timing(date.fromisoformat(str(day_text)[:10]), Level(level_value),
                                                                    as_of, rules)
            registered_on, time_done_on, months_done, missing = timing
            video_hours = round(video_minutes / 60, 2)
            short = min_hours - video_hours - (class_hours if count_class_hours else 0.0)
            if short > 0.005:
                missing += (f"{hours_word}不足：还差 {round(short, 2):g} 学时（至少 {min_hours:g} 学时）",)
            rows.append(ReadinessRow(
                enrolment_id, number, name, mask(id_number), level_value, registered_on, months_done, video_hours,
                round(class_hours, 2), not missing, time_done_on if short <= 0.005 else None, missing, name_sort,
            ))
        rows.sort(key=itemgetter(1))
    if unmasked:
        permissions.reveal(session, actor, what=f"可报考名单（{as_of}）", count=len(rows))
    return rows


def _timing(registered_on: date, level: Level, as_of: date, rules: Rules) -> tuple[date, date, int, tuple[str, ...]]:
    """(registered on, the day the study period is complete, months done, the study-period reason if short)."""
    needed_months = rules.min_months(level.value)
    done_on = add_months(registered_on, needed_months)
    missing: tuple[str, ...] = ()
    if as_of < done_on:
        missing = (f"学习时限不足：还差 {(done_on - as_of).days} 天（{level.label}至少 {needed_months} 个月，{done_on} 满）",)
    return registered_on, done_on, months_completed(registered_on, as_of), missing


@dataclass(frozen=True)
class SessionLine:
    held_on: date
    class_name: str
    course: str | None
    topic: str | None
    session_hours: float
    status: str
    hours: float


@dataclass(frozen=True)
class VideoLine:
    course: str
    video: str
    minutes: float
    length_minutes: float | None
    counted_minutes: float


@dataclass(frozen=True)
class StudyDetail:
    student_number: str
    name: str
    sessions: list[SessionLine]
    videos: list[VideoLine]


def study_detail(session: Session, enrolment_id: int) -> StudyDetail:
    """Every session attended and video watched that counts toward this enrolment."""
    found = session.execute(select(Enrolment.student_number, Learner.name).join(Learner, Learner.id == Enrolment.learner_id)
                            .where(Enrolment.id == enrolment_id)).first()
    if found is None:
        raise AdultSchoolError("找不到这个学籍。")
    sessions = [
        SessionLine(held_on, class_name, course, topic, session_hours, status.value, hours)
        for held_on, class_name, course, topic, session_hours, status, hours in session.execute(
            select(ClassSession.held_on, SchoolClass.name, ClassSession.course, ClassSession.topic, ClassSession.hours,
                   Attendance.status, Attendance.hours)
            .join(ClassSession, ClassSession.id == Attendance.session_id).join(SchoolClass, SchoolClass.id == ClassSession.class_id)
            .where(Attendance.enrolment_id == enrolment_id).order_by(ClassSession.held_on, ClassSession.starts_at)
        )
    ]
    videos = [
        VideoLine(course, key, minutes, length, min(minutes, length) if length is not None else minutes)
        for course, key, minutes, length in session.execute(
            select(Video.course, Video.key, StudyRecord.minutes, Video.length_minutes)
            .join(Video, Video.id == StudyRecord.video_id).where(StudyRecord.enrolment_id == enrolment_id)
            .order_by(Video.course, Video.key)
        )
    ]
    return StudyDetail(found[0], found[1], sessions, videos)
