"""The print dialog's 预览 box: a made PDF's own pages (see pdf_pages) one at a time with 上一页 / 下一页, re-rendered
to the box's size when it is resized, and a hint in their place before the PDF is made or when it cannot be shown."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QFrame, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from adultschool.ui.common import HINT_COLOUR
from adultschool.ui.pdf_pages import PdfPages, fit, open_pages


RENDER_DELAY_MS = 120  # a resize re-renders the page once the dragging pauses, not at every step


class PdfPreview(QGroupBox):
    """`pages` is the open PDF (None before one is loaded, or when it cannot be shown); `page` the one on screen."""

    def __init__(self, hint: str, parent: QWidget | None = None):
        super().__init__("预览", parent)
        self.pages: PdfPages | None = None
        self.page = 0
        self.page_view = QLabel()
        self.page_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(self.page_view)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setStyleSheet("QScrollArea, QScrollArea > QWidget > QWidget { background: #8a8a8a; }")
        self.previous_button = QPushButton("上一页")
        self.previous_button.setAutoDefault(False)
        self.previous_button.clicked.connect(lambda: self.show_page(self.page - 1))
        self.next_button = QPushButton("下一页")
        self.next_button.setAutoDefault(False)
        self.next_button.clicked.connect(lambda: self.show_page(self.page + 1))
        self.page_label = QLabel()
        nav = QHBoxLayout()
        nav.addStretch(1)
        nav.addWidget(self.previous_button)
        nav.addWidget(self.page_label)
        nav.addWidget(self.next_button)
        nav.addStretch(1)
        viewer = QWidget()
        viewer_layout = QVBoxLayout(viewer)
        viewer_layout.setContentsMargins(0, 0, 0, 0)
        viewer_layout.addWidget(self.scroll_area, 1)
        viewer_layout.addLayout(nav)
        self.hint = QLabel(hint)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(viewer)
        QVBoxLayout(self).addWidget(self.stack)

        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(RENDER_DELAY_MS)
        self._render_timer.timeout.connect(self._render_page)
        self._show_navigation()

    def load(self, path: Path) -> None:
        """Opens the PDF and shows its first page; when it cannot, the hint says why and points to 打开 PDF."""
        try:
            self.pages = open_pages(path)
        except Exception as exc:  # noqa: BLE001 - a preview that fails must not hide the PDF that was made
            self.pages = None
            self.hint.setText(f"无法预览这个 PDF（{type(exc).__name__}）。请点“打开 PDF”用 PDF 阅读器查看和打印。")
            self.stack.setCurrentIndex(0)
            return
        if self.pages is None:
            self.hint.setText("这台电脑缺少 PDF 预览组件（QtPdf 或 PDFium），不能在程序里预览和打印。\n"
                              "请点“打开 PDF”，用电脑上的 PDF 阅读器查看和打印。")
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        self.show_page(0)

    def show_page(self, page: int) -> None:
        if self.pages is None:
            return
        self.page = max(0, min(page, self.pages.page_count() - 1))
        self._show_navigation()
        self._render_page()

    def close_pages(self) -> None:
        if self.pages is not None:
            self.pages.close()
            self.pages = None

    def _show_navigation(self) -> None:
        count = self.pages.page_count() if self.pages is not None else 0
        self.previous_button.setEnabled(count > 0 and self.page > 0)
        self.next_button.setEnabled(count > 0 and self.page < count - 1)
        self.page_label.setText(f"第 {self.page + 1} / {count} 页" if count else "")

    def _render_page(self) -> None:
        if self.pages is None or self.pages.page_count() == 0:
            return
        viewport = self.scroll_area.viewport().size()
        box = QSize(max(viewport.width() - 16, 100), max(viewport.height() - 16, 100))
        size = fit(self.pages.page_size(self.page), box)
        ratio = self.devicePixelRatioF()
        image = self.pages.render(self.page, QSize(round(size.width() * ratio), round(size.height() * ratio)))
        image.setDevicePixelRatio(ratio)
        self.page_view.setPixmap(QPixmap.fromImage(image))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.pages is not None:
            self._render_timer.start()
