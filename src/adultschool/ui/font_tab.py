"""设置 → 打印字体: the print font dialog (font_dialog) shown inside the settings dialog's tab."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget
from sqlalchemy import Engine

from adultschool.ui.font_dialog import FontDialog


class EmbeddedFontPanel(FontDialog):
    """The 打印字体 dialog's own logic, shown inside the tab: its 关闭 goes, and Esc/Enter reach the settings dialog."""

    def __init__(self, engine: Engine, parent: QWidget | None = None):
        super().__init__(engine, parent)
        self.setWindowFlags(Qt.WindowType.Widget)
        self.close_button.hide()
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)  # FontDialog lays itself out in one
        layout.addStretch(1)  # keep the lines together at the top of the tab

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.ignore()  # the settings dialog's 取消 / 确定
            return
        super().keyPressEvent(event)
