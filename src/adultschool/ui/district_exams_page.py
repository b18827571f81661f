"""考试与成绩 at a district: the exam rounds it sets for its schools (新增批次…, 删除批次), the results it scores
centrally (导入成绩…, 撤回成绩…). Both reach the schools with the next district package (数据包汇总 → 生成给学校的数据包…)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.models.enums import Level
from adultschool.services import district_results, exam_results, exam_rounds
from adultschool.services.exam_rounds import RoundInfo
from adultschool.services.sheet_import import ImportReport
from adultschool.ui import changes, ops
from adultschool.ui.changes import Topic
from adultschool.ui.form_dialog import FormDialog
from adultschool.ui.common import (
    ask_open_path,
    MessageLabel,
    Page,
    actor,
    ask_to_confirm,
    open_dialog,
    show_info,
    to_date,
    to_qdate,
    with_message,
)
from adultschool.ui.sync_page import local_time
from adultschool.ui.widgets import fill_table, read_only_table
from adultschool.ui.ways_back_dialogs import ReasonDialog

T = TypeVar("T")

ROUND_HEADERS = ("考试批次", "考试日期", "考点", "层次", "科目", "申请截止")
SOURCE_HEADERS = ("成绩文件", "成绩条数", "涉及学校", "导入时间")
RESULT_FILTER = "成绩表 (*.xlsx *.xls *.et *.ods *.csv);;所有文件 (*)"


class RoundDialog(FormDialog):
    """新增考试批次: name, date, site, level (or both), courses (empty: all of the level), apply-by date."""

    def __init__(self, engine: Engine, parent: QWidget | None, *, today: date, then: Callable[[RoundInfo], None]):
        super().__init__(engine, parent, "新增考试批次")
        self._then = then
        self.name_edit = QLineEdit(f"{today.year}年{today.month}月结业考试")
        self.date_edit = QDateEdit(to_qdate(today))
        self.date_edit.setCalendarPopup(True)
        self.site_edit = QLineEdit()
        self.site_edit.setPlaceholderText("如：北仑区成人学校考点")
        self.level_combo = QComboBox()
        self.level_combo.addItem("初中、高中", None)
        for level in Level:
            self.level_combo.addItem(level.label, level.value)
        self.courses_edit = QLineEdit()
        self.courses_edit.setPlaceholderText("不填为该层次的全部课程；多个用顿号隔开")
        self.deadline_check = QCheckBox("申请截止日")
        self.deadline_edit = QDateEdit(to_qdate(today))
        self.deadline_edit.setCalendarPopup(True)
        self.deadline_edit.setEnabled(False)
        self.deadline_check.toggled.connect(self.deadline_edit.setEnabled)
        form = self._form()
        for label, field, widget in (("名称", "name", self.name_edit), ("考试日期", "held_on", self.date_edit),
                                     ("考点", "site", self.site_edit), ("层次", "level", self.level_combo),
                                     ("科目", "courses", self.courses_edit)):
            form.addRow(label, with_message(self.messages, field, widget))
        deadline = QHBoxLayout()
        deadline.addWidget(self.deadline_check)
        deadline.addWidget(self.deadline_edit, 1)
        holder = QWidget()
        holder.setLayout(deadline)
        form.addRow("", with_message(self.messages, "apply_by", holder))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_message)
        layout.addWidget(self.buttons)
        self.site_edit.setFocus()

    def submit(self) -> None:
        if self.busy:
            return
        self.clear_problems()
        name, held_on, where = self.name_edit.text(), to_date(self.date_edit.date()), self.site_edit.text()
        level = Level(self.level_combo.currentData()) if self.level_combo.currentData() else None
        courses = [c for c in self.courses_edit.text().replace("，", "、").replace(",", "、").split("、") if c.strip()]
        apply_by = to_date(self.deadline_edit.date()) if self.deadline_check.isChecked() else None
        who = actor()
        self._run(lambda session, _job: exam_rounds.add_round(
            session, name, held_on=held_on, site_name=where, level=level, courses=courses, apply_by=apply_by,
            actor=who), "正在保存……", self._then)


class DistrictExamsPage(Page):
    """考试与成绩 (district). `changed` after a round or results were added or taken back."""

    load_on_first_show = True
    topics = frozenset({Topic.EXAMS, Topic.SYNC})  # the rounds and the results' sources

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today,
                 folder: Path | None = None):
        super().__init__(engine, parent, today=today, folder=folder)
        self.op: ops.Op | None = None
        self.dialog: QWidget | None = None
        self.result_box: QWidget | None = None
        self.rounds: list[RoundInfo] = []
        self.sources: list[district_results.ResultSource] = []

        self.rounds_table = read_only_table(ROUND_HEADERS)
        self.rounds_table.itemSelectionChanged.connect(self._enable)
        self.add_button = QPushButton("新增批次…")
        self.add_button.clicked.connect(lambda: self.open_add_round())
        self.remove_button = QPushButton("删除批次")
        self.remove_button.clicked.connect(lambda: self.remove_round())
        rounds_box = QGroupBox("考试批次（随分中心数据包发给各学校，学校据此办理考前申请）")
        rounds_layout = QVBoxLayout(rounds_box)
        rounds_layout.addWidget(self.rounds_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        rounds_layout.addLayout(row)

        self.sources_table = read_only_table(SOURCE_HEADERS)
        self.sources_table.itemSelectionChanged.connect(self._enable)
        self.import_button = QPushButton("导入成绩…")
        self.import_button.setToolTip("分中心统一阅卷的成绩表（学籍号或身份证号码、课程、成绩、考试日期）：按学校分好，"
                                      "随下一个分中心数据包发给各学校")
        self.import_button.clicked.connect(lambda: self.import_results())
        self.withdraw_button = QPushButton("撤回成绩…")
        self.withdraw_button.setToolTip("所选文件导入的成绩全部撤回（导错了文件时）")
        self.withdraw_button.clicked.connect(lambda: self.open_withdraw())
        results_box = QGroupBox("分中心阅卷的成绩")
        results_layout = QVBoxLayout(results_box)
        results_layout.addWidget(self.sources_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.import_button)
        row.addWidget(self.withdraw_button)
        results_layout.addLayout(row)

        self.message = MessageLabel(kind="hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(rounds_box, 1)
        layout.addWidget(results_box, 1)
        layout.addWidget(self.message)


    def refresh(self) -> None:
        self.loaded = True
        with read_session(self._engine) as session:
            self.rounds = exam_rounds.list_rounds(session)
            self.sources = district_results.sources(session)
        fill_table(self.rounds_table, [[r.name, r.held_on.isoformat(), r.site, r.level_text, r.courses_text,
                                        r.apply_by.isoformat() if r.apply_by else ""] for r in self.rounds])
        fill_table(self.sources_table, [[s.file_name, s.results, s.schools, local_time(s.recorded_at)]
                                        for s in self.sources], right={1, 2})
        self._enable()

    def _selected(self, table: QTableWidget, items: Sequence[T]) -> T | None:
        rows = table.selectionModel().selectedRows() if table.selectionModel() else []
        return items[rows[0].row()] if rows and rows[0].row() < len(items) else None

    def _enable(self) -> None:
        idle = not self.busy
        self.add_button.setEnabled(idle)
        self.import_button.setEnabled(idle)
        self.remove_button.setEnabled(idle and self._selected(self.rounds_table, self.rounds) is not None)
        self.withdraw_button.setEnabled(idle and self._selected(self.sources_table, self.sources) is not None)

    def _failed(self, exc: BaseException, what: str) -> None:
        ops.show_failure(self, exc, line=self.message, problem=f"{what}没有完成：{{}}")

    def _changed(self, text: str) -> None:
        self.refresh()
        self.changed.emit(changes.DISTRICT_EXAMS)
        self.message.show_message(text, "hint")
        self.status_message.emit(text)

    # --- rounds --------------------------------------------------------------------------------------------------

    def open_add_round(self) -> RoundDialog:
        dialog = RoundDialog(self._engine, self, today=self._today(),
                             then=lambda info: self._changed(f"已新增考试批次 {info.line()}"))
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def remove_round(self) -> None:
        chosen = self._selected(self.rounds_table, self.rounds)
        if chosen is None or self.busy:
            return
        who = actor()
        self.dialog = ask_to_confirm(
            self, "删除考试批次", f"删除考试批次“{chosen.name}”？各学校导入下一个分中心数据包后随之删除；"
            "已经办理的考前申请不受影响。", "删除",
            lambda: self._start(lambda: ops.run_write(
                self, self._engine, lambda session, _job: exam_rounds.remove_round(session, chosen.name, actor=who),
                label="正在删除……", title="删除考试批次", cancellable=False,
                on_success=lambda info: self._changed(f"已删除考试批次“{info.name}”"),
                on_failure=lambda exc: self._failed(exc, "删除考试批次"))))

    # --- results -------------------------------------------------------------------------------------------------

    def choose_results_file(self) -> Path | None:
        return ask_open_path(self, "选择分中心阅卷的成绩表", RESULT_FILTER, default=self._folder)

    def import_results(self, path: Path | None = None) -> ops.Op | None:
        if self.busy:
            return None
        path = path or self.choose_results_file()
        if path is None:
            return None
        who, today = actor(), self._today()
        return self._start(lambda: ops.run_write(
            self, self._engine, lambda session, job: exam_results.import_results(session, path, actor=who, job=job,
                                                                                 today=today),
            label="正在导入成绩……", title="导入成绩", on_success=self._imported,
            on_failure=lambda exc: self._failed(exc, "导入成绩")))

    def _imported(self, report: ImportReport) -> None:
        self._changed(f"已导入“{report.file}”：{report.imported} 条成绩（新的或有改动的 {report.updated} 条），"
                      f"未导入 {len(report.rejected_rows)} 行")
        if report.rejected:
            lines = [f"第 {p.row} 行（{p.column or '整行'}）：{p.reason}" for p in report.rejected[:40]]
            more = len(report.rejected) - 40
            self.result_box = show_info(self, "导入成绩", "以下各行没有导入：\n" + "\n".join(lines)
                                        + (f"\n……另有 {more} 处" if more > 0 else ""))

    def open_withdraw(self) -> WithdrawResultsDialog | None:
        chosen = self._selected(self.sources_table, self.sources)
        if chosen is None or self.busy:
            return None
        dialog = WithdrawResultsDialog(self._engine, self, chosen,
                                       then=lambda count: self._changed(
                                           f"已撤回来自“{chosen.file_name}”的成绩 {count} 条"))
        self.dialog = dialog
        open_dialog(dialog)
        return dialog


class WithdrawResultsDialog(ReasonDialog):
    """撤回成绩: every result of one file taken back, with a reason (audited)."""

    def __init__(self, engine: Engine, parent: QWidget | None, source: district_results.ResultSource, *,
                 then: Callable[[int], None]):
        super().__init__(engine, parent, "撤回成绩",
                         about=f"来自“{source.file_name}”的 {source.results} 条成绩（{source.schools} 所学校）",
                         explanation="撤回后，下一个分中心数据包不再带这些成绩；已经导入它们的学校，请在 学员 → "
                                     "导入记录与撤销 中撤销那次导入。",
                         placeholder="如：导错了文件", ok_text="撤回", missing="请写明撤回这些成绩的原因。")
        self._file = source.file_name
        self._then = then

    def submit(self) -> None:
        if self.busy:
            return
        reason, file_name, who = self.reason(), self._file, actor()
        if reason is None:
            return
        self._run(lambda session, _job: district_results.remove_source(session, file_name, reason=reason, actor=who),
                  "正在撤回……", self._then)
