"""The first-run wizard's last page: what will be created, and 创建."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout

from adultschool.ui.first_run.page import FirstRunPage


class SummaryPage(FirstRunPage):
    def __init__(self) -> None:
        super().__init__("确认并创建", "请核对。点“创建”后建立数据库；之前的任何一步都可以点“上一步”修改。")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()  # a school with many townships must not push 创建 off a small screen
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message)
        self.setFinalPage(True)

    def initializePage(self) -> None:
        self.summary.setText("\n".join(self.wizard().plan_lines()))
        self.message.show_message(None)

    def validatePage(self) -> bool:
        wizard = self.wizard()
        if wizard.created is not None:
            return True
        wizard.create_site()
        return False

    def nextId(self) -> int:
        return -1
