"""考试记录: the exam rounds applied for (services.exam_history), newest first; selecting one shows its results per
course and its applicants with each course's result and a 需补考 mark. A double click on an applicant opens the
学员档案."""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.services import exam_history
from adultschool.services.exam_history import ExamHistory, RoundHistory
from adultschool.ui import ops
from adultschool.ui.common import HINT_COLOUR, actor
from adultschool.ui.learner_record_dialog import LearnerRecordDialog, TextTableModel, fit_columns, open_record, text_table

RETAKE_MARK = "需补考"


class _ApplicantsTable(QTableView):
    """Enter opens the applicant's 学员档案, as a double click does."""

    open_requested = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class ExamHistoryDialog(QDialog):
    """`loaded` after the rounds have been read and shown; `changed` after a way back saved from a 学员档案."""

    loaded = Signal()
    changed = Signal()

    def __init__(self, engine: Engine, parent: QWidget | None = None,
                 on_changed: Callable[[], None] | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self._engine, self._today = engine, today
        self.history: ExamHistory | None = None
        self.op: ops.Op | None = None
        self.record_dialog: LearnerRecordDialog | None = None
        self._applicants: list[exam_history.Applicant] = []
        if on_changed is not None:
            self.changed.connect(on_changed)
        self.setWindowTitle("考试记录")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)

        self.summary_label = QLabel("正在读取……")
        self.summary_label.setWordWrap(True)
        self.rounds_model = TextTableModel(["考试批次", "考试日期", "考点", "申请人数", "需补考人数"], self, right=(3, 4))
        self.rounds_table = text_table(self.rounds_model)
        self.rounds_table.selectionModel().selectionChanged.connect(lambda *_args: self.show_round())

        self.courses_model = TextTableModel(["课程", "申请", "参考", "合格", "不合格", "缺考", "未出成绩"], self,
                                            right=(1, 2, 3, 4, 5, 6))
        self.courses_table = text_table(self.courses_model)
        self.retake_only = QCheckBox("只看需补考的")
        self.retake_only.toggled.connect(lambda _on: self.show_round())
        self.applicants_model = TextTableModel(["学籍号", "姓名", "申请日期"], self)
        self.applicants_table = _ApplicantsTable()
        text_table(self.applicants_model, self.applicants_table)
        self.applicants_table.setToolTip("双击或按 Enter 打开学员档案")
        self.applicants_table.doubleClicked.connect(lambda index: self.open_applicant(index.row()))
        self.applicants_table.open_requested.connect(self.open_applicant)
        self.round_label = QLabel()
        self.round_label.setWordWrap(True)
        hint = QLabel(f"“{RETAKE_MARK}”：这一批不合格或缺考、之后也还没有考合格的课程（已退学、作废的学籍不算）。")
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {HINT_COLOUR};")

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.summary_label)
        top_layout.addWidget(self.rounds_table, 1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.round_label)
        bottom_layout.addWidget(self.courses_table, 2)
        row = QHBoxLayout()
        row.addWidget(QLabel("申请人及各科成绩"))
        row.addStretch(1)
        row.addWidget(self.retake_only)
        bottom_layout.addLayout(row)
        bottom_layout.addWidget(self.applicants_table, 3)
        bottom_layout.addWidget(hint)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setChildrenCollapsible(False)

        self.refresh_button = QPushButton("刷新")
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(lambda: self.refresh())
        close = QPushButton("关闭")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        metrics = self.fontMetrics()
        self.resize(max(metrics.horizontalAdvance("中") * 72, 1000), max(metrics.height() * 34, 600))
        self.refresh()

    def refresh(self) -> ops.Op:
        who = actor()
        self.op = ops.run_read(self, self._engine, lambda session, _job: exam_history.exam_history(session, actor=who),
                               label="正在读取考试记录……", title="考试记录", cancellable=False, delay_ms=1500,
                               on_success=self.show_history)
        return self.op

    def show_history(self, history: ExamHistory) -> None:
        chosen = self.current_round()
        self.history = history
        rounds = history.rounds
        if rounds:
            applicants = sum(len(r.applicants) for r in rounds)
            retakes = sum(r.retake_count for r in rounds)
            self.summary_label.setText(f"共 {len(rounds)} 个考试批次，申请 {applicants} 人次，现需补考 {retakes} 人次；"
                                       f"及格分数 {history.pass_mark:g}。选中一个批次，下面显示它的成绩。")
        else:
            self.summary_label.setText("还没有考前申请，也就没有考试记录（在“考前申请”里申请后显示在这里）。")
        self.rounds_model.set_rows([[r.name, r.held_on or "未知", r.site or "", len(r.applicants), r.retake_count]
                                    for r in rounds])
        fit_columns(self.rounds_table)
        names = [r.name for r in rounds]
        if rounds:
            self.rounds_table.selectRow(names.index(chosen.name) if chosen and chosen.name in names else 0)
        self.show_round()
        self.loaded.emit()

    def current_round(self) -> RoundHistory | None:
        if self.history is None:
            return None
        rows = self.rounds_table.selectionModel().selectedRows()
        return self.history.rounds[rows[0].row()] if rows and rows[0].row() < len(self.history.rounds) else None

    def select_round(self, name: str) -> bool:
        for row, found in enumerate(self.history.rounds if self.history else ()):
            if found.name == name:
                self.rounds_table.selectRow(row)
                return True
        return False

    def show_round(self) -> None:
        found = self.current_round()
        if found is None:
            self.round_label.setText("")
            self.courses_model.set_rows([])
            self._applicants = []
            self.applicants_model.set_rows([], ("学籍号", "姓名", "申请日期"))
            return
        self.round_label.setText(f"“{found.name}”：考试日期 {found.held_on or '未知'}，申请 {len(found.applicants)} 人，"
                                 f"需补考 {found.retake_count} 人。各科：")
        self.courses_model.set_rows([[c.course, c.applied, c.sat, c.passed, c.failed, c.absent, c.pending]
                                     for c in found.courses])
        fit_columns(self.courses_table)
        courses = [c.course for c in found.courses]
        self._applicants = [a for a in found.applicants if a.must_retake or not self.retake_only.isChecked()]
        rows = []
        for applicant in self._applicants:
            by_course = {r.course: r for r in applicant.results}
            cells = [applicant.student_number, applicant.name, applicant.applied_on]
            for course in courses:
                result = by_course.get(course)
                cells.append("" if result is None else result.text + ("（需补考）" if result.must_retake else ""))
            cells.append("、".join(applicant.must_retake))
            rows.append(cells)
        self.applicants_model.set_rows(rows, ("学籍号", "姓名", "申请日期", *courses, RETAKE_MARK))
        fit_columns(self.applicants_table)

    def applicant_at(self, row: int) -> exam_history.Applicant:
        return self._applicants[row]

    def open_applicant(self, row: int) -> LearnerRecordDialog | None:
        if not 0 <= row < len(self._applicants):
            return None
        dialog = open_record(self._engine, self._applicants[row].student_number, self, on_changed=self._record_changed,
                             today=self._today)
        if dialog is not None:
            self.record_dialog = dialog
        return dialog

    def _record_changed(self) -> None:
        self.refresh()
        self.changed.emit()
