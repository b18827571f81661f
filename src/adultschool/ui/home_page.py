"""首页: the day's work as services/home lists it; double-click or Enter on a line opens the page that acts on it."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget
from sqlalchemy import Engine

from adultschool import clock
from adultschool.services import home
from adultschool.ui import ops
from adultschool.ui.changes import HOME_TOPICS
from adultschool.ui.common import HINT_COLOUR, WARNING_COLOUR, Page

LINE_ROLE = Qt.ItemDataRole.UserRole + 1


class HomePage(Page):
    """`open_requested(HomeLine)` when the clerk activates a line; `computed` each time the lines have been shown.

    The lines are gathered in the worker when the page is first shown and after each change (readiness over every
    learner is among them), so the window paints at once and a large school's day fills in a moment later."""

    open_requested = Signal(object)
    computed = Signal()
    load_on_first_show = True
    topics = HOME_TOPICS

    def __init__(self, engine: Engine, db_path: Path | None, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, today=today)
        self._db_path = db_path
        self.lines: list[home.HomeLine] = []
        self.title = QLabel()
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.hint = QLabel("双击或按回车打开处理这一项的页面。")
        self.hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        self._again = False
        day = self._today()
        self.title.setText(f"今天是 {day.year}年{day.month}月{day.day}日")
        self.list.addItem("正在整理今天的事项……")

    def refresh(self) -> None:
        """Gathers the lines again in the worker (a page never shown waits for its first showing)."""
        if not self.loaded:
            return
        if self.busy:
            self._again = True  # a change during the gathering: once more when it ends
            return
        today, path = self._today(), self._db_path
        op = self._start(lambda: ops.run_read(
            self, self._engine, lambda session, _job: home.home_lines(session, today=today, db_path=path),
            label="正在整理今天的事项……", title="首页", cancellable=False, delay_ms=3000, blocks_exit=False,
            on_success=lambda lines: self._show(lines, today)))
        op.done.connect(self._after)

    def _after(self) -> None:
        if self._again:
            self._again = False
            self.refresh()

    def _show(self, lines: list[home.HomeLine], today: date) -> None:
        self.lines = lines
        self.title.setText(f"今天是 {today.year}年{today.month}月{today.day}日")
        self.list.clear()
        section = None
        bold = QFont(self.list.font())
        bold.setBold(True)
        for line in self.lines:
            if line.section != section:
                section = line.section
                header = QListWidgetItem(section)
                header.setFont(bold)
                header.setFlags(Qt.ItemFlag.NoItemFlags)
                header.setForeground(QBrush(QColor("#1a4f8b")))
                self.list.addItem(header)
            item = QListWidgetItem(f"　{line.text}")
            item.setData(LINE_ROLE, line)
            item.setToolTip(f"打开“{'立即备份' if line.target == 'backup' else line.target}”")
            if line.warning:
                item.setForeground(QBrush(QColor(WARNING_COLOUR)))
            self.list.addItem(item)
        first = next((i for i in range(self.list.count()) if self.list.item(i).data(LINE_ROLE) is not None), None)
        if first is not None:
            self.list.setCurrentRow(first)
        self.computed.emit()

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _activated(self, item: QListWidgetItem) -> None:
        line = item.data(LINE_ROLE)
        if line is not None:
            self.open_requested.emit(line)
