"""帮助 → 使用说明 (F1): the short manual shipped with the program, opened at the section of the page in view."""
from __future__ import annotations

from importlib import resources

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

MANUAL = "manual.html"


def manual_html() -> str:
    return resources.files("adultschool.ui").joinpath("help", MANUAL).read_text(encoding="utf-8")


class HelpDialog(QDialog):
    def __init__(self, section: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("使用说明")
        metrics = self.fontMetrics()
        self.resize(metrics.horizontalAdvance("中") * 48, metrics.height() * 32)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(manual_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.section = section if section and f'name="{section}"' in manual_html() else None
        if self.section:
            self.browser.scrollToAnchor(self.section)
