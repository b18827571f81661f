"""Exam history (考试记录): each exam round applied for, who applied, each course's results, and who must retake what.

A result belongs to the application it answers: the one of its round when the exam date is the round's day, else the
latest application of that enrolment made on or before the exam date (the day it was entered when the sheet had none).
Read-only.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool.errors import AdultSchoolError
from adultschool.models import Enrolment, EnrolmentStatus, ExamApplication, ExamMark, ExamResult, ExamRound, Learner, Level
from adultschool.services import permissions
from adultschool.services.registration import CHUNK
from adultschool.services.rules import load_rules


@dataclass(frozen=True)
class Attempt:
    """One result as plain values: which enrolment, course, mark, score, exam date (or entry day), passed."""

    result_id: int
    enrolment_id: int
    course: str
    mark: ExamMark
    score: float | None
    day: date
    passed: bool


@dataclass(frozen=True)
class Applied:
    """One application as plain values."""

    application_id: int
    enrolment_id: int
    round_name: str
    applied_on: date
    courses: tuple[str, ...]


def assign_attempts(applications: Iterable[Applied], attempts: Iterable[Attempt],
                    round_days: dict[str, date]) -> dict[int, list[Attempt]]:
    """Application id → the attempts that answer it (see the module's docstring); attempts before any application
    of their enrolment belong to none."""
    by_enrolment: dict[int, list[Applied]] = {}
    for applied in applications:
        by_enrolment.setdefault(applied.enrolment_id, []).append(applied)
    for found in by_enrolment.values():
        found.sort(key=lambda a: (a.applied_on, a.application_id))
    assigned: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        candidates = by_enrolment.get(attempt.enrolment_id, [])
        same_day = [a for a in candidates if round_days.get(a.round_name) == attempt.day]
        earlier = [a for a in candidates if a.applied_on <= attempt.day]
        target = same_day[-1] if same_day else (earlier[-1] if earlier else None)
        if target is not None:
            assigned.setdefault(target.application_id, []).append(attempt)
    for answers in assigned.values():
        answers.sort(key=lambda t: (t.day, t.result_id))
    return assigned


def load_attempts(session: Session, enrolment_ids: Sequence[int] | None = None) -> list[Attempt]:
    """Every result (of these enrolments), oldest first."""
    query = select(ExamResult.id, ExamResult.enrolment_id, ExamResult.course, ExamResult.mark, ExamResult.score,
                   ExamResult.exam_date, ExamResult.created_at, ExamResult.passed)
    rows = [row for chunk in _chunks(enrolment_ids)
            for row in session.execute(query if chunk is None else query.where(ExamResult.enrolment_id.in_(chunk))).all()]
    attempts = [Attempt(i, e, course, mark, score, exam_date or created_at.date(), bool(passed))
                for i, e, course, mark, score, exam_date, created_at, passed in rows]
    attempts.sort(key=lambda t: (t.day, t.result_id))
    return attempts


def load_applications(session: Session, enrolment_ids: Sequence[int] | None = None,
                      round_name: str | None = None) -> list[Applied]:
    query = select(ExamApplication.id, ExamApplication.enrolment_id, ExamApplication.round_name,
                   ExamApplication.applied_on, ExamApplication.courses)
    if round_name is not None:
        query = query.where(ExamApplication.round_name == round_name)
    rows = [row for chunk in _chunks(enrolment_ids)
            for row in session.execute(query if chunk is None
                                       else query.where(ExamApplication.enrolment_id.in_(chunk))).all()]
    found = [Applied(i, e, name, applied_on, tuple(_courses(courses))) for i, e, name, applied_on, courses in rows]
    found.sort(key=lambda a: (a.applied_on, a.application_id))
    return found


def round_days(session: Session) -> dict[str, date]:
    """The district's rounds known here: name → exam day."""
    return dict(session.execute(select(ExamRound.name, ExamRound.held_on)).all())


def _chunks(ids: Sequence[int] | None) -> Iterable[list[int] | None]:
    if ids is None:
        yield None
        return
    wanted = list(dict.fromkeys(ids))
    for start in range(0, len(wanted), CHUNK):
        yield wanted[start:start + CHUNK]


def _courses(text: str) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [c for c in value if isinstance(c, str)] if isinstance(value, list) else []


def mark_text(mark: ExamMark | None, score: float | None) -> str:
    """How a result reads: the score, 缺考, 作弊, or 未出成绩 when none came back yet."""
    if mark is None:
        return "未出成绩"
    if mark is ExamMark.SCORED and score is not None:
        return f"{score:g}"
    return mark.label


@dataclass(frozen=True)
class CourseResult:
    """An applicant's result in one course of a round: the last attempt that answers the application, if any."""

    course: str
    mark: ExamMark | None  # None: no result yet
    score: float | None
    exam_date: date | None
    passed: bool | None  # None: no result yet
    must_retake: bool  # failed or absent here, not passed since, and still studying

    @property
    def text(self) -> str:
        shown = mark_text(self.mark, self.score)
        if self.passed:
            return f"{shown} 合格"
        if self.passed is False:
            return f"{shown} 不合格" if self.mark is ExamMark.SCORED else shown
        return shown

    def as_json(self) -> dict[str, Any]:
        return {"course": self.course, "mark": self.mark.value if self.mark else None, "score": self.score,
                "exam_date": self.exam_date.isoformat() if self.exam_date else None, "passed": self.passed,
                "must_retake": self.must_retake}


@dataclass(frozen=True)
class Applicant:
    enrolment_id: int
    student_number: str
    name: str
    level: Level
    status: EnrolmentStatus
    applied_on: date
    results: tuple[CourseResult, ...]

    @property
    def must_retake(self) -> tuple[str, ...]:
        return tuple(r.course for r in self.results if r.must_retake)

    def as_json(self) -> dict[str, Any]:
        return {"student_number": self.student_number, "name": self.name, "level": self.level.value,
                "status": self.status.value, "applied_on": self.applied_on.isoformat(),
                "results": [r.as_json() for r in self.results], "must_retake": list(self.must_retake)}


@dataclass(frozen=True)
class CourseTally:
    """One course of a round: applied, sat (a score, or cheating), passed, failed, absent, no result yet."""

    course: str
    applied: int
    sat: int
    passed: int
    failed: int
    absent: int
    pending: int

    def as_json(self) -> dict[str, Any]:
        return {"course": self.course, "applied": self.applied, "sat": self.sat, "passed": self.passed,
                "failed": self.failed, "absent": self.absent, "pending": self.pending}


@dataclass(frozen=True)
class RoundHistory:
    name: str
    held_on: date | None  # the district's day for the round, else the exam date most of its results carry
    site: str | None
    first_applied_on: date
    applicants: tuple[Applicant, ...]
    courses: tuple[CourseTally, ...]

    @property
    def retake_count(self) -> int:
        return sum(1 for a in self.applicants if a.must_retake)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "held_on": self.held_on.isoformat() if self.held_on else None, "site": self.site,
                "first_applied_on": self.first_applied_on.isoformat(), "applied": len(self.applicants),
                "must_retake": self.retake_count, "courses": [c.as_json() for c in self.courses],
                "applicants": [a.as_json() for a in self.applicants]}


@dataclass(frozen=True)
class ExamHistory:
    pass_mark: float
    rounds: tuple[RoundHistory, ...]  # newest first


def exam_history(session: Session, *, actor: str | None, round_name: str | None = None) -> ExamHistory:
    """Every round applied for here (or the one named), newest first, with applicants and results per course."""
    permissions.require(session, actor, permissions.Permission.VIEW_LEARNERS)
    rules = load_rules(session)
    days = round_days(session)
    sites = dict(session.execute(select(ExamRound.name, ExamRound.site)).all())
    applications = load_applications(session, round_name=round_name)
    if round_name is not None and not applications:
        known = "、".join(dict.fromkeys(a.round_name for a in load_applications(session))) or "（还没有考前申请）"
        raise AdultSchoolError(f"没有“{round_name}”的考前申请。已有的考试批次：{known}。")
    enrolment_ids = sorted({a.enrolment_id for a in applications})
    # Assignment needs every application of these enrolments, not only the named round's.
    all_applications = load_applications(session, enrolment_ids) if round_name is not None else applications
    attempts = load_attempts(session, enrolment_ids)
    assigned = assign_attempts(all_applications, attempts, days)
    passed_courses: dict[int, set[str]] = {}
    for result in attempts:
        if result.passed:
            passed_courses.setdefault(result.enrolment_id, set()).add(result.course)
    people: dict[int, tuple[str, str, Level, EnrolmentStatus]] = {}
    for chunk in _chunks(enrolment_ids):
        for enrolment_id, number, name, level, status in session.execute(
            select(Enrolment.id, Enrolment.student_number, Learner.name, Enrolment.level, Enrolment.status)
            .join(Learner, Learner.id == Enrolment.learner_id).where(Enrolment.id.in_(chunk or []))
        ):
            people[enrolment_id] = (number, name, level, status)

    by_round: dict[str, list[Applied]] = {}
    for applied in applications:
        by_round.setdefault(applied.round_name, []).append(applied)
    rounds = []
    for name, found in by_round.items():
        applicants = []
        for applied in found:
            number, learner_name, level, status = people[applied.enrolment_id]
            answers = assigned.get(applied.application_id, [])
            last: dict[str, Attempt] = {}
            for answer in answers:
                last[answer.course] = answer
            courses = list(dict.fromkeys([*applied.courses, *last]))
            results = []
            for course in courses:
                attempt = last.get(course)
                if attempt is None:
                    results.append(CourseResult(course, None, None, None, None, False))
                    continue
                retake = (not attempt.passed and course not in passed_courses.get(applied.enrolment_id, set())
                          and not status.is_closed)
                results.append(CourseResult(course, attempt.mark, attempt.score, attempt.day, attempt.passed, retake))
            applicants.append(Applicant(applied.enrolment_id, number, learner_name, level, status, applied.applied_on,
                                        tuple(results)))
        applicants.sort(key=lambda a: a.student_number)
        exam_days = Counter(r.exam_date for a in applicants for r in a.results if r.exam_date)
        held_on = days.get(name) or (exam_days.most_common(1)[0][0] if exam_days else None)
        rounds.append(RoundHistory(name, held_on, sites.get(name), min(a.applied_on for a in found), tuple(applicants),
                                   _tallies(applicants)))
    rounds.sort(key=lambda r: (r.held_on or r.first_applied_on, r.first_applied_on, r.name), reverse=True)
    return ExamHistory(float(rules.pass_mark), tuple(rounds))


def _tallies(applicants: Sequence[Applicant]) -> tuple[CourseTally, ...]:
    counts: dict[str, Counter] = {}
    for applicant in applicants:
        for result in applicant.results:
            tally = counts.setdefault(result.course, Counter())
            tally["applied"] += 1
            if result.mark is None:
                tally["pending"] += 1
            elif result.mark is ExamMark.ABSENT:
                tally["absent"] += 1
            else:
                tally["sat"] += 1
                tally["passed" if result.passed else "failed"] += 1
    return tuple(CourseTally(course, c["applied"], c["sat"], c["passed"], c["failed"], c["absent"], c["pending"])
                 for course, c in counts.items())
