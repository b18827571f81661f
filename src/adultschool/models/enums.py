"""Statuses and kinds, stored as their English values."""
from __future__ import annotations

import enum


class Level(str, enum.Enum):
    JUNIOR = "junior"
    SENIOR = "senior"

    @property
    def label(self) -> str:
        return {"junior": "初中", "senior": "高中"}[self.value]


class Gender(str, enum.Enum):
    MALE = "male"
    FEMALE = "female"

    @property
    def label(self) -> str:
        return {"male": "男", "female": "女"}[self.value]


class LearningMode(str, enum.Enum):
    ONLINE = "online"
    OFFLINE = "offline"

    @property
    def label(self) -> str:
        return {"online": "线上", "offline": "线下"}[self.value]


class EnrolmentStatus(str, enum.Enum):
    ACTIVE = "active"
    READY = "ready"
    EXAM_APPLIED = "exam_applied"
    PASSED = "passed"
    GRADUATED = "graduated"
    WITHDRAWN = "withdrawn"  # 退学 (also 转学: the reason says so and transfer_to names the receiving school)
    VOIDED = "voided"  # 作废: registered by mistake; the number is never reused, the row stays for the audit

    @property
    def label(self) -> str:
        return {
            "active": "在读",
            "ready": "可报考",
            "exam_applied": "已申请考试",
            "passed": "考试通过",
            "graduated": "已毕业",
            "withdrawn": "已退学",
            "voided": "已作废",
        }[self.value]

    @property
    def is_closed(self) -> bool:
        """Withdrawn or voided: no longer counts as a registration that studies, applies or holds a level."""
        return self in CLOSED_STATUSES


CLOSED_STATUSES = (EnrolmentStatus.WITHDRAWN, EnrolmentStatus.VOIDED)


class Willingness(str, enum.Enum):
    """R9 survey: does the resident want to upgrade their education."""

    YES = "yes"
    NO = "no"
    UNDECIDED = "undecided"

    @property
    def label(self) -> str:
        return {"yes": "愿意", "no": "不愿意", "undecided": "待定"}[self.value]


class SiteKind(str, enum.Enum):
    SCHOOL = "school"
    DISTRICT = "district"


class ClassType(str, enum.Enum):
    """R10: the forms a class takes."""

    VILLAGE = "village"
    FACTORY = "factory"
    NIGHT = "night"
    RETAKE = "retake"

    @property
    def label(self) -> str:
        return {"village": "村班", "factory": "厂班", "night": "夜校班", "retake": "重修班"}[self.value]


class AttendanceStatus(str, enum.Enum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    ABSENT = "absent"
    EXCUSED = "excused"

    @property
    def label(self) -> str:
        return {"present": "出勤", "late": "迟到", "left_early": "早退", "absent": "缺勤", "excused": "请假"}[self.value]


class ExamMark(str, enum.Enum):
    """How a result was returned: a score, absent (缺考) or cheating (作弊)."""

    SCORED = "scored"
    ABSENT = "absent"
    CHEATING = "cheating"

    @property
    def label(self) -> str:
        return {"scored": "成绩", "absent": "缺考", "cheating": "作弊"}[self.value]


class CountKind(str, enum.Enum):
    """R14: what else a township's task counts besides registrations."""

    COLLEGE_REFERRAL = "college_referral"
    SKILLS_TRAINING = "skills_training"

    @property
    def label(self) -> str:
        return {"college_referral": "推荐大专及以上", "skills_training": "职业技能培训人次"}[self.value]


class ConflictStatus(str, enum.Enum):
    """A person registered at two schools, as the district sees it."""

    OPEN = "open"
    DECIDED = "decided"  # the district recorded which school keeps the enrolment; waiting for the other's withdrawal
    SAME_PERSON = "same_person"
    CORRECTED = "corrected"  # one school corrected a mistyped ID number: two people after all
    REMOVED = "removed"  # one school deleted its registration (an undone import): nothing left to compare

    @property
    def label(self) -> str:
        return {"open": "待处理", "decided": "已裁定，待学校退学", "same_person": "已确认为同一人",
                "corrected": "身份证号码已更正", "removed": "一方登记已撤销"}[self.value]

    @property
    def is_unresolved(self) -> bool:
        return self in (ConflictStatus.OPEN, ConflictStatus.DECIDED)
