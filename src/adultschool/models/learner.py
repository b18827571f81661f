"""The person (learner) and their enrolments at a level; student numbers are issued from a per-school, per-year counter.

A learner with no enrolment who came from a survey (R9) is a prospect.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adultschool import pinyin
from adultschool.models.base import Base, Travelling, enum_column, new_uuid
from adultschool.models.enums import EnrolmentStatus, Gender, LearningMode, Level, Willingness
from adultschool.models.keys import derive_on_set, derived, key_default
from adultschool.models.school import School, Township


OPEN_LEVEL_WHERE = "status NOT IN ('withdrawn', 'voided')"


class Learner(Travelling, Base):
    __tablename__ = "learners"

    name: Mapped[str] = mapped_column(String(100), index=True)
    # Derived from the name (models.keys): searched by pinyin and initials, sorted by pinyin; they do not travel.
    name_pinyin: Mapped[str | None] = mapped_column(String(600), index=True, info=derived(),
                                                    default=key_default("learners", "name_pinyin"))  # zhangwei
    name_initials: Mapped[str | None] = mapped_column(String(100), index=True, info=derived(),
                                                      default=key_default("learners", "name_initials"))  # zw
    name_sort: Mapped[str | None] = mapped_column(String(pinyin.SORT_KEY_LENGTH), index=True, info=derived(),
                                                  default=key_default("learners", "name_sort"))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    gender: Mapped[Gender] = mapped_column(enum_column(Gender))
    birth_date: Mapped[date] = mapped_column(Date)
    education: Mapped[str | None] = mapped_column(String(50))  # prior education (文化程度)
    household_location: Mapped[str | None] = mapped_column(String(200))  # 户籍所在地
    address: Mapped[str | None] = mapped_column(String(300))
    employer: Mapped[str | None] = mapped_column(String(200))
    job: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30), index=True)
    is_migrant: Mapped[bool | None] = mapped_column(Boolean)  # R15: 流动人口
    willingness: Mapped[Willingness | None] = mapped_column(enum_column(Willingness))  # R9
    preferred_learning: Mapped[str | None] = mapped_column(String(100))  # R9: preferred way of learning
    surveyed_on: Mapped[date | None] = mapped_column(Date)  # R9: set when the person came from a survey
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    # PIPL Art. 14, 29: the notice the person read (its version) and their separate consent to the ID number and photo.
    consent_notice: Mapped[str | None] = mapped_column(String(40))
    consent_on: Mapped[date | None] = mapped_column(Date)
    consent_id_number: Mapped[bool | None] = mapped_column(Boolean)
    consent_photo: Mapped[bool | None] = mapped_column(Boolean)
    # PIPL Art. 19, 47: past the retention rule, or on request, the person's details are removed (name → initial,
    # ID number → masked); counts and results stay.
    anonymised_on: Mapped[date | None] = mapped_column(Date)
    anonymised_reason: Mapped[str | None] = mapped_column(Text)

    township: Mapped[Township | None] = relationship()
    enrolments: Mapped[list["Enrolment"]] = relationship(back_populates="learner")


derive_on_set(Learner.name, "learners")


class Enrolment(Travelling, Base):
    """A learner studying for one level at one school (学籍)."""

    __tablename__ = "enrolments"
    __table_args__ = (
        # One person may not hold two open enrolments at the same level (withdrawn and voided ones do not count).
        # The migrations make it, partial on both SQLite and PostgreSQL (0007); the PostgreSQL form is not named here
        # because a postgresql_ option makes SQLAlchemy import its PostgreSQL dialect in every process (~50 ms of
        # each start on a school's SQLite PC). Alembic's comparison of the models with the schema ignores the WHERE.
        Index(
            "uq_enrolments_open_level",
            "learner_id",
            "level",
            unique=True,
            sqlite_where=text(OPEN_LEVEL_WHERE),
        ),
    )

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    level: Mapped[Level] = mapped_column(enum_column(Level))
    student_number: Mapped[str] = mapped_column(String(40), unique=True)
    registered_on: Mapped[date] = mapped_column(Date, index=True)
    learning_mode: Mapped[LearningMode | None] = mapped_column(enum_column(LearningMode))
    status: Mapped[EnrolmentStatus] = mapped_column(enum_column(EnrolmentStatus), default=EnrolmentStatus.ACTIVE, index=True)
    # The township whose quota this registration counts toward (R8), and in which year (R7).
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    quota_year: Mapped[int] = mapped_column(Integer)
    # Where this registration came from, so a wrong value can be traced back to its file and row.
    source: Mapped[str | None] = mapped_column(String(200))
    # A withdrawal (退学/转学) or a void (作废): when, why, and for a transfer the receiving school. They travel, so the
    # district sees them.
    status_changed_on: Mapped[date | None] = mapped_column(Date)
    status_reason: Mapped[str | None] = mapped_column(Text)
    transfer_to: Mapped[str | None] = mapped_column(String(200))

    learner: Mapped[Learner] = relationship(back_populates="enrolments")
    school: Mapped[School] = relationship()
    township: Mapped[Township | None] = relationship()


class StudentNumberCounter(Base):
    """The last serial issued per school and year; numbers are never reused, even after a withdrawal."""

    __tablename__ = "student_number_counters"
    __table_args__ = (UniqueConstraint("school_id", "year", name="uq_student_number_counters_school_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    year: Mapped[int] = mapped_column(Integer)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class LearnerPhoto(Travelling, Base):
    """A learner's ID photo (small JPEG, cropped to the ID-photo ratio), printed on the registration form and the
    certificate. Travels with the learner; sensitive personal data like the ID number (PIPL)."""

    __tablename__ = "learner_photos"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), unique=True)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(200))  # the file it came from, or 读卡器 / 手工设置


class SurveyContact(Base):
    """A surveyed resident (R9) whose sheet gave no ID number: known by name, phone and township until the ID arrives.

    When a registration (or a survey row with an ID) of the same name and phone in the same township comes, the contact
    is matched to that learner (`learner_id`) and its answers go to the learner. Kept at the school: it does not travel.
    """

    __tablename__ = "survey_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(100), index=True)
    phone: Mapped[str | None] = mapped_column(String(30), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender))
    age: Mapped[int | None] = mapped_column(Integer)
    education: Mapped[str | None] = mapped_column(String(50))
    household_location: Mapped[str | None] = mapped_column(String(200))
    employer: Mapped[str | None] = mapped_column(String(200))
    job: Mapped[str | None] = mapped_column(String(100))
    willingness: Mapped[Willingness | None] = mapped_column(enum_column(Willingness))
    preferred_learning: Mapped[str | None] = mapped_column(String(100))
    surveyed_on: Mapped[date] = mapped_column(Date)
    is_migrant: Mapped[bool | None] = mapped_column(Boolean)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id"), index=True)
    matched_on: Mapped[date | None] = mapped_column(Date)

    township: Mapped[Township | None] = relationship()
