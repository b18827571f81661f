"""Exam rounds (R4): the district sets each final exam's day, site, level and courses once; its package carries them
to every school, which applies for them instead of typing the round again."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from adultschool.errors import AdultSchoolError
from adultschool.models import ExamRound, Level, SiteKind
from adultschool.services import audit, permissions, site
from adultschool.services.rules import load_rules
from adultschool.services.study import match_course
from adultschool.textnorm import clean_text

MAX_NAME_CHARS = 100
MAX_SITE_CHARS = 200


@dataclass(frozen=True)
class RoundInfo:
    name: str
    held_on: date
    site: str
    level: Level | None
    courses: tuple[str, ...]  # empty: every course of the level
    apply_by: date | None = None
    note: str | None = None

    @property
    def level_text(self) -> str:
        return self.level.label if self.level else "初中、高中"

    @property
    def courses_text(self) -> str:
        return "、".join(self.courses) or "全部课程"

    def line(self) -> str:
        deadline = f"，{self.apply_by} 前申请" if self.apply_by else ""
        return f"{self.name}：{self.held_on}，{self.site}，{self.level_text}，{self.courses_text}{deadline}"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "held_on": self.held_on.isoformat(), "site": self.site,
                "level": self.level.value if self.level else None, "courses": list(self.courses),
                "apply_by": self.apply_by.isoformat() if self.apply_by else None, "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RoundInfo":
        """A round as a district package carries it; ValueError if any field is malformed."""
        name, where = data.get("name"), data.get("site")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
            raise ValueError("bad round name")
        if not isinstance(where, str) or len(where) > MAX_SITE_CHARS:
            raise ValueError("bad round site")
        courses = data.get("courses") or []
        if not isinstance(courses, list) or not all(isinstance(c, str) for c in courses):
            raise ValueError("bad round courses")
        level = data.get("level")
        note = data.get("note")
        return cls(name.strip(), date.fromisoformat(str(data.get("held_on"))), where,
                   Level(level) if level is not None else None, tuple(courses),
                   date.fromisoformat(data["apply_by"]) if data.get("apply_by") else None,
                   note if isinstance(note, str) else None)


def _info(row: ExamRound) -> RoundInfo:
    return RoundInfo(row.name, row.held_on, row.site, row.level, tuple(json.loads(row.courses)), row.apply_by, row.note)


def list_rounds(session: Session, *, from_day: date | None = None) -> list[RoundInfo]:
    """The rounds known here (at a school: from the district's latest package), by date; from `from_day` on if given."""
    query = select(ExamRound).order_by(ExamRound.held_on, ExamRound.name)
    if from_day is not None:
        query = query.where(ExamRound.held_on >= from_day)
    return [_info(row) for row in session.execute(query).scalars()]


def _require_district(session: Session) -> None:
    if site.get_site(session).kind is not SiteKind.DISTRICT:
        raise AdultSchoolError("考试批次由分中心设定，随分中心数据包发给学校；学校不能自行添加或删除。")


def add_round(session: Session, name: str, *, held_on: date, site_name: str, level: Level | None = None,
              courses: list[str] | None = None, apply_by: date | None = None, note: str | None = None,
              actor: str) -> RoundInfo:
    """At the district: a new exam round (its name is how schools and result files refer to it)."""
    permissions.require(session, actor, permissions.Permission.EXAMS)
    _require_district(session)
    name = clean_text(name) or ""
    where = clean_text(site_name) or ""
    if not name or len(name) > MAX_NAME_CHARS:
        raise AdultSchoolError(f"请填写考试批次名称（最多 {MAX_NAME_CHARS} 个字），如“2027年5月结业考试”。", field="name")
    if not where or len(where) > MAX_SITE_CHARS:
        raise AdultSchoolError("请填写考点（考试地点）。", field="site")
    if session.execute(select(ExamRound.id).where(ExamRound.name == name)).first():
        raise AdultSchoolError(f"已经有名为“{name}”的考试批次。", field="name")
    if apply_by is not None and apply_by > held_on:
        raise AdultSchoolError(f"申请截止日 {apply_by} 晚于考试日期 {held_on}。", field="apply_by")
    rules = load_rules(session)
    chosen: list[str] = []
    for text in courses or []:
        course, kind = match_course(text, rules)
        if kind == "skills":
            raise AdultSchoolError(f"“{course}”是技能培训，不是结业考试科目。", field="courses")
        if level is not None and kind != level.value:
            raise AdultSchoolError(f"“{course}”不是{level.label}课程。", field="courses")
        if course not in chosen:
            chosen.append(course)
    row = ExamRound(name=name, held_on=held_on, site=where, level=level, courses=json.dumps(chosen, ensure_ascii=False),
                    apply_by=apply_by, note=clean_text(note) or None)
    session.add(row)
    session.flush()
    info = _info(row)
    audit.record(session, actor=actor, action="exam.round.add", entity="exam_rounds",
                 summary=f"新增考试批次：{info.line()}", after=info.as_json())
    return info


def remove_round(session: Session, name: str, *, actor: str) -> RoundInfo:
    """At the district: takes a round back (schools drop it with the next package)."""
    permissions.require(session, actor, permissions.Permission.EXAMS)
    _require_district(session)
    row = session.execute(select(ExamRound).where(ExamRound.name == name.strip())).scalar()
    if row is None:
        known = "、".join(r.name for r in list_rounds(session)) or "（还没有）"
        raise AdultSchoolError(f"没有名为“{name}”的考试批次。已有：{known}。", field="name")
    info = _info(row)
    session.delete(row)
    audit.record(session, actor=actor, action="exam.round.remove", entity="exam_rounds",
                 summary=f"删除考试批次：{info.name}", before=info.as_json())
    return info


def replace_from_district(session: Session, rounds: list[RoundInfo], *, dry_run: bool = False) -> list[str]:
    """At a school: the district's rounds replace the ones held here; a line per round added, changed or dropped."""
    before = {r.name: r for r in list_rounds(session)}
    after = {r.name: r for r in rounds}
    lines = [f"新考试批次 {r.line()}" for name, r in after.items() if name not in before]
    lines += [f"考试批次有改动 {r.line()}" for name, r in after.items() if name in before and before[name] != r]
    lines += [f"分中心取消了考试批次“{name}”" for name in before if name not in after]
    if not dry_run and before != after:
        session.execute(delete(ExamRound))
        for r in rounds:
            session.add(ExamRound(name=r.name, held_on=r.held_on, site=r.site, level=r.level,
                                  courses=json.dumps(list(r.courses), ensure_ascii=False), apply_by=r.apply_by,
                                  note=r.note))
        session.flush()
    return lines


def default_round_name(session: Session, as_of: date) -> str:
    """The name an exam application goes under by default: the district's next round still open on `as_of` (its
    apply-by date, else its exam date, not passed), else "YYYY年M月结业考试"."""
    for found in list_rounds(session, from_day=as_of):
        if found.apply_by is None or found.apply_by >= as_of:
            return found.name
    return f"{as_of.year}年{as_of.month}月结业考试"
