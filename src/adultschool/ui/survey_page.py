"""The 排摸 page: survey progress per township and the residents surveyed but not yet registered (R9).

登记报名 opens the registration form filled from the selected resident; the clerk chooses the level there.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.models.enums import Gender, Willingness
from adultschool.services import site, survey
from adultschool.services.survey import ProspectRow
from adultschool.ui.changes import Topic
from adultschool.ui.common import HINT_COLOUR, Page

_AnyIndex = QModelIndex | QPersistentModelIndex

PROSPECT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("街道/镇", "township"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("年龄", "age"),
    ("身份证号码", "id_number"),
    ("文化程度", "education"),
    ("工作单位", "employer"),
    ("意愿", "willingness"),
    ("意向学习方式", "preferred_learning"),
    ("排摸日期", "surveyed_on"),
    ("已报名", "registered"),
)


def _prospect_text(row: ProspectRow, key: str) -> str:
    value = getattr(row, key)
    if key == "gender":
        return Gender(value).label
    if key == "willingness":
        return Willingness(value).label if value else ""
    if key == "registered":
        return "是" if value else "否"
    if key == "surveyed_on":
        return value.isoformat() if value else ""
    return "" if value is None else str(value)


class ProspectTableModel(QAbstractTableModel):
    """Prospects of one township (or all); a township's survey is hundreds to a few thousand rows, held in full."""

    RowRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[ProspectRow] = []
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    def set_rows(self, rows: list[ProspectRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._apply_sort()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # Sorted in Python on plain values: a proxy model would call data() per comparison (seconds for 20,000 rows).
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        self._apply_sort()
        self.layoutChanged.emit()

    def _apply_sort(self) -> None:
        column, order = self._sort
        key = PROSPECT_COLUMNS[column][1]

        def sort_key(row: ProspectRow) -> tuple:
            if key == "name":  # by pinyin (the stored key), then as written
                return (False, (row.name_sort or "", row.name))
            value = getattr(row, key)
            return (value is None, value if isinstance(value, (int, bool)) else _prospect_text(row, key))

        self._rows.sort(key=sort_key, reverse=order == Qt.SortOrder.DescendingOrder)

    def row_at(self, row: int) -> ProspectRow:
        return self._rows[row]

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(PROSPECT_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return PROSPECT_COLUMNS[section][0]
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        key = PROSPECT_COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            return _prospect_text(row, key)
        if role == self.RowRole:
            return row
        return None


class SurveyPage(Page):
    """`register_requested(learner_id)` asks the main window to open the pre-filled registration form."""

    register_requested = Signal(int)
    # the prospects (registered ones with their enrolment's details too) and the survey progress per township
    topics = frozenset({Topic.SURVEY, Topic.LEARNERS, Topic.SETTINGS})

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, today=today)

        self.township_combo = QComboBox()
        self.township_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.include_registered = QCheckBox("包括已报名的")
        self.count_label = QLabel()
        self.register_button = QPushButton("登记报名…")
        self.register_button.setToolTip("为选中的居民登记学籍（先选学历提升层次）")
        self.register_button.setEnabled(False)
        self.register_button.clicked.connect(self.register_selected)

        top = QHBoxLayout()
        caption = QLabel("街道/镇")
        caption.setBuddy(self.township_combo)
        top.addWidget(caption)
        top.addWidget(self.township_combo)
        top.addWidget(self.include_registered)
        top.addStretch(1)
        top.addWidget(self.count_label)
        top.addWidget(self.register_button)

        self.progress_table = QTableWidget(0, 5)
        self.progress_table.setHorizontalHeaderLabels(["街道/镇", "已排摸", "愿意提升", "已报名", "未报名"])
        self.progress_table.verticalHeader().hide()
        self.progress_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.progress_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.progress_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.progress_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.progress_box = QGroupBox("排摸进度")
        box_layout = QVBoxLayout(self.progress_box)
        box_layout.addWidget(self.progress_table)

        self.model = ProspectTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.horizontalHeader().setStretchLastSection(True)
        metrics = self.fontMetrics()
        samples = ("大碶街道街道", "欧阳小红红", "性别", "年龄", "330206********000X", "文化程度", "宁波港集团北仑第三集装",
                   "不愿意", "厂班送教上门", "2026-00-00", "已报名")
        for column, sample in enumerate(samples):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 28)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda _index: self.register_selected())

        self.empty_hint = QLabel("还没有排摸记录。请用“导入排摸表”导入街道/镇交来的排摸表。")
        self.empty_hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.empty_hint.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.table, 1)

        self.township_combo.currentIndexChanged.connect(lambda _i: self.reload_prospects())
        self.include_registered.toggled.connect(lambda _on: self.reload_prospects())
        self.refresh()

    def refresh(self) -> None:
        current = self.township_combo.currentData()
        with read_session(self._engine) as session:
            townships = site.list_townships(session)
            progress = survey.survey_progress(session)
        self.township_combo.blockSignals(True)
        self.township_combo.clear()
        self.township_combo.addItem("全部街道/镇", None)
        for township in townships:
            self.township_combo.addItem(township.name, township.name)
        index = self.township_combo.findData(current) if current else 0
        self.township_combo.setCurrentIndex(max(index, 0))
        self.township_combo.blockSignals(False)
        self._show_progress(progress)
        self.reload_prospects()

    def _show_progress(self, progress: list[survey.SurveyProgress]) -> None:
        rows = list(progress)
        if rows:
            rows.append(survey.SurveyProgress("合计", sum(p.surveyed for p in rows), sum(p.willing for p in rows),
                                              sum(p.registered for p in rows)))
        self.progress_table.setRowCount(len(rows))
        for r, item in enumerate(rows):
            values = (item.township, item.surveyed, item.willing, item.registered, item.surveyed - item.registered)
            for c, value in enumerate(values):
                cell = QTableWidgetItem(str(value))
                if c:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.progress_table.setItem(r, c, cell)
        row_height = self.progress_table.verticalHeader().defaultSectionSize()
        header_height = self.progress_table.horizontalHeader().sizeHint().height()
        visible = min(max(len(rows), 1), 6)
        self.progress_table.setFixedHeight(header_height + row_height * visible + 4)
        self.progress_box.setVisible(bool(rows))

    def reload_prospects(self) -> None:
        with read_session(self._engine) as session:
            rows = survey.list_prospects(session, township=self.township_combo.currentData(),
                                         include_registered=self.include_registered.isChecked(), today=self._today())
        self.model.set_rows(rows)
        waiting = sum(1 for r in rows if not r.registered)
        self.count_label.setText(f"共 {len(rows)} 人，未报名 {waiting} 人")
        self.empty_hint.setVisible(not rows and self.township_combo.currentData() is None)
        self._selection_changed()

    def selected_prospect(self) -> ProspectRow | None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.model.row_at(indexes[0].row())

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _selection_changed(self) -> None:
        prospect = self.selected_prospect()
        self.register_button.setEnabled(prospect is not None and not prospect.registered)

    def register_selected(self) -> None:
        prospect = self.selected_prospect()
        if prospect is not None and not prospect.registered:
            self.register_requested.emit(prospect.learner_id)
