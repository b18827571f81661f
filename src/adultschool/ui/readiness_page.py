"""The 可报考 page (R3): who may sit the final exam on a day, who will within N days, and what the others lack.

Date, class and level recompute `readiness` in a background op; the state filter and N only re-filter the rows held.
"""
from __future__ import annotations

import html

from datetime import date
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.models.enums import Level
from adultschool.services import classes, lists, readiness
from adultschool.services.readiness import ReadinessRow
from adultschool.ui.changes import READINESS_INPUTS
from adultschool.ui import ops
from adultschool.ui.list_output import ListOutput
from adultschool.ui.common import HINT_COLOUR, open_dialog, to_date, to_qdate, Page
from adultschool.ui.readiness_model import (
    ALL,
    COLUMNS,
    KEYS,
    NOT_YET,
    READY,
    READY_BACKGROUND,
    SOON,
    SOON_BACKGROUND,
    ReadinessModel,
)
from adultschool.ui.study_detail_dialog import StudyDetailDialog

RECOMPUTE_DELAY_MS = 300  # typing a date changes it digit by digit; compute once the typing pauses
DEFAULT_DAYS = 30

_SAMPLE_TEXT = {
    "student_number": "330206-01-2026-00000",
    "name": "欧阳小红红",
    "id_number": "330206********000X",
    "level": "层次",
    "registered_on": "2026-00-00",
    "months_done": "已学月数",
    "video_hours": "视频学时",
    "class_hours": "面授课时",
    "ready": "可报考",
    "ready_on": "2026-00-00",
}


def summary_text(counts: dict[str, int], days: int) -> str:
    return f"共 {counts[ALL]} 个学籍：可报考 {counts[READY]}，{days} 天内可报考 {counts[SOON]}"


def summary_html(counts: dict[str, int], days: int) -> str:
    """The summary for the label: a narrow window breaks it only between its phrases, never inside one (Qt breaks
    Chinese between any two characters)."""
    phrases = (f"共 {counts[ALL]} 个学籍：", f"可报考 {counts[READY]}，", f"{days} 天内可报考 {counts[SOON]}")
    return "".join(f'<span style="white-space:nowrap">{html.escape(p)}</span>' for p in phrases)


def missing_text(row: ReadinessRow | None) -> str:
    """What the selected learner still lacks, in full (the 还差 column is cut short where the window is narrow)."""
    if row is None:
        return ""
    if not row.missing:
        return f"{row.name}：已满足报考条件。"
    return f"{row.name} 还差：" + "；".join(row.missing)


class ReadinessPage(Page):
    """`computed` after each recompute has been shown (tests wait on it)."""

    computed = Signal()

    load_on_first_show = True
    topics = READINESS_INPUTS  # and the class list, one of them

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, today=today)
        self.dialog: QWidget | None = None
        self._pending = False

        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDate(to_qdate(today()))
        self.date_edit.setToolTip("按哪一天计算：默认今天；选以后的日期可以预先安排考试")
        self.class_combo = QComboBox()
        # Long class names would make the row wider than a small laptop screen; the list itself still shows them whole.
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.class_combo.setMinimumContentsLength(10)
        self.class_combo.addItem("全部班级", None)
        self.level_combo = QComboBox()
        self.level_combo.addItem("全部层次", None)
        for level in Level:
            self.level_combo.addItem(level.label, level)
        self.days_spin = QSpinBox()
        self.days_spin.setRange(1, 366)
        self.days_spin.setValue(DEFAULT_DAYS)
        self.days_spin.setSuffix(" 天")
        self.days_spin.setToolTip("“即将可报考”：课时已够，再过这么多天学习时限就满")
        self.state_combo = QComboBox()
        self.state_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for text, state in (("全部", ALL), ("可报考", READY), ("", SOON), ("未达到", NOT_YET)):
            self.state_combo.addItem(text, state)
        self.state_combo.setItemData(3, "还不能报考，且不会在所选天数内满足条件", Qt.ItemDataRole.ToolTipRole)

        top = QHBoxLayout()
        for caption, widget in (("日期", self.date_edit), ("班级", self.class_combo), ("层次", self.level_combo),
                                ("状态", self.state_combo), ("即将可报考", self.days_spin)):
            label = QLabel(caption)
            label.setBuddy(widget)
            top.addWidget(label)
            top.addWidget(widget)
        top.addStretch(1)

        self.summary_label = QLabel()
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shown_label = QLabel()
        self.shown_label.setStyleSheet(f"color: {HINT_COLOUR};")
        self.ready_legend = QLabel(" 可报考 ")
        self.ready_legend.setStyleSheet(f"background: {READY_BACKGROUND.name()}; color: #1a1a1a;")
        self.soon_legend = QLabel()
        self.soon_legend.setStyleSheet(f"background: {SOON_BACKGROUND.name()}; color: #1a1a1a;")
        for label in (self.summary_label, self.shown_label):
            label.setWordWrap(True)  # a narrow window wraps the summary instead of growing wider than the screen
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.summary_label, 1)
        summary_row.addWidget(self.shown_label)
        summary_row.addWidget(self.ready_legend)
        summary_row.addWidget(self.soon_legend)
        # 导出 Excel… / 打印…: the rows the table shows (day, class, level, state), with 还差. Below the table, so the
        # summary keeps the width of the row above it.
        self.list_output = ListOutput(self, engine, spec=self.list_spec, file_stem=lambda: "可报考名单", has_ids=True,
                                      today=self._today)
        output_row = QHBoxLayout()
        output_row.addLayout(self.list_output.layout())
        self._name_soon_state()

        self.model = ReadinessModel(self)
        self.model.days = DEFAULT_DAYS
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        metrics = self.fontMetrics()
        for column, (title, key) in enumerate(COLUMNS):
            text = max(_SAMPLE_TEXT.get(key, title), title, key=metrics.horizontalAdvance)
            self.table.setColumnWidth(column, metrics.horizontalAdvance(text) + 28)
        # what decides the exam first: 可报考 and 还差 next to the name, so they show on a 1024-wide screen too
        for visual, key in ((2, "ready"), (3, "missing")):
            header.moveSection(header.visualIndex(KEYS.index(key)), visual)
        self.table.setColumnWidth(KEYS.index("missing"), metrics.horizontalAdvance("学习时限不足：还差 90 天（高中至少") + 28)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.missing_label = QLabel()  # the selected learner's 还差 in full, wrapped
        self.missing_label.setWordWrap(True)
        self.missing_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show_missing(current.row()))
        self.table.setToolTip("双击一行查看学习明细")
        self.table.activated.connect(lambda index: self.open_detail(index.row()))  # double-click or Enter

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(summary_row)
        layout.addWidget(self.table, 1)
        output_row.insertWidget(0, self.missing_label, 1)  # the selected learner's 还差 beside the list buttons
        layout.addLayout(output_row)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RECOMPUTE_DELAY_MS)
        self._timer.timeout.connect(self.recompute)
        self.date_edit.dateChanged.connect(lambda _d: self._timer.start())
        self.class_combo.currentIndexChanged.connect(lambda _i: self.recompute())
        self.level_combo.currentIndexChanged.connect(lambda _i: self.recompute())
        self.state_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.days_spin.valueChanged.connect(lambda _v: self.apply_filter())
        self.reload_classes()

    # --- loading ---------------------------------------------------------------------------------------------


    def refresh(self) -> None:
        """The data changed: the class list and the rows again, keeping every filter."""
        self.loaded = True
        self.reload_classes()
        self.recompute()

    def reload_classes(self) -> None:
        current = self.class_combo.currentData()
        with read_session(self._engine) as session:
            found = classes.list_classes(session)
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItem("全部班级", None)
        for info in found:
            self.class_combo.addItem(info.name, info.id)
        self.class_combo.setCurrentIndex(max(self.class_combo.findData(current), 0) if current is not None else 0)
        self.class_combo.blockSignals(False)

    def recompute(self) -> None:
        """readiness() for the chosen day, class and level, in the worker; a change meanwhile runs once more after."""
        self._timer.stop()
        if self.busy:
            self._pending = True
            return
        as_of = to_date(self.date_edit.date())
        level = Level(self.level_combo.currentData()) if self.level_combo.currentData() else None
        class_id = self.class_combo.currentData()
        self.summary_label.setText("正在计算……")
        self.op = ops.run_read(
            self, self._engine, lambda session, _job: readiness.readiness(session, as_of, level=level, class_id=class_id),
            label="正在计算可报考名单……", title="可报考", cancellable=False, delay_ms=1500, blocks_exit=False,
            on_success=lambda rows: self._computed(rows, as_of),
        )
        self.op.done.connect(self._after_op)

    def _computed(self, rows: list[ReadinessRow], as_of: date) -> None:
        if self._pending:
            return  # the filters changed while computing; the next run shows
        self.model.set_rows(rows, as_of)
        self._show_summary()
        self.computed.emit()

    def _after_op(self) -> None:
        if self._pending:
            self._pending = False
            self.recompute()
        elif self.summary_label.text() == "正在计算……":
            self.summary_label.setText("没有算完，请换个条件再试。")

    # --- filtering -------------------------------------------------------------------------------------------

    def _name_soon_state(self) -> None:
        days = self.days_spin.value()
        self.state_combo.setItemText(2, f"即将可报考（{days} 天内）")
        self.soon_legend.setText(f" {days} 天内可报考 ")

    def list_spec(self) -> lists.ReadinessList:
        return lists.ReadinessList(to_date(self.date_edit.date()),
                                   level=Level(self.level_combo.currentData()) if self.level_combo.currentData() else None,
                                   class_id=self.class_combo.currentData(), state=self.state_combo.currentData(),
                                   days=self.days_spin.value())

    def apply_filter(self) -> None:
        self._name_soon_state()
        self.model.set_filter(self.state_combo.currentData(), self.days_spin.value())
        self._show_summary()

    def select_state(self, state: str) -> None:
        self.state_combo.setCurrentIndex(self.state_combo.findData(state))

    def shown_summary(self) -> str:
        """The summary line as the clerk reads it (the label holds it as rich text)."""
        return QTextDocumentFragment.fromHtml(self.summary_label.text()).toPlainText()

    def _show_missing(self, row: int) -> None:
        self.missing_label.setText(missing_text(self.model.row_at(row) if 0 <= row < self.model.rowCount() else None))

    def _show_summary(self) -> None:
        counts = self.model.summary()
        self.summary_label.setText(summary_html(counts, self.model.days))
        shown = self.model.rowCount()
        self.shown_label.setText(f"显示 {shown} 行" if shown != counts[ALL] else "")

    # --- detail ----------------------------------------------------------------------------------------------

    def open_detail(self, row: int) -> StudyDetailDialog | None:
        if not 0 <= row < self.model.rowCount():
            return None
        dialog = StudyDetailDialog(self._engine, self.model.row_at(row).enrolment_id, self)
        self.dialog = dialog
        open_dialog(dialog)
        return dialog
