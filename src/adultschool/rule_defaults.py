"""The rules table's defaults (DOMAIN.md R1, R3, R5, R7) and the typed view services read them through.

A district may change any of these; they are stored per database in the `rules` table and overlay the defaults.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Mapping

from adultschool.errors import AdultSchoolError


@dataclass(frozen=True)
class RuleSpec:
    key: str
    label: str  # Chinese, for the settings screen and messages
    default: Any
    check: Callable[[Any], bool]
    source: str  # the DOMAIN.md rule it comes from


def _is_int_between(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _is_number_between(low: float, high: float) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= high


def _is_course_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(c, str) and c.strip() for c in v)


def _is_month_day(v: Any) -> bool:
    try:
        date.fromisoformat(f"2024-{v}")  # a leap year admits 02-29
        return True
    except (TypeError, ValueError):
        return False


def _is_deadline_map(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    try:
        return all(date.fromisoformat(d).year == int(y) for y, d in v.items())
    except (TypeError, ValueError):
        return False


RULE_SPECS: tuple[RuleSpec, ...] = (
    RuleSpec("min_age", "报名最低年龄（周岁）", 18, _is_int_between(14, 100), "R1"),
    RuleSpec("max_age", "报名最高年龄（周岁）", 60, _is_int_between(14, 100), "R1"),
    RuleSpec("accept_foreign_permanent_residents", "接受持外国人永久居留身份证者报名", False,
             lambda v: isinstance(v, bool), "R1"),
    RuleSpec("min_months_junior", "初中最短学习时限（月）", 2, _is_int_between(0, 60), "R3"),
    RuleSpec("min_months_senior", "高中最短学习时限（月）", 3, _is_int_between(0, 60), "R3"),
    RuleSpec("min_video_hours", "课程视频最少学时", 20, _is_number_between(0, 1000), "R3"),
    RuleSpec("class_hours_count", "面授课时计入学时要求", False, lambda v: isinstance(v, bool), "R3"),
    RuleSpec("partial_attendance_share", "迟到/早退未填实到课时时按本节课时的比例计", 0.5, _is_number_between(0, 1), "R10"),
    RuleSpec(
        "courses_senior",
        "高中课程",
        ["成人高中语文", "成人高中数学", "成人高中社会科学", "成人高中自然科学", "成人高中公民道德与法律基础"],
        _is_course_list,
        "R5",
    ),
    RuleSpec("courses_junior", "初中课程", ["成人初中文化学习辅导"], _is_course_list, "R5"),
    RuleSpec("courses_skills", "技能培训课程", ["技能培训"], _is_course_list, "R5"),
    RuleSpec("pass_mark", "及格分数", 60, _is_number_between(0, 100), "R12"),
    RuleSpec("graduation_requires_skill", "毕业须有职业技能证书", False, lambda v: isinstance(v, bool), "R5"),
    RuleSpec("enrolment_deadline_month_day", "每年报名截止日（月-日）", "03-31", _is_month_day, "R7"),
    RuleSpec("late_registrations_count_next_year", "截止日后的报名计入下一年任务数", False, lambda v: isinstance(v, bool),
             "R7"),
    RuleSpec(
        "enrolment_deadlines",
        "指定年份的报名截止日",
        {"2022": "2022-09-20", "2023": "2023-03-31", "2024": "2024-03-31", "2025": "2025-03-31"},
        _is_deadline_map,
        "R7",
    ),
    RuleSpec("retention_years", "毕业、退学或作废后保留学员个人信息的年数（到期匿名化）", 5, _is_int_between(1, 100),
             "个人信息保护法第 19、47 条"),
    # A package numbered far beyond what a school has sent is refused unread: only a forged or broken package jumps
    # so far, and a huge number must not make every later gap report count up to it.
    RuleSpec("max_sequence_jump", "数据包序号最多比已收到的超前多少（分中心）", 1000, _is_int_between(1, 1_000_000_000),
             "数据包"),
)

SPECS_BY_KEY = {spec.key: spec for spec in RULE_SPECS}


def check_rule_value(key: str, value: Any) -> Any:
    spec = SPECS_BY_KEY.get(key)
    if spec is None:
        raise AdultSchoolError(f"没有名为“{key}”的规则。")
    if not spec.check(value):
        raise AdultSchoolError(f"规则“{spec.label}”的值 {json.dumps(value, ensure_ascii=False)} 不合要求。")
    return value


@dataclass(frozen=True)
class Rules:
    """The rules in force for one database: defaults overlaid with what the district stored."""

    values: Mapping[str, Any]

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> "Rules":
        merged = {spec.key: spec.default for spec in RULE_SPECS}
        merged.update({k: v for k, v in stored.items() if k in SPECS_BY_KEY})
        return cls(merged)

    @classmethod
    def defaults(cls) -> "Rules":
        return cls.from_stored({})

    @property
    def min_age(self) -> int:
        return self.values["min_age"]

    @property
    def max_age(self) -> int:
        return self.values["max_age"]

    def min_months(self, level: str) -> int:
        return self.values[f"min_months_{level}"]

    @property
    def min_video_hours(self) -> float:
        return self.values["min_video_hours"]

    def courses(self, level: str) -> tuple[str, ...]:
        return tuple(self.values[f"courses_{level}"])

    @property
    def class_hours_count(self) -> bool:
        return self.values["class_hours_count"]

    @property
    def partial_attendance_share(self) -> float:
        return self.values["partial_attendance_share"]

    def all_courses(self) -> dict[str, str]:
        """Course name → 'junior' | 'senior' | 'skills'."""
        found: dict[str, str] = {}
        for kind in ("senior", "junior", "skills"):
            for course in self.values[f"courses_{kind}"]:
                found.setdefault(course, kind)
        return found

    @property
    def graduation_requires_skill(self) -> bool:
        return self.values["graduation_requires_skill"]

    @property
    def max_sequence_jump(self) -> int:
        return self.values["max_sequence_jump"]

    @property
    def retention_years(self) -> int:
        return self.values["retention_years"]

    @property
    def pass_mark(self) -> float:
        return self.values["pass_mark"]

    def enrolment_deadline(self, year: int) -> date:
        """R7: the last day a registration of `year` counts toward that year's quota."""
        cache = self.__dict__.setdefault("_deadlines", {})  # a roster asks once per row, for one or two years
        if year not in cache:
            cache[year] = self._enrolment_deadline(year)
        return cache[year]

    def _enrolment_deadline(self, year: int) -> date:
        explicit = self.values["enrolment_deadlines"].get(str(year))
        if explicit:
            return date.fromisoformat(explicit)
        month, day = (int(p) for p in self.values["enrolment_deadline_month_day"].split("-"))
        if (month, day) == (2, 29) and not _is_leap(year):
            day = 28
        return date(year, month, day)

    def is_late(self, registered_on: date) -> bool:
        """R7: registered after that year's enrolment deadline (a warning: the deadline is for the enrolment work)."""
        return registered_on > self.enrolment_deadline(registered_on.year)

    def quota_year(self, registered_on: date) -> int:
        """R8: the calendar year of registration (seeds count a year's spring and autumn intakes in that year); a
        district may have late registrations count toward the next year instead."""
        if self.values["late_registrations_count_next_year"] and self.is_late(registered_on):
            return registered_on.year + 1
        return registered_on.year


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
