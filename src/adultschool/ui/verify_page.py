"""The 证书查验 page: scan a certificate's QR code with a USB scanner (it types the payload and Enter into the field)
or type the certificate number and its check code; the answer fills the page in words, with the holder's name and
masked ID number to compare with the paper. Every check is audited (services.certificates.verify)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget
from sqlalchemy import Engine

from adultschool.services import certificates
from adultschool.services.certificates import Verdict, Verification
from adultschool.ui import ops
from adultschool.ui.changes import Topic
from adultschool.ui.common import ERROR_COLOUR, HINT_COLOUR, Page, actor

GENUINE_COLOUR = "#1e7d32"
VERDICT_TITLES = {Verdict.GENUINE: "真实有效", Verdict.REVOKED: "已撤销", Verdict.REPLACED: "已撤销（已换发新证）",
                  Verdict.UNKNOWN: "查无此证", Verdict.MISMATCH: "查验码不符"}


class VerifyPage(Page):
    topics = frozenset({Topic.CERTIFICATES})  # nothing kept on the page: a re-read only puts the cursor in the field

    def __init__(self, engine: Engine, parent: QWidget | None = None):
        super().__init__(engine, parent)
        self.op: ops.Op | None = None
        self.last: Verification | None = None
        intro = QLabel("用扫码枪扫证书上的二维码，或输入证书编号和查验码（如 330206-01-BY2026-0001 ABCD2345），按回车。")
        intro.setWordWrap(True)
        self.input = QLineEdit()
        self.input.setPlaceholderText("扫码或输入：证书编号 查验码")
        self.input.setClearButtonEnabled(True)
        self.input.returnPressed.connect(self.check)
        self.check_button = QPushButton("查验")
        self.check_button.clicked.connect(self.check)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.check_button)
        self.verdict_label = QLabel()
        font = self.verdict_label.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        font.setBold(True)
        self.verdict_label.setFont(font)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.holder_label = QLabel()
        self.holder_label.setStyleSheet(f"color: {HINT_COLOUR};")
        self.history = QListWidget()
        self.history.setToolTip("本次打开程序以来查验过的证书")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.holder_label)
        layout.addWidget(QLabel("刚才查验过的："))
        layout.addWidget(self.history, 1)

    def refresh(self) -> None:
        self.input.setFocus()

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        self.input.setFocus()

    def check(self) -> ops.Op | None:
        text, who = self.input.text(), actor()
        if not text.strip():
            self._show_problem("请扫描证书上的二维码，或输入证书编号和查验码。")
            return None
        self.check_button.setEnabled(False)
        self.op = ops.run_write(self, self._engine, lambda session, _job: certificates.verify(session, text, actor=who),
                                label="正在查验……", title="证书查验", cancellable=False, on_success=self._checked,
                                on_failure=self._failed)
        return self.op

    def _checked(self, result: Verification) -> None:
        self.check_button.setEnabled(True)
        self.last = result
        colour = GENUINE_COLOUR if result.genuine else ERROR_COLOUR
        self.verdict_label.setText(VERDICT_TITLES[result.verdict])
        self.verdict_label.setStyleSheet(f"color: {colour};")
        self.message_label.setText(result.message)
        self.message_label.setStyleSheet("")
        self.holder_label.setText(f"持证人：{result.name}，身份证号码 {result.id_number}，{result.level}。请与证书原件和本人证件核对。"
                                  if result.name else "")
        self.history.insertItem(0, f"{result.number}：{VERDICT_TITLES[result.verdict]}")
        self.input.clear()  # ready for the next scan
        self.input.setFocus()

    def _failed(self, exc: BaseException) -> None:
        self.check_button.setEnabled(True)
        ops.show_failure(self, exc, line=lambda text, _kind: self._show_problem(text))

    def _show_problem(self, text: str) -> None:
        self.last = None
        self.verdict_label.setText("")
        self.message_label.setText(text)
        self.message_label.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.holder_label.setText("")
