"""Classes (R10), their members and sessions, attendance, course videos and online study records (R3, R6).

`StudyTotal` keeps each enrolment's video minutes and class hours up to date, so readiness never sums raw rows.
"""
from __future__ import annotations

from datetime import date, time

from sqlalchemy import Date, Float, ForeignKey, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adultschool.models.base import Base, Travelling, enum_column
from adultschool.models.enums import AttendanceStatus, ClassType, Level
from adultschool.models.learner import Enrolment
from adultschool.models.school import School


class SchoolClass(Travelling, Base):
    """A class (班级): a village, factory, night or retake class of one level at a teaching site."""

    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_classes_school_name"),)

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    name: Mapped[str] = mapped_column(String(100))
    class_type: Mapped[ClassType] = mapped_column(enum_column(ClassType))
    level: Mapped[Level] = mapped_column(enum_column(Level))
    teaching_site: Mapped[str | None] = mapped_column(String(200))  # 教学点
    teacher: Mapped[str | None] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)

    school: Mapped[School] = relationship()
    members: Mapped[list["ClassMember"]] = relationship(back_populates="school_class")
    sessions: Mapped[list["ClassSession"]] = relationship(back_populates="school_class")


class ClassMember(Travelling, Base):
    """An enrolment on a class roster; one enrolment may be in several classes (e.g. a retake class)."""

    __tablename__ = "class_members"
    __table_args__ = (UniqueConstraint("class_id", "enrolment_id", name="uq_class_members_class_enrolment"),)

    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    joined_on: Mapped[date] = mapped_column(Date)

    school_class: Mapped[SchoolClass] = relationship(back_populates="members")
    enrolment: Mapped[Enrolment] = relationship()


class ClassSession(Travelling, Base):
    """One lesson of a class: date, start time, hours (decimal), course and topic."""

    __tablename__ = "class_sessions"
    __table_args__ = (UniqueConstraint("class_id", "held_on", "starts_at", name="uq_class_sessions_class_day_time"),)

    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time | None] = mapped_column(Time)
    hours: Mapped[float] = mapped_column(Float)
    course: Mapped[str | None] = mapped_column(String(100))
    topic: Mapped[str | None] = mapped_column(String(200))

    school_class: Mapped[SchoolClass] = relationship(back_populates="sessions")


class Attendance(Travelling, Base):
    """A learner's status at a session and the hours credited for it."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "enrolment_id", name="uq_attendance_session_enrolment"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus))
    hours: Mapped[float] = mapped_column(Float)


class Video(Travelling, Base):
    """A course video of the provincial learning site; its length, when known, caps the minutes counted."""

    __tablename__ = "videos"
    __table_args__ = (UniqueConstraint("course", "key", name="uq_videos_course_key"),)

    course: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))  # title or id as the site exports it
    length_minutes: Mapped[float | None] = mapped_column(Float)


class StudyRecord(Travelling, Base):
    """The most minutes an enrolment has watched of one video (rewatching counts once, at its largest value)."""

    __tablename__ = "study_records"
    __table_args__ = (UniqueConstraint("enrolment_id", "video_id", name="uq_study_records_enrolment_video"),)

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"))
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id"), index=True)
    minutes: Mapped[float] = mapped_column(Float)


class StudyTotal(Base):
    """Derived, never travels: per enrolment, video minutes (capped per video) and attended class hours.

    Kept in the transaction that writes records; `services.study.rebuild_totals` recomputes it from scratch.
    """

    __tablename__ = "study_totals"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), primary_key=True)
    video_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    class_hours: Mapped[float] = mapped_column(Float, default=0.0)
