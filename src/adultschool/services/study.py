"""Online study records (R3, R6): import from the provincial site's export, and the per-enrolment totals readiness reads.

A video watched several times counts once, at its largest value; minutes beyond a video's known length are capped.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, delete, func, insert, select
from sqlalchemy.orm import Session

from adultschool import idcard, synonyms
from adultschool.db.bulk import bulk_insert
from adultschool.errors import AdultSchoolError, Where
from adultschool.jobs import JobContext, NullJob
from adultschool.models import Attendance, Enrolment, EnrolmentStatus, Learner, Level, StudyRecord, StudyTotal, Video
from adultschool.services import audit, permissions
from adultschool.services.journal import Journal
from adultschool.services.registration import CHUNK, mask_name
from adultschool.services.rules import load_rules
from adultschool.services.sheet_import import ImportReport, RowSink, cell, keep_mapping, open_report, rows_with_progress
from adultschool.rule_defaults import Rules
from adultschool.textnorm import clean_name, clean_text, clean_token
from adultschool.xlsx import Column, cell_text, id_text, read_table
from adultschool.services.sync_tables import update_travelling

STUDY_COLUMNS: tuple[Column, ...] = synonyms.with_aliases("study", (
    Column("id_number", "身份证号码", ("身份证号", "公民身份号码", "身份证", "证件号码"), required=True),
    Column("name", "姓名", ("学员姓名",)),
    Column("course", "课程", ("课程名称",), required=True),
    Column("video", "视频", ("视频名称", "视频标题", "视频编号", "视频ID", "课件", "课件名称"), required=True),
    Column("minutes", "已学时长(分钟)", ("已学时长", "学习时长(分钟)", "学习时长", "观看时长(分钟)", "观看时长"), required=True),
    Column("length", "视频时长(分钟)", ("视频时长", "视频总时长(分钟)", "总时长(分钟)")),
))
LABELS = {c.field: c.label for c in STUDY_COLUMNS}
OPEN_STATUSES = (EnrolmentStatus.ACTIVE, EnrolmentStatus.READY, EnrolmentStatus.EXAM_APPLIED)
_DURATION = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
_MINUTES = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:分钟|分|min|mins|minutes)?$", re.IGNORECASE)


def parse_minutes(value: object, where: Where, field_name: str) -> float | None:
    """Minutes as a number, 'NN分钟', or a duration 'H:MM:SS'; anything else is refused, never guessed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise AdultSchoolError("时长不能是“是/否”，请填写分钟数。", where, field=field_name)
    if isinstance(value, (int, float)):
        minutes = float(value)
    else:
        text = clean_token(str(value)) or ""
        duration, plain = _DURATION.match(text), _MINUTES.match(text)
        if duration:
            hours, mins, secs = (int(g) for g in duration.groups())
            minutes = hours * 60 + mins + secs / 60
        elif plain:
            minutes = float(plain.group(1))
        else:
            raise AdultSchoolError(f"时长“{text}”不是分钟数：请填写数字（如 45 或 45.5），或 时:分:秒（如 0:45:00）。",
                                   where, field=field_name)
    if minutes < 0 or minutes > 24 * 60:
        raise AdultSchoolError(f"时长 {minutes:g} 分钟不合理（应在 0 到 1440 之间）。", where, field=field_name)
    return round(minutes, 2)


def _plain_minutes(value: object) -> float | None:
    """The common case without building a place for an error: a number of minutes in range; else None (then
    `parse_minutes` reads it, or says why not)."""
    if type(value) in (int, float) and 0 <= value <= 24 * 60:  # type: ignore[operator]
        return round(float(value), 2)  # type: ignore[arg-type]
    return None


def match_course(text: str | None, rules: Rules) -> tuple[str, str]:
    """(course name, 'junior'|'senior'|'skills'): the exact name, or the one course whose name ends with the text."""
    name = clean_text(text) or ""
    courses = rules.all_courses()
    if not name:
        raise AdultSchoolError("课程为空。", field="course")
    if name in courses:
        return name, courses[name]
    candidates = [c for c in courses if c.endswith(name)]
    if len(candidates) == 1:
        return candidates[0], courses[candidates[0]]
    known = "、".join(courses)
    raise AdultSchoolError(f"课程“{name}”不在课程表中（{known}）。", field="course")


@dataclass(frozen=True)
class _Row:
    number: int
    cells: tuple[object, ...]
    id_number: str
    name: str | None
    course: str
    level: Level
    video: str
    minutes: float
    length: float | None


def import_study(session: Session, path: Path, *, actor: str, dry_run: bool = False, job: JobContext | None = None,
                 today: date | None = None, mapping: dict[str, str] | None = None,
                 mapping_name: str | None = None) -> ImportReport:
    """Reads the export, keeps the largest minutes per enrolment and video, and updates the kept totals."""
    job = job or NullJob()
    permissions.require(session, actor, permissions.Permission.IMPORT)
    rules = load_rules(session)
    sheets = read_table(path, job=job)
    report, sheet, header = open_report(session, "study", sheets, STUDY_COLUMNS, path, dry_run=dry_run, mapping=mapping)
    sink = RowSink(report, header, LABELS)
    parsed: list[_Row] = []
    # An export repeats each learner's ID on every video row and a few course names on all: each distinct value is
    # checked once (a refusal is not kept, so every row that holds it is refused with its own row number).
    id_numbers: dict[object, str] = {}
    courses: dict[str | None, tuple[str, str]] = {}
    names: dict[str, str | None] = {}
    id_column, course_column = header.columns.get("id_number"), header.columns.get("course")
    for number, cells in rows_with_progress(sheet, header, report, job, "检查学习记录", every=5000):

        def where(name: str) -> Where:
            return Where(sheet.name, number, header.labels.get(name))  # noqa: B023 - called only while this row is read

        try:
            raw_id = cells[id_column] if id_column is not None and id_column < len(cells) else None
            id_number = id_numbers.get(raw_id) if isinstance(raw_id, str) else None
            if id_number is None:
                id_number = idcard.parse(id_text(raw_id, where("id_number")), today=today).number
                if isinstance(raw_id, str):
                    id_numbers[raw_id] = id_number
            raw_course = cells[course_column] if course_column is not None and course_column < len(cells) else None
            known_course = courses.get(raw_course) if isinstance(raw_course, str) else None
            if known_course is None:
                known_course = match_course(cell_text(raw_course), rules)
                if isinstance(raw_course, str):
                    courses[raw_course] = known_course
            course, kind = known_course
            if kind == "skills":
                raise AdultSchoolError(f"“{course}”是技能培训课程，不计入学历课程视频学时。", field="course")
            video = cell_text(cell(cells, header, "video"))
            if not video:
                raise AdultSchoolError("视频为空：请填写视频名称或编号。", field="video")
            raw_minutes = cell(cells, header, "minutes")
            minutes = (_plain_minutes(raw_minutes) if _plain_minutes(raw_minutes) is not None
                       else parse_minutes(raw_minutes, where("minutes"), "minutes"))
            if minutes is None:
                raise AdultSchoolError("已学时长为空。", field="minutes")
            raw_length = cell(cells, header, "length")
            length = None if raw_length is None else parse_minutes(raw_length, where("length"), "length")
        except AdultSchoolError as exc:
            sink.reject_error(number, cells, exc)
            continue
        raw_name = cell(cells, header, "name")
        name = names.get(raw_name) if isinstance(raw_name, str) else None
        if name is None:
            name = clean_name(cell_text(raw_name))
            if isinstance(raw_name, str):
                names[raw_name] = name
        parsed.append(_Row(number, cells, id_number, name, course, Level(kind), video[:200], minutes, length))

    savepoint = session.begin_nested() if dry_run else None
    journal = Journal(session, "study", report.file, [Video.__table__, StudyRecord.__table__])
    enrolments = _open_enrolments_by_person(session, sorted({r.id_number for r in parsed}))
    videos, relengthened = _videos(session, parsed, journal)
    best: dict[tuple[int, int], float] = {}
    for row in parsed:
        found = enrolments.get(row.id_number)
        if found is None:
            sink.reject(row.number, row.cells, "id_number", "找不到这个身份证号码的学员：请先登记报名（学习记录不会自动建学员）。")
            continue
        name, by_level = found
        if row.name and row.name != name:
            sink.reject(row.number, row.cells, "name", f"姓名“{row.name}”与登记的“{mask_name(name)}”不符。")
            continue
        enrolment_id = by_level.get(row.level)
        if enrolment_id is None:
            sink.reject(row.number, row.cells, "course", f"此人没有在读的{row.level.label}学籍，“{row.course}”的学习记录无处记入。")
            continue
        key = (enrolment_id, videos[(row.course, row.video)])
        best[key] = max(best.get(key, 0.0), row.minutes)
    rejected_rows = {p.row for p in report.rejected}
    report.imported = sum(1 for r in parsed if r.number not in rejected_rows)
    changed = _merge_records(session, best, journal)
    report.updated = len(changed)
    refresh_totals(session, changed | _enrolments_watching(session, relengthened))
    report.rejected.sort(key=lambda p: p.row)
    audit.record(session, actor=actor, action="study.import", entity="study_records",
                 summary=f"学习记录导入（{report.file}）：{report.imported} 行，{len(changed)} 名学员的学时有变化")
    if savepoint is not None:
        savepoint.rollback()
    else:
        report.batch_id = journal.finish(session, actor=actor, summary=f"{report.imported} 行学习记录")
        keep_mapping(session, "study", report, name=mapping_name, actor=actor)
    return report


def _open_enrolments_by_person(session: Session, id_numbers: list[str]) -> dict[str, tuple[str, dict[Level, int]]]:
    found: dict[str, tuple[str, dict[Level, int]]] = {}
    for start in range(0, len(id_numbers), CHUNK):
        query = (
            select(Learner.id_number, Learner.name, Enrolment.level, Enrolment.id)
            .outerjoin(Enrolment, and_(Enrolment.learner_id == Learner.id, Enrolment.status.in_(OPEN_STATUSES)))
            .where(Learner.id_number.in_(id_numbers[start:start + CHUNK]))
        )
        for id_number, name, level, enrolment_id in session.execute(query):
            entry = found.setdefault(id_number, (name, {}))
            if enrolment_id is not None:
                entry[1][level] = enrolment_id
    return found


def _videos(session: Session, rows: list[_Row], journal: Journal) -> tuple[dict[tuple[str, str], int], set[int]]:
    """(course, video) → id, creating the videos not seen before; a length given in the file is recorded.

    Also returns the ids of known videos whose length changed, since their capped minutes change too.
    """
    wanted: dict[tuple[str, str], float | None] = {}
    for row in rows:
        known = wanted.get((row.course, row.video))
        wanted[(row.course, row.video)] = row.length if known is None else known
    existing = {(c, k): (i, length, u) for i, c, k, length, u in session.execute(
        select(Video.id, Video.course, Video.key, Video.length_minutes, Video.uuid))}
    new = [{"course": c, "key": k, "length_minutes": length}
           for (c, k), length in wanted.items() if (c, k) not in existing]
    if new:
        bulk_insert(session, Video.__table__, new)
    relengthened = set()
    for (c, k), length in wanted.items():
        if (c, k) in existing and length is not None and existing[(c, k)][1] != length:
            video_id = existing[(c, k)][0]
            journal.change("videos", existing[(c, k)][2], {"length_minutes": existing[(c, k)][1]}, {"length_minutes": length})
            session.execute(update_travelling(Video).where(Video.id == video_id).values(length_minutes=length),
                            execution_options={"synchronize_session": False})
            relengthened.add(video_id)
    return {(c, k): i for i, c, k in session.execute(select(Video.id, Video.course, Video.key))}, relengthened


def _enrolments_watching(session: Session, video_ids: set[int]) -> set[int]:
    found: set[int] = set()
    ids = sorted(video_ids)
    for start in range(0, len(ids), CHUNK):
        found.update(session.execute(
            select(StudyRecord.enrolment_id).where(StudyRecord.video_id.in_(ids[start:start + CHUNK]))).scalars())
    return found


def _merge_records(session: Session, best: dict[tuple[int, int], float], journal: Journal) -> set[int]:
    """Inserts new (enrolment, video) records and raises smaller ones; returns the enrolments whose minutes changed."""
    if not best:
        return set()
    enrolment_ids = sorted({e for e, _ in best})
    existing: dict[tuple[int, int], tuple[int, float, str]] = {}
    for start in range(0, len(enrolment_ids), CHUNK):
        for record_id, e, v, minutes, uuid in session.execute(
            select(StudyRecord.id, StudyRecord.enrolment_id, StudyRecord.video_id, StudyRecord.minutes, StudyRecord.uuid)
            .where(StudyRecord.enrolment_id.in_(enrolment_ids[start:start + CHUNK]))
        ):
            existing[(e, v)] = (record_id, minutes, uuid)
    new_rows, raised, changed = [], [], set()
    for (e, v), minutes in best.items():
        old = existing.get((e, v))
        if old is None:
            new_rows.append({"enrolment_id": e, "video_id": v, "minutes": minutes})
            changed.add(e)
        elif minutes > old[1]:
            raised.append({"record_id": old[0], "minutes": minutes})
            journal.change("study_records", old[2], {"minutes": old[1]}, {"minutes": minutes})
            changed.add(e)
    bulk_insert(session, StudyRecord.__table__, new_rows)
    if raised:
        table = StudyRecord.__table__
        session.execute(
            update_travelling(table).where(table.c.id == bindparam("record_id")).values(minutes=bindparam("minutes")),
            raised,
        )
    return changed


def _video_minutes_expr() -> ColumnElement[float]:
    """Minutes counted per record: capped at the video's length when it is known."""
    return case(
        (and_(Video.length_minutes.is_not(None), StudyRecord.minutes > Video.length_minutes), Video.length_minutes),
        else_=StudyRecord.minutes,
    )


def refresh_totals(session: Session, enrolment_ids: Iterable[int]) -> None:
    """Recomputes the kept totals of these enrolments from their records, in the caller's transaction."""
    ids = sorted(set(enrolment_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        session.execute(delete(StudyTotal).where(StudyTotal.enrolment_id.in_(chunk)))
        session.execute(insert(StudyTotal).from_select(
            ["enrolment_id", "video_minutes", "class_hours"], _totals_query(chunk)))


def _totals_query(enrolment_ids: list[int] | None) -> Select[int, float, float]:
    """Per enrolment (all, or those given): capped video minutes and attended hours. The ids filter the raw records
    inside the sums too, so refreshing a few enrolments reads only their rows, not every record of the database."""
    video = (select(StudyRecord.enrolment_id.label("enrolment_id"), func.sum(_video_minutes_expr()).label("minutes"))
             .join(Video, Video.id == StudyRecord.video_id).group_by(StudyRecord.enrolment_id))
    hours = (select(Attendance.enrolment_id.label("enrolment_id"), func.sum(Attendance.hours).label("hours"))
             .group_by(Attendance.enrolment_id))
    if enrolment_ids is not None:
        video = video.where(StudyRecord.enrolment_id.in_(enrolment_ids))
        hours = hours.where(Attendance.enrolment_id.in_(enrolment_ids))
    video_sums, hour_sums = video.subquery(), hours.subquery()
    query = (select(Enrolment.id, func.coalesce(video_sums.c.minutes, 0.0), func.coalesce(hour_sums.c.hours, 0.0))
             .outerjoin(video_sums, video_sums.c.enrolment_id == Enrolment.id)
             .outerjoin(hour_sums, hour_sums.c.enrolment_id == Enrolment.id))
    return query.where(Enrolment.id.in_(enrolment_ids)) if enrolment_ids is not None else query


def rebuild_totals(session: Session, *, actor: str | None = None) -> int:
    """Throws the kept totals away and recomputes all of them from the raw records; returns how many."""
    who = permissions.require(session, actor, permissions.Permission.IMPORT)
    session.execute(delete(StudyTotal))
    session.execute(insert(StudyTotal).from_select(["enrolment_id", "video_minutes", "class_hours"], _totals_query(None)))
    count = session.execute(select(func.count()).select_from(StudyTotal)).scalar_one()
    audit.record(session, actor=who.name, action="totals.rebuild", entity="study_totals",
                 summary=f"按原始记录重算累计学时：{count} 个学籍", after={"enrolments": count})
    return count


def computed_totals(session: Session) -> dict[int, tuple[float, float]]:
    """Totals straight from the raw records (what rebuild would write), for checks and benchmarks."""
    return {e: (round(m, 4), round(h, 4)) for e, m, h in session.execute(_totals_query(None))}


def kept_totals(session: Session) -> dict[int, tuple[float, float]]:
    kept = {e: (round(m, 4), round(h, 4)) for e, m, h in session.execute(
        select(StudyTotal.enrolment_id, StudyTotal.video_minutes, StudyTotal.class_hours))}
    # An enrolment without a kept row has nothing recorded yet.
    for enrolment_id in session.execute(select(Enrolment.id)).scalars():
        kept.setdefault(enrolment_id, (0.0, 0.0))
    return kept
