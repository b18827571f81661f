"""The district's dialogs for its roster of schools and its conflicts: add a school, retire one, accept a school's key
after a phone call, confirm that a conflict is one person, and decide which school keeps a person's enrolment.

Each dialog only collects the clerk's answer and says what will happen; the page runs the one service call.
"""
from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from adultschool.errors import AdultSchoolError
from adultschool.services.district_conflicts import ConflictInfo
from adultschool.services.district_schools import KeyNotAccepted, RosterSchool, normalise_fingerprint
from adultschool.ui.common import MessageLabel
from adultschool.ui.widgets import hint_label


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _intro(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def fingerprint_text(fingerprint: str) -> QLabel:
    """A fingerprint as the clerk reads it out: large, fixed-width, selectable."""
    label = QLabel(fingerprint)
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(label.font().pointSizeF() * 1.4)
    font.setBold(True)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class AddSchoolDialog(QDialog):
    """添加学校: code, name, the townships it serves and (if the school read it out already) its key's fingerprint.
    `add_requested(code, name, townships, fingerprint or "")` on 确定, after the fingerprint's form was checked."""

    add_requested = Signal(str, str, list, str)

    def __init__(self, district_code: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("添加学校到名册")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 34)
        layout = QVBoxLayout(self)
        layout.addWidget(_intro(f"只有名册上的学校发来的数据包才会导入。本分中心的学校代码是 {district_code}-NN。"))
        form = QFormLayout()
        self.code_edit = QLineEdit(f"{district_code}-")
        self.name_edit = QLineEdit()
        self.townships_edit = QLineEdit()
        self.townships_edit.setPlaceholderText("例如：大碶街道、新碶街道")
        self.fingerprint_edit = QLineEdit()
        self.fingerprint_edit.setPlaceholderText("学校“数据上报”页上的本校签名密钥指纹（可以以后再填）")
        form.addRow("学校代码", self.code_edit)
        form.addRow("学校名称", self.name_edit)
        form.addRow("服务的街道/镇", self.townships_edit)
        form.addRow("密钥指纹", self.fingerprint_edit)
        layout.addLayout(form)
        layout.addWidget(hint_label("填了指纹，这所学校的第一个数据包会直接导入；不填，第一个数据包会显示指纹，"
                                    "打电话核对后再确认。"))
        self.message = MessageLabel()
        layout.addWidget(self.message)
        layout.addWidget(_buttons(self, "添加"))

    def townships(self) -> list[str]:
        return [t for t in re.split(r"[、，,;；\s]+", self.townships_edit.text()) if t]

    def accept(self) -> None:
        fingerprint = self.fingerprint_edit.text().strip()
        try:
            if fingerprint:
                fingerprint = normalise_fingerprint(fingerprint)
        except AdultSchoolError as exc:
            self.message.show_message(str(exc), "error")
            return
        super().accept()
        self.add_requested.emit(self.code_edit.text().strip(), self.name_edit.text().strip(), self.townships(),
                                fingerprint)


class RetireSchoolDialog(QDialog):
    """停用学校: says what it means; `retire_requested(reason)` on 确定."""

    retire_requested = Signal(str)

    def __init__(self, school: RosterSchool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("停用学校")
        layout = QVBoxLayout(self)
        layout.addWidget(_intro(f"停用 {school.name}（{school.code}）后，分中心不再接收它的数据包；"
                                "已经收到的数据都保留。以后可以在“添加学校…”里重新启用。"))
        form = QFormLayout()
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("例如：已并入大碶成校")
        form.addRow("原因", self.reason_edit)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "停用"))

    def accept(self) -> None:
        super().accept()
        self.retire_requested.emit(self.reason_edit.text().strip())


class TrustDialog(QDialog):
    """A listed school's package signed by a key the district has not accepted: the fingerprint, large, and the phone
    call to make before accepting it. `accept_requested(code, fingerprint)` on 接受."""

    accept_requested = Signal(str, str)

    def __init__(self, refusal: KeyNotAccepted, file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.refusal = refusal
        self.setWindowTitle("核对学校的签名密钥")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 38)
        layout = QVBoxLayout(self)
        school = f"{refusal.name}（{refusal.code}）"
        if refusal.expected is None:
            head = f"这是 {school} 的第一个数据包（{file_name}）。分中心还没有确认过这所学校的签名密钥，它的指纹是："
        elif refusal.seen:
            head = (f"{school} 这个数据包（{file_name}）的签名密钥与分中心已确认的不同：学校可能重装了程序、换了电脑或更换了"
                    "密钥，也可能是伪造的数据包。新密钥的指纹是：")
        else:
            head = (f"{school} 这个数据包（{file_name}）的签名密钥指纹与分中心登记的不一致（可能登记时抄错了，"
                    "也可能是伪造的数据包）。数据包的指纹是：")
        layout.addWidget(_intro(head))
        self.fingerprint_label = fingerprint_text(refusal.offered)
        layout.addWidget(self.fingerprint_label)
        if refusal.expected is not None:
            layout.addWidget(hint_label(f"分中心原来登记的指纹：{refusal.expected}"))
        layout.addWidget(_intro(
            "请打电话给学校（用您平时联系学校的电话，不要用随数据包邮件留下的号码），请对方打开本程序的“数据上报”页，"
            "逐组读出“本校签名密钥指纹”。完全一致才点“指纹一致，接受”；有一组不同就不要接受。"))
        buttons = _buttons(self, "指纹一致，接受")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("先不接受")
        layout.addWidget(buttons)

    def accept(self) -> None:
        super().accept()
        self.accept_requested.emit(self.refusal.code, self.refusal.offered)


class SettleDialog(QDialog):
    """确认为同一人: what will happen, and a note of how it was checked. `settle_requested(note)` on 确定."""

    settle_requested = Signal(str)

    def __init__(self, conflict: ConflictInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.conflict = conflict
        self.setWindowTitle("确认为同一人")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 36)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"{conflict.name}（{conflict.id_number}）先在学校 {conflict.existing_school} 登记"
            f"（{conflict.enrolments_text('existing')}），学校 {conflict.incoming_school} 又登记了同一身份证号码"
            f"（{conflict.enrolments_text('incoming')}）。\n\n"
            f"确认是同一个人后，学校 {conflict.incoming_school} 暂缓的 {conflict.held_rows} 行数据将并入此人名下。"
            "请先打电话与两所学校核实。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("例如：已电话核实为同一人")
        form.addRow("核实情况", self.note_edit)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确认为同一人")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def accept(self) -> None:
        note = self.note_edit.text().strip()
        super().accept()
        self.settle_requested.emit(note)


class DecideDialog(QDialog):
    """裁定保留: both schools hold an open enrolment of the person at one level; the district picks the one that keeps
    it. `decide_requested(keep_code, note)` on 确定."""

    decide_requested = Signal(str, str)

    def __init__(self, conflict: ConflictInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.conflict = conflict
        self.setWindowTitle("裁定由哪所学校保留学籍")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 38)
        layout = QVBoxLayout(self)
        layout.addWidget(_intro(
            f"{conflict.name}（{conflict.id_number}）在两所学校都有同一层次的学籍：\n"
            f"　{conflict.existing_school} {conflict.existing_school_name}：{conflict.enrolments_text('existing')}\n"
            f"　{conflict.incoming_school} {conflict.incoming_school_name}：{conflict.enrolments_text('incoming')}"))
        self.group = QButtonGroup(self)
        self.choices: dict[str, QRadioButton] = {}
        for code, name in ((conflict.existing_school, conflict.existing_school_name),
                           (conflict.incoming_school, conflict.incoming_school_name)):
            button = QRadioButton(f"由 {code} {name} 保留")
            self.group.addButton(button)
            self.choices[code] = button
            layout.addWidget(button)
        form = QFormLayout()
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("例如：已与两校电话商定，本人在大碶就读")
        form.addRow("裁定说明", self.note_edit)
        layout.addLayout(form)
        layout.addWidget(hint_label("另一所学校在回执里会看到：须为此人办理退学或作废。收到它办理后的数据包时，"
                                    "冲突自动确认为同一人，暂缓的数据并入此人名下。"))
        self.message = MessageLabel()
        layout.addWidget(self.message)
        layout.addWidget(_buttons(self, "记录裁定"))

    def chosen(self) -> str | None:
        return next((code for code, button in self.choices.items() if button.isChecked()), None)

    def accept(self) -> None:
        keep = self.chosen()
        if keep is None:
            self.message.show_message("请选择保留学籍的学校。", "error")
            return
        super().accept()
        self.decide_requested.emit(keep, self.note_edit.text().strip())
