"""The 考试 page (R4, R11, R12): 考前申请 for the ready learners, then 导入成绩, 毕业, 职业技能证书 and the lists the
credit bank and the household office need.

Applying and writing the list are one background write: if the workbook cannot be written, nobody is marked applied.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QGroupBox,
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
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.db import read_session
from adultschool.jobs import JobContext
from adultschool.services import exam_applications, exam_reports, exam_rounds, graduation, lists, readiness
from adultschool.services.readiness import ReadinessRow
from adultschool.services.disclosure import Exported
from adultschool.services.sheet_import import ImportReport
from adultschool.textnorm import clean_text
from adultschool.ui import changes, ops
from adultschool.ui.changes import READINESS_INPUTS
from adultschool.ui.applicants_model import COLUMNS, ApplicantsModel
from adultschool.ui.list_output import ListOutput
from adultschool.ui.common import (
    D,
    Page,
    HINT_COLOUR,
    MessageLabel,
    actor,
    ask_save_path,
    ask_to_confirm,
    documents_folder,
    file_name_part,
    open_dialog,
    show_info,
    to_date,
    to_qdate,
    unused_path,
)
from adultschool.ui.exam_dialogs import GraduationDialog, SkillCertificateDialog
from adultschool.ui.exam_history_dialog import ExamHistoryDialog
from adultschool.ui.import_dialog import XLSX_FILTER, ImportDialog

RECOMPUTE_DELAY_MS = 300

_SAMPLE_TEXT = {
    "student_number": "330206-01-2026-00000",
    "name": "欧阳小红红",
    "id_number": "330206********000X",
    "level": "层次",
    "registered_on": "2026-00-00",
}


def application_file_name(round_name: str) -> str:
    return f"考前申请名单-{file_name_part(round_name)}.xlsx"


class ExamsPage(Page):
    """`changed` after anything was written; `status_message` for the window's status bar; `computed` after a
    recompute of the ready list has been shown (tests wait on it)."""

    computed = Signal()

    load_on_first_show = True
    topics = READINESS_INPUTS  # the ready list

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today,
                 folder: Path | None = None):
        super().__init__(engine, parent, today=today, folder=folder)
        self.op: ops.Op | None = None  # the ready list's computation
        self.write_op: ops.Op | None = None  # applying, exporting
        self.dialog: QWidget | None = None
        self.result_box: QWidget | None = None
        self._pending = False
        self._round_edited = False
        metrics = self.fontMetrics()

        # --- 考前申请 ----------------------------------------------------------------------------------------
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMaximumDate(to_qdate(today()))
        self.date_edit.setDate(to_qdate(today()))
        self.date_edit.setToolTip("申请日期：按这一天计算谁可以报考（学习时限与视频学时，R3）")
        self.round_edit = QLineEdit(self._default_round(today()))
        self.round_edit.setMinimumWidth(metrics.horizontalAdvance("2026年12月结业考试（补考）") + 24)
        self.round_edit.setToolTip("考试批次名称，写在申请名单的标题和文件名里")
        self.round_edit.textEdited.connect(lambda _text: setattr(self, "_round_edited", True))
        self.select_all_button = QPushButton("全选")
        self.select_all_button.setAutoDefault(False)
        self.select_all_button.clicked.connect(lambda: self.model.set_all_checked(True))
        self.select_none_button = QPushButton("全不选")
        self.select_none_button.setAutoDefault(False)
        self.select_none_button.clicked.connect(lambda: self.model.set_all_checked(False))

        top = QHBoxLayout()
        for caption, widget in (("申请日期", self.date_edit), ("考试批次", self.round_edit)):
            label = QLabel(caption)
            label.setBuddy(widget)
            top.addWidget(label)
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(self.select_all_button)
        top.addWidget(self.select_none_button)

        self.model: ApplicantsModel = ApplicantsModel(self)  # typed here: the buttons above reach it by name
        self.model.checks_changed.connect(self._show_counts)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(metrics.height() + 10)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        for column, (title, key) in enumerate(COLUMNS):
            text = max(_SAMPLE_TEXT.get(key, title), title, key=metrics.horizontalAdvance)
            extra = 28 + (metrics.height() + 8 if column == 0 else 0)  # room for the check box
            self.table.setColumnWidth(column, metrics.horizontalAdvance(text) + extra)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setToolTip("点方框或按空格键勾选/取消")

        self.count_label = QLabel()
        font = self.count_label.font()
        font.setBold(True)
        self.count_label.setFont(font)
        self.count_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty_hint = QLabel("这一天没有可以报考的学员（学习时限和视频学时见“可报考”页）。")
        self.empty_hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.empty_hint.hide()
        self.apply_button = QPushButton("申请并导出名单…")
        self.apply_button.setToolTip("把勾选的学员记为“已申请考试”，并导出给分中心的考前申请名单（Excel）")
        self.apply_button.clicked.connect(lambda: self.apply_checked())
        self.apply_message = MessageLabel()
        apply_row = QHBoxLayout()
        apply_row.addWidget(self.count_label)
        apply_row.addStretch(1)
        # 导出 Excel… / 打印…: the ready learners this table shows for the day and batch (applying records nothing here).
        self.list_output = ListOutput(self, engine, spec=self.list_spec,
                                      file_stem=lambda: f"可报考学员-{clean_text(self.round_edit.text()) or '考试'}",
                                      has_ids=True, today=self._today)
        apply_row.addLayout(self.list_output.layout())
        apply_row.addWidget(self.apply_button)

        self.apply_box = QGroupBox("考前申请")
        apply_layout = QVBoxLayout(self.apply_box)
        apply_layout.addLayout(top)
        apply_layout.addWidget(self.empty_hint)
        apply_layout.addWidget(self.table, 1)
        apply_layout.addWidget(self.apply_message)
        apply_layout.addLayout(apply_row)

        # --- 考后 -----------------------------------------------------------------------------------------
        self.import_button = QPushButton("导入成绩…")
        self.import_button.setToolTip("导入分中心返回的成绩表：先检查，确认后才写入")
        self.import_button.clicked.connect(lambda: self.open_results_import())
        self.graduate_button = QPushButton("毕业…")
        self.graduate_button.setToolTip("全部课程通过的学员毕业并取得证书编号")
        self.graduate_button.clicked.connect(lambda: self.open_graduation())
        self.skill_button = QPushButton("登记职业技能证书…")
        self.skill_button.clicked.connect(lambda: self.open_skill_certificate())
        self.credit_bank_button = QPushButton("导出学分银行成绩清单…")
        self.credit_bank_button.setToolTip("全部考试成绩，供录入省学分银行（R6、R12）")
        self.credit_bank_button.clicked.connect(lambda: self.export_credit_bank())
        self.household_button = QPushButton("导出户籍学历变更名单…")
        self.household_button.setToolTip("已毕业学员，供户籍部门变更文化程度（R11）")
        self.household_button.clicked.connect(lambda: self.export_household())
        self.history_button = QPushButton("考试记录…")
        self.history_button.setToolTip("各考试批次：申请人数、各科合格与缺考、谁需要补考；双击学员打开学员档案")
        self.history_button.clicked.connect(lambda: self.open_history())
        self.history_dialog: ExamHistoryDialog | None = None
        self.after_box = QGroupBox("成绩、毕业与上报")
        after_layout = QHBoxLayout(self.after_box)
        for button in (self.import_button, self.graduate_button, self.skill_button, self.history_button):
            after_layout.addWidget(button)
        after_layout.addSpacing(metrics.horizontalAdvance("中") * 2)
        for button in (self.credit_bank_button, self.household_button):
            after_layout.addWidget(button)
        after_layout.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.apply_box, 1)
        layout.addWidget(self.after_box)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RECOMPUTE_DELAY_MS)
        self._timer.timeout.connect(self.recompute)
        self.date_edit.dateChanged.connect(self._date_changed)
        self._show_counts()

    # --- the ready list ----------------------------------------------------------------------------------------


    def _default_round(self, day: date) -> str:
        with read_session(self._engine) as session:
            return exam_rounds.default_round_name(session, day)

    def refresh(self) -> None:
        self.loaded = True
        self.recompute()

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    @property
    def writing(self) -> bool:
        return self.write_op is not None and self.write_op.running

    def list_spec(self) -> lists.ApplicantList:
        return lists.ApplicantList(to_date(self.date_edit.date()), clean_text(self.round_edit.text()) or "")

    def _date_changed(self) -> None:
        if not self._round_edited:
            self.round_edit.setText(self._default_round(to_date(self.date_edit.date())))
        self._timer.start()

    def recompute(self) -> None:
        self._timer.stop()
        if self.busy:
            self._pending = True
            return
        as_of = to_date(self.date_edit.date())
        self.count_label.setText("正在计算……")
        self.op = ops.run_read(
            self, self._engine, lambda session, _job: readiness.readiness(session, as_of),
            label="正在计算可报考名单……", title="考前申请", cancellable=False, delay_ms=1500, blocks_exit=False,
            on_success=self._computed,
        )
        self.op.done.connect(self._after_op)

    def _computed(self, rows: list[ReadinessRow]) -> None:
        if self._pending:
            return
        self.model.set_rows(rows)
        self.empty_hint.setVisible(self.model.rowCount() == 0)
        self.computed.emit()

    def _after_op(self) -> None:
        if self._pending:
            self._pending = False
            self.recompute()
        elif self.count_label.text() == "正在计算……":
            self.count_label.setText("没有算完，请换个日期再试。")

    def _show_counts(self) -> None:
        total = self.model.rowCount()
        checked = len(self.model.checked_numbers())
        self.count_label.setText(f"可报考 {total} 人，已勾选 {checked} 人")
        self.apply_button.setEnabled(checked > 0 and not self.writing)
        self.select_all_button.setEnabled(total > 0)
        self.select_none_button.setEnabled(total > 0)
        self.apply_message.show_message(None)

    # --- 考前申请 --------------------------------------------------------------------------------------------

    def folder(self) -> Path:
        return self._folder or documents_folder()

    def apply_checked(self, path: Path | None = None) -> QWidget | None:
        """Asks first (how many, who, which round; 取消 is the default), then where to save the list; applying and
        writing the list are one write: a list that cannot be written marks nobody. Returns the question."""
        if self.writing:
            return None
        if self.busy:
            self.apply_message.show_message("正在计算可报考名单，请稍候再点。", "hint")
            return None
        numbers = self.model.checked_numbers()
        if not numbers:
            self.apply_message.show_message("请先勾选要申请考试的学员。")
            return None
        round_name = clean_text(self.round_edit.text()) or ""
        if not round_name:
            self.apply_message.show_message("请填写考试批次名称（如“2026年12月结业考试”）。")
            self.round_edit.setFocus()
            return None
        wanted = set(numbers)
        chosen = [row for row in self.model.rows if row.student_number in wanted]
        names = "、".join(row.name for row in chosen[:10]) + (f" 等 {len(chosen)} 人" if len(chosen) > 10 else "")
        text = (f"向分中心申请“{round_name}”：{len(numbers)} 人（{names}）。\n\n他们将记为“已申请考试”，离开可报考名单；"
                "成绩表导入时按这份申请核对。接着选择考前申请名单（Excel）的保存位置。")
        self.dialog = ask_to_confirm(self, "考前申请", text, f"申请 {len(numbers)} 人并保存名单…",
                                     lambda: self._apply(numbers, round_name, path),
                                     details="\n".join(f"{row.student_number}  {row.name}" for row in chosen))
        return self.dialog

    def _apply(self, numbers: list[str], round_name: str, path: Path | None) -> ops.Op | None:
        if path is None:
            path = ask_save_path(self, "保存考前申请名单", unused_path(self.folder() / application_file_name(round_name)),
                                 XLSX_FILTER, ".xlsx")
            if path is None:
                self.apply_message.show_message("没有保存名单，也没有学员被记为已申请。", "hint")
                return None
        as_of, today = to_date(self.date_edit.date()), self._today()
        who = actor()

        def work(session: Session, _job: JobContext) -> exam_applications.AppliedList:
            return exam_applications.apply_and_write_list(session, as_of, path, actor=who, round_name=round_name,
                                                          student_numbers=numbers, today=today)

        self.apply_message.show_message(None)
        self.apply_button.setEnabled(False)
        self.write_op = ops.run_write(self, self._engine, work, label="正在申请考试并导出名单……", title="考前申请", cancellable=False,
                                      on_success=self._applied, on_failure=self._apply_failed)
        return self.write_op

    def _applied(self, done: exam_applications.AppliedList) -> None:
        self._show_counts()
        self.status_message.emit(f"{done.summary}：{done.path}")
        self.result_box = show_info(self, "考前申请", "\n".join(done.lines()))
        self.changed.emit(changes.EXAM_APPLIED)
        self.refresh()

    def _apply_failed(self, exc: BaseException) -> None:
        self._show_counts()
        self.result_box = ops.show_failure(self, exc, line=self.apply_message, problem="{}（没有学员被记为已申请）",
                                           cancelled="已取消，没有学员被记为已申请。") or self.result_box

    # --- after the exam --------------------------------------------------------------------------------------

    def _open(self, dialog: D) -> D:
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def open_results_import(self) -> ImportDialog:
        dialog = ImportDialog(self._engine, "results", self, today=self._today)
        dialog.imported.connect(self._results_imported)
        return self._open(dialog)

    def _results_imported(self, report: ImportReport) -> None:
        self.status_message.emit(f"成绩导入完成：{report.updated} 条成绩新记或改动")
        self.changed.emit(changes.of_import("results"))

    def open_history(self) -> ExamHistoryDialog:
        """考试记录, a window of its own (not modal), read when it opens."""
        dialog = ExamHistoryDialog(self._engine, self, on_changed=lambda: self.changed.emit(changes.WAY_BACK),
                                   today=self._today)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.history_dialog = dialog
        return dialog

    def open_graduation(self) -> GraduationDialog:
        dialog = GraduationDialog(self._engine, self, today=self._today)
        dialog.graduated.connect(self._graduated)
        return self._open(dialog)

    def _graduated(self, report: graduation.GraduationReport) -> None:
        if report.graduated:
            self.status_message.emit(f"已毕业 {len(report.graduated)} 人，请到“证书”页打印证书")
            self.changed.emit(changes.GRADUATED)

    def open_skill_certificate(self, student_number: str | None = None) -> SkillCertificateDialog:
        dialog = SkillCertificateDialog(self._engine, self, today=self._today, student_number=student_number)
        dialog.recorded.connect(self._skill_certificate_recorded)
        return self._open(dialog)

    def _skill_certificate_recorded(self, student_number: str, certificate_name: str) -> None:
        self.status_message.emit(f"已登记职业技能证书：{student_number} {certificate_name}")
        self.changed.emit(changes.SKILL_CERTIFICATE)

    def _export(self, what: str, file_stem: str, write: Callable, unit: str, path: Path | None) -> ops.Op | None:
        if self.writing:
            return None
        if path is None:
            suggested = unused_path(self.folder() / f"{file_stem}-{self._today().isoformat()}.xlsx")
            path = ask_save_path(self, f"导出{what}", suggested, XLSX_FILTER, ".xlsx")
            if path is None:
                return None
        target, who = path, actor()
        # A write: the export of full ID numbers is recorded in the audit log (id.reveal).
        self.write_op = ops.run_write(self, self._engine, lambda session, _job: write(session, target, actor=who),
                                      label=f"正在导出{what}……", title=f"导出{what}",
                                      on_success=lambda exported: self._exported(what, exported, unit, target))
        return self.write_op

    def _exported(self, what: str, exported: Exported, unit: str, path: Path) -> None:
        self.status_message.emit(f"已导出{what}（{exported.count} {unit}）：{path}")
        self.result_box = show_info(self, f"导出{what}", f"已导出{what}，共 {exported.count} {unit}：\n{path}\n\n"
                                    + "\n".join(exported.lines()))

    def export_credit_bank(self, path: Path | None = None) -> ops.Op | None:
        return self._export("学分银行成绩清单", "学分银行成绩清单", exam_reports.write_credit_bank, "条成绩", path)

    def export_household(self, path: Path | None = None) -> ops.Op | None:
        return self._export("户籍学历变更名单", "户籍学历变更名单", exam_reports.write_household, "人", path)
