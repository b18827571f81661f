"""The print dialog's "what to print" rows, one panel per kind of document (see print_kinds): the fields it adds to
the dialog's form, the check before generating, the work that makes the PDF and the file name it suggests."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from adultschool.db import read_session
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext
from adultschool.models.enums import Level
from adultschool.printing import Layout
from adultschool.services import certificate_settings, classes, documents
from adultschool.services.documents import Printed
from adultschool.textnorm import clean_text
from adultschool.ui.class_dialogs import required_label
from adultschool.ui.common import MessageLabel, actor, file_name_part, open_dialog, to_date, to_qdate
from adultschool.ui.layout_dialog import LayoutDialog
from adultschool.ui.widgets import hint_label
from adultschool.ui.print_kinds import Kind, ListWork, names_text

# What makes one PDF at `out`, run in the worker: (session, job) → Printed.
Work = Callable[[Session, JobContext], Printed]


@dataclass(frozen=True)
class PanelContext:
    """What a panel gets from its dialog."""

    engine: Engine
    parent: QWidget  # the print dialog: the parent of what a panel opens
    folder: Path  # where the PDFs go (the calibration page too)
    today: Callable[[], date]
    student_numbers: tuple[str, ...] | None  # those chosen on the page the dialog came from, None for all
    file_name_changed: Callable[[], None]  # a field the suggested file name is made of has changed
    opened: Callable[[QWidget], None]  # a dialog a panel has opened (the print dialog keeps it)


def _left(widget: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(widget)
    row.addStretch(1)
    return row


def _selectable(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _what_label(text: str) -> QLabel:
    return _selectable(QLabel(text))


def _hint_label(text: str) -> QLabel:
    return _selectable(hint_label(text))


class WhatPanel(ABC):
    """One kind's rows of the dialog's form; the dialog asks it for the work once the clerk clicks 生成."""

    record_word = "已打印"  # certificates: what recording their printing is called

    def __init__(self, kind: Kind, context: PanelContext):
        self.kind = kind
        self.context = context

    @abstractmethod
    def add_rows(self, form: QFormLayout) -> None:
        """Adds this kind's fields to the dialog's form (above its PDF 保存到 row)."""

    def inputs(self) -> Sequence[QWidget]:
        """The fields that can change only until the PDF is made (and not while anything runs)."""
        return ()

    def check(self, error_label: MessageLabel) -> bool:
        """Whether the PDF can be made from what is chosen; if not, says why (on `error_label` or at the field)."""
        return True

    @abstractmethod
    def work(self, out: Path) -> Work:
        """What makes the PDF at `out` from what is chosen now."""

    def file_name(self) -> str:
        return f"{self.kind.file_stem}-{self.context.today().isoformat()}.pdf"

    def failure_line(self, exc: BaseException) -> MessageLabel | None:
        """The field's message line a failure belongs under, None for the dialog's own line."""
        return None


class CertificatesPanel(WhatPanel):
    """打印证书 and 补发证书: who, the 套打 layout (a calibration for pre-printed stock) and, for a 补发, the reason."""

    def __init__(self, kind: Kind, context: PanelContext, *, names: Sequence[str], note: str):
        super().__init__(kind, context)
        self.reprint = kind.key == "reprint"
        self.record_word = "补发" if self.reprint else "已打印"
        numbers = context.student_numbers
        if numbers:
            text = f"{'补发' if self.reprint else '打印'} {len(numbers)} 张证书：{names_text(list(names))}"
        else:
            text = "打印全部未打印过的证书"
        if note:
            text += f"\n{note}"
        if self.reprint:
            text += "\n补发的证书沿用原编号，并印有“补发”字样。"
        text += (f"\n预览不算打印：打印完确认“都打好了”（或保存最终 PDF）时才记为{self.record_word}"
                 "；卡纸、打歪的可以在这个窗口里再印，不算补发。")
        self.what_label = _what_label(text)
        self.reason_edit = QLineEdit()
        self.reason_edit.setMaxLength(100)
        self.reason_edit.setPlaceholderText("如：原证书遗失、原证书损毁")
        self.reason_message = MessageLabel()
        self.layout_combo = QComboBox()
        self.text_only_check = QCheckBox("只印内容")
        self.text_only_check.setToolTip("不印边框、标题和照片/盖章虚线框：印在已有这些的证书纸上")
        self.calibrate_button = QPushButton("套打校准…")
        self.calibrate_button.setAutoDefault(False)
        self.calibrate_button.clicked.connect(lambda: self.open_calibration())
        self._fill_layouts()
        self.layout_combo.currentIndexChanged.connect(lambda _i: self._layout_chosen())

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow("证书", self.what_label)
        row = QHBoxLayout()
        row.addWidget(self.layout_combo)
        row.addWidget(self.text_only_check)
        row.addWidget(self.calibrate_button)
        row.addStretch(1)
        form.addRow("套打", row)
        if self.reprint:
            reason = QWidget()
            column = QVBoxLayout(reason)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(self.reason_edit)
            column.addWidget(self.reason_message)
            form.addRow(required_label("补发原因"), reason)
            self.reason_edit.textEdited.connect(lambda _text: self.reason_message.show_message(None))

    def inputs(self) -> Sequence[QWidget]:
        # the 套打 choice goes into the PDF as it is made: after that, changing it would change nothing printed
        chosen = (self.layout_combo, self.text_only_check, self.calibrate_button)
        return (*chosen, self.reason_edit) if self.reprint else chosen

    def reason(self) -> str | None:
        """A 补发's reason as it is recorded; None for a first printing."""
        return clean_text(self.reason_edit.text()) if self.reprint else None

    def check(self, error_label: MessageLabel) -> bool:
        if self.reprint and not self.reason():
            self.reason_message.show_message("补发证书必须写明原因（如“原证书遗失”）。")
            self.reason_edit.setFocus()
            return False
        return True

    def work(self, out: Path) -> Work:
        numbers = list(self.context.student_numbers) if self.context.student_numbers else None
        who, reprint, reason, layout = actor(), self.reprint, self.reason(), self.chosen_layout()
        return lambda session, job: documents.preview_certificates(
            session, out, actor=who, student_numbers=numbers, reprint=reprint, reason=reason, layout=layout, job=job)

    def failure_line(self, exc: BaseException) -> MessageLabel | None:
        refused = self.reprint and isinstance(exc, AdultSchoolError) and "原因" in exc.message
        return self.reason_message if refused else None

    def chosen_layout(self) -> Layout:
        layout = certificate_settings.layout_named(self.layout_combo.currentData())
        return replace(layout, text_only=self.text_only_check.isChecked())

    def open_calibration(self) -> LayoutDialog:
        dialog = LayoutDialog(self.context.engine, self.context.parent, name=self.layout_combo.currentData(),
                              folder=self.context.folder)
        dialog.saved.connect(self._fill_layouts)
        self.context.opened(dialog)
        open_dialog(dialog)
        return dialog

    def _fill_layouts(self, chosen: str | None = None) -> None:
        self.layout_combo.blockSignals(True)
        self.layout_combo.clear()
        self.layout_combo.addItem("白纸打印（不套打）", None)
        for name in certificate_settings.print_layouts():
            self.layout_combo.addItem(name, name)
        self.layout_combo.setCurrentIndex(max(self.layout_combo.findData(chosen), 0) if chosen else 0)
        self.layout_combo.blockSignals(False)
        self._layout_chosen()

    def _layout_chosen(self) -> None:
        name = self.layout_combo.currentData()
        self.text_only_check.setChecked(bool(name) and certificate_settings.layout_named(name).text_only)


class RegistrationPanel(WhatPanel):
    """报名登记表: the learners selected on the 学员 page, or every current learner."""

    def __init__(self, kind: Kind, context: PanelContext):
        super().__init__(kind, context)
        numbers = context.student_numbers
        self.scope_combo = QComboBox()
        if numbers:
            self.scope_combo.addItem(f"学员页所选的 {len(numbers)} 人", "selected")
        self.scope_combo.addItem("全部在读学员", "all")
        self.what_label = _hint_label("每人一页。" + ("" if numbers else "只打几个人时，先在“学员”页选中他们。"))

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow("学员", _left(self.scope_combo))
        form.addRow("", self.what_label)

    def inputs(self) -> Sequence[QWidget]:
        return (self.scope_combo,)

    def work(self, out: Path) -> Work:
        numbers = list(self.context.student_numbers) if self.context.student_numbers else None
        chosen = numbers if self.scope_combo.currentData() == "selected" else None
        who = actor()
        return lambda session, job: documents.print_registration_forms(session, out, student_numbers=chosen, job=job,
                                                                       actor=who)


class SummaryPanel(WhatPanel):
    """报名汇总表: every level, or one."""

    def __init__(self, kind: Kind, context: PanelContext):
        super().__init__(kind, context)
        self.level_combo = QComboBox()
        self.level_combo.addItem("全部", None)
        for level in Level:
            self.level_combo.addItem(level.label, level.value)
        self.level_combo.currentIndexChanged.connect(lambda _i: context.file_name_changed())

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow("学历提升层次", _left(self.level_combo))

    def inputs(self) -> Sequence[QWidget]:
        return (self.level_combo,)

    def _level(self) -> Level | None:
        value = self.level_combo.currentData()
        return Level(value) if value else None

    def work(self, out: Path) -> Work:
        level, who = self._level(), actor()
        return lambda session, job: documents.print_summary_form(session, out, level=level, job=job, actor=who)

    def file_name(self) -> str:
        level = self._level()
        if level is None:
            return super().file_name()
        return f"{self.kind.file_stem}-{level.label}-{self.context.today().isoformat()}.pdf"


class SigninPanel(WhatPanel):
    """签到表: one class on one day."""

    def __init__(self, kind: Kind, context: PanelContext):
        super().__init__(kind, context)
        self.class_combo = QComboBox()
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDate(to_qdate(context.today()))
        with read_session(context.engine) as session:
            found = classes.list_classes(session)
        for info in found:
            self.class_combo.addItem(info.name, info.name)
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        if not found:
            self.class_combo.setPlaceholderText("还没有班级")
        self.class_combo.currentIndexChanged.connect(lambda _i: context.file_name_changed())
        self.date_edit.dateChanged.connect(lambda _d: context.file_name_changed())

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow(required_label("班级"), _left(self.class_combo))
        form.addRow(required_label("日期"), _left(self.date_edit))

    def inputs(self) -> Sequence[QWidget]:
        return (self.class_combo, self.date_edit)

    def check(self, error_label: MessageLabel) -> bool:
        if self.class_combo.currentData() is None:
            error_label.show_message("请先选择班级（在“班级”页新建）。")
            return False
        return True

    def work(self, out: Path) -> Work:
        class_name = self.class_combo.currentData()
        held_on = to_date(self.date_edit.date())
        who = actor()
        return lambda session, job: documents.print_signin_sheet(session, out, class_name=class_name, held_on=held_on,
                                                                 job=job, actor=who)

    def file_name(self) -> str:
        class_name = self.class_combo.currentData()
        if not class_name:
            return super().file_name()
        held_on = to_date(self.date_edit.date()).isoformat()
        return f"{self.kind.file_stem}-{file_name_part(class_name)}-{held_on}.pdf"


class ListPanel(WhatPanel):
    """A page's list (see list_output): what the page says it holds; the page gives the work."""

    def __init__(self, kind: Kind, context: PanelContext, *, list_work: ListWork, note: str):
        super().__init__(kind, context)
        self._list_work = list_work
        self.what_label = _hint_label(note)

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow("名单", self.what_label)

    def work(self, out: Path) -> Work:
        list_work = self._list_work
        return lambda session, job: list_work(session, job, out)


def make_panel(kind: Kind, context: PanelContext, *, names: Sequence[str] = (), note: str = "",
               list_work: ListWork | None = None) -> WhatPanel:
    if kind.key in ("certificates", "reprint"):
        return CertificatesPanel(kind, context, names=names, note=note)
    if kind.key == "registration":
        return RegistrationPanel(kind, context)
    if kind.key == "summary":
        return SummaryPanel(kind, context)
    if kind.key == "signin":
        return SigninPanel(kind, context)
    if kind.key == "list":
        if list_work is None:
            raise ValueError("a list needs its list_work")
        return ListPanel(kind, context, list_work=list_work, note=note)
    raise ValueError(f"no panel for the kind {kind.key!r}")
