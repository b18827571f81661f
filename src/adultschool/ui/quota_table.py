"""A small editable table of townships and one year's task numbers (R8), shared by the first-run wizard (names typed
in) and 设置 → 街道/镇与任务数 (names as stored, only the numbers edited).

It only collects values; `site.set_quota` / `first_run.create_site` check and store them.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from adultschool.ui.common import HINT_COLOUR

NAME, SCHOOL, QUOTA = "name", "school", "quota"
MAX_QUOTA = 1_000_000
NOT_SET = -1  # the spin box's lowest value, shown as 未定: no task number for that year yet
NOT_SET_TEXT = "未定"


@dataclass(frozen=True)
class QuotaRow:
    name: str
    quota: int | None
    school_code: str | None = None


class QuotaDelegate(QStyledItemDelegate):
    """Task numbers are edited in a spin box; its lowest step means 未定 (not set)."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        editor = QSpinBox(parent)
        editor.setRange(NOT_SET, MAX_QUOTA)
        editor.setSpecialValueText(NOT_SET_TEXT)
        editor.setAlignment(Qt.AlignmentFlag.AlignRight)
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QSpinBox)  # the one createEditor made
        value = index.data(Qt.ItemDataRole.UserRole)
        editor.setValue(NOT_SET if value is None else int(value))

    def setModelData(self, editor: QWidget, model, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: ANN001
        assert isinstance(editor, QSpinBox)  # the one createEditor made
        editor.interpretText()
        value = editor.value()
        model.setData(index, None if value == NOT_SET else value, Qt.ItemDataRole.UserRole)
        model.setData(index, NOT_SET_TEXT if value == NOT_SET else str(value), Qt.ItemDataRole.DisplayRole)


class QuotaTable(QTableWidget):
    """Rows of 街道/镇 (with 学校 at a district) and 任务数. `names_editable`: the wizard, where names are typed."""

    def __init__(self, parent: QWidget | None = None, *, names_editable: bool, show_school: bool = False,
                 year: int | None = None):
        self.columns = [NAME, *([SCHOOL] if show_school else []), QUOTA]
        super().__init__(0, len(self.columns), parent)
        self.names_editable = names_editable
        self._loaded: dict[str, int | None] = {}
        self.setItemDelegateForColumn(self.columns.index(QUOTA), QuotaDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers
                             & ~QAbstractItemView.EditTrigger.CurrentChanged)
        self.setTabKeyNavigation(False)  # Tab leaves the table for the next field; arrows move between cells
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(self.columns)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.set_year(year)

    def set_year(self, year: int | None) -> None:
        titles = {NAME: "街道/镇", SCHOOL: "学校", QUOTA: f"{year} 年任务数（人）" if year else "任务数（人）"}
        self.setHorizontalHeaderLabels([titles[c] for c in self.columns])

    def _column(self, name: str) -> int:
        return self.columns.index(name)

    def _quota_item(self, quota: int | None) -> QTableWidgetItem:
        item = QTableWidgetItem(NOT_SET_TEXT if quota is None else str(quota))
        item.setData(Qt.ItemDataRole.UserRole, quota)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip("双击或按 F2 修改；最小值“未定”表示这一年还没有任务数")
        return item

    def _name_item(self, name: str) -> QTableWidgetItem:
        item = QTableWidgetItem(name)
        if not self.names_editable:
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        return item

    def _school_item(self, code: str | None) -> QTableWidgetItem:
        item = QTableWidgetItem(code or "")
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        item.setForeground(QColor(HINT_COLOUR))
        return item

    def set_rows(self, rows: list[QuotaRow]) -> None:
        self.setRowCount(0)
        for row in rows:
            self._append(row)
        self._loaded = {row.name: row.quota for row in rows}

    def _append(self, row: QuotaRow) -> int:
        number = self.rowCount()
        self.insertRow(number)
        self.setItem(number, self._column(NAME), self._name_item(row.name))
        if SCHOOL in self.columns:
            self.setItem(number, self._column(SCHOOL), self._school_item(row.school_code))
        self.setItem(number, self._column(QUOTA), self._quota_item(row.quota))
        return number

    def add_row(self, name: str = "", quota: int | None = None) -> int:
        """A new row; with an empty name (the wizard) the name cell opens for typing."""
        number = self._append(QuotaRow(name, quota))
        column = self._column(NAME) if not name else self._column(QUOTA)
        self.setCurrentCell(number, column)
        self.setFocus()
        if not name and self.names_editable:
            name_item = self.item(number, column)
            assert name_item is not None  # _append has just set it
            self.editItem(name_item)
        return number

    def remove_current_row(self) -> bool:
        row = self.currentRow()
        if row < 0:
            return False
        self.removeRow(row)
        if self.rowCount():
            self.setCurrentCell(min(row, self.rowCount() - 1), self._column(NAME))
        return True

    def rows(self) -> list[QuotaRow]:
        """What the table shows now (an open editor is committed first)."""
        self.commit_open_editor()
        found = []
        for number in range(self.rowCount()):
            name_item = self.item(number, self._column(NAME))
            quota_item = self.item(number, self._column(QUOTA))
            school_item = self.item(number, self._column(SCHOOL)) if SCHOOL in self.columns else None
            found.append(QuotaRow(name=(name_item.text() if name_item else "").strip(),
                                  quota=quota_item.data(Qt.ItemDataRole.UserRole) if quota_item else None,
                                  school_code=school_item.text() or None if school_item else None))
        return found

    def commit_open_editor(self) -> None:
        """A cell still being typed in (a shortcut such as Alt+N does not move the focus) counts as typed."""
        if self.state() != QAbstractItemView.State.EditingState:
            return
        editor = QApplication.focusWidget()
        while editor is not None and editor.parentWidget() is not self.viewport():
            editor = editor.parentWidget()
        if editor is not None:
            self.commitData(editor)
            self.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def changed_quotas(self) -> list[tuple[str, int]]:
        """(township, quota) for every row whose task number was set or changed since `set_rows`."""
        return [(row.name, row.quota) for row in self.rows()
                if row.quota is not None and self._loaded.get(row.name) != row.quota]

    def set_quota(self, row: int, quota: int | None) -> None:
        """As typing it into the table would (tests, and keyboard-free callers)."""
        self.setItem(row, self._column(QUOTA), self._quota_item(quota))

    def set_name(self, row: int, name: str) -> None:
        self.setItem(row, self._column(NAME), self._name_item(name))

    def row_of(self, name: str) -> int:
        for number in range(self.rowCount()):
            name_item = self.item(number, self._column(NAME))
            if name_item is not None and name_item.text() == name:
                return number
        raise KeyError(name)
