"""The ways back in the window: 退学/转学, 作废, 恢复学籍, 更正学籍, 撤销导入, 撤销证书.

Each dialog says what will happen before anything is written, needs a reason, and calls the one service the command
line calls too (services.enrolments, services.imports, services.certificates). Enter never confirms by accident: the
action button is not the default, so only a click (or Alt+its key) does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, TypedDict, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QMenu,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from adultschool import clock, idcard
from adultschool.db import read_session
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext
from adultschool.models import Gender, Level
from adultschool.services import certificates, enrolments, imports
from adultschool.services.enrolments import Correction, EnrolmentChanged
from adultschool.services.imports import BatchInfo, UndoReport
from adultschool.ui import ops
from adultschool.ui.form_dialog import FormDialog, required_label
from adultschool.ui.common import (
    HINT_COLOUR,
    actor,
    ask_to_confirm,
    open_dialog,
    show_info,
    to_date,
    to_qdate,
    with_message,
)

T = TypeVar("T")

MISSING_REASON = "请写明原因（会记入审计记录，并随数据包报给分中心）。"
ACTIONS = {
    # kind: (title, button, what happens)
    "withdraw": ("办理退学", "确认退学(&Y)",
                 "退学后，这个学籍不再计入在读、可报考和考前申请，学籍号保留不再使用；随下一次数据包报给分中心。"
                 "办错了可以“恢复学籍”。转学请勾选“转学”并写明转入的学校。"),
    "void": ("作废学籍", "确认作废(&Y)",
             "作废用于登记错了的学籍（登记错人、重复登记）：它从名单、任务数和可报考中去掉，学籍号不再使用，"
             "记录保留备查，并随下一次数据包报给分中心。已申请考试、有成绩或已毕业的学籍不能作废。"),
    "reinstate": ("恢复学籍", "确认恢复(&Y)", "误办的退学或作废将被撤回，学籍回到在读（或原来的考试状态）。"),
}


def _reason_edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setMaxLength(200)
    edit.setPlaceholderText(placeholder)
    edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("中") * 26)
    return edit


class ReasonDialog(FormDialog):
    """A way back: what it will do (in words), the fields a subclass adds to `form`, a required reason, and an action
    button that Enter never presses. `reason()` is the reason given, or None after saying it is missing."""

    def __init__(self, engine: Engine, parent: QWidget | None, title: str, *, about: str | None = None,
                 explanation: str, placeholder: str, ok_text: str, missing: str):
        super().__init__(engine, parent, title)
        self._missing = missing
        layout = QVBoxLayout(self)
        if about:
            self.about = QLabel(about)
            self.about.setWordWrap(True)
            layout.addWidget(self.about)
        self.explanation = QLabel(explanation)
        self.explanation.setWordWrap(True)
        self.explanation.setStyleSheet(f"color: {HINT_COLOUR};")
        layout.addWidget(self.explanation)
        self.reason_edit = _reason_edit(placeholder)
        self.form = self._form()
        self.form.addRow(required_label("原因"), with_message(self.messages, "reason", self.reason_edit))
        layout.addLayout(self.form)
        self.extra = QVBoxLayout()  # what a subclass shows below the form (the correction's preview)
        layout.addLayout(self.extra)
        layout.addWidget(self.general_message)
        layout.addWidget(self.buttons)
        self.quiet_buttons(ok_text)
        self._clear_on_change(self.reason_edit.textEdited, "reason")
        self.reason_edit.setFocus()

    def add_row(self, label: str, field: str | None, widget: QWidget | QHBoxLayout) -> None:
        """A field above the reason, with its own message line when `field` names it."""
        self.form.insertRow(self.form.rowCount() - 1, label, with_message(self.messages, field, widget) if field else widget)

    def reason(self) -> str | None:
        text = self.reason_edit.text()
        if not text.strip():
            self.show_problem("reason", self._missing)
            return None
        return text


def _facts(engine: Engine, student_number: str) -> enrolments.EnrolmentFacts:
    with read_session(engine) as session:
        return enrolments.enrolment_facts(session, student_number)


class EnrolmentActionDialog(ReasonDialog):
    """退学（转学）/ 作废 / 恢复学籍 of one enrolment, with a reason (and for a withdrawal its date)."""

    completed = Signal(object)  # EnrolmentChanged

    def __init__(self, engine: Engine, kind: str, student_number: str, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        title, button, explanation = ACTIONS[kind]
        facts = _facts(engine, student_number)
        super().__init__(engine, parent, title, about=f"{facts.name}（学籍号 {facts.student_number}，{facts.level.label}，"
                                                      f"现为“{facts.status.label}”）",
                         explanation=explanation, ok_text=button, missing=MISSING_REASON,
                         placeholder={"withdraw": "如：外出务工，无法继续学习", "void": "如：重复登记",
                                      "reinstate": "如：误办退学"}[kind])
        self.kind, self.student_number, self._today = kind, student_number, today
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMaximumDate(to_qdate(today()))
        self.date_edit.setDate(to_qdate(today()))
        self.transfer_check = QCheckBox("转学")
        self.transfer_edit = QLineEdit()
        self.transfer_edit.setPlaceholderText("转入的学校（名称或代码）")
        self.transfer_edit.setEnabled(False)
        self.transfer_check.toggled.connect(self.transfer_edit.setEnabled)
        if kind == "withdraw":
            self.add_row(required_label("退学日期"), "on", self.date_edit)
            transfer_row = QHBoxLayout()
            transfer_row.addWidget(self.transfer_check)
            transfer_row.addWidget(self.transfer_edit, 1)
            self.add_row("", "transfer_to", transfer_row)

    def submit(self) -> None:
        self.clear_problems()
        reason, number, who = self.reason(), self.student_number, actor()
        if reason is None:
            return
        if self.kind == "withdraw":
            on = to_date(self.date_edit.date())
            transfer = self.transfer_edit.text() if self.transfer_check.isChecked() else None
            if self.transfer_check.isChecked() and not (transfer or "").strip():
                self.show_problem("transfer_to", "转学请写明转入的学校。")
                return
            work = lambda session, _job: enrolments.withdraw(session, number, reason=reason, on=on, transfer_to=transfer,  # noqa: E731
                                                             actor=who, today=self._today())
        elif self.kind == "void":
            work = lambda session, _job: enrolments.void(session, number, reason=reason, actor=who, today=self._today())  # noqa: E731
        else:
            work = lambda session, _job: enrolments.reinstate(session, number, reason=reason, actor=who)  # noqa: E731
        self._run(work, "正在保存……", self.completed.emit)


class _Registered(TypedDict):
    """The facts of a registration a correction may change, as registered (the ID number masked)."""

    level: Level
    registered_on: date
    gender: Gender
    township: str | None
    id_number: str


class CorrectionDialog(ReasonDialog):
    """更正学籍: the facts a registration rests on, each shown as registered; what would change is listed live."""

    completed = Signal(object)  # EnrolmentChanged

    def __init__(self, engine: Engine, student_number: str, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        facts = _facts(engine, student_number)
        townships, current_township = facts.townships, facts.township
        self.current: _Registered = {"level": facts.level, "registered_on": facts.registered_on, "gender": facts.gender,
                                     "township": current_township, "id_number": facts.masked_id}
        super().__init__(engine, parent, "更正学籍", about=f"{facts.name}（学籍号 {student_number}）",
                         explanation="只改登记错了的项；每次更正都记入审计记录，随下一次数据包报给分中心。"
                                     "已申请考试、有成绩或已毕业的学籍，层次和报名日期不能再改。",
                         placeholder="如：按报名表原件更正", ok_text="确认更正(&Y)", missing=MISSING_REASON)
        self.student_number, self._today = student_number, today
        self.level_combo = QComboBox()
        for level in Level:
            self.level_combo.addItem(level.label, level)
        self.level_combo.setCurrentIndex(self.level_combo.findData(self.current["level"]))
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMaximumDate(to_qdate(today()))
        self.date_edit.setDate(to_qdate(self.current["registered_on"]))
        self.gender_combo = QComboBox()
        for gender in Gender:
            self.gender_combo.addItem(gender.label, gender)
        self.gender_combo.setCurrentIndex(self.gender_combo.findData(self.current["gender"]))
        self.township_combo = QComboBox()
        self.township_combo.setPlaceholderText("（未填）")
        for township in townships:
            self.township_combo.addItem(township, township)
        self.township_combo.setCurrentIndex(self.township_combo.findData(current_township) if current_township else -1)
        self.id_edit = QLineEdit()
        self.id_edit.setMaxLength(30)
        self.id_edit.setPlaceholderText(f"现为 {self.current['id_number']}；号码登记错了才填")
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        for label, field, widget in (("学历提升层次", "level", self.level_combo), ("报名日期", "registered_on", self.date_edit),
                                     ("性别", "gender", self.gender_combo),
                                     ("计入任务的街道/镇", "township", self.township_combo),
                                     ("正确的身份证号码", "id_number", self.id_edit)):
            self.add_row(label, field, widget)
        self.extra.addWidget(self.preview)
        for signal, field in ((self.level_combo.currentIndexChanged, "level"), (self.date_edit.dateChanged, "registered_on"),
                              (self.gender_combo.currentIndexChanged, "gender"),
                              (self.township_combo.currentIndexChanged, "township"), (self.id_edit.textEdited, "id_number")):
            self._clear_on_change(signal, field)
            signal.connect(lambda *_args: self.show_preview())
        self.show_preview()

    def correction(self) -> Correction:
        level, day = Level(self.level_combo.currentData()), to_date(self.date_edit.date())
        gender = Gender(self.gender_combo.currentData())
        township = self.township_combo.currentData()
        return Correction(level=level if level != self.current["level"] else None,
                          registered_on=day if day != self.current["registered_on"] else None,
                          gender=gender if gender != self.current["gender"] else None,
                          township=township if township and township != self.current["township"] else None,
                          id_number=self.id_edit.text().strip() or None)

    def changes(self) -> list[str]:
        """What a save would change, as the clerk reads it."""
        c = self.correction()
        lines = []
        if c.level:
            lines.append(f"层次：{self.current['level'].label} → {c.level.label}")
        if c.registered_on:
            lines.append(f"报名日期：{self.current['registered_on']} → {c.registered_on}（学习时限和任务年份随之改变）")
        if c.gender:
            lines.append(f"性别：{self.current['gender'].label} → {c.gender.label}")
        if c.township:
            lines.append(f"街道/镇：{self.current['township'] or '（未填）'} → {c.township}")
        if c.id_number:
            lines.append(f"身份证号码：{self.current['id_number']} → {idcard.mask(idcard.normalise(c.id_number))}（出生日期随之更正）")
        return lines

    def show_preview(self) -> None:
        lines = self.changes()
        self.preview.setText("将更正：\n" + "\n".join(lines) if lines else "还没有改动：请改要更正的项。")
        self.ok_button.setEnabled(bool(lines) and not self.busy)

    def submit(self) -> None:
        self.clear_problems()
        correction = self.correction()
        if not correction.given():
            self.show_problem(None, "还没有改动：请改要更正的项。")
            return
        reason, number, who = self.reason(), self.student_number, actor()
        if reason is None:
            return
        self._run(lambda session, _job: enrolments.correct(session, number, correction, reason=reason, actor=who,
                                                           today=self._today()), "正在更正……", self.completed.emit)


@dataclass
class RecordsMenu:
    """学籍处理: the ways back for one registration, as the learner list and the 学员档案 both offer them: a button
    with the menu, and the menu's entries."""

    button: QPushButton
    menu: QMenu
    withdraw: QAction
    void: QAction
    reinstate: QAction
    correct: QAction


def records_menu(parent: QWidget, open_way_back: Callable[[str], object], *, tooltip: str) -> RecordsMenu:
    """The 学籍处理 button and its menu; each entry calls `open_way_back(kind)` with withdraw, void, reinstate or
    correct (`way_back_dialog` makes the dialog)."""
    menu = QMenu(parent)
    withdraw = menu.addAction("退学 / 转学…", lambda: open_way_back("withdraw"))
    void = menu.addAction("作废（登记错了）…", lambda: open_way_back("void"))
    reinstate = menu.addAction("恢复学籍…", lambda: open_way_back("reinstate"))
    menu.addSeparator()
    correct = menu.addAction("更正学籍（层次、报名日期、性别、街道/镇、身份证号码）…", lambda: open_way_back("correct"))
    button = QPushButton("学籍处理")
    button.setToolTip(tooltip)
    button.setMenu(menu)
    return RecordsMenu(button, menu, withdraw, void, reinstate, correct)


def way_back_dialog(engine: Engine, kind: str, student_number: str | None, parent: QWidget, *, none_chosen: str,
                    today: Callable[[], date] = clock.today) -> EnrolmentActionDialog | CorrectionDialog | None:
    """The dialog of a way back (`kind` withdraw, void, reinstate or correct) for one registration, opened; or a
    message (`none_chosen` when no registration is selected, or why this one cannot be handled) and None. `today` is
    the opener's day."""
    if student_number is None:
        show_info(parent, "学籍处理", none_chosen)
        return None
    try:
        dialog = (CorrectionDialog(engine, student_number, parent, today=today) if kind == "correct"
                  else EnrolmentActionDialog(engine, kind, student_number, parent, today=today))
    except AdultSchoolError as exc:
        show_info(parent, "学籍处理", exc.message)
        return None
    open_dialog(dialog)
    return dialog


def changed_text(result: EnrolmentChanged) -> str:
    lines = [result.message] + [f"提醒：{w}" for w in result.warnings]
    return "\n".join(lines)


# --- imports --------------------------------------------------------------------------------------------------------


class UndoImportDialog(ReasonDialog):
    """撤销导入: what the batch was, what undoing does, and a reason."""

    completed = Signal(object)  # UndoReport

    def __init__(self, engine: Engine, batch: BatchInfo, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, "撤销导入", placeholder="如：导错了文件", ok_text="确认撤销(&Y)",
                         missing="请写明撤销导入的原因。",
                         about=f"第 {batch.id} 次导入：{batch.kind_label}“{batch.file}”，{batch.at.astimezone():%Y-%m-%d %H:%M}，"
                               f"{batch.actor}，{batch.summary}。",
                         explanation="撤销会删去这次导入新增的记录、恢复它改动过的记录（之后又被改过的保留现值）；已报给分中心的，"
                                     "随下一次数据包作废或删除。之后的工作依赖它时（如已有成绩、考勤或之后的导入），会拒绝并说明原因。")
        self.batch, self._today = batch, today

    def submit(self) -> None:
        self.clear_problems()
        reason, batch_id, who, today = self.reason(), self.batch.id, actor(), self._today()
        if reason is None:
            return
        self._run(lambda session, _job: imports.undo(session, batch_id, reason=reason, actor=who, today=today),
                  "正在撤销……", self.completed.emit)


class ImportsDialog(QDialog):
    """导入记录: every import, newest first, with 撤销… for the one selected."""

    undone = Signal(object)  # UndoReport

    HEADERS = ("编号", "类别", "文件", "记录", "导入时间", "操作人", "情况")

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self._engine, self._today = engine, today
        self.setWindowTitle("导入记录")
        self.resize(900, 420)
        self.batches: list[BatchInfo] = []
        self.dialog: UndoImportDialog | None = None
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(len(self.HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._enable)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.undo_button = QPushButton("撤销这次导入…")
        self.undo_button.clicked.connect(lambda: self.open_undo())
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.undo_button)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.result_label)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        with read_session(self._engine) as session:
            self.batches = imports.list_batches(session, actor=actor())
        self.table.setRowCount(len(self.batches))
        for row, b in enumerate(self.batches):
            state = f"已撤销：{b.undo_reason}" if b.undone_at else b.summary
            for column, value in enumerate((b.id, b.kind_label, b.file, b.rows, f"{b.at.astimezone():%Y-%m-%d %H:%M}",
                                            b.actor, state)):
                item = QTableWidgetItem(str(value))
                if column in (0, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        if self.batches:
            self.table.selectRow(0)
        self._enable()

    def selected(self) -> BatchInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.batches[rows[0].row()] if rows and rows[0].row() < len(self.batches) else None

    def _enable(self) -> None:
        batch = self.selected()
        self.undo_button.setEnabled(batch is not None and batch.undone_at is None)

    def open_undo(self) -> UndoImportDialog | None:
        batch = self.selected()
        if batch is None or batch.undone_at is not None:
            return None
        self.dialog = UndoImportDialog(self._engine, batch, self, today=self._today)
        self.dialog.completed.connect(self._undone)
        open_dialog(self.dialog)
        return self.dialog

    def _undone(self, report: UndoReport) -> None:
        self.result_label.setText("\n".join(report.lines()))
        self.refresh()
        self.undone.emit(report)


# --- certificates ---------------------------------------------------------------------------------------------------


class RevokeCertificateDialog(ReasonDialog):
    """撤销证书: the certificate is void from today; it lists, prints and verifies as revoked; a reprint is refused."""

    completed = Signal(object)  # certificates.Revoked

    def __init__(self, engine: Engine, number: str, holder: str, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, "撤销证书", placeholder="如：成绩登记有误", ok_text="确认撤销(&Y)",
                         missing="撤销证书必须写明原因。",
                         explanation=f"撤销 {holder} 的毕业证书 {number}：撤销后它在列表、查验中都显示为已撤销，不能再打印或补发，"
                                     "编号不再使用；学员要在撤销之后重新考试合格才能再次毕业。这一步随下一次数据包报给分中心。")
        self.number, self._today = number, today

    def submit(self) -> None:
        self.clear_problems()
        reason, number, who, today = self.reason(), self.number, actor(), self._today()
        if reason is None:
            return
        self._run(lambda session, _job: certificates.revoke(session, number, reason=reason, actor=who, today=today),
                  "正在撤销……", self.completed.emit)


def confirm_then(parent: QWidget, title: str, text: str, yes_text: str, engine: Engine,
                 work: Callable[[Session, JobContext], T], label: str, on_success: Callable[[T], None]) -> QMessageBox:
    """A confirmation (取消 is the default), then the write in the background; a refusal is shown as a message."""

    def go() -> None:  # ops keeps the operation until it has delivered its result (tests wait on ops.active_ops)
        ops.run_write(parent, engine, work, label=label, title=title, cancellable=False, on_success=on_success)

    return ask_to_confirm(parent, title, text, yes_text, go)
