"""SQLAlchemy 2 typed models: no Qt, no I/O besides the database."""
from adultschool.models.audit import AuditEntry
from adultschool.models.base import Base
from adultschool.models.enums import (
    AttendanceStatus,
    ClassType,
    EnrolmentStatus,
    Gender,
    LearningMode,
    Level,
    SiteKind,
    Willingness,
)
from adultschool.models.learner import Enrolment, Learner, StudentNumberCounter
from adultschool.models.school import Rule, School, SiteSetting, Township, TownshipQuota
from adultschool.models.teaching import (
    Attendance,
    ClassMember,
    ClassSession,
    SchoolClass,
    StudyRecord,
    StudyTotal,
    Video,
)

__all__ = [
    "Attendance",
    "AttendanceStatus",
    "AuditEntry",
    "ClassMember",
    "ClassSession",
    "ClassType",
    "Base",
    "Enrolment",
    "EnrolmentStatus",
    "Gender",
    "LearningMode",
    "Learner",
    "Level",
    "Rule",
    "School",
    "SchoolClass",
    "SiteKind",
    "SiteSetting",
    "StudentNumberCounter",
    "StudyRecord",
    "StudyTotal",
    "Township",
    "TownshipQuota",
    "Video",
    "Willingness",
]
