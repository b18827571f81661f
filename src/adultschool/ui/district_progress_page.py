"""The district office's 任务进度 page: quota progress per township for a month, as a table and a bar chart, and its
export to a sheet."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.services import quotas
from adultschool.services.quotas import PROGRESS_HEADERS, QuotaReport
from adultschool.ui import ops
from adultschool.ui.changes import QUOTA_INPUTS
from adultschool.ui.bar_chart import Bar, BarChart
from adultschool.ui.common import (
    ask_save_path,
    Page,
    HINT_COLOUR,
    MessageLabel,
    documents_folder,
    show_info,
    unused_path,
)
from adultschool.ui.import_dialog import XLSX_FILTER
from adultschool.ui.widgets import fill_table, filled_item, read_only_table


RECOMPUTE_DELAY_MS = 300


def two_line_header(title: str) -> str:
    """'职业技能培训人次' → '职业技能\n培训人次', so the 17 columns of the progress table fit a 1366-pixel screen."""
    if len(title) <= 4:
        return title
    middle = (len(title) + 1) // 2
    return f"{title[:middle]}\n{title[middle:]}"


def chart_bars(report: QuotaReport) -> list[Bar]:
    """Townships in the ranking order of the progress table: by completion, those without a quota last."""
    ranked = sorted(report.townships, key=lambda t: (t.completion is None, -(t.completion or 0), t.township))
    return [Bar(t.township, t.registered, t.quota) for t in ranked]


def empty_year_hint(report: QuotaReport) -> str | None:
    """Early in a year nothing counts yet: says why the table and chart are empty and where to look instead."""
    total = report.totals()
    if total.registered or total.quota:
        return None
    return (f"{report.year} 年还没有任务数，也还没有计入 {report.year} 年的报名，所以表和图是空的。"
            f"任务数在“设置 → 街道/镇”里填写；要看上一年全年的完成情况，请选 {report.year - 1}年12月。")


class ProgressPage(Page):
    """任务进度: the monthly progress table (每月统计晾晒), a bar chart of registered vs quota, 导出 Excel."""

    computed = Signal()

    load_on_first_show = True
    topics = QUOTA_INPUTS

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today,
                 folder: Path | None = None):
        super().__init__(engine, parent, today=today, folder=folder)
        self.op: ops.Op | None = None
        self.export_op: ops.Op | None = None
        self.report: QuotaReport | None = None
        self.result_box: QWidget | None = None
        self._pending = False

        self.month_edit = QDateEdit()
        self.month_edit.setDisplayFormat("yyyy年M月")  # a month: the arrows and the keyboard step month or year
        self.month_edit.setCalendarPopup(False)  # a day calendar would ask for a day the report does not use
        first = today().replace(day=1)
        self.month_edit.setDate(QDate(first.year, first.month, 1))
        self.month_edit.setMaximumDate(QDate(first.year + 1, 12, 31))
        self.month_edit.setCurrentSection(QDateTimeEdit.Section.MonthSection)  # the arrows step months
        self.month_edit.setToolTip("统计到这个月底（本月则到今天）")
        self.as_of_label = QLabel()
        self.as_of_label.setStyleSheet(f"color: {HINT_COLOUR};")
        self.export_button = QPushButton("导出 Excel…")
        self.export_button.setToolTip("任务完成情况表和各校报送情况，存成 Excel 工作簿")
        self.export_button.clicked.connect(lambda: self.export())
        top = QHBoxLayout()
        month_label = QLabel("月份")
        month_label.setBuddy(self.month_edit)
        top.addWidget(month_label)
        top.addWidget(self.month_edit)
        top.addWidget(self.as_of_label)
        top.addStretch(1)
        top.addWidget(self.export_button)

        self.table = read_only_table([two_line_header(title) for title in PROGRESS_HEADERS])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.chart = BarChart(title="各街道/镇累计报名与任务数")
        scroll = QScrollArea()
        scroll.setWidget(self.chart)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(scroll)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.message = MessageLabel()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.message)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RECOMPUTE_DELAY_MS)
        self._timer.timeout.connect(self.recompute)
        self.month_edit.dateChanged.connect(lambda _d: self._timer.start())


    def refresh(self) -> None:
        self.loaded = True
        self.recompute()

    def month(self) -> tuple[int, int]:
        chosen = self.month_edit.date()
        return chosen.year(), chosen.month()

    def set_month(self, year: int, month: int) -> None:
        self.month_edit.setDate(QDate(year, month, 1))
        self.month_edit.setCurrentSection(QDateTimeEdit.Section.MonthSection)

    def recompute(self) -> None:
        self._timer.stop()
        if self.busy:
            self._pending = True
            return
        year, month = self.month()
        today = self._today()
        self.as_of_label.setText("正在统计……")
        self.op = ops.run_read(
            self, self._engine, lambda session, _job: quotas.quota_progress(session, year=year, month=month, today=today),
            label="正在统计任务完成情况……", title="任务进度", cancellable=False, delay_ms=1500,
            on_success=self._computed)
        self.op.done.connect(self._after_op)

    def _computed(self, report: QuotaReport) -> None:
        if self._pending:
            return
        self.report = report
        fill_table(self.table, [["" if v is None else v for v in row] for row in quotas.progress_rows(report)],
                   right=set(range(3, len(PROGRESS_HEADERS))) | {0})
        total_row = self.table.rowCount() - 1
        bold = QFont(self.table.font())
        bold.setBold(True)
        for column in range(self.table.columnCount()):
            item = self.table.item(total_row, column)
            if item is not None:
                item.setFont(bold)
        school = PROGRESS_HEADERS.index("责任学校")
        for row in range(self.table.rowCount()):  # long school names are cut on screen, whole in the tooltip
            school_item = filled_item(self.table, row, school)
            school_item.setToolTip(school_item.text())
        self.table.setColumnWidth(school, min(self.table.columnWidth(school),
                                              self.table.fontMetrics().horizontalAdvance("北仑区大碶成人学校") + 18))
        self._fit_table_height()
        self.as_of_label.setText(f"统计截至 {report.as_of.isoformat()}；报名按学籍所计入的任务年度（R7）")
        self.chart.set_title(f"{report.year}年{report.month}月 各街道/镇累计报名与任务数")
        self.chart.set_bars(chart_bars(report))
        self.message.show_message(empty_year_hint(report), "hint")
        self.computed.emit()

    def _fit_table_height(self) -> None:
        """The table as tall as its rows (at most two thirds of the page); the chart gets the rest."""
        table = self.table
        needed = (table.horizontalHeader().height() + table.verticalHeader().length() + 2 * table.frameWidth()
                  + table.horizontalScrollBar().sizeHint().height() + 4)
        total = sum(self.splitter.sizes()) or self.splitter.height()
        if total > 0:
            shown = min(needed, total * 2 // 3)
            self.splitter.setSizes([shown, total - shown])

    def resizeEvent(self, event) -> None:  # noqa: ANN001 - Qt's signature
        super().resizeEvent(event)
        if self.report is not None:
            self._fit_table_height()

    def _after_op(self) -> None:
        if self._pending:
            self._pending = False
            self.recompute()

    def table_values(self) -> list[list[str]]:
        return [[self._cell_text(r, c) for c in range(self.table.columnCount())] for r in range(self.table.rowCount())]

    def _cell_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item else ""

    def choose_export_path(self, suggested: Path) -> Path | None:
        return ask_save_path(self, "导出任务完成情况", suggested, XLSX_FILTER, ".xlsx")

    def export(self, path: Path | None = None) -> ops.Op | None:
        if self.export_op is not None and self.export_op.running:
            return None
        year, month = self.month()
        if path is None:
            suggested = unused_path((self._folder or documents_folder()) / f"任务完成情况-{year}-{month:02d}.xlsx")
            path = self.choose_export_path(suggested)
            if path is None:
                return None
        target, today = Path(path), self._today()
        self.export_button.setEnabled(False)
        self.export_op = ops.run_read(
            self, self._engine,
            lambda session, job: quotas.write_quota_report(session, target, year=year, month=month, job=job, today=today),
            label="正在导出任务完成情况……", title="导出 Excel",
            on_success=lambda _report: self._exported(target), on_failure=self._export_failed)
        self.export_op.done.connect(lambda: self.export_button.setEnabled(True))
        return self.export_op

    def _exported(self, path: Path) -> None:
        self.status_message.emit(f"已导出任务完成情况：{path}")
        self.result_box = show_info(self, "导出 Excel", f"已导出任务完成情况和各校报送情况：\n{path}")

    def _export_failed(self, exc: BaseException) -> None:
        self.result_box = ops.show_failure(self, exc, line=self.message, cancelled="已取消导出，没有写出文件。")
