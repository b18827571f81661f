"""Asks for the district key's passphrase (twice when a new key is made). The passphrase is handed to the caller and
never stored: the district pages keep only the opened key pair in memory for the rest of the window's session."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from adultschool.ui.common import MessageLabel


class PassphraseDialog(QDialog):
    """`entered(passphrase)` when the clerk presses 确定 with something typed (and, for a new key, typed twice alike)."""

    entered = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, new_key: bool = False, intro: str | None = None):
        super().__init__(parent)
        self.new_key = new_key
        self.setWindowTitle("设定分中心密钥口令" if new_key else "分中心密钥口令")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 32)
        layout = QVBoxLayout(self)
        text = intro or ("为分中心私钥设一个口令（至少 8 个字符）。以后导入数据包、出回执都要输入它；"
                         "忘记口令就再也打不开私钥，请妥善记下。" if new_key else
                         "请输入分中心密钥的口令。本窗口关闭前不会再问；口令不保存到磁盘。")
        self.intro = QLabel(text)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        form = QFormLayout()
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("口令", self.passphrase_edit)
        self.again_edit = QLineEdit()
        self.again_edit.setEchoMode(QLineEdit.EchoMode.Password)
        if new_key:
            form.addRow("再输入一次", self.again_edit)
        layout.addLayout(form)
        self.error_label = MessageLabel()
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.passphrase_edit.setFocus()

    def accept(self) -> None:
        secret = self.passphrase_edit.text()
        if not secret:
            self.error_label.show_message("请输入口令。")
            return
        if self.new_key and self.again_edit.text() != secret:
            self.error_label.show_message("两次输入的口令不一致，请重新输入。")
            self.again_edit.clear()
            self.again_edit.setFocus()
            return
        self.passphrase_edit.clear()
        self.again_edit.clear()
        super().accept()
        self.entered.emit(secret)
