"""The 可报考 table model: every row `services.readiness.readiness` returned, held once, filtered and sorted in Python.

100,000 rows cost one list; a state filter is a list comprehension, a sort one `list.sort` on plain values.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from adultschool import clock
from adultschool.ui.table_model import AnyIndex, RowsTableModel
from adultschool.models.enums import Level
from adultschool.services.lists import ALL, NOT_YET, READY, SOON, standing  # the page's filter states
from adultschool.services.readiness import ReadinessRow


COLUMNS: tuple[tuple[str, str], ...] = (
    ("学籍号", "student_number"),
    ("姓名", "name"),
    ("身份证号码", "id_number"),
    ("层次", "level"),
    ("注册日期", "registered_on"),
    ("已学月数", "months_done"),
    ("视频学时", "video_hours"),
    ("面授课时", "class_hours"),
    ("可报考", "ready"),
    ("可报考日期", "ready_on"),
    ("还差", "missing"),
)
HEADERS = tuple(title for title, _ in COLUMNS)
KEYS = tuple(key for _, key in COLUMNS)
FIELD_INDEX = {key: ReadinessRow._fields.index(key) for key in KEYS}
NUMERIC = {"months_done", "video_hours", "class_hours"}

# What the state filter offers (services.lists has the rule, so a printed list shows what the page shows).
READY_BACKGROUND = QColor("#cdeccd")  # green
SOON_BACKGROUND = QColor("#ffe4a8")  # amber
LEVEL_LABELS = {level.value: level.label for level in Level}


def _text(row: ReadinessRow, key: str) -> str:
    if key == "level":
        return LEVEL_LABELS.get(row.level, row.level)
    if key == "registered_on":
        return row.registered_on.isoformat() if row.registered_on else ""
    if key == "ready_on":
        return row.ready_on.isoformat() if row.ready_on else ""
    if key == "ready":
        return "是" if row.ready else "否"
    if key == "missing":
        return "；".join(row.missing)
    if key == "video_hours":
        return f"{row.video_hours:g}"
    if key == "class_hours":
        return f"{row.class_hours:g}"
    return str(row[FIELD_INDEX[key]])


class ReadinessModel(RowsTableModel):

    headers = HEADERS
    RowRole = Qt.ItemDataRole.UserRole + 1
    StandingRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._all: list[ReadinessRow] = []
        self._standing: dict[int, str] = {}  # enrolment id -> READY / SOON / NOT_YET
        self._rows: list[ReadinessRow] = []
        self.as_of = clock.today()
        self.days = 30
        self.state = ALL
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    # --- what the page sets ----------------------------------------------------------------------------------

    def set_rows(self, rows: list[ReadinessRow], as_of: date) -> None:
        self._all = rows
        self.as_of = as_of
        self._classify()
        self._apply()

    def set_filter(self, state: str, days: int) -> None:
        if days != self.days:
            self.days = days
            self._classify()
        self.state = state
        self._apply()

    def _classify(self) -> None:
        as_of, days = self.as_of, self.days
        self._standing = {row.enrolment_id: standing(row, as_of, days) for row in self._all}

    def _apply(self) -> None:
        self.beginResetModel()
        if self.state == ALL:
            self._rows = list(self._all)
        else:
            wanted, found = self.state, self._standing
            self._rows = [row for row in self._all if found[row.enrolment_id] == wanted]
        self._sort_rows()
        self.endResetModel()

    def summary(self) -> dict[str, int]:
        """How many of all rows (before the state filter) are ready, ready soon, and not yet."""
        counts = {READY: 0, SOON: 0, NOT_YET: 0}
        for value in self._standing.values():
            counts[value] += 1
        counts[ALL] = len(self._all)
        return counts

    @property
    def all_rows(self) -> list[ReadinessRow]:
        return self._all

    def row_at(self, row: int) -> ReadinessRow:
        return self._rows[row]

    def standing_at(self, row: int) -> str:
        return self._standing[self._rows[row].enrolment_id]

    # --- sorting, on plain values ----------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        self._sort_rows()
        self.layoutChanged.emit()

    def _sort_rows(self) -> None:
        column, order = self._sort
        key = KEYS[column]
        position = FIELD_INDEX[key]
        if key == "ready_on":
            def sort_key(row: ReadinessRow) -> Any:  # each key's own kind of value (one signature for mypy)
                return (row.ready_on is None, row.ready_on or date.min)
        elif key == "missing":
            def sort_key(row: ReadinessRow) -> Any:
                return (len(row.missing), row.missing)
        elif key == "name":  # by pinyin (the stored key), then as written
            def sort_key(row: ReadinessRow) -> Any:
                return (row.name_sort or "", row.name)
        else:
            def sort_key(row: ReadinessRow) -> Any:
                return row[position]
        self._rows.sort(key=sort_key, reverse=order == Qt.SortOrder.DescendingOrder)

    # --- table -----------------------------------------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        key = KEYS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(row, key)
        if role == Qt.ItemDataRole.BackgroundRole:
            found = self._standing.get(row.enrolment_id)
            if found == READY:
                return QBrush(READY_BACKGROUND)
            if found == SOON:
                return QBrush(SOON_BACKGROUND)
            return None
        if role == Qt.ItemDataRole.ForegroundRole and self._standing.get(row.enrolment_id) in (READY, SOON):
            return QBrush(QColor("#1a1a1a"))  # readable on the coloured rows in a dark theme too
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and key == "missing" and row.missing:
            return "\n".join(row.missing)
        if role == self.RowRole:
            return row
        if role == self.StandingRole:
            return self._standing.get(row.enrolment_id)
        return None
