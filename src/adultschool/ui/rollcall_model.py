"""The roll call as a table model: every learner of the class, one status each, the hours they are credited.

Marks stay in the model until 保存; the hours shown come from `services.classes.credited_hours`, never from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from adultschool.errors import AdultSchoolError
from adultschool.models.enums import AttendanceStatus
from adultschool.services.classes import Mark, RollCall, credited_hours
from adultschool.rule_defaults import Rules
from adultschool.textnorm import clean_text
from adultschool.ui.common import ERROR_COLOUR, HINT_COLOUR, WARNING_COLOUR

_AnyIndex = QModelIndex | QPersistentModelIndex

STATUSES = tuple(AttendanceStatus)  # the keys 1–5 follow this order: 出勤 迟到 早退 缺勤 请假
PARTIAL = (AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)  # hours may be entered for these
UNMARKED = "未点名"

NUMBER_COLUMN, NAME_COLUMN, STATUS_COLUMN = 0, 1, 2
FIRST_CHOICE_COLUMN = 3  # one radio column per status
HOURS_COLUMN = FIRST_CHOICE_COLUMN + len(STATUSES)
HEADERS = ("学籍号", "姓名", "考勤", *(s.label for s in STATUSES), "计入课时")

UNMARKED_BACKGROUND = QColor("#fff3cd")
ABSENT_COLOUR = QColor(ERROR_COLOUR)


@dataclass
class _Line:
    enrolment_id: int
    student_number: str
    name: str
    saved_status: AttendanceStatus | None
    saved_attended: float | None
    status: AttendanceStatus | None
    attended: float | None  # late / left early: hours entered; None means the rules' share

    @property
    def changed(self) -> bool:
        return (self.status, self.attended) != (self.saved_status, self.saved_attended)


def format_hours(value: float) -> str:
    return f"{value:g}"


class RollCallModel(QAbstractTableModel):
    """`refused(text)` when an entry is not accepted (the text names the learner); `marks_changed` on any change."""

    refused = Signal(str)
    marks_changed = Signal()
    ChoiceRole = Qt.ItemDataRole.UserRole + 1  # bool: is this radio column the row's status

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._lines: list[_Line] = []
        self._rules = Rules.defaults()
        self.roll: RollCall | None = None

    # --- loading and reading ---------------------------------------------------------------------------------

    def load(self, roll: RollCall | None, rules: Rules) -> None:
        """Shows a session's saved marks; hours equal to the rules' share read as 'not entered' (shown greyed)."""
        self.beginResetModel()
        self.roll = roll
        self._rules = rules
        self._lines = []
        for line in roll.lines if roll else []:
            status = AttendanceStatus(line.status) if line.status else None
            attended = None
            if status in PARTIAL and abs(line.hours - self._default_hours(status)) > 0.005:
                attended = line.hours
            self._lines.append(_Line(line.enrolment_id, line.student_number, line.name, status, attended, status, attended))
        self.endResetModel()
        self.marks_changed.emit()

    @property
    def session_hours(self) -> float:
        return self.roll.session.hours if self.roll else 0.0

    def _default_hours(self, status: AttendanceStatus) -> float:
        return credited_hours(status, self.session_hours, None, self._rules)

    def credited(self, row: int) -> float | None:
        line = self._lines[row]
        if line.status is None:
            return None
        return credited_hours(line.status, self.session_hours, line.attended, self._rules)

    def status_at(self, row: int) -> AttendanceStatus | None:
        return self._lines[row].status

    def name_at(self, row: int) -> str:
        return self._lines[row].name

    def row_of(self, student_number: str) -> int:
        for row, line in enumerate(self._lines):
            if line.student_number == student_number:
                return row
        raise KeyError(student_number)

    @property
    def is_dirty(self) -> bool:
        return any(line.changed for line in self._lines)

    def changed_count(self) -> int:
        return sum(1 for line in self._lines if line.changed)

    def counts(self) -> dict[AttendanceStatus | None, int]:
        found: dict[AttendanceStatus | None, int] = {status: 0 for status in (*STATUSES, None)}
        for line in self._lines:
            found[line.status] += 1
        return found

    def changed_marks(self) -> list[tuple[str, Mark]]:
        """(name, mark) for every row changed since loading: what 保存 sends."""
        return [(line.name, Mark(line.enrolment_id, line.status, line.attended if line.status in PARTIAL else None))
                for line in self._lines if line.changed and line.status is not None]

    # --- changing ----------------------------------------------------------------------------------------------

    def set_status(self, rows: list[int], status: AttendanceStatus) -> None:
        for row in rows:
            line = self._lines[row]
            if line.status == status:
                continue
            line.status = status
            if status not in PARTIAL:
                line.attended = None
            elif line.attended is not None:
                line.attended = self._checked_hours(status, line.attended)
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), HOURS_COLUMN))
            self.marks_changed.emit()

    def _checked_hours(self, status: AttendanceStatus, attended: float) -> float | None:
        try:
            credited_hours(status, self.session_hours, attended, self._rules)
        except AdultSchoolError:
            return None
        return attended

    def set_hours(self, row: int, text: str) -> bool:
        """Hours actually attended by a late or early-leaving learner; blank goes back to the rules' share."""
        line = self._lines[row]
        if line.status not in PARTIAL:
            return False
        value = clean_text(text) or ""
        try:
            attended = float(value) if value else None
        except ValueError:
            self.refused.emit(f"{line.name}：“{value}”不是数字，请填写实到课时，如 1.5。")
            return False
        try:
            credited_hours(line.status, self.session_hours, attended, self._rules)
        except AdultSchoolError as exc:
            self.refused.emit(f"{line.name}：{exc.message}")
            return False
        line.attended = round(attended, 2) if attended is not None else None
        self.dataChanged.emit(self.index(row, 0), self.index(row, HOURS_COLUMN))
        self.marks_changed.emit()
        return True

    # --- table -------------------------------------------------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and FIRST_CHOICE_COLUMN <= section < HOURS_COLUMN:
                return f"按 {section - FIRST_CHOICE_COLUMN + 1} 键把选中的学员记为{HEADERS[section]}"
            if role == Qt.ItemDataRole.ToolTipRole and section == HOURS_COLUMN:
                return "迟到、早退的学员可以填实到课时（双击或按 F2）；不填按规则比例计"
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == HOURS_COLUMN and self._lines[index.row()].status in PARTIAL:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._lines):
            return None
        line = self._lines[index.row()]
        column = index.column()
        if role == self.ChoiceRole and FIRST_CHOICE_COLUMN <= column < HOURS_COLUMN:
            return line.status == STATUSES[column - FIRST_CHOICE_COLUMN]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(line, index.row(), column)
        if role == Qt.ItemDataRole.EditRole and column == HOURS_COLUMN:
            return "" if line.attended is None else format_hours(line.attended)
        if role == Qt.ItemDataRole.BackgroundRole and line.status is None:
            return QBrush(UNMARKED_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == STATUS_COLUMN and line.status is None:
                return QBrush(QColor(WARNING_COLOUR))
            if column == STATUS_COLUMN and line.status == AttendanceStatus.ABSENT:
                return QBrush(ABSENT_COLOUR)
            if column == HOURS_COLUMN and line.status in PARTIAL and line.attended is None:
                return QBrush(QColor(HINT_COLOUR))
        if role == Qt.ItemDataRole.FontRole and column == STATUS_COLUMN and line.changed:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column == HOURS_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATUS_COLUMN and line.changed:
                return "已改，未保存"
            if column == HOURS_COLUMN and line.status in PARTIAL:
                share = f"{self._rules.partial_attendance_share:.0%}"
                return ("未填实到课时，按本节课时的 " + share + " 计；双击可填写") if line.attended is None else "实到课时"
        return None

    def _text(self, line: _Line, row: int, column: int) -> str:
        if column == NUMBER_COLUMN:
            return line.student_number
        if column == NAME_COLUMN:
            return line.name
        if column == STATUS_COLUMN:
            text = line.status.label if line.status else UNMARKED
            return text + "*" if line.changed else text
        if column == HOURS_COLUMN:
            credited = self.credited(row)
            return "" if credited is None else format_hours(credited)
        return ""

    def setData(self, index: _AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        column = index.column()
        if role == self.ChoiceRole and FIRST_CHOICE_COLUMN <= column < HOURS_COLUMN and value:
            self.set_status([index.row()], STATUSES[column - FIRST_CHOICE_COLUMN])
            return True
        if role == Qt.ItemDataRole.EditRole and column == HOURS_COLUMN:
            return self.set_hours(index.row(), "" if value is None else str(value))
        return False
