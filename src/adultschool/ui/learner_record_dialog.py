"""学员档案: one learner's page in a window of its own (non-modal), from services.learner_record, in six tabs:
基本信息, 班级与考勤, 学习记录, 考试与成绩, 证书, 操作记录.

Its buttons open the dialogs the learner list opens (修改…, 退学/转学, 作废, 恢复学籍, 更正学籍, 显示完整身份证号);
after one of them has saved, the page reads the learner again and says `changed` so the other pages refresh.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.errors import AdultSchoolError
from adultschool.services import learner_record, learners
from adultschool.services.learner_record import LearnerRecord
from adultschool.ui import ops
from adultschool.ui.common import actor, open_dialog, show_info
from adultschool.ui.learner_edit_dialog import LearnerEditDialog
from adultschool.ui.table_model import AnyIndex, RowsTableModel
from adultschool.ui.ways_back_dialogs import changed_text, records_menu, way_back_dialog
from adultschool.ui.widgets import hint_label

TAB_TITLES = ("基本信息", "班级与考勤", "学习记录", "考试与成绩", "证书", "操作记录")


class TextTableModel(RowsTableModel):
    """Rows of ready-made texts under fixed headers (the record's tables); numbers right-aligned."""

    def __init__(self, headers: Sequence[str], parent: Any = None, *, right: Sequence[int] = ()):
        super().__init__(parent)
        self.headers = tuple(headers)
        self.right_aligned = frozenset(right)

    def set_rows(self, rows: Sequence[Sequence[object]], headers: Sequence[str] | None = None) -> None:
        self.beginResetModel()
        if headers is not None:
            self.headers = tuple(headers)
        self._rows = [tuple("" if v is None else str(v) for v in row) for row in rows]
        self.endResetModel()

    def text(self, row: int, column: int) -> str:
        return self._rows[row][column]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.right_aligned:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def text_table(model: TextTableModel, table: QTableView | None = None) -> QTableView:
    """A read-only table of rows (a given subclass of QTableView, or a plain one)."""
    table = table if table is not None else QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    # A number stretched across the rest of the row ends up far from its header: then nothing stretches.
    table.horizontalHeader().setStretchLastSection(model.columnCount() - 1 not in model.right_aligned)
    table.horizontalHeader().setHighlightSections(False)
    return table


def fit_columns(table: QTableView) -> None:
    """Columns as wide as their content (at most a third of the screen each), the last one stretched."""
    table.resizeColumnsToContents()
    cap = max(table.fontMetrics().horizontalAdvance("中") * 24, 200)
    for column in range(table.model().columnCount() - 1):
        table.setColumnWidth(column, min(table.columnWidth(column) + 12, cap))


def overview_lines(record: LearnerRecord) -> list[str]:
    """The page's summary in a few sentences: classes, study, exams, certificates."""
    lines = []
    if record.classes:
        lines.append("班级：" + "；".join(f"{c.class_name}（{c.attendance_text}）" for c in record.classes))
    else:
        lines.append("班级：没有加入班级。")
    minutes = sum(v.counted_minutes for v in record.videos)
    lines.append(f"线上学习：视频 {len(record.videos)} 个，计入 {round(minutes / 60, 2):g} 学时。")
    if record.applications:
        last = record.applications[-1]
        lines.append(f"考试：申请 {len(record.applications)} 次，最近一次“{last.round_name}”（{last.applied_on} 申请）。")
    else:
        lines.append("考试：还没有考前申请。")
    retake = record.must_retake
    if retake:
        lines.append("需补考：" + "、".join(c.course for c in retake) + "。")
    valid = [c for c in record.certificates if not c.revoked_on]
    if valid:
        lines.append("毕业证书：" + "；".join(f"{c.number}，{c.state}" for c in valid) + "。")
    elif record.certificates:
        lines.append("毕业证书：已撤销。")
    return lines


class LearnerRecordDialog(QDialog):
    """`changed` after a way back or an edit saved from here; `refreshed` each time the page shows a fresh read."""

    changed = Signal()
    refreshed = Signal()

    def __init__(self, engine: Engine, student_number: str, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self._engine, self._today = engine, today
        self.student_number = student_number
        with read_session(engine) as session:  # AdultSchoolError for an unknown number: the caller says so
            learner_record.find_learner(session, student_number)
        # Read in the background (the learner's audit entries are looked for in the whole log): None until it arrives.
        self.record: LearnerRecord | None = None
        self.op: ops.Op | None = None
        self.reveal_op: ops.Op | None = None
        self.dialog: QWidget | None = None
        self.last_result = ""
        self.setWindowTitle(f"学员档案 — {student_number}")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        metrics = self.fontMetrics()

        self.title_label = QLabel()
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle_label = QLabel()
        self.subtitle_label.setWordWrap(True)
        self.subtitle_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.edit_button = QPushButton("修改…")
        self.edit_button.setToolTip("修改电话、地址、工作单位等登记信息（身份证号码等用“学籍处理 → 更正学籍”）")
        self.edit_button.clicked.connect(lambda: self.open_edit())
        ways_back = records_menu(self, self.open_way_back,
                                 tooltip="为选中的学籍（“基本信息”页的学籍表）办理退学、转学、作废、恢复或更正")
        self.records_button, self.records_menu = ways_back.button, ways_back.menu
        self.withdraw_action, self.void_action = ways_back.withdraw, ways_back.void
        self.reinstate_action, self.correct_action = ways_back.reinstate, ways_back.correct
        self.reveal_button = QPushButton("显示完整身份证号")
        self.reveal_button.setToolTip("显示完整的身份证号码和电话（会记入审计记录）")
        self.reveal_button.clicked.connect(lambda: self.reveal())
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.close_button = QPushButton("关闭")
        self.close_button.clicked.connect(self.close)
        for button in (self.edit_button, self.records_button, self.reveal_button, self.refresh_button, self.close_button):
            button.setAutoDefault(False)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title_label)
        titles.addWidget(self.subtitle_label)
        header.addLayout(titles, 1)
        buttons = QHBoxLayout()
        for button in (self.edit_button, self.records_button, self.reveal_button, self.refresh_button):
            buttons.addWidget(button)
        header.addLayout(buttons)

        # --- 基本信息 -----------------------------------------------------------------------------------------
        self.person_form = QFormLayout()
        self.person_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.person_labels: dict[str, QLabel] = {}
        person_box = QGroupBox("登记信息")
        person_box.setLayout(self.person_form)
        self.enrolments_model = TextTableModel(["学籍号", "层次", "报名日期", "状态", "街道/镇", "任务年份", "来源"], self)
        self.enrolments_table = text_table(self.enrolments_model)
        self.enrolments_table.selectionModel().selectionChanged.connect(lambda *_args: self._enable())
        self.readiness_label = QLabel()
        self.readiness_label.setWordWrap(True)
        self.readiness_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        basics = QWidget()
        basics_layout = QHBoxLayout(basics)
        basics_layout.addWidget(person_box, 2)
        right = QVBoxLayout()
        enrolments_box = QGroupBox("学籍")
        enrolments_layout = QVBoxLayout(enrolments_box)
        enrolments_layout.addWidget(self.enrolments_table, 1)
        enrolments_layout.addWidget(self.readiness_label)
        right.addWidget(enrolments_box, 1)
        overview_box = QGroupBox("概况")
        overview_layout = QVBoxLayout(overview_box)
        self.overview_label = QLabel()
        self.overview_label.setWordWrap(True)
        self.overview_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.overview_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        overview_layout.addWidget(self.overview_label, 1)
        right.addWidget(overview_box, 1)
        basics_layout.addLayout(right, 3)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(basics)

        # --- 班级与考勤 ---------------------------------------------------------------------------------------
        self.classes_model = TextTableModel(["学籍号", "班级", "类型", "教学点", "任课教师", "加入日期", "考勤"], self)
        self.classes_table = text_table(self.classes_model)
        self.sessions_model = TextTableModel(["日期", "班级", "课程", "内容", "考勤", "计入学时"], self, right=(5,))
        self.sessions_table = text_table(self.sessions_model)
        classes_page = QWidget()
        classes_layout = QVBoxLayout(classes_page)
        classes_layout.addWidget(QLabel("所在班级"))
        classes_layout.addWidget(self.classes_table, 1)
        classes_layout.addWidget(QLabel(f"最近的课（最多 {learner_record.RECENT_SESSIONS} 次）"))
        classes_layout.addWidget(self.sessions_table, 2)

        # --- 学习记录 -----------------------------------------------------------------------------------------
        self.study_label = QLabel()
        self.study_label.setWordWrap(True)
        self.videos_model = TextTableModel(["学籍号", "课程", "视频", "已学(分钟)", "视频长度(分钟)", "计入(分钟)"], self,
                                           right=(3, 4, 5))
        self.videos_table = text_table(self.videos_model)
        study_page = QWidget()
        study_layout = QVBoxLayout(study_page)
        study_layout.addWidget(self.study_label)
        study_layout.addWidget(self.videos_table, 1)

        # --- 考试与成绩 ---------------------------------------------------------------------------------------
        self.exam_label = QLabel()
        self.exam_label.setWordWrap(True)
        self.applications_model = TextTableModel(["学籍号", "考试批次", "申请日期", "考试日期", "科目"], self)
        self.applications_table = text_table(self.applications_model)
        self.results_model = TextTableModel(["学籍号", "考试批次", "课程", "成绩", "考试日期", "结果"], self, right=(3,))
        self.results_table = text_table(self.results_model)
        self.courses_model = TextTableModel(["学籍号", "课程", "情况"], self)
        self.courses_table = text_table(self.courses_model)
        exam_page = QWidget()
        exam_layout = QVBoxLayout(exam_page)
        exam_layout.addWidget(self.exam_label)
        exam_layout.addWidget(QLabel("考前申请"))
        exam_layout.addWidget(self.applications_table, 1)
        exam_layout.addWidget(QLabel("各次成绩"))
        exam_layout.addWidget(self.results_table, 2)
        exam_layout.addWidget(QLabel("各科情况"))
        exam_layout.addWidget(self.courses_table, 1)

        # --- 证书 ---------------------------------------------------------------------------------------------
        self.certificates_model = TextTableModel(["学籍号", "证书编号", "发证日期", "情况"], self)
        self.certificates_table = text_table(self.certificates_model)
        self.skills_model = TextTableModel(["职业技能证书", "编号", "发证日期"], self)
        self.skills_table = text_table(self.skills_model)
        certificate_page = QWidget()
        certificate_layout = QVBoxLayout(certificate_page)
        certificate_layout.addWidget(QLabel("毕业证书"))
        certificate_layout.addWidget(self.certificates_table, 1)
        certificate_layout.addWidget(QLabel("职业技能证书"))
        certificate_layout.addWidget(self.skills_table, 1)

        # --- 操作记录 -----------------------------------------------------------------------------------------
        self.audit_model = TextTableModel(["时间", "操作人", "操作", "内容", "改动"], self)
        self.audit_table = text_table(self.audit_model)
        self.audit_table.setWordWrap(True)
        self.audit_label = hint_label("")
        audit_page = QWidget()
        audit_layout = QVBoxLayout(audit_page)
        audit_layout.addWidget(self.audit_table, 1)
        audit_layout.addWidget(self.audit_label)

        self.tabs = QTabWidget()
        for page, title in zip((scroll, classes_page, study_page, exam_page, certificate_page, audit_page), TAB_TITLES):
            self.tabs.addTab(page, title)

        bottom = QHBoxLayout()
        self.status_label = hint_label("")
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        self.resize(max(metrics.horizontalAdvance("中") * 70, 960), max(metrics.height() * 34, 600))
        self.title_label.setText(student_number)
        self._enable()
        self.refresh()

    # --- reading ------------------------------------------------------------------------------------------------

    def refresh(self) -> ops.Op:
        """Reads the learner again in the background; the page shows it when it arrives."""
        number, who, today = self.student_number, actor(), self._today()
        self.status_label.setText("正在读取……")
        self.op = ops.run_read(self, self._engine,
                               lambda session, _job: learner_record.learner_record(session, student_number=number,
                                                                                   actor=who, as_of=today),
                               label="正在读取学员档案……", title="学员档案", cancellable=False, delay_ms=1500,
                               on_success=self.show_record, on_failure=self._read_failed)
        return self.op

    def _read_failed(self, exc: BaseException) -> None:
        self.status_label.setText("读取失败，请再点“刷新”。")
        ops.show_failure(self, exc, line=lambda text, _kind: self.status_label.setText(text))

    def show_record(self, record: LearnerRecord) -> None:
        self.record = record
        person = record.person
        current = self.current_enrolment_row()
        self.setWindowTitle(f"学员档案 — {person.name}")
        self.title_label.setText(f"{person.name}　{person.gender}　{person.age} 岁")
        statuses = "；".join(f"{e.student_number}（{e.level.label}，{e.status.label}）" for e in record.enrolments)
        self.subtitle_label.setText(f"学籍：{statuses}")
        self._show_person(record)
        self.enrolments_model.set_rows([[e.student_number, e.level.label, e.registered_on, e.status_text,
                                         e.township or "", e.quota_year, e.import_batch or e.source or ""]
                                        for e in record.enrolments])
        fit_columns(self.enrolments_table)
        if record.enrolments:
            self.enrolments_table.selectRow(min(current, len(record.enrolments) - 1) if current is not None
                                            else self._default_enrolment(record))
        self.readiness_label.setText("\n".join(
            f"{e.student_number}：已学 {e.months_done} 个月，视频 {e.video_hours:g} 学时，面授 {e.class_hours:g} 学时。"
            f"{e.readiness_text}" for e in record.enrolments))

        self.overview_label.setText("\n".join(overview_lines(record)))
        self.classes_model.set_rows([[c.student_number, c.class_name, c.class_type, c.teaching_site, c.teacher,
                                      c.joined_on, c.attendance_text] for c in record.classes])
        self.sessions_model.set_rows([[s.held_on, s.class_name, s.course, s.topic, s.status, f"{s.hours:g}"]
                                      for s in record.recent_sessions])
        total = sum(v.counted_minutes for v in record.videos)
        self.study_label.setText(
            f"课程视频 {len(record.videos)} 个，计入 {round(total / 60, 2):g} 学时" if record.videos
            else "还没有线上学习记录（导入学习记录后显示在这里）。")
        self.videos_model.set_rows([[v.student_number, v.course, v.video, f"{v.minutes:g}",
                                     "" if v.length_minutes is None else f"{v.length_minutes:g}",
                                     f"{v.counted_minutes:g}"] for v in record.videos])
        retake = record.must_retake
        exam_text = f"及格分数 {record.pass_mark:g}。"
        if retake:
            exam_text += "需补考：" + "、".join(c.course for c in retake) + "。"
        elif not record.applications:
            exam_text += "还没有考前申请。"
        self.exam_label.setText(exam_text)
        self.applications_model.set_rows([[a.student_number, a.round_name, a.applied_on, a.held_on or "",
                                           "、".join(a.courses)] for a in record.applications])
        self.results_model.set_rows([[r.student_number, r.round_name or "", r.course, r.mark, r.exam_date,
                                      "合格" if r.passed else "不合格"] for r in record.results])
        self.courses_model.set_rows([[c.student_number, c.course, c.text] for c in record.courses])
        self.certificates_model.set_rows([[c.student_number, c.number, c.issued_on, c.state] for c in record.certificates])
        self.skills_model.set_rows([[s.name, s.number, s.issued_on] for s in record.skill_certificates])
        self.audit_model.set_rows([[a.at, a.actor, a.action, a.summary, "；".join(a.changes)] for a in record.audit])
        self.audit_label.setText(
            (f"只列出最近 {learner_record.AUDIT_LIMIT} 条。" if record.audit_more else "")
            + "这里是与这位学员有关的记录；全部记录见 设置 → 审计记录（管理员）。")
        for table in (self.classes_table, self.sessions_table, self.videos_table, self.applications_table,
                      self.results_table, self.courses_table, self.certificates_table, self.skills_table,
                      self.audit_table):
            fit_columns(table)
        self.status_label.setText(f"截至 {record.as_of}")
        self._enable()
        self.refreshed.emit()

    def _show_person(self, record: LearnerRecord) -> None:
        lines = record.person.lines()
        if [label for label, _ in lines] != list(self.person_labels):
            while self.person_form.rowCount():
                self.person_form.removeRow(0)
            self.person_labels = {}
            for label, _value in lines:
                shown = QLabel()
                shown.setWordWrap(True)
                shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.person_form.addRow(f"{label}：", shown)
                self.person_labels[label] = shown
        for label, value in lines:
            self.person_labels[label].setText(value)

    @staticmethod
    def _default_enrolment(record: LearnerRecord) -> int:
        """The newest enrolment still open, else the newest."""
        for row in range(len(record.enrolments) - 1, -1, -1):
            if not record.enrolments[row].status.is_closed:
                return row
        return len(record.enrolments) - 1

    def current_enrolment_row(self) -> int | None:
        rows = self.enrolments_table.selectionModel().selectedRows() if self.enrolments_table.selectionModel() else []
        return rows[0].row() if rows else None

    def current_student_number(self) -> str | None:
        row = self.current_enrolment_row()
        if self.record is None or row is None or row >= len(self.record.enrolments):
            return None
        return self.record.enrolments[row].student_number

    def _enable(self) -> None:
        row = self.current_enrolment_row()
        found = self.record.enrolments if self.record is not None else ()
        enrolment = found[row] if row is not None and row < len(found) else None
        for button in (self.edit_button, self.records_button, self.reveal_button):
            button.setEnabled(self.record is not None)
        closed = enrolment is not None and enrolment.status.is_closed
        self.withdraw_action.setEnabled(enrolment is not None and not closed)
        self.void_action.setEnabled(enrolment is not None and not closed)
        self.reinstate_action.setEnabled(closed)
        self.correct_action.setEnabled(enrolment is not None and not closed)

    # --- the ways back and the edit ------------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def open_edit(self) -> QWidget | None:
        try:
            dialog = LearnerEditDialog.for_student_number(self._engine, self.student_number, self)
        except AdultSchoolError as exc:
            show_info(self, "修改学员信息", exc.message)
            return None
        dialog.saved.connect(lambda _edited: self._after_change(""))
        return self._open(dialog)

    def open_way_back(self, kind: str) -> QWidget | None:
        """退学/作废/恢复学籍 (`kind` withdraw, void, reinstate) or 更正学籍 (correct) of the selected enrolment."""
        dialog = way_back_dialog(self._engine, kind, self.current_student_number(), self,
                                 none_chosen="请先在“基本信息”页的学籍表里选中一个学籍。", today=self._today)
        if dialog is not None:
            dialog.completed.connect(self._way_back_done)
            self.dialog = dialog
        return dialog

    def _way_back_done(self, result) -> None:  # noqa: ANN001 - services.enrolments.EnrolmentChanged
        self._after_change(changed_text(result))

    def _after_change(self, text: str) -> None:
        self.last_result = text
        self.refresh()
        self.changed.emit()
        if text:
            show_info(self, "学籍处理", text)

    def reveal(self) -> ops.Op | None:
        if self.record is None:
            return None
        ids = [e.enrolment_id for e in self.record.enrolments[:1]]
        who = actor()
        self.reveal_op = ops.run_write(self, self._engine,
                                       lambda session, _job: learners.reveal_ids(session, ids, actor=who, what="学员档案"),
                                       label="正在读取……", title="显示完整身份证号", cancellable=False,
                                       on_success=self._revealed)
        return self.reveal_op

    def _revealed(self, found: dict) -> None:
        for identity in found.values():
            if "身份证号码" in self.person_labels:
                self.person_labels["身份证号码"].setText(identity.id_number)
            if "联系电话" in self.person_labels:
                self.person_labels["联系电话"].setText(identity.phone or "")


def open_record(engine: Engine, student_number: str, parent: QWidget | None,
                on_changed: Callable[[], None] | None = None, *,
                today: Callable[[], date] = clock.today) -> LearnerRecordDialog | None:
    """Opens the 学员档案 of `student_number` as a window of its own (not modal), on its opener's day; None after
    saying why it cannot."""
    try:
        dialog = LearnerRecordDialog(engine, student_number, parent, today=today)
    except AdultSchoolError as exc:
        show_info(parent, "学员档案", exc.message)
        return None
    if on_changed is not None:
        dialog.changed.connect(on_changed)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
