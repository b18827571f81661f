"""毕业 and 登记职业技能证书: the two forms of the 考试 page after the results are in (R5, R11).

毕业 first lists who would graduate on the day (`graduation.graduate(dry_run=True)`, with the numbers they would get) and who
is held back; after a confirmation naming them it graduates exactly those, then shows the result.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.models.enums import EnrolmentStatus, Level
from adultschool.services import graduation, learners
from adultschool.services.graduation import GraduationReport
from adultschool.services.learners import LearnerFilter
from adultschool.textnorm import clean_text
from adultschool.ui import ops
from adultschool.ui.form_dialog import FormDialog, required_label
from adultschool.ui.common import (
    HINT_COLOUR,
    MessageLabel,
    actor,
    ask_to_confirm,
    to_date,
    to_qdate,
    with_message,
)

LOOKUP_DELAY_MS = 250


def _list_table(headers: tuple[str, ...], samples: tuple[str, ...], metrics) -> QTableWidget:  # noqa: ANN001
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    for column, (title, sample) in enumerate(zip(headers, samples)):
        table.setColumnWidth(column, max(metrics.horizontalAdvance(title), metrics.horizontalAdvance(sample)) + 28)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            table.setItem(r, c, item)


class GraduationDialog(QDialog):
    """毕业: the day; the dialog lists at once who would graduate (with the certificate number each would get) and who
    is held back; 确认 N 人毕业… asks once more, then graduates exactly those. `graduated` carries the GraduationReport."""

    graduated = Signal(object)

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self._engine, self._today = engine, today
        self.op: ops.Op | None = None
        self.preview_op: ops.Op | None = None
        self.preview: GraduationReport | None = None
        self.report: GraduationReport | None = None
        self.dialog: QWidget | None = None
        self.setWindowTitle("毕业")
        metrics = self.fontMetrics()
        self.resize(metrics.horizontalAdvance("中") * 52, metrics.height() * 30)

        intro = QLabel("全部课程考试通过的学员毕业，并按学籍号顺序取得毕业证书编号（编号一经给出不再改变）。"
                       "下面先列出将毕业的学员，确认后才办理。毕业后请到“证书”页打印证书。")
        intro.setWordWrap(True)
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMaximumDate(to_qdate(today()))
        self.date_edit.setDate(to_qdate(today()))
        self.date_edit.setToolTip("毕业日期，也是证书上的发证日期")
        self.date_edit.dateChanged.connect(lambda _d: self.load_preview())
        self.graduate_button = QPushButton("确认毕业…")
        self.graduate_button.setEnabled(False)
        self.graduate_button.setAutoDefault(False)
        self.graduate_button.clicked.connect(self.confirm_graduation)
        date_row = QHBoxLayout()
        date_label = QLabel("毕业日期")
        date_label.setBuddy(self.date_edit)
        date_row.addWidget(date_label)
        date_row.addWidget(self.date_edit)
        date_row.addWidget(self.graduate_button)
        date_row.addStretch(1)

        self.summary_label = QLabel()
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = MessageLabel()

        self.graduated_table = _list_table(("学籍号", "姓名", "证书编号"),
                                           ("330206-01-2026-00000", "欧阳小红红", "330206-01-BY2026-0000"), metrics)
        self.held_back_table = _list_table(("学籍号", "姓名", "原因"),
                                           ("330206-01-2026-00000", "欧阳小红红", "原因"), metrics)
        self.graduated_box = QGroupBox("已毕业")
        QVBoxLayout(self.graduated_box).addWidget(self.graduated_table)
        self.held_back_box = QGroupBox("暂不能毕业")
        QVBoxLayout(self.held_back_box).addWidget(self.held_back_table)
        for box in (self.graduated_box, self.held_back_box):
            box.hide()

        self.close_button = QPushButton("关闭")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(date_row)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.graduated_box, 3)
        layout.addWidget(self.held_back_box, 2)
        layout.addStretch(0)
        layout.addLayout(bottom)
        self.load_preview()

    @property
    def busy(self) -> bool:
        return any(op is not None and op.running for op in (self.op, self.preview_op))

    def _show(self, report: GraduationReport, *, done: bool) -> None:
        _fill(self.graduated_table, [tuple(row) for row in report.graduated])
        _fill(self.held_back_table, [tuple(row) for row in report.held_back])
        self.graduated_box.setTitle(f"{'已毕业' if done else '将毕业'}（{len(report.graduated)} 人）")
        self.held_back_box.setTitle(f"暂不能毕业（{len(report.held_back)} 人）")
        self.graduated_box.setVisible(bool(report.graduated))
        self.held_back_box.setVisible(bool(report.held_back))

    # --- the preview ----------------------------------------------------------------------------------------

    def load_preview(self) -> ops.Op | None:
        """Who would graduate on the chosen day (a read: nothing is written)."""
        if self.report is not None or self.op is not None and self.op.running:
            return None
        self.preview = None
        self.graduate_button.setEnabled(False)
        self.graduate_button.setText("确认毕业…")
        self.error_label.show_message(None)
        self.summary_label.setText("正在查看谁能毕业……")
        as_of, today = to_date(self.date_edit.date()), self._today()
        who = actor()
        self.preview_op = ops.run_read(self, self._engine, lambda session, _job: graduation.graduate(
            session, as_of, actor=who, today=today, dry_run=True), label="正在查看谁能毕业……", title="毕业",
            on_success=lambda report: self._previewed(report, as_of), on_failure=self._failed)
        return self.preview_op

    def _previewed(self, report: GraduationReport, as_of: date) -> None:
        if as_of != to_date(self.date_edit.date()) or self.report is not None:
            return  # the day changed meanwhile: its own preview follows
        self.preview = report
        self._show(report, done=False)
        if not report.graduated:
            self.summary_label.setText("没有可以毕业的学员：学员须全部课程考试通过才能毕业。" if not report.held_back
                                       else f"没有可以毕业的学员；暂不能毕业 {len(report.held_back)} 人（原因见下）。")
            return
        held = f"，暂不能毕业 {len(report.held_back)} 人" if report.held_back else ""
        self.summary_label.setText(f"{as_of} 将毕业 {len(report.graduated)} 人{held}。"
                                   f"请核对名单，再点“确认 {len(report.graduated)} 人毕业…”。")
        self.graduate_button.setText(f"确认 {len(report.graduated)} 人毕业…")
        self.graduate_button.setEnabled(True)

    def confirm_graduation(self) -> QWidget | None:
        """Asks once more, naming how many and who; 取消 is the default button."""
        if self.busy or self.preview is None or not self.preview.graduated or self.report is not None:
            return None
        count = len(self.preview.graduated)
        names = "、".join(name for _, name, _ in self.preview.graduated[:10]) + (f" 等 {count} 人" if count > 10 else "")
        first, last = self.preview.graduated[0][2], self.preview.graduated[-1][2]
        numbers = first if count == 1 else f"{first} 至 {last}"
        text = (f"{to_date(self.date_edit.date())} 毕业 {count} 人：{names}。\n\n他们将取得证书编号 {numbers}，"
                "编号一经给出不再改变（错了只能撤销证书）。确定办理毕业吗？")
        self.dialog = ask_to_confirm(self, "确认毕业", text, f"办理 {count} 人毕业", self.run_graduation,
                                     details="\n".join(f"{n}  {name}  {number}" for n, name, number in self.preview.graduated))
        return self.dialog

    def run_graduation(self) -> None:
        if self.busy or self.report is not None or self.preview is None:
            return
        as_of, today = to_date(self.date_edit.date()), self._today()
        who = actor()
        only = [number for number, _, _ in self.preview.graduated]
        self.error_label.show_message(None)
        self.graduate_button.setEnabled(False)
        self.date_edit.setEnabled(False)
        self.close_button.setEnabled(False)
        self.summary_label.setText("正在办理毕业……")
        self.op = ops.run_write(self, self._engine, lambda session, _job: graduation.graduate(session, as_of, actor=who,
                                                                                        today=today, only=only),
                                label="正在办理毕业……", title="毕业", cancellable=False,
                                on_success=self._done, on_failure=self._failed)

    def _done(self, report: GraduationReport) -> None:
        self.report = report
        self.close_button.setEnabled(True)
        self.close_button.setDefault(True)
        if not report.graduated and not report.held_back:
            self.summary_label.setText("没有可以毕业的学员：学员须全部课程考试通过才能毕业。")
        else:
            held = f"，暂不能毕业 {len(report.held_back)} 人" if report.held_back else ""
            self.summary_label.setText(f"已毕业 {len(report.graduated)} 人{held}。")
        self.graduate_button.setText("确认毕业…")
        self._show(report, done=True)
        self.graduated.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self.graduate_button.setEnabled(self.preview is not None and bool(self.preview.graduated))
        self.date_edit.setEnabled(True)
        self.close_button.setEnabled(True)
        self.summary_label.setText("")
        ops.show_failure(self, exc, line=self.error_label)

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()


class SkillCertificateDialog(FormDialog):
    """登记职业技能证书 (R5, the second of the "dual certificates"): 学籍号, 证书名称, 编号, 发证日期."""

    recorded = Signal(str, str)  # student number, certificate name

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today,
                 student_number: str | None = None):
        super().__init__(engine, parent, "登记职业技能证书")
        em = self.fontMetrics().horizontalAdvance("中")
        self.number_edit = QLineEdit(student_number or "")
        self.number_edit.setPlaceholderText("如：330206-01-2026-00001")
        self.learner_label = QLabel()
        self.learner_label.setStyleSheet(f"color: {HINT_COLOUR};")
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(60)
        self.name_edit.setPlaceholderText("如：中式烹调师（五级）")
        self.certificate_edit = QLineEdit()
        self.certificate_edit.setMaxLength(60)
        self.certificate_edit.setPlaceholderText("证书上的编号")
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMaximumDate(to_qdate(today()))
        self.date_edit.setDate(to_qdate(today()))
        for widget in (self.number_edit, self.name_edit, self.certificate_edit):
            widget.setMinimumWidth(em * 22)

        number_column = QVBoxLayout()
        number_column.setSpacing(2)
        number_column.addWidget(self.number_edit)
        number_column.addWidget(self.learner_label)
        number_holder = QWidget()
        number_holder.setLayout(number_column)
        number_column.setContentsMargins(0, 0, 0, 0)

        form = self._form()
        form.addRow(required_label("学籍号"), with_message(self.messages, "student_number", number_holder))
        form.addRow(required_label("证书名称"), with_message(self.messages, "name", self.name_edit))
        form.addRow(required_label("证书编号"), with_message(self.messages, "number", self.certificate_edit))
        form.addRow(required_label("发证日期"), with_message(self.messages, "issued_on", self.date_edit))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_message)
        layout.addWidget(self.buttons)

        self._lookup_timer = QTimer(self)
        self._lookup_timer.setSingleShot(True)
        self._lookup_timer.setInterval(LOOKUP_DELAY_MS)
        self._lookup_timer.timeout.connect(self.look_up)
        self.number_edit.textChanged.connect(lambda _text: self._lookup_timer.start())
        self._clear_on_change(self.number_edit.textEdited, "student_number")
        self._clear_on_change(self.name_edit.textEdited, "name")
        self._clear_on_change(self.certificate_edit.textEdited, "number")
        order = [self.number_edit, self.name_edit, self.certificate_edit, self.date_edit, self.ok_button,
                 self.cancel_button]
        for first, second in zip(order, order[1:]):
            self.setTabOrder(first, second)
        self.look_up()
        (self.name_edit if student_number else self.number_edit).setFocus()

    def look_up(self) -> None:
        """Whose student number this is, so the clerk sees the name before saving."""
        self._lookup_timer.stop()
        number = clean_text(self.number_edit.text()) or ""
        if len(number) < 6:
            self.learner_label.setText("")
            self.learner_label.setVisible(False)
            return
        with read_session(self._engine) as session:
            found = [row for row in learners.list_learners(session, LearnerFilter(search=number), limit=20)
                     if row.student_number == number]
        if found:
            row = found[0]
            self.learner_label.setText(f"{row.name}（{Level(row.level).label}，{EnrolmentStatus(row.status).label}）")
        else:
            self.learner_label.setText("没有这个学籍号")
        self.learner_label.setVisible(True)

    def submit(self) -> None:
        self.clear_problems()
        values = {"student_number": self.number_edit.text(), "name": self.name_edit.text(),
                  "number": self.certificate_edit.text()}
        missing = {"student_number": "请填写学籍号。", "name": "请填写证书名称。", "number": "请填写证书编号。"}
        empty = [field for field, text in values.items() if not clean_text(text)]
        for field in empty:
            self.show_problem(field, missing[field])
        if empty:
            return
        issued_on = to_date(self.date_edit.date())
        who = actor()
        self._run(lambda session, _job: graduation.record_skill_certificate(session, issued_on=issued_on, actor=who, **values),
                  "正在登记职业技能证书……",
                  lambda _result: self.recorded.emit(clean_text(values["student_number"]), clean_text(values["name"])))
