"""Attendance sheets drawn as a grid: a row per learner, a column per date or session, a mark in each cell.

Marks are the words of the roll call (√ × 假 迟 …, resources/synonyms.json) or the hours attended. They become sessions
and marks through the same roll-call writer as every other attendance, with the same row and column reporting.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import clock, idcard
from adultschool.errors import AdultSchoolError, Where
from adultschool.jobs import JobContext
from adultschool.models import Attendance, AttendanceStatus, ClassSession, SchoolClass
from adultschool.services.journal import Journal
from adultschool.services.registration import mask_name
from adultschool.services.rules import load_rules
from adultschool.services.sheet_import import ImportReport, RowProblem, is_footer
from adultschool.textnorm import clean_name, clean_text, clean_token
from adultschool.xlsx import Column, Sheet, cell_text, id_text
from adultschool.xlsx.headers import header_text, normalise_header

WHO_COLUMNS = (
    Column("name", "姓名", ("学员姓名",)),
    Column("id_number", "身份证号码", ("身份证号", "公民身份号码", "身份证", "证件号码")),
    Column("student_number", "学籍号", ("学号",)),
)
HOURS_ROW_WORDS = ("课时", "学时", "本节课时", "课时数")
_SESSION_ORDINAL = re.compile(r"^第?(\d{1,3})(?:次|节|课|次课|讲)?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*(?:月|[-/.])\s*(\d{1,2})\s*日?$")
_CLASS_LINE = re.compile(r"(?:班级|班名|班级名称)\s*[:：]\s*(\S+)")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class GridColumn:
    index: int  # 0-based column in the sheet
    header: str  # as written
    held_on: date | None  # a date column
    ordinal: int | None  # 第 N 次: the class's Nth session
    hours: float | None  # from the 课时 row under the header


@dataclass(frozen=True)
class Grid:
    sheet: Sheet
    header_row: int  # 1-based
    who: dict[str, int]  # field → column index
    labels: dict[str, str]
    columns: tuple[GridColumn, ...]
    first_data_row: int  # 1-based
    class_hint: str | None  # a '班级：…' line above the header, or the sheet's name


def _as_date(value: object) -> tuple[date | None, tuple[int, int] | None]:
    """A full date, or (month, day) of a header written without its year."""
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if not isinstance(value, str):
        return None, None
    text = "".join((clean_token(value) or "").split())
    match = re.fullmatch(r"(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|年(\d{1,2})月(\d{1,2})日?)", text)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(3) or match.group(5)), int(match.group(4) or match.group(6))), None
        except ValueError:
            return None, None
    if (short := _MONTH_DAY.fullmatch(text)) is not None:
        month, day = int(short.group(1)), int(short.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            return None, (month, day)
    return None, None


def find_grid(sheet: Sheet, *, scan_rows: int = 10) -> Grid | None:
    """The header row holding a name/ID/student-number column and at least one date or session column."""
    names = {c.field: {normalise_header(t) for t in (c.label, *c.aliases)} for c in WHO_COLUMNS}
    for row_index, row in enumerate(sheet.rows[:scan_rows]):
        who: dict[str, int] = {}
        labels: dict[str, str] = {}
        sessions: list[tuple[int, str, date | None, tuple[int, int] | None, int | None]] = []
        for index, value in enumerate(row):
            if value is None:
                continue
            text = header_text(value) if isinstance(value, str) else cell_text(value) or ""
            key = normalise_header(text) if isinstance(value, str) else ""
            field = next((f for f, known in names.items() if key in known), None)
            if field is not None and field not in who:
                who[field], labels[field] = index, text
                continue
            full, month_day = _as_date(value)
            ordinal = None
            if full is None and month_day is None and isinstance(value, str):
                found = _SESSION_ORDINAL.fullmatch("".join((clean_token(value) or "").split()))
                ordinal = int(found.group(1)) if found and not _NUMBER.fullmatch(value.strip()) else None
            if full is not None or month_day is not None or ordinal is not None:
                sessions.append((index, text, full, month_day, ordinal))
        if who and sessions:
            header_row = row_index + 1
            hours_by_column: dict[int, float] = {}
            first_data = header_row + 1
            below = sheet.rows[header_row] if header_row < len(sheet.rows) else ()
            label_cell = next((v for v in below if v is not None), None)
            if isinstance(label_cell, str) and "".join(label_cell.split()) in HOURS_ROW_WORDS:
                for index, *_rest in sessions:
                    value = below[index] if index < len(below) else None
                    if value is None:
                        continue
                    try:
                        hours_by_column[index] = float(clean_token(str(value)) or "")
                    except ValueError:
                        pass
                first_data += 1
            hint = None
            for above in sheet.rows[:row_index]:
                for value in above:
                    if isinstance(value, str) and (match := _CLASS_LINE.search(value)):
                        hint = match.group(1)
            return Grid(sheet, header_row, who, labels,
                        tuple(GridColumn(i, t, full, o, hours_by_column.get(i)) for i, t, full, _md, o in sessions
                              if full is not None or o is not None) +
                        tuple(GridColumn(i, t, None, None, hours_by_column.get(i)) for i, t, full, md, o in sessions
                              if md is not None),
                        first_data, hint or sheet.name)
    return None


def _month_day_columns(grid: Grid) -> dict[int, tuple[int, int]]:
    found = {}
    header = grid.sheet.rows[grid.header_row - 1]
    for column in grid.columns:
        if column.held_on is None and column.ordinal is None:
            _, month_day = _as_date(header[column.index])
            if month_day:
                found[column.index] = month_day
    return found


def _year_for(month_day: tuple[int, int], school_class: SchoolClass, today: date) -> date | None:
    """The one day with this month and day between the class's start and today; None when none or several are."""
    fits = []
    for year in range(school_class.starts_on.year, today.year + 1):
        try:
            day = date(year, *month_day)
        except ValueError:
            continue
        if school_class.starts_on <= day <= today:
            fits.append(day)
    return fits[0] if len(fits) == 1 else None


def import_grid(session: Session, grid: Grid, report: ImportReport, *, classes: dict[str, SchoolClass],
                class_name: str | None, hours: float | None, actor: str, job: JobContext, dry_run: bool,
                today: date | None = None) -> ImportReport:
    """Marks of a grid sheet into roll calls; the caller has made `report` for the sheet."""
    from adultschool.services import classes as class_service

    today = today or clock.today()
    rules = load_rules(session)
    sheet = grid.sheet
    wanted = clean_text(class_name) or clean_text(grid.class_hint) or ""
    school_class = classes.get(wanted)
    if school_class is None:
        known = "、".join(classes) or "（还没有）"
        raise AdultSchoolError(f"这是按日期排列的考勤表，但不知道是哪个班（表里写的是“{wanted}”）：请选择班级"
                               f"（命令行 --class 班级名称）。已有的班级：{known}。", Where(sheet=sheet.name))
    members = class_service.roster_keys(session, school_class.id)
    by_name: dict[str, list[tuple[int, str]]] = {}
    for enrolment_id, name in members.values():
        entry = by_name.setdefault(name, [])
        if (enrolment_id, name) not in entry:
            entry.append((enrolment_id, name))
    existing = sorted(session.execute(select(ClassSession).where(ClassSession.class_id == school_class.id))
                      .scalars(), key=lambda s: (s.held_on, s.starts_at or datetime.min.time()))
    month_days = _month_day_columns(grid)

    savepoint = session.begin_nested() if dry_run else None
    journal = Journal(session, "attendance", report.file, [ClassSession.__table__, Attendance.__table__])
    # Each column's session: found, or made (a date and its hours are needed for that).
    lessons: dict[int, ClassSession] = {}
    for column in grid.columns:
        where = Where(sheet.name, grid.header_row, column.header)
        try:
            held_on = column.held_on
            if column.index in month_days:
                held_on = _year_for(month_days[column.index], school_class, today)
                if held_on is None:
                    raise AdultSchoolError(f"“{column.header}”没有写年份，从开班（{school_class.starts_on}）到今天之间"
                                           "找不到唯一的一天：请把表头写成完整日期（如 2026-12-01）。", where)
            if column.ordinal is not None:
                if column.ordinal > len(existing) or column.ordinal < 1:
                    raise AdultSchoolError(f"“{column.header}”是第 {column.ordinal} 次课，但“{school_class.name}”只登记了 "
                                           f"{len(existing)} 次课：请先登记这节课（日期、课时），或把表头写成上课日期。", where)
                lessons[column.index] = existing[column.ordinal - 1]
                continue
            if held_on is None:  # neither a date nor a session number: the grid is made of columns that are one
                raise AdultSchoolError(f"“{column.header}”看不出是哪一天的课：请把表头写成上课日期（如 2026-12-01）。", where)
            same_day = [s for s in existing if s.held_on == held_on]
            if len(same_day) > 1:
                raise AdultSchoolError(f"“{school_class.name}”在 {held_on} 有 {len(same_day)} 节课：这张表分不出是哪一节，"
                                       "请改用逐行的考勤表（带“开始时间”列）。", where)
            if same_day:
                found = same_day[0]
                given = column.hours if column.hours is not None else None
                if given is not None and abs(given - found.hours) > 1e-9:
                    raise AdultSchoolError(f"这节课已登记为 {found.hours:g} 课时，表里写的是 {given:g}。", where)
                lessons[column.index] = found
                continue
            session_hours = column.hours if column.hours is not None else hours
            if session_hours is None:
                raise AdultSchoolError(f"{held_on} 这节课还没有登记，表里也没有它的课时：请在表头下面加一行“课时”，"
                                       "或在导入时填写每节课的课时（命令行 --hours）。", where)
            if held_on > today:
                raise AdultSchoolError(f"上课日期 {held_on} 晚于今天。", where)
            info = class_service.create_session(session, school_class.id, held_on=held_on, hours=session_hours,
                                                actor=actor)
            made = session.get_one(ClassSession, info.id)
            existing.append(made)
            lessons[column.index] = made
        except AdultSchoolError as exc:
            report.rejected.append(RowProblem(grid.header_row, column.header, exc.message))

    marks: dict[int, list[class_service.Mark]] = {}
    rows = [(n, cells) for n, cells in enumerate(sheet.rows[grid.first_data_row - 1:], start=grid.first_data_row)
            if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in cells)]
    while rows and is_footer(rows[-1][1]):
        number, cells = rows.pop()
        report.warnings.append(RowProblem(number, None, "表格下方的落款行不是学员，已跳过。"))
    report.rows_read = len(rows)
    for done, (number, cells) in enumerate(rows, start=1):
        if done % 500 == 0:
            job.report(done, len(rows), "检查考勤表")

        def value(index: int | None) -> object:
            return cells[index] if index is not None and index < len(cells) else None  # noqa: B023 - called only while this row is read

        def reject(column: str | None, reason: str) -> None:
            report.rejected.append(RowProblem(number, column, reason))  # noqa: B023 - called only while this row is read
            report.rejected_cells[number] = cells  # noqa: B023 - called only while this row is read

        try:
            enrolment_id = _who(cells, grid, members, by_name, sheet.name, number, value)
        except AdultSchoolError as exc:
            reject(exc.where.column if exc.where else None, exc.message)
            continue
        for column in grid.columns:
            lesson = lessons.get(column.index)
            mark_value = value(column.index)
            if mark_value is None or (isinstance(mark_value, str) and not mark_value.strip()):
                continue  # no mark is no mark: never taken for absent
            if lesson is None:
                continue  # the column itself was refused, once, at the header
            try:
                marks.setdefault(lesson.id, []).append(_mark(enrolment_id, mark_value, lesson, rules))
            except AdultSchoolError as exc:
                reject(column.header, exc.message)
    for session_id, session_marks in marks.items():
        report.updated += class_service.save_roll_call(session, session_id, session_marks, actor=actor, journal=journal)
        report.imported += len(session_marks)
    report.rejected.sort(key=lambda p: p.row)
    if savepoint is not None:
        savepoint.rollback()
    else:
        report.batch_id = journal.finish(session, actor=actor, summary=f"{report.imported} 条考勤（{school_class.name}）")
    return report


def _who(cells, grid: Grid, members, by_name, sheet_name: str, number: int, value) -> int:  # noqa: ANN001
    labels = grid.labels
    student_number = cell_text(value(grid.who.get("student_number")))
    if student_number:
        if student_number not in members:
            raise AdultSchoolError(f"学籍号 {student_number} 不是这个班的学员。", Where(sheet_name, number, labels["student_number"]))
        return members[student_number][0]
    raw = id_text(value(grid.who.get("id_number")), Where(sheet_name, number, labels.get("id_number")))
    name = clean_name(cell_text(value(grid.who.get("name"))))
    if raw:
        resident = idcard.parse(raw)
        if resident.number not in members:
            raise AdultSchoolError(f"身份证号码 {idcard.mask(resident.number)} 不是这个班的学员。",
                                   Where(sheet_name, number, labels.get("id_number")))
        enrolment_id, registered = members[resident.number]
        if name and name != registered:
            raise AdultSchoolError(f"姓名“{name}”与登记的“{mask_name(registered)}”不符。", Where(sheet_name, number, labels.get("name")))
        return enrolment_id
    if not name:
        raise AdultSchoolError("姓名为空。", Where(sheet_name, number, labels.get("name")))
    found = by_name.get(name, [])
    if not found:
        raise AdultSchoolError(f"“{name}”不是这个班的学员。", Where(sheet_name, number, labels.get("name")))
    if len(found) > 1:
        raise AdultSchoolError(f"班里有 {len(found)} 位“{name}”：请在表里加“身份证号码”或“学籍号”列区分。",
                               Where(sheet_name, number, labels.get("name")))
    return found[0][0]


def _mark(enrolment_id: int, value: object, lesson: ClassSession, rules):  # noqa: ANN001, ANN202
    from adultschool.services import classes as class_service

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        attended = float(value)
    else:
        text = "".join((clean_token(str(value)) or "").split())
        if not _NUMBER.fullmatch(text):
            return class_service.Mark(enrolment_id, class_service.parse_status(text))
        attended = float(text)
    # Hours written in the cell: all of the session's is present, none is absent, part of it is a partial attendance
    # (recorded as 迟到 with the hours given).
    if not 0 <= attended <= lesson.hours:
        raise AdultSchoolError(f"实到课时 {attended:g} 应在 0 到本节课时 {lesson.hours:g} 之间。")
    if attended == 0:
        return class_service.Mark(enrolment_id, AttendanceStatus.ABSENT)
    if abs(attended - lesson.hours) < 1e-9:
        return class_service.Mark(enrolment_id, AttendanceStatus.PRESENT)
    return class_service.Mark(enrolment_id, AttendanceStatus.LATE, attended)


__all__ = ["Grid", "find_grid", "import_grid"]
