"""设置 → 证书: per level, the issuing body, the title, the seal text and the wording, with a preview page that shows
what a certificate in that wording looks like before it is saved (services.certificate_settings, documents)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool.db import read_session
from adultschool.errors import AdultSchoolError
from adultschool.models import Level
from adultschool.printing import PLACEHOLDERS
from adultschool.services import certificate_settings, documents
from adultschool.services.certificate_settings import Wording
from adultschool.ui import ops
from adultschool.ui.common import HINT_COLOUR, MessageLabel, actor
from adultschool.ui.pdf_pages import open_pages

PREVIEW_DELAY_MS = 400


class CertificateTab(QWidget):
    saved = Signal(object)  # Wording

    def __init__(self, engine: Engine, parent: QWidget | None = None):
        super().__init__(parent)
        self._engine = engine
        self.op: ops.Op | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="adultschool-preview-")
        self.level_combo = QComboBox()
        for level in (Level.SENIOR, Level.JUNIOR):
            self.level_combo.addItem(level.label, level)
        self.issuer_edit = QLineEdit()
        self.issuer_edit.setPlaceholderText("如：北仑区成人“双证制”教育培训领导小组办公室")
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(12)
        self.seal_edit = QLineEdit()
        self.seal_edit.setPlaceholderText("盖章处的文字（不填：印“盖章”虚线框）")
        self.body_edit = QPlainTextEdit()
        self.body_edit.setPlaceholderText("不填：用模板的措辞。可用占位符：" + "、".join("{" + k + "}" for k in PLACEHOLDERS))
        self.body_edit.setFixedHeight(self.fontMetrics().height() * 5)
        hint = QLabel("高中证书由市里统筹、初中由县（区）统筹颁发（R11）：发证机关按本区的规定填写。改动会记入审计记录。")
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.message = MessageLabel()
        self.save_button = QPushButton("保存证书设置")
        self.save_button.clicked.connect(lambda: self.save())
        self.preview = QLabel("预览")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(QSize(360, 255))
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("background: #f4f4f4; border: 1px solid #cccccc;")

        form = QFormLayout()
        form.addRow("层次", self.level_combo)
        form.addRow("发证机关", self.issuer_edit)
        form.addRow("证书标题", self.title_edit)
        form.addRow("印章文字", self.seal_edit)
        form.addRow("正文", self.body_edit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.preview, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.render_preview)
        for signal in (self.issuer_edit.textChanged, self.title_edit.textChanged, self.seal_edit.textChanged,
                       self.body_edit.textChanged):
            signal.connect(lambda *_args: self._timer.start())
        self.level_combo.currentIndexChanged.connect(lambda _index: self.load())
        self.load()

    def level(self) -> Level:
        return Level(self.level_combo.currentData())

    def load(self) -> None:
        with read_session(self._engine) as session:
            current = certificate_settings.wording(session, self.level())
        for edit, value in ((self.issuer_edit, current.issuer), (self.title_edit, current.title),
                            (self.seal_edit, current.seal_text or "")):
            edit.blockSignals(True)
            edit.setText(value)
            edit.blockSignals(False)
        self.body_edit.blockSignals(True)
        self.body_edit.setPlainText(current.body_text or "")
        self.body_edit.blockSignals(False)
        self.render_preview()

    def wording(self) -> Wording:
        return Wording(self.level(), self.issuer_edit.text().strip(), self.title_edit.text().strip() or "毕业证书",
                       self.seal_edit.text().strip() or None, self.body_edit.toPlainText().strip() or None)

    def render_preview(self) -> bool:
        """The sample certificate as it would print now; a wording the printer would refuse is said instead."""
        self._timer.stop()
        out = Path(self._folder.name) / f"preview-{self.level().value}.pdf"
        try:
            with read_session(self._engine) as session:
                documents.print_sample_certificate(session, out, self.wording())
        except AdultSchoolError as exc:
            self.message.show_message(exc.message, "error")
            return False
        pages = open_pages(out)
        if pages is None:
            self.preview.setText("（这台电脑不能显示预览：保存后打印一张样张核对）")
            return True
        try:
            size = pages.page_size(0)
            width = max(self.preview.width() - 8, 320)
            image = pages.render(0, QSize(width, int(width * size.height() / size.width())))
        finally:
            pages.close()
        self.preview.setPixmap(QPixmap.fromImage(image))
        self.message.show_message(None)
        return True

    def save(self) -> ops.Op | None:
        wording, who = self.wording(), actor()
        self.save_button.setEnabled(False)
        self.op = ops.run_write(self, self._engine, lambda session, _job: certificate_settings.set_wording(
            session, wording.level, issuer=wording.issuer, title=wording.title, seal_text=wording.seal_text,
            body_text=wording.body_text, actor=who), label="正在保存……", title="证书设置", cancellable=False,
            on_success=self._saved, on_failure=self._refused)
        return self.op

    def _saved(self, wording: Wording) -> None:
        self.save_button.setEnabled(True)
        self.message.show_message(f"已保存{wording.level.label}证书的设置。", "hint")
        self.saved.emit(wording)

    def _refused(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        ops.show_failure(self, exc, line=self.message)
