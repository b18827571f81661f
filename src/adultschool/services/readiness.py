"""Exam readiness (R3): per open enrolment on a day, months studied, video and class hours, and what is missing.

One query over enrolments and their kept totals; the calendar-month arithmetic runs on the fetched rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from adultschool import idcard
from adultschool.errors import AdultSchoolError
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
from adultschool.services.rules import load_rules

# Readiness concerns learners still studying; those who applied, passed or graduated have moved on.
STUDYING = (EnrolmentStatus.ACTIVE, EnrolmentStatus.READY)


@dataclass(frozen=True)
class ReadinessRow:
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
              unmasked: bool = False) -> list[ReadinessRow]:
    rules = load_rules(session)
    min_hours = float(rules.min_video_hours)
    count_class_hours = rules.class_hours_count
    min_months = {lvl: rules.min_months(lvl.value) for lvl in Level}
    query = (
        select(Enrolment.id, Enrolment.student_number, Learner.name, Learner.id_number, Enrolment.level,
               Enrolment.registered_on, func.coalesce(StudyTotal.video_minutes, 0.0), func.coalesce(StudyTotal.class_hours, 0.0))
        .join(Learner, Learner.id == Enrolment.learner_id)
        .outerjoin(StudyTotal, StudyTotal.enrolment_id == Enrolment.id)
        .where(Enrolment.status.in_(STUDYING), Enrolment.registered_on <= as_of)
        .order_by(Enrolment.student_number)
    )
    if level is not None:
        query = query.where(Enrolment.level == level)
    if class_id is not None:
        query = query.where(exists().where(and_(ClassMember.enrolment_id == Enrolment.id, ClassMember.class_id == class_id)))
    rows = []
    mask = (lambda n: n) if unmasked else idcard.mask
    for enrolment_id, number, name, id_number, lvl, registered_on, video_minutes, class_hours in session.execute(query):
        needed_months = min_months[lvl]
        time_done_on = add_months(registered_on, needed_months)
        video_hours = round(video_minutes / 60, 2)
        hours = video_hours + (class_hours if count_class_hours else 0.0)
        missing = []
        if as_of < time_done_on:
            missing.append(f"学习时限不足：还差 {(time_done_on - as_of).days} 天（{lvl.label}至少 {needed_months} 个月，{time_done_on} 满）")
        short = round(min_hours - hours, 2)
        if short > 0:
            what = "课程视频及面授" if count_class_hours else "课程视频"
            missing.append(f"{what}不足：还差 {short:g} 学时（至少 {min_hours:g} 学时）")
        rows.append(ReadinessRow(
            enrolment_id=enrolment_id, student_number=number, name=name, id_number=mask(id_number), level=lvl.value,
            registered_on=registered_on, months_done=months_completed(registered_on, as_of), video_hours=video_hours,
            class_hours=round(class_hours, 2), ready=not missing, ready_on=time_done_on if short <= 0 else None,
            missing=tuple(missing),
        ))
    return rows


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
