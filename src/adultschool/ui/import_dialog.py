"""导入名单 / 排摸表 / 考勤表 / 学习记录 / 成绩: choose a file, check it (dry run) with a preview, and only then import it.

Both runs are background operations with progress and 取消; nothing is written unless the clerk confirms.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.db import read_session
from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import JobContext
from adultschool.services import classes, exam_results, roster, site, study, survey
from adultschool.services.sheet_import import ColumnsNotFound, ImportReport, RowProblem, save_rejected
from adultschool.ui import ops
from adultschool.ui.common import actor, ask_open_path, ask_save_path, MessageLabel, to_date, to_qdate

BY_SHEET = "（以表中所填为准）"
WRAP_ROWS_UP_TO = 300  # beyond this, reasons stay on one line (full text in the tooltip) to keep the table quick


def rows_text(rows: list[int]) -> str:
    """'6' / '3–8'  / '3、5、9' / '3、5、9 等 120 行': sheet row numbers as a clerk reads them."""
    if len(rows) == 1:
        return str(rows[0])
    if rows == list(range(rows[0], rows[-1] + 1)):
        return f"{rows[0]}–{rows[-1]}"
    if len(rows) <= 5:
        return "、".join(str(r) for r in rows)
    return "、".join(str(r) for r in rows[:3]) + f" 等 {len(rows)} 行"


def grouped(problems: list[RowProblem]) -> list[tuple[str, str | None, str]]:
    """One line per distinct (column, reason): a deadline notice on 7,000 rows is one line, not 7,000."""
    rows: dict[tuple[str | None, str], list[int]] = {}
    for problem in problems:
        rows.setdefault((problem.column, problem.reason), []).append(problem.row)
    lines = sorted(((sorted(set(numbers)), column, reason) for (column, reason), numbers in rows.items()),
                   key=lambda line: line[0][0])
    return [(rows_text(numbers), column, reason) for numbers, column, reason in lines]


def column_letter(index: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA': the column as Excel names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def one_per_row(problems: list[RowProblem]) -> list[tuple[str, str | None, str]]:
    return [(str(p.row), p.column, p.reason) for p in problems]


XLSX_FILTER = ("表格文件 (*.xlsx *.xlsm *.xls *.et *.ods *.csv);;Excel 工作簿 (*.xlsx *.xlsm *.xls);;WPS 表格 (*.et);;"
               "OpenDocument 表格 (*.ods);;CSV 文件 (*.csv);;所有文件 (*)")
TABLE_FILTER = XLSX_FILTER
NOT_MAPPED = "（不导入）"


@dataclass(frozen=True)
class _Kind:
    """The words that differ between the imports, and which of the date and township choices they need."""

    key: str
    title: str
    date_label: str
    date_hint: str
    checking: str
    importing: str
    asks_date_and_township: bool = True
    placeholder: str = "选择表格文件（.xlsx、.xls、WPS .et、.ods 或 .csv）"
    file_filter: str = XLSX_FILTER


KINDS = {
    "roster": _Kind("roster", "导入名单", "报名日期", "表中有“报名日期”列的行，以该列为准。",
                    "正在检查名单……", "正在导入名单……"),
    "survey": _Kind("survey", "导入排摸表", "排摸日期", "表中有“排摸日期”列的行，以该列为准。",
                    "正在检查排摸表……", "正在导入排摸表……"),
    # Attendance sheets name class, date and hours on every row; study exports name the ID number and the course.
    "attendance": _Kind("attendance", "导入考勤表", "", "", "正在检查考勤表……", "正在导入考勤表……",
                        asks_date_and_township=False, placeholder="选择考勤表（逐行或按日期排列；.xlsx、.xls、.et、.ods 或 .csv）",
                        file_filter=TABLE_FILTER),
    "study": _Kind("study", "导入学习记录", "", "", "正在检查学习记录……", "正在导入学习记录……",
                   asks_date_and_township=False, placeholder="选择学习记录（.xlsx、.xls、.et、.ods 或 .csv）", file_filter=TABLE_FILTER),
    # Results returned by the district office (R4): 学籍号 or 身份证号码, 课程, 成绩 and the exam date on every row.
    "results": _Kind("results", "导入成绩", "", "", "正在检查成绩……", "正在导入成绩……",
                     asks_date_and_township=False, placeholder="选择分中心返回的成绩表（.xlsx 或 .csv）",
                     file_filter=TABLE_FILTER),
}


def preview_line(report: ImportReport, kind: str) -> str:
    """What the check found, in the words of the clerk's task."""
    rejected = len(report.rejected_rows)
    if kind == "attendance":
        # imported: rows with a mark; updated: marks that are new or differ from what was recorded.
        changed = f"（其中新记或改动 {report.updated} 人次）"
        return f"{'将记录' if report.dry_run else '已记录'}考勤 {report.imported} 行{changed}，未通过 {rejected} 行"
    if kind == "study":
        changed = f"（{report.updated} 名学员的学时有变化）"
        return f"{'将导入' if report.dry_run else '已导入'}学习记录 {report.imported} 行{changed}，未通过 {rejected} 行"
    if kind == "results":
        # imported: rows that hold a valid score; updated: scores that are new or differ from what was recorded.
        changed = f"（其中新记或改动 {report.updated} 条）"
        return f"{'将导入' if report.dry_run else '已导入'}成绩 {report.imported} 行{changed}，未通过 {rejected} 行"
    if report.dry_run:
        if kind == "survey":
            updated = f"，更新 {report.updated} 人" if report.updated else ""
            return f"将新增 {report.imported} 人{updated}，未通过 {rejected} 行"
        return f"将登记 {report.imported} 人，未通过 {rejected} 行"
    if kind == "survey":
        updated = f"，更新 {report.updated} 人" if report.updated else ""
        return f"已新增 {report.imported} 人{updated}，未通过 {rejected} 行"
    return f"已登记 {report.imported} 人，未通过 {rejected} 行"


class ImportDialog(QDialog):
    """One workbook import: 检查 (dry run) → preview → 确认导入. `imported` carries the final ImportReport."""

    imported = Signal(object)

    def __init__(self, engine: Engine, kind: str = "roster", parent: QWidget | None = None,
                 *, today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self._engine = engine
        self.kind = KINDS[kind]
        self._today = today
        self.op: ops.Op | None = None
        self.preview_report: ImportReport | None = None
        self.final_report: ImportReport | None = None
        self.setWindowTitle(self.kind.title)
        self.resize(980, 620)
        with read_session(engine) as session:
            townships = site.list_townships(session)
            class_names = [c.name for c in classes.list_classes(session)] if kind == "attendance" else []
        self.mapping_combos: dict[str, QComboBox] = {}
        self._mapping_headers: tuple[str, ...] = ()

        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText(self.kind.placeholder)
        self.browse_button = QPushButton("选择文件…")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse_button)

        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMaximumDate(to_qdate(today()))
        self.date_edit.setDate(to_qdate(today()))
        date_row = QHBoxLayout()
        date_row.addWidget(self.date_edit)
        date_hint = QLabel(self.kind.date_hint)
        date_hint.setStyleSheet("color: #666666;")
        date_row.addWidget(date_hint, 1)

        self.township_combo = QComboBox()
        self.township_combo.addItem(BY_SHEET, None)
        for township in townships:
            self.township_combo.addItem(township.name, township.name)
        township_row = QHBoxLayout()
        township_row.addWidget(self.township_combo)
        township_hint = QLabel("表中没填街道/镇的行，记到这里选的街道/镇。")
        township_hint.setStyleSheet("color: #666666;")
        township_row.addWidget(township_hint, 1)

        # Grid attendance sheets (a column per date): which class, and the hours of sessions not yet recorded.
        self.class_combo = QComboBox()
        self.class_combo.addItem(BY_SHEET, None)
        for name in class_names:
            self.class_combo.addItem(name, name)
        self.hours_spin = QDoubleSpinBox()
        self.hours_spin.setRange(0, 12)
        self.hours_spin.setDecimals(1)
        self.hours_spin.setSingleStep(0.5)
        self.hours_spin.setSpecialValueText("（表中所填）")
        grid_row = QHBoxLayout()
        grid_row.addWidget(self.class_combo)
        grid_row.addWidget(QLabel("每节课时"))
        grid_row.addWidget(self.hours_spin)
        grid_hint = QLabel("按日期排列的考勤表（每行一人、每列一次课）用：表里没写班级或课时时填这里。")
        grid_hint.setStyleSheet("color: #666666;")
        grid_hint.setWordWrap(True)
        grid_row.addWidget(grid_hint, 1)

        form = QFormLayout()
        form.addRow("文件", file_row)
        form.addRow(self.kind.date_label, date_row)
        form.addRow("街道/镇", township_row)
        form.addRow("班级", grid_row)
        for row in (1, 2):
            form.setRowVisible(row, self.kind.asks_date_and_township)
        form.setRowVisible(3, self.kind.key == "attendance")

        # Column mapping: shown when the header lacks a needed column; the clerk picks the column for each field.
        self.mapping_box = QGroupBox("列对应：表头里找不到下面这些列，请为每一项选择表里对应的列")
        self.mapping_header_label = QLabel()
        self.mapping_header_label.setWordWrap(True)
        self.mapping_header_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.mapping_form = QFormLayout()
        self.mapping_name_edit = QLineEdit()
        self.mapping_name_edit.setPlaceholderText("保存为（下次同样的表头自动使用）")
        mapping_layout = QVBoxLayout(self.mapping_box)
        mapping_layout.addWidget(self.mapping_header_label)
        mapping_layout.addLayout(self.mapping_form)
        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("保存为"))
        name_row.addWidget(self.mapping_name_edit, 1)
        mapping_layout.addLayout(name_row)
        mapping_hint = QLabel("选好后点“检查”；导入成功后这套对应会保存，下次同一种表自动使用。")
        mapping_hint.setStyleSheet("color: #666666;")
        mapping_layout.addWidget(mapping_hint)
        self.mapping_box.hide()

        self.check_button = QPushButton("检查")
        self.check_button.setToolTip("只检查，不写入数据库")
        self.check_button.clicked.connect(self.run_preview)

        self.summary_label = QLabel("选好文件后点“检查”：先看哪些行能导入、哪些不能，确认后才写入数据库。")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        summary_font = self.summary_label.font()
        summary_font.setBold(True)
        self.summary_label.setFont(summary_font)
        self.error_label = MessageLabel()

        self.rejected_table = self._problem_table()
        self.warning_table = self._problem_table()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.rejected_table, "未通过的行")
        self.tabs.addTab(self.warning_table, "提醒")

        self.save_rejected_button = QPushButton("保存未通过的行…")
        self.save_rejected_button.setAutoDefault(False)
        self.save_rejected_button.setEnabled(False)
        self.save_rejected_button.clicked.connect(self.save_rejected_rows)
        self.confirm_button = QPushButton("确认导入")
        self.confirm_button.setEnabled(False)
        self.confirm_button.clicked.connect(self.run_import)
        self.close_button = QPushButton("关闭")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        self.saved_label = MessageLabel(kind="hint")

        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.summary_label, 1)

        bottom = QHBoxLayout()
        bottom.addWidget(self.save_rejected_button)
        bottom.addWidget(self.saved_label, 1)
        bottom.addStretch(1)
        bottom.addWidget(self.confirm_button)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.mapping_box)
        layout.addLayout(check_row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

        for signal in (self.file_edit.textChanged, self.date_edit.dateChanged, self.township_combo.currentIndexChanged,
                       self.class_combo.currentIndexChanged, self.hours_spin.valueChanged):
            signal.connect(lambda *_args: self._invalidate())
        self.file_edit.textChanged.connect(lambda *_args: self.clear_mapping())
        order = [self.file_edit, self.browse_button, self.date_edit, self.township_combo, self.check_button,
                 self.tabs, self.save_rejected_button, self.confirm_button, self.close_button]
        for first, second in zip(order, order[1:]):
            self.setTabOrder(first, second)
        self.check_button.setDefault(True)
        self._show_report(None)

    # --- widgets -------------------------------------------------------------------------------------------

    def _problem_table(self) -> QTableWidget:
        table = QTableWidget(0, 3)
        table.setHorizontalHeaderLabels(["行号", "列", "原因"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.setColumnWidth(1, self.fontMetrics().horizontalAdvance("学历提升层次") + 24)
        return table

    @staticmethod
    def _fill_table(table: QTableWidget, lines: list[tuple[str, str | None, str]]) -> None:
        table.setUpdatesEnabled(False)
        table.setRowCount(len(lines))
        wrap = len(lines) <= WRAP_ROWS_UP_TO
        table.setWordWrap(wrap)
        for index, (rows, column, reason_text) in enumerate(lines):
            number = QTableWidgetItem(rows)
            number.setData(Qt.ItemDataRole.TextAlignmentRole, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter))
            table.setItem(index, 0, number)
            table.setItem(index, 1, QTableWidgetItem(column or ""))
            reason = QTableWidgetItem(reason_text)
            reason.setToolTip(reason_text)
            table.setItem(index, 2, reason)
        if wrap:
            table.resizeRowsToContents()
        table.setUpdatesEnabled(True)

    def choose_file(self) -> None:
        typed = Path(self.file_edit.text()).parent if self.file_edit.text() else None
        path = ask_open_path(self, f"{self.kind.title}：选择文件", self.kind.file_filter, default=typed,
                             key=f"import.{self.kind.title}")
        if path:
            self.file_edit.setText(str(path))

    def set_file(self, path: str | Path) -> None:
        self.file_edit.setText(str(path))

    # --- column mapping ------------------------------------------------------------------------------------

    def show_mapping(self, exc: ColumnsNotFound) -> None:
        """The sheet's header row, and a choice of column for each field, best guesses preselected."""
        proposal = exc.proposal
        self.clear_mapping()
        self._mapping_headers = proposal.headers
        shown = "、".join(f"{column_letter(i)}“{h}”" for i, h in enumerate(proposal.headers) if h)
        self.mapping_header_label.setText(f"工作表“{exc.sheet_name}”第 {proposal.row} 行的表头：{shown}")
        for column in exc.columns:
            combo = QComboBox()
            combo.addItem(NOT_MAPPED, None)
            for index, text in enumerate(proposal.headers):
                if text:
                    combo.addItem(f"{column_letter(index)}：{text}", text)
            guess = proposal.guesses.get(column.field)
            if guess is not None and proposal.headers[guess]:
                combo.setCurrentIndex(combo.findData(proposal.headers[guess]))
            combo.currentIndexChanged.connect(lambda *_args: self._invalidate())
            self.mapping_combos[column.field] = combo
            self.mapping_form.addRow(f"{column.label}{'（必填）' if column.required else ''}", combo)
        if not self.mapping_name_edit.text():
            self.mapping_name_edit.setText(Path(self.file_edit.text().strip()).stem)
        self.mapping_box.show()

    def clear_mapping(self) -> None:
        while self.mapping_form.rowCount():
            self.mapping_form.removeRow(0)
        self.mapping_combos = {}
        self.mapping_box.hide()

    def mapping(self) -> dict[str, str] | None:
        """field → header as written, for the fields the clerk mapped (None when the mapping panel is not shown)."""
        if not self.mapping_combos:
            return None
        return {field: combo.currentData() for field, combo in self.mapping_combos.items() if combo.currentData()}

    # --- state ---------------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def _invalidate(self) -> None:
        """Any change of file, date or township makes the preview stale: check again before importing."""
        if self.preview_report is not None or self.final_report is not None:
            self.preview_report = None
            self.final_report = None
            self.summary_label.setText("条件改了：请重新点“检查”。")
            self._show_report(None)
        self.error_label.show_message(None)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.file_edit, self.browse_button, self.date_edit, self.township_combo, self.check_button,
                       self.close_button):
            widget.setEnabled(not busy)
        self.confirm_button.setEnabled(not busy and self._can_confirm())
        shown = self._shown_report()
        self.save_rejected_button.setEnabled(not busy and shown is not None and bool(shown.rejected))

    def _can_confirm(self) -> bool:
        report = self.preview_report
        return report is not None and self.final_report is None and (report.imported > 0 or report.updated > 0)

    def _shown_report(self) -> ImportReport | None:
        return self.final_report or self.preview_report

    def _show_report(self, report: ImportReport | None) -> None:
        rejected = report.rejected if report else []
        warnings = report.warnings if report else []
        self._fill_table(self.rejected_table, one_per_row(rejected))
        self._fill_table(self.warning_table, grouped(warnings))
        rows = len(report.rejected_rows) if report else 0
        self.tabs.setTabText(0, f"未通过的行（{rows} 行）" if report else "未通过的行")
        self.tabs.setTabText(1, f"提醒（{len(warnings)} 条）" if report else "提醒")
        if report and not rejected and warnings:
            self.tabs.setCurrentIndex(1)
        else:
            self.tabs.setCurrentIndex(0)
        self.saved_label.show_message(None)
        self._set_busy(self.busy)
        if self._can_confirm():
            self.confirm_button.setDefault(True)
        else:
            self.check_button.setDefault(True)

    # --- the two runs --------------------------------------------------------------------------------------

    def _work(self, dry_run: bool) -> Callable[[Session, JobContext], ImportReport]:
        path = Path(self.file_edit.text().strip())
        day = to_date(self.date_edit.date())
        township = self.township_combo.currentData()
        who = actor()
        today = self._today()
        mapping, mapping_name = self.mapping(), self.mapping_name_edit.text().strip() or None
        if self.kind.key == "attendance":
            class_name, hours = self.class_combo.currentData(), self.hours_spin.value() or None
            return lambda session, job: classes.import_attendance(session, path, actor=who, dry_run=dry_run, job=job,
                                                                  class_name=class_name, hours=hours, today=today,
                                                                  mapping=mapping, mapping_name=mapping_name)
        if self.kind.key == "results":
            return lambda session, job: exam_results.import_results(session, path, actor=who, dry_run=dry_run, job=job,
                                                                    today=today, mapping=mapping, mapping_name=mapping_name)
        if self.kind.key == "study":
            return lambda session, job: study.import_study(session, path, actor=who, dry_run=dry_run, job=job, today=today,
                                                           mapping=mapping, mapping_name=mapping_name)
        if self.kind.key == "survey":
            return lambda session, job: survey.import_survey(
                session, path, actor=who, surveyed_on=day, township=township, dry_run=dry_run, job=job, today=today,
                mapping=mapping, mapping_name=mapping_name)
        return lambda session, job: roster.import_roster(
            session, path, registered_on=day, actor=who, township=township, dry_run=dry_run, job=job, today=today,
            mapping=mapping, mapping_name=mapping_name)

    def run_preview(self) -> None:
        if self.busy:
            return
        if not self.file_edit.text().strip():
            self.error_label.show_message("请先选择要导入的 Excel 文件。" if self.kind.file_filter == XLSX_FILTER
                                          else "请先选择要导入的文件。")
            return
        self.preview_report = None
        self.final_report = None
        self._show_report(None)
        self.error_label.show_message(None)
        self.summary_label.setText(self.kind.checking)
        self._set_busy(True)
        self.op = ops.run_write(self, self._engine, self._work(dry_run=True), label=self.kind.checking,
                                title=self.kind.title, on_success=self._previewed, on_failure=self._preview_failed)

    def _previewed(self, report: ImportReport) -> None:
        self.preview_report = report
        self._set_busy(False)
        line = preview_line(report, self.kind.key)
        if report.warnings:
            line += f"，提醒 {len(report.warnings)} 条"
        if self._can_confirm():
            line += "。确认无误后点“确认导入”。"
        else:
            line += "。没有可以导入的行。"
        where = "" if report.file.lower().endswith(".csv") else f"工作表“{report.sheet}”，"  # a CSV file has no sheets
        self.summary_label.setText(f"{report.file}（{where}{report.rows_read} 行数据）：{line}")
        self._show_report(report)

    def _preview_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, Cancelled):
            self.summary_label.setText("已取消检查。数据库没有任何改动。")
        elif isinstance(exc, ColumnsNotFound):
            self.summary_label.setText("表头里找不到需要的列：请在下面为每一项选择表里对应的列，再点“检查”。")
            self.error_label.show_message(str(exc))
            self.show_mapping(exc)
        else:
            self.summary_label.setText("这个文件不能导入：" if isinstance(exc, AdultSchoolError) else "检查没有完成。")
            ops.show_failure(self, exc, line=self.error_label)

    def run_import(self) -> None:
        if self.busy or not self._can_confirm():
            return
        self._set_busy(True)
        self.summary_label.setText(self.kind.importing)
        self.op = ops.run_write(self, self._engine, self._work(dry_run=False), label=self.kind.importing,
                                title=self.kind.title, on_success=self._imported, on_failure=self._import_failed)

    def _imported(self, report: ImportReport) -> None:
        self.final_report = report
        self._set_busy(False)
        self.summary_label.setText(f"{report.file}：{preview_line(report, self.kind.key)}。")
        self._show_report(report)
        self.close_button.setDefault(True)
        self.imported.emit(report)

    def _import_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, Cancelled):
            self.summary_label.setText("已取消导入。数据库没有任何改动。")
            return
        self.summary_label.setText("导入没有完成，数据库没有任何改动" + ("：" if isinstance(exc, AdultSchoolError) else "。"))
        ops.show_failure(self, exc, line=self.error_label)

    # --- the rejected rows as a workbook -------------------------------------------------------------------

    def default_rejected_path(self) -> Path:
        source = Path(self.file_edit.text().strip())
        return source.with_name(f"{source.stem}-未通过的行.xlsx")

    def save_rejected_rows(self) -> None:
        report = self._shown_report()
        if report is None or not report.rejected:
            return
        target = ask_save_path(self, "保存未通过的行", self.default_rejected_path(), "Excel 工作簿 (*.xlsx)", ".xlsx")
        if target is None:
            return
        self.op = ops.run_op(self, lambda _job: save_rejected(report, target), label="正在保存未通过的行……",
                             title="保存未通过的行", cancellable=False, on_success=self._saved)

    def _saved(self, path: Path) -> None:
        self.saved_label.show_message(f"已保存：{path}（改好后可以再导入）")

    def reject(self) -> None:  # while work runs, its progress dialog's 取消 is the way out
        if self.busy:
            return
        super().reject()
