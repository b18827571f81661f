"""The 学员 page: search (debounced), level/status/township filters and the lazy learners table.

Every filter becomes a `LearnerFilter`; the model asks the service for counts and pages.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QMenu,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.errors import AdultSchoolError
from adultschool.models.enums import EnrolmentStatus, Level
from adultschool.services import learners, site
from adultschool.services import lists
from adultschool.services.learners import LearnerFilter
from adultschool.ui import changes, ops
from adultschool.ui.changes import Topic
from adultschool.ui.list_output import ListOutput
from adultschool.ui.common import HINT_COLOUR, actor, open_dialog, show_info, Page
from adultschool.ui.learner_edit_dialog import LearnerEditDialog
from adultschool.ui.learner_model import COLUMNS, LearnerTableModel
from adultschool.ui.learner_record_dialog import LearnerRecordDialog, open_record
from adultschool.ui.ways_back_dialogs import changed_text, records_menu, way_back_dialog

SEARCH_DELAY_MS = 250

# Typical widest content per column, measured with the font in use so the layout follows the screen's DPI.
_SAMPLE_TEXT = {
    "student_number": "330206-01-2026-00000",
    "name": "欧阳小红红",
    "gender": "性别",
    "id_number": "330206********000X",
    "level": "层次",
    "status": "已申请考试",
    "registered_on": "2026-00-00",
    "township": "大碶街道街道",
    "phone": "138****0000",
}


class LearnerTable(QTableView):
    """The learner list: Enter opens the current learner's page (学员档案); Ctrl+End loads the rest of the list and goes
    to its last row (the list loads page by page as it scrolls)."""

    open_requested = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex().row())
            return
        if event.key() == Qt.Key.Key_End and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            model = self.model()
            while model is not None and model.canFetchMore(QModelIndex()):
                model.fetchMore(QModelIndex())
        super().keyPressEvent(event)


class LearnersPage(Page):
    # the enrolments with their status (set by the exams, graduation and a revoked certificate) and the townships
    topics = frozenset({Topic.LEARNERS, Topic.EXAMS, Topic.CERTIFICATES, Topic.SETTINGS})

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, today=today)
        self.model = LearnerTableModel(engine, self)

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("搜索姓名（或拼音）、身份证号、电话或学籍号")
        self.search_edit.setToolTip("输入其中一部分即可，如姓名的一个字、姓名的拼音或首字母（“zhangwei”“zw”都能找到张伟）、"
                                    "身份证号的后四位（Ctrl+F）")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("搜索姓名（或拼音）、身份证号、电话或学籍号") + 40)

        self.level_combo = QComboBox()
        self.level_combo.addItem("全部层次", None)
        for level in Level:
            self.level_combo.addItem(level.label, level)

        self.status_combo = QComboBox()
        self.status_combo.addItem("全部状态", None)
        for status in EnrolmentStatus:
            self.status_combo.addItem(status.label, status)

        self.township_combo = QComboBox()
        self.township_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        self.count_label = QLabel("共 0 人")
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # Full ID numbers and phones of the selected rows, for roles allowed them; each showing is audited.
        self.reveal_button = QPushButton("显示完整身份证号")
        self.reveal_button.setToolTip("显示所选学员的完整身份证号码和电话（会记入审计记录）")
        self.reveal_button.clicked.connect(lambda: self.reveal_selected())
        self.reveal_op: ops.Op | None = None
        # 修改…: the selected learner's details (the learner's page, opened by Enter or a double click, has it too).
        self.edit_button = QPushButton("修改…")
        self.edit_button.setToolTip("修改所选学员的电话、地址、工作单位等登记信息（身份证号码不能改）")
        self.edit_button.clicked.connect(lambda: self.edit_selected())
        self.edit_dialog: LearnerEditDialog | None = None
        # 学籍处理: the ways back for the selected registration (also on the table's right-click menu).
        ways_back = records_menu(self, self.open_way_back,
                                 tooltip="为所选学籍办理退学、转学、作废、恢复或更正（都记入审计记录，并报给分中心）")
        self.records_button, self.records_menu = ways_back.button, ways_back.menu
        self.withdraw_action, self.void_action = ways_back.withdraw, ways_back.void
        self.reinstate_action, self.correct_action = ways_back.reinstate, ways_back.correct
        self.way_back_dialog: QWidget | None = None
        self.last_result = ""
        # 导出 Excel… / 打印…: every learner the filter finds (not only the rows loaded so far), in the table's order.
        self.list_output = ListOutput(self, engine, spec=self.list_spec, file_stem=lambda: "学员名单", has_ids=True,
                                      today=self._today)
        # 打开档案: the learner's page (学员档案), also Enter or a double click on a row.
        self.record_dialog: LearnerRecordDialog | None = None
        self.context_menu = QMenu(self)
        self.open_record_action = self.context_menu.addAction("打开档案", lambda: self.open_record())
        self.edit_action = self.context_menu.addAction("修改…", lambda: self.edit_selected())
        self.context_menu.addSeparator()
        for action in (self.withdraw_action, self.void_action, self.reinstate_action):
            self.context_menu.addAction(action)
        self.context_menu.addSeparator()
        self.context_menu.addAction(self.correct_action)
        self.context_menu.addSeparator()
        self.reveal_action = self.context_menu.addAction("显示完整身份证号", lambda: self.reveal_selected())

        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 1)
        for label, combo in (("层次", self.level_combo), ("状态", self.status_combo), ("街道/镇", self.township_combo)):
            caption = QLabel(label)
            caption.setBuddy(combo)
            filters.addWidget(caption)
            filters.addWidget(combo)
        # The count and the buttons on a row of their own: one row was wider than a 1366×768 laptop at 150 %.
        actions = QHBoxLayout()
        actions.addWidget(self.count_label)
        actions.addStretch(1)
        actions.addWidget(self.reveal_button)
        actions.addWidget(self.edit_button)
        actions.addWidget(self.records_button)
        actions.addLayout(self.list_output.layout())

        self.empty_hint = QLabel("还没有学员。请点工具栏上的“登记学员”，或用“导入名单”从 Excel 报名表登记。")
        self.empty_hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.empty_hint.hide()

        self.table = LearnerTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        metrics = self.fontMetrics()
        for column, (title, key) in enumerate(COLUMNS):
            text = max(_SAMPLE_TEXT.get(key, title), title, key=metrics.horizontalAdvance)
            self.table.setColumnWidth(column, metrics.horizontalAdvance(text) + 28)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorShown(True)
        # Clicking a header re-queries in SQL through model.sort(); no proxy model, nothing loaded in full.
        header.sortIndicatorChanged.connect(self.model.sort)
        self.table.doubleClicked.connect(lambda index: self.open_record(index.row()))
        self.table.open_requested.connect(self.open_record)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self.show_context_menu)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.table, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_edit.returnPressed.connect(self.apply_filter)
        for combo in (self.level_combo, self.status_combo, self.township_combo):
            combo.currentIndexChanged.connect(lambda _index: self.apply_filter())
        self.model.total_changed.connect(self._show_total)

        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        self.setTabOrder(self.search_edit, self.level_combo)
        self.setTabOrder(self.level_combo, self.status_combo)
        self.setTabOrder(self.status_combo, self.township_combo)
        self.setTabOrder(self.township_combo, self.table)

        self.reload_townships()
        self.apply_filter()

    def reload_townships(self) -> None:
        current = self.township_combo.currentData()
        self.township_combo.blockSignals(True)
        self.township_combo.clear()
        self.township_combo.addItem("全部街道/镇", None)
        with read_session(self._engine) as session:
            townships = site.list_townships(session)
        for township in townships:
            self.township_combo.addItem(township.name, township.id)
        index = self.township_combo.findData(current) if current is not None else 0
        self.township_combo.setCurrentIndex(max(index, 0))
        self.township_combo.blockSignals(False)

    def current_filter(self) -> LearnerFilter:
        return LearnerFilter(
            search=self.search_edit.text().strip() or None,
            level=self.level_combo.currentData(),
            status=self.status_combo.currentData(),
            township_id=self.township_combo.currentData(),
        )

    def list_spec(self) -> lists.LearnerList:
        return lists.LearnerList(self.model.learner_filter, self.model.sort_key, self.model.descending)

    def apply_filter(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(self.current_filter())

    def refresh(self) -> None:
        """The data changed (a registration, an import): count again, keep the filter and the sort."""
        self.reload_townships()
        self.apply_filter()

    def selected_student_numbers(self) -> list[str]:
        """The selected rows' student numbers, in table order (for 打印报名登记表)."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.data(self.model.index(row, 0), LearnerTableModel.RowRole).student_number for row in rows]

    def reveal_selected(self) -> ops.Op | None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        ids = [self.model.row_at(row).enrolment_id for row in rows]
        if not ids:
            show_info(self, "显示完整身份证号", "请先在名单里选中要查看的学员（可按住 Ctrl 或 Shift 多选）。")
            return None
        who = actor()
        self.reveal_op = ops.run_write(self, self._engine,
                                       lambda session, _job: learners.reveal_ids(session, ids, actor=who, what="学员页"),
                                       label="正在读取……", title="显示完整身份证号", cancellable=False,
                                       on_success=self.model.reveal)
        return self.reveal_op

    def edit_selected(self, row: int | None = None) -> LearnerEditDialog | None:
        """Opens 修改学员信息 for `row`, else the current row; the list shows the saved details afterwards."""
        if row is None:
            current = self.table.selectionModel().currentIndex()
            selected = self.table.selectionModel().selectedRows()
            row = current.row() if current.isValid() else (selected[0].row() if selected else None)
        if row is None or row < 0:
            show_info(self, "修改学员信息", "请先在名单里选中要修改的学员。")
            return None
        number = self.model.row_at(row).student_number
        try:
            dialog = LearnerEditDialog.for_student_number(self._engine, number, self)
        except AdultSchoolError as exc:
            show_info(self, "修改学员信息", exc.message)
            return None
        dialog.saved.connect(lambda _edited: self._edited())
        self.edit_dialog = dialog
        open_dialog(dialog)
        return dialog

    def open_record(self, row: int | None = None) -> LearnerRecordDialog | None:
        """Opens the 学员档案 of `row`, else the current row, as a window of its own; the list refreshes after a way
        back or an edit saved there."""
        row = self.current_row() if row is None else row
        if row is None or row < 0:
            show_info(self, "学员档案", "请先在名单里选中一位学员。")
            return None
        dialog = open_record(self._engine, self.model.row_at(row).student_number, self, on_changed=self._record_changed,
                             today=self._today)
        if dialog is not None:
            self.record_dialog = dialog
        return dialog

    def _edited(self) -> None:
        self.refresh()
        self.changed.emit(changes.LEARNER_EDITED)  # the other pages show the learner's name and details too

    def _record_changed(self) -> None:
        """A way back or an edit saved in the 学员档案."""
        self.refresh()
        self.changed.emit(changes.WAY_BACK)

    def show_context_menu(self, point) -> QMenu:  # noqa: ANN001 - a QPoint in the table's viewport
        """打开档案, 修改…, the ways back and 显示完整身份证号 for the row under the mouse (selected first)."""
        index = self.table.indexAt(point)
        if index.isValid() and not self.table.selectionModel().isRowSelected(index.row(), index.parent()):
            self.table.selectRow(index.row())
        has_row = self.current_row() is not None
        # The ways back are shared with the 学籍处理 button's menu: they stay enabled and say so when no row is chosen.
        for action in (self.open_record_action, self.edit_action, self.reveal_action):
            action.setEnabled(has_row)
        self.context_menu.popup(self.table.viewport().mapToGlobal(point))
        return self.context_menu

    def current_row(self) -> int | None:
        current = self.table.selectionModel().currentIndex()
        selected = self.table.selectionModel().selectedRows()
        row = current.row() if current.isValid() else (selected[0].row() if selected else None)
        return row if row is not None and row >= 0 else None

    def open_way_back(self, kind: str) -> QWidget | None:
        """退学/作废/恢复学籍 (`kind` withdraw, void, reinstate) or 更正学籍 (correct) of the current row."""
        row = self.current_row()
        dialog = way_back_dialog(self._engine, kind, None if row is None else self.model.row_at(row).student_number,
                                 self, none_chosen="请先在名单里选中一个学籍。", today=self._today)
        if dialog is not None:
            dialog.completed.connect(self._way_back_done)
            self.way_back_dialog = dialog
        return dialog

    def _way_back_done(self, result) -> None:  # noqa: ANN001 - services.enrolments.EnrolmentChanged
        self.refresh()
        self.changed.emit(changes.WAY_BACK)
        self.last_result = changed_text(result)
        show_info(self, "学籍处理", self.last_result)

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def _show_total(self, total: int) -> None:
        flt = self.model.learner_filter
        unfiltered = flt == LearnerFilter()
        self.count_label.setText(f"共 {total} 人" if total or unfiltered else
                                 "共 0 人：没有符合条件的学员（可改搜索内容，或把层次、状态、街道/镇改回“全部”）")
        self.empty_hint.setVisible(total == 0 and unfiltered)
