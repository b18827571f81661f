"""The learner's page (学员档案): everything about one person in one read — registration, enrolments, classes and
attendance, study records, readiness, exam applications and results, certificates, and the audit entries about them.

Read-only: ID numbers and phones are masked (the page's 显示完整身份证号 goes through services.learners.reveal_ids,
which audits). Readiness comes from services.readiness and results per round from services.exam_history.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from adultschool import clock, idcard
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Attendance,
    AttendanceStatus,
    AuditEntry,
    Certificate,
    CertificatePrint,
    ClassMember,
    ClassSession,
    Enrolment,
    EnrolmentStatus,
    ImportBatch,
    ImportBatchItem,
    Learner,
    LearnerPhoto,
    Level,
    SchoolClass,
    SkillCertificate,
    StudyRecord,
    StudyTotal,
    Township,
    Video,
)
from adultschool.months import months_completed
from adultschool.services import exam_history, permissions, readiness
from adultschool.services.audit_log import action_label
from adultschool.services.audit_text import change_line, changes_of, value_text
from adultschool.services.exam_results import required_courses
from adultschool.services.learners import mask_phone
from adultschool.services.rules import load_rules
from adultschool.textnorm import clean_text

RECENT_SESSIONS = 20  # the newest sessions shown per learner; the totals count all of them
AUDIT_LIMIT = 200


@dataclass(frozen=True)
class Person:
    learner_id: int
    name: str
    gender: str  # 男 / 女
    id_number: str  # masked
    birth_date: date
    age: int
    phone: str | None  # masked
    education: str | None
    township: str | None
    household_location: str | None
    address: str | None
    employer: str | None
    job: str | None
    is_migrant: bool | None
    surveyed_on: date | None
    has_photo: bool
    anonymised_on: date | None

    @property
    def migrant_text(self) -> str:
        return {True: "是", False: "否", None: "不详"}[self.is_migrant]

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) as the page and the command line show them."""
        shown = [("姓名", self.name), ("性别", self.gender), ("身份证号码", self.id_number),
                 ("出生日期", f"{self.birth_date}（{self.age} 岁）"), ("联系电话", self.phone or ""),
                 ("文化程度", self.education or ""), ("街道/镇", self.township or ""),
                 ("户籍所在地", self.household_location or ""), ("家庭地址", self.address or ""),
                 ("工作单位", self.employer or ""), ("职业", self.job or ""), ("流动人口", self.migrant_text),
                 ("照片", "有" if self.has_photo else "没有")]
        if self.surveyed_on:
            shown.append(("排摸日期", str(self.surveyed_on)))
        if self.anonymised_on:
            shown.append(("已匿名化", str(self.anonymised_on)))
        return shown

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "gender": self.gender, "id_number": self.id_number,
                "birth_date": self.birth_date.isoformat(), "age": self.age, "phone": self.phone,
                "education": self.education, "township": self.township, "household_location": self.household_location,
                "address": self.address, "employer": self.employer, "job": self.job, "is_migrant": self.is_migrant,
                "surveyed_on": _iso(self.surveyed_on), "has_photo": self.has_photo,
                "anonymised_on": _iso(self.anonymised_on)}


@dataclass(frozen=True)
class Standing:
    """Readiness now (services.readiness), for an enrolment still studying."""

    months_done: int
    video_hours: float
    class_hours: float
    ready: bool
    ready_on: date | None
    missing: tuple[str, ...]

    @property
    def text(self) -> str:
        if self.ready:
            return "可以报考"
        return "还不能报考：" + "；".join(self.missing)


@dataclass(frozen=True)
class EnrolmentLine:
    enrolment_id: int
    student_number: str
    level: Level
    registered_on: date
    learning_mode: str | None  # 线上 / 线下
    status: EnrolmentStatus
    township: str | None
    quota_year: int
    source: str | None
    import_batch: str | None  # "第 3 次导入：报名表.xlsx（2026-05-02 09:30）", when an import registered it
    status_changed_on: date | None
    status_reason: str | None
    transfer_to: str | None
    months_done: int
    video_hours: float
    class_hours: float
    standing: Standing | None  # None once the enrolment applied, passed, graduated or closed

    @property
    def status_text(self) -> str:
        text = self.status.label
        if self.status.is_closed:
            text += f"（{self.status_changed_on}，{self.status_reason or '未写原因'}"
            text += f"，转入 {self.transfer_to}）" if self.transfer_to else "）"
        return text

    @property
    def readiness_text(self) -> str:
        if self.standing is not None:
            return self.standing.text
        return f"{self.status.label}：不在可报考的计算之列"

    def as_json(self) -> dict[str, Any]:
        return {"student_number": self.student_number, "level": self.level.value,
                "registered_on": self.registered_on.isoformat(), "learning_mode": self.learning_mode,
                "status": self.status.value, "status_label": self.status.label, "township": self.township,
                "quota_year": self.quota_year, "source": self.source, "import_batch": self.import_batch,
                "status_changed_on": _iso(self.status_changed_on), "status_reason": self.status_reason,
                "transfer_to": self.transfer_to, "months_done": self.months_done, "video_hours": self.video_hours,
                "class_hours": self.class_hours,
                "ready": self.standing.ready if self.standing else None,
                "ready_on": _iso(self.standing.ready_on) if self.standing else None,
                "missing": list(self.standing.missing) if self.standing else []}


@dataclass(frozen=True)
class ClassLine:
    """A class the learner is on, with the learner's attendance in it."""

    student_number: str
    class_name: str
    class_type: str  # 村班 …
    teacher: str | None
    teaching_site: str | None
    starts_on: date
    joined_on: date
    sessions: int  # held in the class so far
    present: int  # 出勤, 迟到 and 早退 count as there
    absent: int
    excused: int
    unmarked: int
    hours: float  # counted toward readiness

    @property
    def attendance_text(self) -> str:
        text = f"共 {self.sessions} 次课：到课 {self.present}，缺勤 {self.absent}，请假 {self.excused}"
        return text + (f"，未点名 {self.unmarked}" if self.unmarked else "") + f"；计入 {self.hours:g} 学时"

    def as_json(self) -> dict[str, Any]:
        return {"student_number": self.student_number, "class": self.class_name, "class_type": self.class_type,
                "teacher": self.teacher, "teaching_site": self.teaching_site, "starts_on": self.starts_on.isoformat(),
                "joined_on": self.joined_on.isoformat(), "sessions": self.sessions, "present": self.present,
                "absent": self.absent, "excused": self.excused, "unmarked": self.unmarked, "hours": self.hours}


@dataclass(frozen=True)
class SessionLine:
    student_number: str
    held_on: date
    class_name: str
    course: str | None
    topic: str | None
    status: str  # 出勤 …
    hours: float

    def as_json(self) -> dict[str, Any]:
        return {"student_number": self.student_number, "held_on": self.held_on.isoformat(), "class": self.class_name,
                "course": self.course, "topic": self.topic, "status": self.status, "hours": self.hours}


@dataclass(frozen=True)
class VideoLine:
    student_number: str
    course: str
    video: str
    minutes: float
    length_minutes: float | None
    counted_minutes: float

    def as_json(self) -> dict[str, Any]:
        return {"student_number": self.student_number, "course": self.course, "video": self.video,
                "minutes": self.minutes, "length_minutes": self.length_minutes, "counted_minutes": self.counted_minutes}


@dataclass(frozen=True)
class ApplicationLine:
    student_number: str
    round_name: str
    applied_on: date
    held_on: date | None
    courses: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"student_number": self.student_number, "round": self.round_name, "applied_on": self.applied_on.isoformat(),
                "held_on": _iso(self.held_on), "courses": list(self.courses)}


@dataclass(frozen=True)
class ResultLine:
    student_number: str
    course: str
    mark: str  # 85 / 缺考 / 作弊
    score: float | None
    exam_date: date
    passed: bool
    round_name: str | None  # the application it answers

    def as_json(self) -> dict[str, Any]:
        return {"student_number": self.student_number, "course": self.course, "mark": self.mark, "score": self.score,
                "exam_date": self.exam_date.isoformat(), "passed": self.passed, "round": self.round_name}


@dataclass(frozen=True)
class CourseLine:
    """A required course of an enrolment's level: passed or not, the best score, how many attempts."""

    student_number: str
    course: str
    passed: bool
    best: str | None
    attempts: int

    @property
    def text(self) -> str:
        if self.passed:
            return f"合格（{self.best}）"
        if self.attempts:
            return f"未合格（最好 {self.best}，考了 {self.attempts} 次），需补考"
        return "还没有成绩"

    def as_json(self) -> dict[str, Any]:
        return {"student_number": self.student_number, "course": self.course, "passed": self.passed, "best": self.best,
                "attempts": self.attempts}


@dataclass(frozen=True)
class CertificateLine:
    student_number: str
    number: str
    issued_on: date
    printings: int
    first_printed: str | None  # local time
    reprint_reasons: tuple[str, ...]
    revoked_on: date | None
    revoked_reason: str | None

    @property
    def state(self) -> str:
        if self.revoked_on:
            return f"已撤销（{self.revoked_on}：{self.revoked_reason or ''}）"
        if not self.printings:
            return "未打印"
        text = f"已打印（{self.first_printed}）"
        return text + (f"，补发 {len(self.reprint_reasons)} 次：{'；'.join(self.reprint_reasons)}"
                       if self.reprint_reasons else "")

    def as_json(self) -> dict[str, Any]:
        return {"student_number": self.student_number, "number": self.number, "issued_on": self.issued_on.isoformat(),
                "printings": self.printings, "first_printed": self.first_printed,
                "reprint_reasons": list(self.reprint_reasons), "revoked_on": _iso(self.revoked_on),
                "revoked_reason": self.revoked_reason}


@dataclass(frozen=True)
class SkillLine:
    name: str
    number: str
    issued_on: date

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "number": self.number, "issued_on": self.issued_on.isoformat()}


@dataclass(frozen=True)
class AuditLine:
    at: str  # local time
    actor: str
    action: str  # in words
    summary: str
    changes: tuple[str, ...]  # "状态：在读 → 已退学", this learner's part of the entry

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at, "actor": self.actor, "action": self.action, "summary": self.summary,
                "changes": list(self.changes)}


@dataclass(frozen=True)
class LearnerRecord:
    as_of: date
    person: Person
    enrolments: tuple[EnrolmentLine, ...]
    classes: tuple[ClassLine, ...]
    recent_sessions: tuple[SessionLine, ...]  # newest first, RECENT_SESSIONS at most per enrolment
    videos: tuple[VideoLine, ...]
    applications: tuple[ApplicationLine, ...]
    results: tuple[ResultLine, ...]
    courses: tuple[CourseLine, ...]
    pass_mark: float
    certificates: tuple[CertificateLine, ...]
    skill_certificates: tuple[SkillLine, ...]
    audit: tuple[AuditLine, ...]  # newest first
    audit_more: bool  # more entries than AUDIT_LIMIT

    @property
    def student_numbers(self) -> tuple[str, ...]:
        return tuple(e.student_number for e in self.enrolments)

    @property
    def must_retake(self) -> tuple[CourseLine, ...]:
        return tuple(c for c in self.courses if not c.passed and c.attempts)

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "person": self.person.as_json(),
                "enrolments": [e.as_json() for e in self.enrolments], "classes": [c.as_json() for c in self.classes],
                "recent_sessions": [s.as_json() for s in self.recent_sessions],
                "videos": [v.as_json() for v in self.videos], "applications": [a.as_json() for a in self.applications],
                "results": [r.as_json() for r in self.results], "courses": [c.as_json() for c in self.courses],
                "pass_mark": self.pass_mark, "certificates": [c.as_json() for c in self.certificates],
                "skill_certificates": [s.as_json() for s in self.skill_certificates],
                "audit": [a.as_json() for a in self.audit], "audit_more": self.audit_more}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _local(moment: datetime) -> str:
    """A stored instant (naive UTC on SQLite) as local wall time."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M")


def find_learner(session: Session, student_number: str) -> int:
    """The learner behind any of their student numbers."""
    number = clean_text(student_number) or ""
    found = session.execute(select(Enrolment.learner_id).where(Enrolment.student_number == number)).scalar()
    if found is None:
        raise AdultSchoolError(f"找不到学籍号为“{number}”的学员。" if number else "请给出学籍号。")
    return found


def learner_record(session: Session, *, student_number: str | None = None, learner_id: int | None = None,
                   actor: str | None, as_of: date | None = None) -> LearnerRecord:
    """The whole page of the learner behind `student_number` (any of theirs) or `learner_id`."""
    permissions.require(session, actor, permissions.Permission.VIEW_LEARNERS)
    as_of = as_of or clock.today()
    if learner_id is None:
        learner_id = find_learner(session, student_number or "")
    learner = session.get(Learner, learner_id)
    if learner is None:
        raise AdultSchoolError("找不到这位学员，可能已被删除。")
    township = session.get_one(Township, learner.township_id).name if learner.township_id else None
    has_photo = session.execute(select(LearnerPhoto.id).where(LearnerPhoto.learner_id == learner_id)).first() is not None
    person = Person(learner.id, learner.name, learner.gender.label, idcard.mask(learner.id_number), learner.birth_date,
                    _age(learner.birth_date, as_of), mask_phone(learner.phone), learner.education, township,
                    learner.household_location, learner.address, learner.employer, learner.job, learner.is_migrant,
                    learner.surveyed_on, has_photo, learner.anonymised_on)

    enrolled = list(session.execute(select(Enrolment).where(Enrolment.learner_id == learner_id)
                                    .order_by(Enrolment.registered_on, Enrolment.id)).scalars())
    ids = [e.id for e in enrolled]
    number_of = {e.id: e.student_number for e in enrolled}
    rules = load_rules(session)
    standing = {r.enrolment_id: r for r in readiness.readiness(session, as_of, enrolment_ids=ids)}
    totals = {e: (v, c) for e, v, c in session.execute(
        select(StudyTotal.enrolment_id, StudyTotal.video_minutes, StudyTotal.class_hours)
        .where(StudyTotal.enrolment_id.in_(ids)))}
    townships = dict(session.execute(select(Township.id, Township.name)).all())
    batches = _import_batches(session, [e.uuid for e in enrolled])
    enrolments = []
    for e in enrolled:
        video_minutes, class_hours = totals.get(e.id, (0.0, 0.0))
        row = standing.get(e.id)
        enrolments.append(EnrolmentLine(
            e.id, e.student_number, e.level, e.registered_on, e.learning_mode.label if e.learning_mode else None,
            e.status, townships.get(e.township_id) if e.township_id is not None else None, e.quota_year, e.source,
            batches.get(e.uuid), e.status_changed_on,
            e.status_reason, e.transfer_to, months_completed(e.registered_on, as_of) if e.registered_on <= as_of else 0,
            round(video_minutes / 60, 2), round(class_hours, 2),
            Standing(row.months_done, row.video_hours, row.class_hours, row.ready, row.ready_on, row.missing)
            if row is not None else None))

    classes, sessions = _classes(session, ids, number_of, as_of)
    videos = tuple(
        VideoLine(number_of[e], course, key, minutes, length, min(minutes, length) if length is not None else minutes)
        for e, course, key, minutes, length in session.execute(
            select(StudyRecord.enrolment_id, Video.course, Video.key, StudyRecord.minutes, Video.length_minutes)
            .join(Video, Video.id == StudyRecord.video_id).where(StudyRecord.enrolment_id.in_(ids))
            .order_by(StudyRecord.enrolment_id, Video.course, Video.id)))

    days = exam_history.round_days(session)
    applied = exam_history.load_applications(session, ids)
    attempts = exam_history.load_attempts(session, ids)
    assigned = exam_history.assign_attempts(applied, attempts, days)
    round_of = {t.result_id: a.round_name for a in applied for t in assigned.get(a.application_id, [])}
    applications = tuple(ApplicationLine(number_of[a.enrolment_id], a.round_name, a.applied_on, days.get(a.round_name),
                                         a.courses) for a in applied)
    results = tuple(ResultLine(number_of[t.enrolment_id], t.course, exam_history.mark_text(t.mark, t.score), t.score,
                               t.day, t.passed, round_of.get(t.result_id)) for t in attempts)
    courses = []
    for e in enrolled:
        own = [t for t in attempts if t.enrolment_id == e.id]
        names = list(dict.fromkeys([*required_courses(rules, e.level), *(t.course for t in own)]))
        for course in names:
            tries = [t for t in own if t.course == course]
            scored = [t.score for t in tries if t.score is not None]
            best = f"{max(scored):g}" if scored else (exam_history.mark_text(tries[-1].mark, None) if tries else None)
            courses.append(CourseLine(e.student_number, course, any(t.passed for t in tries), best, len(tries)))

    certificates = _certificates(session, ids, number_of)
    skills = tuple(SkillLine(name, number, issued_on) for name, number, issued_on in session.execute(
        select(SkillCertificate.name, SkillCertificate.number, SkillCertificate.issued_on)
        .where(SkillCertificate.learner_id == learner_id).order_by(SkillCertificate.issued_on)))
    see_reveals = permissions.can(session, actor, permissions.Permission.VIEW_AUDIT)
    audit_lines, more = _audit(session, learner, enrolled, [c.number for c in certificates], see_reveals)
    return LearnerRecord(as_of, person, tuple(enrolments), classes, sessions, videos, applications, results,
                         tuple(courses), float(rules.pass_mark), certificates, skills, audit_lines, more)


def _age(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _import_batches(session: Session, uuids: list[str]) -> dict[str, str]:
    """Enrolment uuid → the import that registered it, in words."""
    found: dict[str, str] = {}
    for uuid, batch_id, file, at, undone_at in session.execute(
        select(ImportBatchItem.row_uuid, ImportBatch.id, ImportBatch.file, ImportBatch.at, ImportBatch.undone_at)
        .join(ImportBatch, ImportBatch.id == ImportBatchItem.batch_id)
        .where(ImportBatchItem.table_name == "enrolments", ImportBatchItem.row_uuid.in_(uuids),
               ImportBatchItem.before.is_(None))
    ):
        found[uuid] = f"第 {batch_id} 次导入：{file}（{_local(at)}）" + ("，已撤销" if undone_at else "")
    return found


_THERE = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


def _classes(session: Session, ids: list[int], number_of: dict[int, str],
             as_of: date) -> tuple[tuple[ClassLine, ...], tuple[SessionLine, ...]]:
    members = session.execute(
        select(ClassMember.enrolment_id, SchoolClass.id, SchoolClass.name, SchoolClass.class_type, SchoolClass.teacher,
               SchoolClass.teaching_site, SchoolClass.starts_on, ClassMember.joined_on)
        .join(SchoolClass, SchoolClass.id == ClassMember.class_id).where(ClassMember.enrolment_id.in_(ids))
        .order_by(ClassMember.joined_on, SchoolClass.name)).all()
    held = dict(session.execute(select(ClassSession.class_id, func.count(ClassSession.id))
                                .where(ClassSession.class_id.in_([m[1] for m in members]), ClassSession.held_on <= as_of)
                                .group_by(ClassSession.class_id)).all())
    marks = session.execute(
        select(Attendance.enrolment_id, ClassSession.class_id, ClassSession.held_on, SchoolClass.name, ClassSession.course,
               ClassSession.topic, Attendance.status, Attendance.hours)
        .join(ClassSession, ClassSession.id == Attendance.session_id).join(SchoolClass, SchoolClass.id == ClassSession.class_id)
        .where(Attendance.enrolment_id.in_(ids))
        .order_by(ClassSession.held_on.desc(), ClassSession.starts_at.desc())).all()
    tally: dict[tuple[int, int], Counter] = {}
    hours: dict[tuple[int, int], float] = {}
    for enrolment_id, class_id, _day, _name, _course, _topic, status, counted in marks:
        key = (enrolment_id, class_id)
        tally.setdefault(key, Counter())[status] += 1
        hours[key] = hours.get(key, 0.0) + counted
    lines = []
    for enrolment_id, class_id, name, class_type, teacher, site_name, starts_on, joined_on in members:
        counts = tally.get((enrolment_id, class_id), Counter())
        present = sum(counts[s] for s in _THERE)
        marked = sum(counts.values())
        sessions = held.get(class_id, 0)
        lines.append(ClassLine(number_of[enrolment_id], name, class_type.label, teacher, site_name, starts_on, joined_on,
                               sessions, present, counts[AttendanceStatus.ABSENT], counts[AttendanceStatus.EXCUSED],
                               max(sessions - marked, 0), round(hours.get((enrolment_id, class_id), 0.0), 2)))
    shown: Counter = Counter()
    recent = []
    for enrolment_id, _class_id, day, name, course, topic, status, counted in marks:
        if shown[enrolment_id] < RECENT_SESSIONS:
            shown[enrolment_id] += 1
            recent.append(SessionLine(number_of[enrolment_id], day, name, course, topic, status.label, counted))
    return tuple(lines), tuple(recent)


def _certificates(session: Session, ids: list[int], number_of: dict[int, str]) -> tuple[CertificateLine, ...]:
    found = list(session.execute(select(Certificate).where(Certificate.enrolment_id.in_(ids))
                                 .order_by(Certificate.issued_on, Certificate.id)).scalars())
    prints: dict[int, list[tuple[Any, bool, str | None]]] = {}
    for certificate_id, printed_at, reprint, reason in session.execute(
        select(CertificatePrint.certificate_id, CertificatePrint.printed_at, CertificatePrint.reprint, CertificatePrint.reason)
        .where(CertificatePrint.certificate_id.in_([c.id for c in found])).order_by(CertificatePrint.printed_at)
    ):
        prints.setdefault(certificate_id, []).append((printed_at, reprint, reason))
    lines = []
    for c in found:
        done = prints.get(c.id, [])
        lines.append(CertificateLine(number_of[c.enrolment_id], c.number, c.issued_on, len(done),
                                     _local(done[0][0]) if done else None,
                                     tuple(reason or "未写原因" for _at, reprint, reason in done if reprint),
                                     c.revoked_on, c.revoked_reason))
    return tuple(lines)


# --- the audit trail ----------------------------------------------------------------------------------------------

def _word(value: Any, field: str | None = None) -> str:
    """A value of the audit log in Chinese (services.audit_text), any ID number in it masked."""
    return idcard.mask_in_text(value_text(value, field))


def _pairs(before: dict, after: dict) -> list[str]:
    """key: before → after, for the keys of a single learner's entry."""
    return [idcard.mask_in_text(change_line(change)) for change in changes_of(before, after, "learners")]


def _load(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _batch_part(entry: AuditEntry, before: Any, after: Any, numbers: set[str], enrolment_ids: set[str],
                certificates: set[str], learner_uuid: str) -> list[str] | None:
    """This learner's part of an entry about many (None: the entry is not about them after all)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    lines: list[str] = []
    about = False
    for side in (before, after):
        listed = side.get("student_numbers")
        if isinstance(listed, list) and numbers & set(map(str, listed)):
            about = True
        listed = side.get("certificates")
        if isinstance(listed, list) and certificates & set(map(str, listed)):
            about = True
    old_status, new_status = before.get("statuses") or {}, after.get("statuses") or {}
    for number in sorted(numbers):
        if number in old_status or number in new_status:
            about = True
            lines.append(f"状态：{_word(old_status.get(number), 'status')} → {_word(new_status.get(number), 'status')}"
                         if number in old_status and number in new_status
                         else f"状态：{_word(new_status.get(number, old_status.get(number)), 'status')}")
        certificate = (after.get("certificate_of") or {}).get(number)
        if certificate:
            lines.append(f"证书编号：{certificate}")
    old_results, new_results = before.get("results") or {}, after.get("results") or {}
    for key in new_results:
        if any(key == n or key.startswith(f"{n} ") for n in numbers):
            about = True
            lines.append(f"成绩 {key.split(' ', 1)[1] if ' ' in key else key}：{_word(old_results.get(key), 'results')} → "
                         f"{_word(new_results[key], 'results')}")
    if entry.entity == "attendance":
        for key in enrolment_ids:
            if key in after:
                about = True
                old = before.get(key)
                new = after[key]
                shown_new = f"{_word(new[0])} {_word(new[1])} 学时" if isinstance(new, list) and len(new) == 2 else _word(new)
                if isinstance(old, list) and len(old) == 2:
                    lines.append(f"考勤：{_word(old[0])} {_word(old[1])} 学时 → {shown_new}")
                else:
                    lines.append(f"考勤：{shown_new}")
    if isinstance(before.get("learners"), dict) and learner_uuid in before["learners"]:
        lines.extend(_pairs(before["learners"][learner_uuid] or {}, (after.get("learners") or {}).get(learner_uuid) or {}))
    return lines if about else None


def _audit(session: Session, learner: Learner, enrolled: list[Enrolment], certificate_numbers: list[str],
           see_reveals: bool) -> tuple[tuple[AuditLine, ...], bool]:
    """Entries about this learner: by the uuid of the person, an enrolment, a certificate or the photo; or, for
    entries about many, by a student number, certificate number or (roll calls) enrolment id in their before/after."""
    photo = session.execute(select(LearnerPhoto.uuid).where(LearnerPhoto.learner_id == learner.id)).scalar()
    certificate_uuids = list(session.execute(select(Certificate.uuid).where(
        Certificate.enrolment_id.in_([e.id for e in enrolled]))).scalars())
    uuids = [learner.uuid, *(e.uuid for e in enrolled), *certificate_uuids, *([photo] if photo else [])]
    numbers = {e.student_number for e in enrolled}
    enrolment_keys = {str(e.id) for e in enrolled}
    # Quoted as JSON writes them: a student number opens a list item or a results key ("<number> <course> <date>"),
    # a certificate number is a list item, the person's uuid keys their changed details in a registration batch.
    needles = ([f'"{n}' for n in numbers] + [f'"{c}"' for c in certificate_numbers] + [f'"{learner.uuid}"'])
    conditions: list[ColumnElement[bool]] = [AuditEntry.entity_uuid.in_(uuids)]
    for needle in needles:
        conditions += [AuditEntry.before.contains(needle, autoescape=True),
                       AuditEntry.after.contains(needle, autoescape=True)]
    conditions += [(AuditEntry.entity == "attendance") & AuditEntry.after.contains(f'"{key}": [', autoescape=True)
                   for key in enrolment_keys]
    query = select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.id.desc())
    if not see_reveals:
        query = query.where(AuditEntry.action != "id.reveal")
    lines: list[AuditLine] = []
    more = False
    own = set(uuids)
    for entry in session.execute(query).scalars():
        before, after = _load(entry.before), _load(entry.after)
        if entry.entity_uuid in own:
            changes = _pairs(before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {})
        else:
            part = _batch_part(entry, before, after, numbers, enrolment_keys, set(certificate_numbers), learner.uuid)
            if part is None:
                continue
            changes = part
        if len(lines) == AUDIT_LIMIT:
            more = True
            break
        lines.append(AuditLine(_local(entry.at), entry.actor, action_label(entry.action),
                               idcard.mask_in_text(entry.summary), tuple(changes)))
    return tuple(lines), more
