"""设置 → 打印字体: which TrueType font the certificates and forms are drawn with, chosen from a file or the default.

`documents.set_font` checks the file (TrueType, Chinese glyphs) before it is stored; a refusal shows in the dialog.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from sqlalchemy import Engine

from adultschool.db import read_session
from adultschool.errors import AdultSchoolError
from adultschool.services import documents
from adultschool.ui import ops
from adultschool.ui.common import actor, ask_open_path, HINT_COLOUR, MessageLabel

FONT_FILTER = "TrueType 字体 (*.ttf *.ttc);;所有文件 (*)"


class FontDialog(QDialog):
    """`changed(path or '')` after a font was chosen ('' : back to the default)."""

    changed = Signal(str)

    def __init__(self, engine: Engine, parent: QWidget | None = None):
        super().__init__(parent)
        self._engine = engine
        self.op: ops.Op | None = None
        self.setWindowTitle("打印字体")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 40)

        self.current_label = QLabel()
        self.current_label.setWordWrap(True)
        self.current_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel("证书、报名登记表、汇总表和签到表的 PDF 都用这个字体，字体会嵌入 PDF，拿到别的电脑或打印店也一样。"
                      "只能用 TrueType 字体（.ttf 或 .ttc），并且要有中文字形；学员姓名里有生僻字（如 堃、喆、赟）时，"
                      "程序自带的 LXGW 文楷最稳妥。")
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.message = MessageLabel()

        self.choose_button = QPushButton("选择字体文件…")
        self.choose_button.clicked.connect(lambda: self.choose_file())
        self.default_button = QPushButton("恢复默认")
        self.default_button.setAutoDefault(False)
        self.default_button.clicked.connect(lambda: self.set_font(None))
        self.close_button = QPushButton("关闭")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.default_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.current_label)
        layout.addWidget(hint)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.show_current()

    def show_current(self) -> None:
        with read_session(self._engine) as session:
            chosen = documents.chosen_font_path(session)
            try:
                font = documents.font_for(session)
            except AdultSchoolError as exc:
                font = None
                self.message.show_message(str(exc))
        if chosen:
            where = f"已选定：{chosen}"
        else:
            where = "默认（程序自带的 LXGW 文楷，没有时用电脑上的中文字体）"
        used = ""
        if font is not None:
            face = f"（其中第 {font.subfont_index + 1} 个字体）" if font.subfont_index else ""
            used = f"\n正在使用：{font.path.name}{face}"
        self.current_label.setText(f"打印字体：{where}{used}")
        self.default_button.setEnabled(bool(chosen) and not self.busy)

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def choose_file(self) -> None:
        path = ask_open_path(self, "选择打印字体", FONT_FILTER)
        if path:
            self.set_font(path)

    def set_font(self, path: Path | None) -> ops.Op | None:
        if self.busy:
            return None
        self.message.show_message(None)
        value = str(path) if path else None
        for button in (self.choose_button, self.default_button, self.close_button):
            button.setEnabled(False)
        who = actor()
        self.op = ops.run_write(self, self._engine, lambda session, _job: documents.set_font(session, value, actor=who),
                                label="正在检查字体……", title="打印字体", cancellable=False,
                                on_success=lambda _font: self._set(value), on_failure=self._refused)
        self.op.done.connect(self._enable)
        return self.op

    def _enable(self) -> None:
        self.choose_button.setEnabled(True)
        self.close_button.setEnabled(True)
        self.show_current()

    def _set(self, value: str | None) -> None:
        self.message.show_message(f"已改用：{Path(value).name}" if value else "已恢复默认字体。", "hint")
        self.changed.emit(value or "")

    def _refused(self, exc: BaseException) -> None:
        ops.show_failure(self, exc, line=self.message)

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()
