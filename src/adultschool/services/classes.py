"""Classes (R10), their rosters and sessions, and attendance: the roll call and sheets teachers filled by hand.

Hours credited follow the status; every save updates the kept totals in the same transaction.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from adultschool import idcard, synonyms
from adultschool.db.bulk import bulk_insert
from adultschool.errors import AdultSchoolError, Where
from adultschool.jobs import JobContext, NullJob
from adultschool.models import (
    Attendance,
    AttendanceStatus,
    ClassMember,
    ClassSession,
    ClassType,
    Enrolment,
    Learner,
    Level,
    SchoolClass,
)
from adultschool.services import audit, permissions
from adultschool.services.registration import mask_name
from adultschool.services.rules import load_rules
from adultschool.services.sheet_import import (ColumnsNotFound, ImportReport, RowSink, cell, keep_mapping, open_report,
                                               rows_with_progress)
from adultschool.services.site import require_school
from adultschool.services.study import match_course, refresh_totals
from adultschool.services.journal import Journal
from adultschool.services.tombstones import remove_rows
from adultschool.rule_defaults import Rules
from adultschool.textnorm import clean_name, clean_text, clean_token
from adultschool.xlsx import Column, HeaderMatch, cell_text, date_value, id_text, read_table

CLASS_TYPE_WORDS = {"村班": ClassType.VILLAGE, "厂班": ClassType.FACTORY, "夜校班": ClassType.NIGHT, "夜校": ClassType.NIGHT,
                    "重修班": ClassType.RETAKE, "重修": ClassType.RETAKE}
STATUS_WORDS = {
    "出勤": AttendanceStatus.PRESENT, "到": AttendanceStatus.PRESENT, "√": AttendanceStatus.PRESENT, "✓": AttendanceStatus.PRESENT,
    "在": AttendanceStatus.PRESENT, "present": AttendanceStatus.PRESENT,
    "迟到": AttendanceStatus.LATE, "late": AttendanceStatus.LATE,
    "早退": AttendanceStatus.LEFT_EARLY, "left_early": AttendanceStatus.LEFT_EARLY,
    "缺勤": AttendanceStatus.ABSENT, "旷课": AttendanceStatus.ABSENT, "缺": AttendanceStatus.ABSENT, "×": AttendanceStatus.ABSENT,
    "未到": AttendanceStatus.ABSENT, "absent": AttendanceStatus.ABSENT,
    "请假": AttendanceStatus.EXCUSED, "假": AttendanceStatus.EXCUSED, "excused": AttendanceStatus.EXCUSED,
}
MAX_SESSION_HOURS = 12.0


def parse_class_type(text: str | None) -> ClassType:
    value = clean_text(text) or ""
    if value in CLASS_TYPE_WORDS:
        return CLASS_TYPE_WORDS[value]
    try:
        return ClassType(value.lower())
    except ValueError:
        raise AdultSchoolError(f"班级类型“{value}”无法识别：请填写村班、厂班、夜校班或重修班。", field="class_type") from None


def parse_status(text: str | None) -> AttendanceStatus:
    """STATUS_WORDS, and the words of resources/synonyms.json (values → attendance: 病假, 事假, 迟 …)."""
    value = "".join((clean_text(text) or "").split())
    if value in STATUS_WORDS:
        return STATUS_WORDS[value]
    meaning = synonyms.word_map("attendance").get(value)
    if meaning is not None:
        return AttendanceStatus(meaning)
    raise AdultSchoolError(f"考勤“{value}”无法识别：请填写出勤、迟到、早退、缺勤或请假。", field="status")


def check_hours(value: float | None, *, what: str = "课时") -> float:
    if value is None:
        raise AdultSchoolError(f"{what}为空。", field="hours")
    if not 0 < value <= MAX_SESSION_HOURS:
        raise AdultSchoolError(f"{what} {value:g} 不合理：应大于 0、不超过 {MAX_SESSION_HOURS:g}。", field="hours")
    return round(float(value), 2)


def credited_hours(status: AttendanceStatus, session_hours: float, attended: float | None, rules: Rules) -> float:
    """Present: the session's hours; late or left early: hours actually attended (entered, else the rules' share);
    absent or excused: none."""
    if status is AttendanceStatus.PRESENT:
        return session_hours
    if status in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED):
        return 0.0
    if attended is None:
        return round(session_hours * rules.partial_attendance_share, 2)
    if not 0 <= attended <= session_hours:
        raise AdultSchoolError(f"实到课时 {attended:g} 应在 0 到本节课时 {session_hours:g} 之间。", field="hours")
    return round(attended, 2)


@dataclass(frozen=True)
class ClassInfo:
    id: int
    name: str
    class_type: str
    level: str
    teaching_site: str | None
    teacher: str | None
    starts_on: date
    members: int
    sessions: int


@dataclass(frozen=True)
class SessionInfo:
    id: int
    class_id: int
    held_on: date
    starts_at: time | None
    hours: float
    course: str | None
    topic: str | None
    marked: int  # learners with attendance recorded


def create_class(session: Session, *, name: str, class_type: ClassType, level: Level, starts_on: date,
                 teaching_site: str | None = None, teacher: str | None = None, actor: str) -> ClassInfo:
    permissions.require(session, actor, permissions.Permission.MANAGE_CLASSES)
    site = require_school(session)
    name = clean_text(name) or ""
    if not name:
        raise AdultSchoolError("班级名称不能为空。", field="name")
    if session.execute(select(SchoolClass.id).where(SchoolClass.school_id == site.school_id, SchoolClass.name == name)).first():
        raise AdultSchoolError(f"已经有名为“{name}”的班级。", field="name")
    school_class = SchoolClass(school_id=site.school_id, name=name, class_type=class_type, level=level, starts_on=starts_on,
                               teaching_site=clean_text(teaching_site), teacher=clean_name(teacher))
    session.add(school_class)
    session.flush()
    audit.record(session, actor=actor, action="class.create", entity="classes", entity_uuid=school_class.uuid,
                 summary=f"新建{class_type.label}“{name}”", after={"name": name, "type": class_type.value, "level": level.value})
    return class_info(session, school_class.id)


def list_classes(session: Session) -> list[ClassInfo]:
    return _class_infos(session, None)


def class_info(session: Session, class_id: int) -> ClassInfo:
    found = _class_infos(session, class_id)
    if not found:
        raise AdultSchoolError("找不到这个班级，可能已被删除。")
    return found[0]


def _class_infos(session: Session, class_id: int | None) -> list[ClassInfo]:
    """Classes with their member and session counts, in one query (grouped counts joined to the classes)."""
    members = (select(ClassMember.class_id, func.count().label("n")).group_by(ClassMember.class_id).subquery())
    lessons = (select(ClassSession.class_id, func.count().label("n")).group_by(ClassSession.class_id).subquery())
    query = (
        select(SchoolClass, func.coalesce(members.c.n, 0), func.coalesce(lessons.c.n, 0))
        .outerjoin(members, members.c.class_id == SchoolClass.id).outerjoin(lessons, lessons.c.class_id == SchoolClass.id)
        .order_by(SchoolClass.starts_on.desc(), SchoolClass.name)
    )
    if class_id is not None:
        query = query.where(SchoolClass.id == class_id)
    return [ClassInfo(c.id, c.name, c.class_type.value, c.level.value, c.teaching_site, c.teacher, c.starts_on, m, n)
            for c, m, n in session.execute(query)]


def find_class(session: Session, name: str) -> SchoolClass:
    found = session.execute(select(SchoolClass).where(SchoolClass.name == (clean_text(name) or ""))).scalar()
    if found is None:
        known = "、".join(c.name for c in session.execute(select(SchoolClass).order_by(SchoolClass.name)).scalars()) or "（还没有）"
        raise AdultSchoolError(f"没有名为“{clean_text(name)}”的班级。已有：{known}。", field="class")
    return found


def add_members(session: Session, class_id: int, student_numbers: Sequence[str], *, joined_on: date, actor: str) -> int:
    """Puts enrolments on the class roster by student number; the enrolment's level must be the class's."""
    permissions.require(session, actor, permissions.Permission.MANAGE_CLASSES)
    school_class = session.get(SchoolClass, class_id)
    if school_class is None:
        raise AdultSchoolError("找不到这个班级。")
    wanted = [clean_text(n) or "" for n in student_numbers]
    found = dict(session.execute(select(Enrolment.student_number, Enrolment.id).where(Enrolment.student_number.in_(wanted))).all())
    missing = [n for n in wanted if n not in found]
    if missing:
        raise AdultSchoolError(f"找不到这些学籍号：{'、'.join(missing[:10])}{' 等' if len(missing) > 10 else ''}。")
    rows = session.execute(select(Enrolment.student_number, Enrolment.level, Enrolment.status)
                           .where(Enrolment.id.in_(found.values()))).all()
    for number, level, status in rows:
        if level != school_class.level:
            raise AdultSchoolError(f"学籍号 {number} 是{level.label}学籍，不能加入{school_class.level.label}班“{school_class.name}”。")
        if status.is_closed:
            raise AdultSchoolError(f"学籍号 {number} {status.label}，不能加入班级。")
    already = set(session.execute(select(ClassMember.enrolment_id).where(ClassMember.class_id == class_id)).scalars())
    new = [{"class_id": class_id, "enrolment_id": found[n], "joined_on": joined_on}
           for n in dict.fromkeys(wanted) if found[n] not in already]
    if new:
        bulk_insert(session, ClassMember.__table__, new)
        audit.record(session, actor=actor, action="class.members", entity="class_members", entity_uuid=school_class.uuid,
                     summary=f"“{school_class.name}”加入 {len(new)} 名学员", after={"student_numbers": wanted})
    return len(new)


def _class(session: Session, class_id: int) -> SchoolClass:
    school_class = session.get(SchoolClass, class_id)
    if school_class is None:
        raise AdultSchoolError("找不到这个班级，可能已被删除。")
    return school_class


def _attendance_count(session: Session, *conditions: ColumnElement[bool]) -> int:
    return session.execute(select(func.count()).select_from(Attendance).join(
        ClassSession, ClassSession.id == Attendance.session_id).where(*conditions)).scalar_one()


def remove_members(session: Session, class_id: int, student_numbers: Sequence[str], *, actor: str) -> int:
    """Takes enrolments off the class roster. Refused for anyone with attendance in this class: their roll calls
    would lose them (a learner who left the programme is withdrawn instead, which keeps the history)."""
    permissions.require(session, actor, permissions.Permission.MANAGE_CLASSES)
    school_class = _class(session, class_id)
    wanted = list(dict.fromkeys(clean_text(n) or "" for n in student_numbers))
    if not wanted:
        raise AdultSchoolError("请选择要移出班级的学员。")
    members = dict(session.execute(
        select(Enrolment.student_number, ClassMember.id).join(ClassMember, ClassMember.enrolment_id == Enrolment.id)
        .where(ClassMember.class_id == class_id, Enrolment.student_number.in_(wanted))).all())
    missing = [n for n in wanted if n not in members]
    if missing:
        raise AdultSchoolError(f"这些学籍号不在“{school_class.name}”里：{'、'.join(missing[:10])}{' 等' if len(missing) > 10 else ''}。")
    marked = list(session.execute(
        select(Enrolment.student_number).join(Attendance, Attendance.enrolment_id == Enrolment.id)
        .join(ClassSession, ClassSession.id == Attendance.session_id)
        .where(ClassSession.class_id == class_id, Enrolment.student_number.in_(wanted)).distinct()
        .order_by(Enrolment.student_number)).scalars())
    if marked:
        raise AdultSchoolError(
            f"学籍号 {'、'.join(marked[:10])}{' 等' if len(marked) > 10 else ''} 在“{school_class.name}”已有考勤记录，"
            "不能移出（考勤要留作记录）。如果学员不再学习，请为其办理退学。")
    removed = remove_rows(session, ClassMember.__table__, [members[n] for n in wanted],
                          reason=f"移出班级“{school_class.name}”")
    audit.record(session, actor=actor, action="class.remove_members", entity="class_members", entity_uuid=school_class.uuid,
                 summary=f"“{school_class.name}”移出 {removed} 名学员", before={"student_numbers": wanted})
    return removed


@dataclass(frozen=True)
class ClassChanges:
    """What to change of a class; None keeps the value (teaching site and teacher: "" clears them)."""

    name: str | None = None
    class_type: ClassType | None = None
    level: Level | None = None
    starts_on: date | None = None
    teaching_site: str | None = None
    teacher: str | None = None


def update_class(session: Session, class_id: int, changes: ClassChanges, *, actor: str) -> ClassInfo:
    """Corrects a class. Its level cannot change while it has members (they are enrolments of that level), and its
    start cannot move after its first session."""
    permissions.require(session, actor, permissions.Permission.MANAGE_CLASSES)
    school_class = _class(session, class_id)
    values: dict[str, object] = {}
    if changes.name is not None:
        name = clean_text(changes.name) or ""
        if not name:
            raise AdultSchoolError("班级名称不能为空。", field="name")
        if name != school_class.name and session.execute(select(SchoolClass.id).where(
                SchoolClass.school_id == school_class.school_id, SchoolClass.name == name)).first():
            raise AdultSchoolError(f"已经有名为“{name}”的班级。", field="name")
        values["name"] = name
    if changes.class_type is not None:
        values["class_type"] = changes.class_type
    if changes.level is not None and changes.level != school_class.level:
        members = session.execute(select(func.count()).select_from(ClassMember)
                                  .where(ClassMember.class_id == class_id)).scalar_one()
        if members:
            raise AdultSchoolError(f"“{school_class.name}”已有 {members} 名{school_class.level.label}学员，不能改成"
                                   f"{changes.level.label}班：请另建一个班级。", field="level")
        values["level"] = changes.level
    if changes.starts_on is not None:
        first = session.execute(select(func.min(ClassSession.held_on)).where(ClassSession.class_id == class_id)).scalar()
        if first is not None and changes.starts_on > first:
            raise AdultSchoolError(f"“{school_class.name}”第一节课在 {first}，开班日期不能晚于它。", field="starts_on")
        values["starts_on"] = changes.starts_on
    if changes.teaching_site is not None:
        values["teaching_site"] = clean_text(changes.teaching_site)
    if changes.teacher is not None:
        values["teacher"] = clean_name(changes.teacher)
    before = {k: getattr(getattr(school_class, k), "value", getattr(school_class, k)) for k in values}
    changed = {k: v for k, v in values.items() if before[k] != getattr(v, "value", v)}
    if changed:
        for key, value in changed.items():
            setattr(school_class, key, value)
        session.flush()
        audit.record(session, actor=actor, action="class.edit", entity="classes", entity_uuid=school_class.uuid,
                     summary=f"修改班级“{school_class.name}”",
                     before={k: before[k] for k in changed}, after={k: getattr(v, "value", v) for k, v in changed.items()})
    return class_info(session, class_id)


def delete_class(session: Session, class_id: int, *, actor: str) -> str:
    """Removes a class made by mistake, with its roster and sessions; refused once any attendance is recorded."""
    permissions.require(session, actor, permissions.Permission.MANAGE_CLASSES)
    school_class = _class(session, class_id)
    marked = _attendance_count(session, ClassSession.class_id == class_id)
    if marked:
        raise AdultSchoolError(f"“{school_class.name}”已有 {marked} 条考勤记录，不能删除（考勤要留作记录）。")
    reason = f"删除班级“{school_class.name}”"
    sessions = list(session.execute(select(ClassSession.id).where(ClassSession.class_id == class_id)).scalars())
    members = list(session.execute(select(ClassMember.id).where(ClassMember.class_id == class_id)).scalars())
    remove_rows(session, ClassSession.__table__, sessions, reason=reason)
    remove_rows(session, ClassMember.__table__, members, reason=reason)
    name, uuid = school_class.name, school_class.uuid
    session.expunge(school_class)
    remove_rows(session, SchoolClass.__table__, [class_id], reason=reason)
    audit.record(session, actor=actor, action="class.delete", entity="classes", entity_uuid=uuid,
                 summary=f"删除班级“{name}”（{len(members)} 名学员、{len(sessions)} 节课）",
                 before={"name": name, "members": len(members), "sessions": len(sessions)})
    return name


def create_session(session: Session, class_id: int, *, held_on: date, hours: float, course: str | None = None,
                   topic: str | None = None, starts_at: time | None = None, actor: str) -> SessionInfo:
    school_class = session.get(SchoolClass, class_id)
    if school_class is None:
        raise AdultSchoolError("找不到这个班级。")
    permissions.require_class(session, actor, class_id)
    hours = check_hours(hours)
    rules = load_rules(session)
    course_name = match_course(course, rules)[0] if clean_text(course) else None
    _check_session_day(school_class, held_on)
    _check_no_clash(session, school_class, held_on, starts_at)
    lesson = ClassSession(class_id=class_id, held_on=held_on, starts_at=starts_at, hours=hours, course=course_name,
                          topic=clean_text(topic))
    session.add(lesson)
    session.flush()
    audit.record(session, actor=actor, action="session.create", entity="class_sessions", entity_uuid=lesson.uuid,
                 summary=f"“{school_class.name}” {held_on} 上课 {hours:g} 课时", after={"held_on": held_on, "hours": hours})
    return session_info(session, lesson.id)


def _check_session_day(school_class: SchoolClass, held_on: date) -> None:
    if held_on < school_class.starts_on:
        raise AdultSchoolError(f"上课日期 {held_on} 早于“{school_class.name}”的开班日期 {school_class.starts_on}："
                               "请核对日期，或先把班级的开班日期改早。", field="date")


def _check_no_clash(session: Session, school_class: SchoolClass, held_on: date, starts_at: time | None,
                    *, other_than: int | None = None) -> None:
    query = select(ClassSession.id).where(
        ClassSession.class_id == school_class.id, ClassSession.held_on == held_on,
        ClassSession.starts_at.is_(None) if starts_at is None else ClassSession.starts_at == starts_at)
    if other_than is not None:
        query = query.where(ClassSession.id != other_than)
    if session.execute(query).first():
        raise AdultSchoolError(f"“{school_class.name}”在 {held_on}{' ' + starts_at.strftime('%H:%M') if starts_at else ''} "
                               "已经有一节课。")


@dataclass(frozen=True)
class SessionChanges:
    """What to change of a session; None keeps the value (course and topic: "" clears them)."""

    held_on: date | None = None
    starts_at: time | None = None
    clear_start: bool = False
    hours: float | None = None
    course: str | None = None
    topic: str | None = None


def update_session(session: Session, session_id: int, changes: SessionChanges, *, actor: str) -> SessionInfo:
    """Corrects a session. Its day, time and hours are fixed once attendance is recorded (they decide the hours
    credited); its course and topic can always be corrected."""
    lesson = session.get(ClassSession, session_id)
    if lesson is None:
        raise AdultSchoolError("找不到这节课，可能已被删除。")
    permissions.require_class(session, actor, lesson.class_id)
    school_class = _class(session, lesson.class_id)
    values: dict[str, object] = {}
    if changes.held_on is not None:
        values["held_on"] = changes.held_on
    if changes.clear_start or changes.starts_at is not None:
        values["starts_at"] = None if changes.clear_start else changes.starts_at
    if changes.hours is not None:
        values["hours"] = check_hours(changes.hours)
    timing = {k: v for k, v in values.items() if v != getattr(lesson, k)}
    if timing:
        marked = _attendance_count(session, Attendance.session_id == session_id)
        if marked:
            raise AdultSchoolError(f"这节课已有 {marked} 人的考勤记录，日期、时间和课时不能再改"
                                   "（已计入的课时以它为准）。如确实记错，请先在点名表里清除考勤。")
        held_on = timing.get("held_on", lesson.held_on)
        starts_at = timing.get("starts_at", lesson.starts_at)
        _check_session_day(school_class, held_on)  # type: ignore[arg-type]
        _check_no_clash(session, school_class, held_on, starts_at, other_than=session_id)  # type: ignore[arg-type]
    if changes.course is not None:
        values["course"] = match_course(changes.course, load_rules(session))[0] if clean_text(changes.course) else None
    if changes.topic is not None:
        values["topic"] = clean_text(changes.topic)
    changed = {k: v for k, v in values.items() if v != getattr(lesson, k)}
    if changed:
        before = {k: getattr(lesson, k) for k in changed}
        for key, value in changed.items():
            setattr(lesson, key, value)
        session.flush()
        audit.record(session, actor=actor, action="session.edit", entity="class_sessions", entity_uuid=lesson.uuid,
                     summary=f"修改“{school_class.name}” {lesson.held_on} 的课", before=before, after=changed)
    return session_info(session, session_id)


def delete_session(session: Session, session_id: int, *, actor: str) -> SessionInfo:
    """Removes a session entered by mistake; refused once attendance is recorded."""
    info = session_info(session, session_id)
    permissions.require_class(session, actor, info.class_id)
    if info.marked:
        raise AdultSchoolError(f"这节课已有 {info.marked} 人的考勤记录，不能删除（考勤要留作记录）。")
    school_class = _class(session, info.class_id)
    lesson = session.get_one(ClassSession, session_id)  # session_info found it
    uuid = lesson.uuid
    session.expunge(lesson)
    remove_rows(session, ClassSession.__table__, [session_id], reason=f"删除“{school_class.name}” {info.held_on} 的课")
    audit.record(session, actor=actor, action="session.delete", entity="class_sessions", entity_uuid=uuid,
                 summary=f"删除“{school_class.name}” {info.held_on} {info.hours:g} 课时的课",
                 before={"held_on": info.held_on, "starts_at": info.starts_at, "hours": info.hours})
    return info


def find_session(session: Session, class_id: int, held_on: date, starts_at: time | None = None) -> SessionInfo:
    """The class's session on that day (at that time, when the class has several that day)."""
    found = [s for s in list_sessions(session, class_id)
             if s.held_on == held_on and (starts_at is None or s.starts_at == starts_at)]
    if not found:
        raise AdultSchoolError(f"这个班在 {held_on}{' ' + starts_at.strftime('%H:%M') if starts_at else ''} 没有课。")
    if len(found) > 1:
        raise AdultSchoolError(f"这个班在 {held_on} 有 {len(found)} 节课：请用 --start 指定开始时间。")
    return found[0]


def session_info(session: Session, session_id: int) -> SessionInfo:
    found = _session_infos(session, ClassSession.id == session_id)
    if not found:
        raise AdultSchoolError("找不到这节课。")
    return found[0]


def list_sessions(session: Session, class_id: int) -> list[SessionInfo]:
    return _session_infos(session, ClassSession.class_id == class_id)


def _session_infos(session: Session, condition: ColumnElement[bool]) -> list[SessionInfo]:
    """Sessions, newest first, with how many learners are marked, in one query."""
    marked = select(Attendance.session_id, func.count().label("n")).group_by(Attendance.session_id).subquery()
    query = (
        select(ClassSession, func.coalesce(marked.c.n, 0)).outerjoin(marked, marked.c.session_id == ClassSession.id)
        .where(condition).order_by(ClassSession.held_on.desc(), ClassSession.starts_at)
    )
    return [SessionInfo(s.id, s.class_id, s.held_on, s.starts_at, s.hours, s.course, s.topic, n)
            for s, n in session.execute(query)]


@dataclass(frozen=True)
class RollLine:
    enrolment_id: int
    student_number: str
    name: str
    status: str | None  # None: not marked yet
    hours: float


@dataclass(frozen=True)
class RollCall:
    session: SessionInfo
    class_name: str
    lines: list[RollLine]


def roll_call(session: Session, session_id: int) -> RollCall:
    """Every learner of the class (withdrawn ones left out) with the status recorded for this session, if any."""
    info = session_info(session, session_id)
    school_class = session.get_one(SchoolClass, info.class_id)
    marks = {e: (s, h) for e, s, h in session.execute(
        select(Attendance.enrolment_id, Attendance.status, Attendance.hours).where(Attendance.session_id == session_id))}
    lines = []
    for enrolment_id, number, name, status in session.execute(
        select(Enrolment.id, Enrolment.student_number, Learner.name, Enrolment.status)
        .join(ClassMember, ClassMember.enrolment_id == Enrolment.id).join(Learner, Learner.id == Enrolment.learner_id)
        .where(ClassMember.class_id == info.class_id).order_by(Enrolment.student_number)
    ):
        if status.is_closed and enrolment_id not in marks:
            continue
        mark = marks.get(enrolment_id)
        lines.append(RollLine(enrolment_id, number, name, mark[0].value if mark else None, mark[1] if mark else 0.0))
    return RollCall(info, school_class.name, lines)


@dataclass(frozen=True)
class Mark:
    enrolment_id: int
    status: AttendanceStatus
    attended_hours: float | None = None  # late / left early: hours actually attended, if the teacher entered them


def save_roll_call(session: Session, session_id: int, marks: Sequence[Mark], *, actor: str,
                   journal: Journal | None = None) -> int:
    """Writes the statuses; a changed past mark is audited with before and after (and noted in an import's
    `journal`). Returns how many changed."""
    info = session_info(session, session_id)
    permissions.require_class(session, actor, info.class_id)
    rules = load_rules(session)
    members = set(session.execute(select(ClassMember.enrolment_id).where(ClassMember.class_id == info.class_id)).scalars())
    existing = {a.enrolment_id: a for a in session.execute(select(Attendance).where(Attendance.session_id == session_id)).scalars()}
    changes: list[tuple[int, tuple[str, float] | None, tuple[str, float]]] = []  # enrolment, (status, hours) before, after
    for mark in marks:
        if mark.enrolment_id not in members:
            raise AdultSchoolError("名单里有不属于这个班的学员，请刷新后重试。")
        hours = credited_hours(mark.status, info.hours, mark.attended_hours, rules)
        old = existing.get(mark.enrolment_id)
        if old is None:
            session.add(Attendance(session_id=session_id, enrolment_id=mark.enrolment_id, status=mark.status, hours=hours))
            changes.append((mark.enrolment_id, None, (mark.status.value, hours)))
        elif (old.status, old.hours) != (mark.status, hours):
            changes.append((mark.enrolment_id, (old.status.value, old.hours), (mark.status.value, hours)))
            if journal is not None:
                journal.change("attendance", old.uuid, {"status": old.status, "hours": old.hours},
                               {"status": mark.status, "hours": hours})
            old.status, old.hours = mark.status, hours
    if not changes:
        return 0
    session.flush()
    refresh_totals(session, [c[0] for c in changes])
    edited = [c for c in changes if c[1] is not None]
    audit.record(
        session, actor=actor, action="attendance.save", entity="attendance", entity_uuid=session.get_one(ClassSession, session_id).uuid,
        summary=f"{info.held_on} 考勤：记录 {len(changes) - len(edited)} 人" + (f"，修改 {len(edited)} 人" if edited else ""),
        before={str(e): b for e, b, _ in edited} or None,
        after={str(e): a for e, _, a in changes},
    )
    return len(changes)


ATTENDANCE_COLUMNS: tuple[Column, ...] = synonyms.with_aliases("attendance", (
    Column("class", "班级", ("班级名称", "班名"), required=True),
    Column("date", "日期", ("上课日期", "时间"), required=True),
    Column("hours", "课时", ("本节课时", "学时", "课时数"), required=True),
    Column("status", "考勤", ("出勤情况", "考勤情况", "状态", "出勤"), required=True),
    Column("id_number", "身份证号码", ("身份证号", "公民身份号码", "身份证")),
    Column("student_number", "学籍号", ("学号",)),
    Column("name", "姓名", ("学员姓名",)),
    Column("attended", "实到课时", ("实际课时", "实到学时")),
    Column("course", "课程", ("课程名称",)),
    Column("topic", "内容", ("教学内容", "课题", "主题")),
    Column("starts_at", "开始时间", ("上课时间",)),
))
ATTENDANCE_LABELS = {c.field: c.label for c in ATTENDANCE_COLUMNS}


def _number(value: object, where: Where, field_name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(clean_token(value) if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise AdultSchoolError(f"“{value}”不是数字。", where, field=field_name) from None


def _time(value: object, where: Where) -> time | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        return value.time()
    try:
        return datetime.strptime(clean_token(str(value)) or "", "%H:%M").time()
    except ValueError:
        raise AdultSchoolError(f"开始时间“{value}”应写成 时:分（如 19:00）。", where, field="starts_at") from None


def import_attendance(session: Session, path: Path, *, actor: str, dry_run: bool = False,
                      job: JobContext | None = None, class_name: str | None = None, hours: float | None = None,
                      mapping: dict[str, str] | None = None, mapping_name: str | None = None,
                      today: date | None = None) -> ImportReport:
    """Sheets teachers filled on paper or in Excel: a row per mark (class, date, hours, ID or student number, status),
    or a grid (a row per learner, a column per date or session: services.attendance_grid), for `class_name` or the
    class the sheet names; `hours` are those of sessions the grid is the first to mention."""
    from adultschool.services import attendance_grid

    job = job or NullJob()
    permissions.require(session, actor, permissions.Permission.IMPORT)
    require_school(session)
    rules = load_rules(session)
    sheets = read_table(path, job=job)
    try:
        report, sheet, header = open_report(session, "attendance", sheets, ATTENDANCE_COLUMNS, path, dry_run=dry_run,
                                            mapping=mapping)
    except ColumnsNotFound:
        grid = None if mapping else next((g for g in map(attendance_grid.find_grid, sheets) if g is not None), None)
        if grid is None:
            raise
        report = ImportReport(file=Path(path).name, sheet=grid.sheet.name, header_row=grid.header_row, dry_run=dry_run)
        report.headers = tuple("" if v is None else str(v) for v in grid.sheet.rows[grid.header_row - 1])
        classes_by_name = {c.name: c for c in session.execute(select(SchoolClass)).scalars()}
        return attendance_grid.import_grid(session, grid, report, classes=classes_by_name, class_name=class_name,
                                           hours=hours, actor=actor, job=job, dry_run=dry_run, today=today)
    if "id_number" not in header.columns and "student_number" not in header.columns:
        raise AdultSchoolError(f"“{report.file}”缺少“身份证号码”或“学籍号”列，无法知道是哪位学员。")
    sink = RowSink(report, header, ATTENDANCE_LABELS)
    classes = {c.name: c for c in session.execute(select(SchoolClass)).scalars()}
    savepoint = session.begin_nested() if dry_run else None
    journal = Journal(session, "attendance", report.file, [ClassSession.__table__, Attendance.__table__])
    members_by_class: dict[int, dict[str, tuple[int, str]]] = {}
    marks_by_session: dict[int, list[tuple[int, Mark]]] = {}
    seen: dict[tuple[int, int], int] = {}
    for number, cells in rows_with_progress(sheet, header, report, job, "检查考勤表"):

        def where(name: str) -> Where:
            return Where(sheet.name, number, header.labels.get(name))  # noqa: B023 - called only while this row is read

        try:
            class_name = cell_text(cell(cells, header, "class"))
            school_class = classes.get(class_name or "")
            if school_class is None:
                raise AdultSchoolError(f"没有名为“{class_name or ''}”的班级。", field="class")
            held_on = date_value(cell(cells, header, "date"), where("date"))
            if held_on is None:
                raise AdultSchoolError("日期为空。", field="date")
            hours = check_hours(_number(cell(cells, header, "hours"), where("hours"), "hours"))
            status = parse_status(cell_text(cell(cells, header, "status")))
            attended = _number(cell(cells, header, "attended"), where("attended"), "attended")
            members = members_by_class.get(school_class.id)
            if members is None:
                members = members_by_class[school_class.id] = roster_keys(session, school_class.id)
            enrolment_id, name = _who(cells, header, members, where)
            given_name = clean_name(cell_text(cell(cells, header, "name")))
            if given_name and given_name != name:
                raise AdultSchoolError(f"姓名“{given_name}”与登记的“{mask_name(name)}”不符。", field="name")
            lesson = _session_for(session, school_class, held_on, hours, _time(cell(cells, header, "starts_at"), where("starts_at")),
                                  cell_text(cell(cells, header, "course")), cell_text(cell(cells, header, "topic")), rules, actor)
            credited_hours(status, lesson.hours, attended, rules)  # refuse impossible hours here, with the row
        except AdultSchoolError as exc:
            sink.reject_error(number, cells, exc)
            continue
        if (lesson.id, enrolment_id) in seen:
            sink.reject(number, cells, "id_number", f"与第 {seen[(lesson.id, enrolment_id)]} 行是同一节课的同一学员（保留第一行）。")
            continue
        seen[(lesson.id, enrolment_id)] = number
        marks_by_session.setdefault(lesson.id, []).append((number, Mark(enrolment_id, status, attended)))
    for session_id, marks in marks_by_session.items():
        report.updated += save_roll_call(session, session_id, [m for _, m in marks], actor=actor, journal=journal)
        report.imported += len(marks)
    report.rejected.sort(key=lambda p: p.row)
    if savepoint is not None:
        savepoint.rollback()
    else:
        report.batch_id = journal.finish(session, actor=actor, summary=f"{report.imported} 条考勤")
        keep_mapping(session, "attendance", report, name=mapping_name, actor=actor)
    return report


def roster_keys(session: Session, class_id: int) -> dict[str, tuple[int, str]]:
    """ID number and student number → (enrolment id, name), for the class's roster: how an attendance sheet (a list or
    a grid) names its people."""
    found: dict[str, tuple[int, str]] = {}
    for enrolment_id, number, id_number, name in session.execute(
        select(Enrolment.id, Enrolment.student_number, Learner.id_number, Learner.name)
        .join(ClassMember, ClassMember.enrolment_id == Enrolment.id).join(Learner, Learner.id == Enrolment.learner_id)
        .where(ClassMember.class_id == class_id)
    ):
        found[number] = found[id_number] = (enrolment_id, name)
    return found


def _who(cells: tuple[object, ...], header: HeaderMatch, members: dict[str, tuple[int, str]],
         where: Callable[[str], Where]) -> tuple[int, str]:
    student_number = cell_text(cell(cells, header, "student_number"))
    if student_number:
        if student_number not in members:
            raise AdultSchoolError(f"学籍号 {student_number} 不是这个班的学员。", field="student_number")
        return members[student_number]
    raw = id_text(cell(cells, header, "id_number"), where("id_number"))
    if not raw:
        raise AdultSchoolError("身份证号码和学籍号都为空。", field="id_number")
    number = idcard.parse(raw).number
    if number not in members:
        raise AdultSchoolError(f"身份证号码 {idcard.mask(number)} 不是这个班的学员。", field="id_number")
    return members[number]


def _session_for(session: Session, school_class: SchoolClass, held_on: date, hours: float, starts_at: time | None,
                 course: str | None, topic: str | None, rules: Rules, actor: str) -> ClassSession:
    """The class's session on that day (and time), created when the sheet is the first to mention it."""
    query = select(ClassSession).where(ClassSession.class_id == school_class.id, ClassSession.held_on == held_on)
    if starts_at is not None:
        query = query.where(ClassSession.starts_at == starts_at)
    found = session.execute(query).scalars().all()
    if len(found) > 1:
        raise AdultSchoolError(f"“{school_class.name}”在 {held_on} 有 {len(found)} 节课：请填写“开始时间”区分。", field="date")
    if found:
        if abs(found[0].hours - hours) > 1e-9:
            raise AdultSchoolError(f"这节课已登记为 {found[0].hours:g} 课时，表里写的是 {hours:g}。", field="hours")
        return found[0]
    info = create_session(session, school_class.id, held_on=held_on, hours=hours, course=course, topic=topic,
                          starts_at=starts_at, actor=actor)
    return session.get_one(ClassSession, info.id)
