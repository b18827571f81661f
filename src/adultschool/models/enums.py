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
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "active": "在读",
            "ready": "可报考",
            "exam_applied": "已申请考试",
            "passed": "考试通过",
            "graduated": "已毕业",
            "withdrawn": "已退学",
        }[self.value]


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
