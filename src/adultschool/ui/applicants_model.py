"""The 考前申请 table model: the learners `readiness` finds ready on a day, each with a check box (checked at first).

Checks are kept by student number, so recomputing for another day keeps what the clerk unticked.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal

from adultschool.ui.table_model import AnyIndex, RowsTableModel
from adultschool.services.readiness import ReadinessRow
from adultschool.ui.readiness_model import LEVEL_LABELS


COLUMNS: tuple[tuple[str, str], ...] = (
    ("学籍号", "student_number"),
    ("姓名", "name"),
    ("身份证号码", "id_number"),  # masked by readiness (PIPL: the full number goes only into the application list)
    ("层次", "level"),
    ("注册日期", "registered_on"),
    ("已学月数", "months_done"),
    ("视频学时", "video_hours"),
    ("面授课时", "class_hours"),
)
HEADERS = tuple(title for title, _ in COLUMNS)
KEYS = tuple(key for _, key in COLUMNS)
NUMERIC = {"months_done", "video_hours", "class_hours"}


def _text(row: ReadinessRow, key: str) -> str:
    value = getattr(row, key)
    if key == "level":
        return LEVEL_LABELS.get(value, value)
    if key == "registered_on":
        return value.isoformat()
    if key in ("video_hours", "class_hours"):
        return f"{value:g}"
    return str(value)


class ApplicantsModel(RowsTableModel):
    """Ready rows only; `checks_changed` whenever a box (or all of them) changes."""

    headers = HEADERS

    checks_changed = Signal()

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[ReadinessRow] = []
        self._unchecked: set[str] = set()
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    def set_rows(self, rows: list[ReadinessRow]) -> None:
        self.beginResetModel()
        self._rows = [row for row in rows if row.ready]
        present = {row.student_number for row in self._rows}
        self._unchecked &= present
        self._sort_rows()
        self.endResetModel()
        self.checks_changed.emit()

    def row_at(self, row: int) -> ReadinessRow:
        return self._rows[row]

    @property
    def rows(self) -> list[ReadinessRow]:
        return list(self._rows)

    def checked_numbers(self) -> list[str]:
        """The ticked student numbers in the order shown."""
        return [row.student_number for row in self._rows if row.student_number not in self._unchecked]

    def set_all_checked(self, checked: bool) -> None:
        self._unchecked = set() if checked else {row.student_number for row in self._rows}
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0), [Qt.ItemDataRole.CheckStateRole])
        self.checks_changed.emit()

    def set_checked(self, student_number: str, checked: bool) -> None:
        for position, row in enumerate(self._rows):
            if row.student_number == student_number:
                self.setData(self.index(position, 0),
                             Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
                return
        raise KeyError(student_number)

    # --- sorting ---------------------------------------------------------------------------------------------

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
        if key == "name":  # by pinyin (the stored key), then as written
            def sort_key(row: ReadinessRow) -> Any:
                return (row.name_sort or "", row.name)
        else:
            def sort_key(row: ReadinessRow) -> Any:
                return getattr(row, key)
        self._rows.sort(key=sort_key, reverse=order == Qt.SortOrder.DescendingOrder)

    # --- table -----------------------------------------------------------------------------------------------

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        key = KEYS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(row, key)
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == 0:
            return Qt.CheckState.Unchecked if row.student_number in self._unchecked else Qt.CheckState.Checked
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() or index.column() != 0:
            return False
        number = self._rows[index.row()].student_number
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(value)  # the view passes an int
        checked = state == Qt.CheckState.Checked
        if checked:
            self._unchecked.discard(number)
        else:
            self._unchecked.add(number)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checks_changed.emit()
        return True
