"""Final exams (R4): applications to the district, results per course, certificates (R11) and their printings,
and the vocational skill certificate of the "dual certificate" (R5)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adultschool.models.base import Base, Travelling, enum_column, utcnow
from adultschool.models.enums import ExamMark, Level
from adultschool.models.learner import Enrolment, Learner


class ExamRound(Base):
    """A final exam round the district sets (R4): its day, site and courses. Made at the district; a school holds the
    rounds of the district's latest package and applies for them."""

    __tablename__ = "exam_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    held_on: Mapped[date] = mapped_column(Date)
    site: Mapped[str] = mapped_column(String(200))
    level: Mapped[Level | None] = mapped_column(enum_column(Level))  # None: both levels
    courses: Mapped[str] = mapped_column(Text)  # JSON list; empty: every course of the level
    apply_by: Mapped[date | None] = mapped_column(Date)  # the application deadline, if the district sets one
    note: Mapped[str | None] = mapped_column(Text)


class DistrictResult(Base):
    """District side: a score the district recorded centrally for a school's learner, sent to the school in the
    district's package; the school records it as its own result, which comes back in its next package."""

    __tablename__ = "district_results"
    __table_args__ = (UniqueConstraint("student_number", "course", "exam_date", name="uq_district_results_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_code: Mapped[str] = mapped_column(String(40), index=True)
    student_number: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    course: Mapped[str] = mapped_column(String(100))
    mark: Mapped[ExamMark] = mapped_column(enum_column(ExamMark))
    score: Mapped[float | None] = mapped_column(Float)
    exam_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))  # the file it came from
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100), default="")


class ExamApplication(Travelling, Base):
    """An enrolment applied for an exam round, for these courses (JSON list): all, or the ones still to pass."""

    __tablename__ = "exam_applications"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    round_name: Mapped[str] = mapped_column(String(100))
    applied_on: Mapped[date] = mapped_column(Date)
    courses: Mapped[str] = mapped_column(Text)


class ExamResult(Travelling, Base):
    """One attempt at one course; a retake is another row. `passed` follows the rules' pass mark at import."""

    __tablename__ = "exam_results"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    course: Mapped[str] = mapped_column(String(100))
    mark: Mapped[ExamMark] = mapped_column(enum_column(ExamMark))
    score: Mapped[float | None] = mapped_column(Float)
    exam_date: Mapped[date | None] = mapped_column(Date)
    passed: Mapped[bool] = mapped_column(Boolean)


class Certificate(Travelling, Base):
    """The graduation certificate of an enrolment: its number is given once and never changes or returns."""

    __tablename__ = "certificates"

    # One valid certificate per enrolment; after a revocation a later retake may earn a new one (a new number).
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    check_code: Mapped[str] = mapped_column(String(16))
    # A revoked certificate keeps its number (never reused) and lists, prints and verifies as revoked.
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[str | None] = mapped_column(String(100))

    enrolment: Mapped[Enrolment] = relationship()
    prints: Mapped[list["CertificatePrint"]] = relationship(back_populates="certificate")


class CertificateCounter(Base):
    """The last certificate serial per school and year."""

    __tablename__ = "certificate_counters"
    __table_args__ = (UniqueConstraint("school_id", "year", name="uq_certificate_counters_school_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    year: Mapped[int] = mapped_column(Integer)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class CertificatePrint(Travelling, Base):
    """Every printing of a certificate; all but the first are reprints (补发) with a reason."""

    __tablename__ = "certificate_prints"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    printed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    printed_by: Mapped[str] = mapped_column(String(100))
    reprint: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)

    certificate: Mapped[Certificate] = relationship(back_populates="prints")


class SkillCertificate(Travelling, Base):
    """The vocational skill certificate of the "dual certificate" (R5), per learner."""

    __tablename__ = "skill_certificates"
    __table_args__ = (UniqueConstraint("learner_id", "number", name="uq_skill_certificates_learner_number"),)

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)

    learner: Mapped[Learner] = relationship()
