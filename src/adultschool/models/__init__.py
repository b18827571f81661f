"""SQLAlchemy 2 typed models: no Qt, no I/O besides the database."""
from adultschool.models.audit import AuditEntry
from adultschool.models.base import Base
from adultschool.models.enums import EnrolmentStatus, Gender, LearningMode, Level, SiteKind, Willingness
from adultschool.models.learner import Enrolment, Learner, StudentNumberCounter
from adultschool.models.school import Rule, School, SiteSetting, Township, TownshipQuota

__all__ = [
    "AuditEntry",
    "Base",
    "Enrolment",
    "EnrolmentStatus",
    "Gender",
    "LearningMode",
    "Learner",
    "Level",
    "Rule",
    "School",
    "SiteKind",
    "SiteSetting",
    "StudentNumberCounter",
    "Township",
    "TownshipQuota",
    "Willingness",
]
