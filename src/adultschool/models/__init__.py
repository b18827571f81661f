"""SQLAlchemy 2 typed models: no Qt, no I/O besides the database."""
from adultschool.models.audit import AuditEntry
from adultschool.models.base import Base
from adultschool.models.enums import (
    AttendanceStatus,
    ClassType,
    EnrolmentStatus,
    ExamMark,
    Gender,
    LearningMode,
    Level,
    SiteKind,
    Willingness,
)
from adultschool.models.exams import (
    Certificate,
    CertificateCounter,
    CertificatePrint,
    ExamApplication,
    ExamResult,
    SkillCertificate,
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
    "Certificate",
    "CertificateCounter",
    "CertificatePrint",
    "ClassMember",
    "ClassSession",
    "ClassType",
    "Base",
    "Enrolment",
    "EnrolmentStatus",
    "ExamApplication",
    "ExamMark",
    "ExamResult",
    "Gender",
    "LearningMode",
    "Learner",
    "Level",
    "Rule",
    "School",
    "SchoolClass",
    "SiteKind",
    "SiteSetting",
    "SkillCertificate",
    "StudentNumberCounter",
    "StudyRecord",
    "StudyTotal",
    "Township",
    "TownshipQuota",
    "Video",
    "Willingness",
]
