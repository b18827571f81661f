"""Classes (R10), their rosters and sessions, and attendance: the roll call and sheets teachers filled by hand.

Hours credited follow the status; every save updates the kept totals in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adultschool import idcard
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
    EnrolmentStatus,
    Learner,
    Level,
    SchoolClass,
)
from adultschool.services import accounts, audit
from adultschool.services.registration import mask_name
from adultschool.services.rules import load_rules
from adultschool.services.sheet_import import ImportReport, RowSink, cell, rows_with_progress, start_report
from adultschool.services.site import require_school
from adultschool.services.study import match_course, refresh_totals
from adultschool.settings import Rules
from adultschool.textnorm import clean_name, clean_text, clean_token
from adultschool.xlsx import Column, cell_text, date_value, id_text, read_table

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
    value = clean_text(text) or ""
    if value in STATUS_WORDS:
        return STATUS_WORDS[value]
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
    accounts.require(session, actor, accounts.Permission.MANAGE_CLASSES)
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
    accounts.require(session, actor, accounts.Permission.MANAGE_CLASSES)
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
        if status == EnrolmentStatus.WITHDRAWN:
            raise AdultSchoolError(f"学籍号 {number} 已退学，不能加入班级。")
    already = set(session.execute(select(ClassMember.enrolment_id).where(ClassMember.class_id == class_id)).scalars())
    new = [{"class_id": class_id, "enrolment_id": found[n], "joined_on": joined_on}
           for n in dict.fromkeys(wanted) if found[n] not in already]
    if new:
        bulk_insert(session, ClassMember.__table__, new)
        audit.record(session, actor=actor, action="class.members", entity="class_members", entity_uuid=school_class.uuid,
                     summary=f"“{school_class.name}”加入 {len(new)} 名学员", after={"student_numbers": wanted})
    return len(new)


def create_session(session: Session, class_id: int, *, held_on: date, hours: float, course: str | None = None,
                   topic: str | None = None, starts_at: time | None = None, actor: str) -> SessionInfo:
    school_class = session.get(SchoolClass, class_id)
    if school_class is None:
        raise AdultSchoolError("找不到这个班级。")
    accounts.require_class(session, actor, class_id)
    hours = check_hours(hours)
    rules = load_rules(session)
    course_name = match_course(course, rules)[0] if clean_text(course) else None
    clash = session.execute(select(ClassSession.id).where(
        ClassSession.class_id == class_id, ClassSession.held_on == held_on,
        ClassSession.starts_at.is_(None) if starts_at is None else ClassSession.starts_at == starts_at)).first()
    if clash:
        raise AdultSchoolError(f"“{school_class.name}”在 {held_on}{' ' + starts_at.strftime('%H:%M') if starts_at else ''} 已经有一节课。")
    lesson = ClassSession(class_id=class_id, held_on=held_on, starts_at=starts_at, hours=hours, course=course_name,
                          topic=clean_text(topic))
    session.add(lesson)
    session.flush()
    audit.record(session, actor=actor, action="session.create", entity="class_sessions", entity_uuid=lesson.uuid,
                 summary=f"“{school_class.name}” {held_on} 上课 {hours:g} 课时", after={"held_on": held_on, "hours": hours})
    return session_info(session, lesson.id)


def session_info(session: Session, session_id: int) -> SessionInfo:
    found = _session_infos(session, ClassSession.id == session_id)
    if not found:
        raise AdultSchoolError("找不到这节课。")
    return found[0]


def list_sessions(session: Session, class_id: int) -> list[SessionInfo]:
    return _session_infos(session, ClassSession.class_id == class_id)


def _session_infos(session: Session, condition) -> list[SessionInfo]:
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
    school_class = session.get(SchoolClass, info.class_id)
    marks = {e: (s, h) for e, s, h in session.execute(
        select(Attendance.enrolment_id, Attendance.status, Attendance.hours).where(Attendance.session_id == session_id))}
    lines = []
    for enrolment_id, number, name, status in session.execute(
        select(Enrolment.id, Enrolment.student_number, Learner.name, Enrolment.status)
        .join(ClassMember, ClassMember.enrolment_id == Enrolment.id).join(Learner, Learner.id == Enrolment.learner_id)
        .where(ClassMember.class_id == info.class_id).order_by(Enrolment.student_number)
    ):
        if status == EnrolmentStatus.WITHDRAWN and enrolment_id not in marks:
            continue
        mark = marks.get(enrolment_id)
        lines.append(RollLine(enrolment_id, number, name, mark[0].value if mark else None, mark[1] if mark else 0.0))
    return RollCall(info, school_class.name, lines)


@dataclass(frozen=True)
class Mark:
    enrolment_id: int
    status: AttendanceStatus
    attended_hours: float | None = None  # late / left early: hours actually attended, if the teacher entered them


def save_roll_call(session: Session, session_id: int, marks: Sequence[Mark], *, actor: str) -> int:
    """Writes the statuses; a changed past mark is audited with before and after. Returns how many changed."""
    info = session_info(session, session_id)
    accounts.require_class(session, actor, info.class_id)
    rules = load_rules(session)
    members = set(session.execute(select(ClassMember.enrolment_id).where(ClassMember.class_id == info.class_id)).scalars())
    existing = {a.enrolment_id: a for a in session.execute(select(Attendance).where(Attendance.session_id == session_id)).scalars()}
    changes = []
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
            old.status, old.hours = mark.status, hours
    if not changes:
        return 0
    session.flush()
    refresh_totals(session, [c[0] for c in changes])
    edited = [c for c in changes if c[1] is not None]
    audit.record(
        session, actor=actor, action="attendance.save", entity="attendance", entity_uuid=session.get(ClassSession, session_id).uuid,
        summary=f"{info.held_on} 考勤：记录 {len(changes) - len(edited)} 人" + (f"，修改 {len(edited)} 人" if edited else ""),
        before={str(e): b for e, b, _ in edited} or None,
        after={str(e): a for e, _, a in changes},
    )
    return len(changes)


ATTENDANCE_COLUMNS: tuple[Column, ...] = (
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
)
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
                      job: JobContext | None = None) -> ImportReport:
    """Sheets teachers filled on paper or in Excel: class, date, hours, ID or student number, status."""
    job = job or NullJob()
    accounts.require(session, actor, accounts.Permission.IMPORT)
    require_school(session)
    rules = load_rules(session)
    sheets = read_table(path, job=job)
    report, sheet, header = start_report(sheets, ATTENDANCE_COLUMNS, path, dry_run=dry_run)
    if "id_number" not in header.columns and "student_number" not in header.columns:
        raise AdultSchoolError(f"“{report.file}”缺少“身份证号码”或“学籍号”列，无法知道是哪位学员。")
    sink = RowSink(report, header, ATTENDANCE_LABELS)
    classes = {c.name: c for c in session.execute(select(SchoolClass)).scalars()}
    savepoint = session.begin_nested() if dry_run else None
    members_by_class: dict[int, dict[str, tuple[int, str]]] = {}
    marks_by_session: dict[int, list[tuple[int, Mark]]] = {}
    seen: dict[tuple[int, int], int] = {}
    for number, cells in rows_with_progress(sheet, header, report, job, "检查考勤表"):

        def where(name: str) -> Where:
            return Where(sheet.name, number, header.labels.get(name))

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
                members = members_by_class[school_class.id] = _members(session, school_class.id)
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
        report.updated += save_roll_call(session, session_id, [m for _, m in marks], actor=actor)
        report.imported += len(marks)
    report.rejected.sort(key=lambda p: p.row)
    if savepoint is not None:
        savepoint.rollback()
    return report


def _members(session: Session, class_id: int) -> dict[str, tuple[int, str]]:
    """ID number and student number → (enrolment id, name), for the class's roster."""
    found: dict[str, tuple[int, str]] = {}
    for enrolment_id, number, id_number, name in session.execute(
        select(Enrolment.id, Enrolment.student_number, Learner.id_number, Learner.name)
        .join(ClassMember, ClassMember.enrolment_id == Enrolment.id).join(Learner, Learner.id == Enrolment.learner_id)
        .where(ClassMember.class_id == class_id)
    ):
        found[number] = found[id_number] = (enrolment_id, name)
    return found


def _who(cells, header, members: dict[str, tuple[int, str]], where) -> tuple[int, str]:
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
    return session.get(ClassSession, info.id)
