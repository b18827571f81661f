"""设置 → 读卡器: this PC's ID card reader (the vendor's driver file, its family of calls, the port, the photo
decoder), saved on its own, with 测试读卡 to try it with a card. A 32-bit driver needs nothing more here: it is read
through the idreader32.exe installed with the program."""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock, idreader
from adultschool.errors import AdultSchoolError
from adultschool.idreader import Family, ReaderConfig
from adultschool.services import card_reader
from adultschool.ui import ops
from adultschool.ui.common import MessageLabel, actor, report_failure

AUTO_PORT = "自动查找"
LIBRARY_FILTER = "读卡器驱动 (*.dll *.so);;所有文件 (*)"


class CardReaderTab(QWidget):
    saved = Signal(object)  # ReaderConfig | None

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self._engine, self._today = engine, today
        self.op: ops.Op | None = None
        self.library_edit = QLineEdit()
        self.library_edit.setPlaceholderText("读卡器厂家提供的驱动，如 C:\\Program Files\\读卡器\\sdtapi.dll")
        self.library_button = QPushButton("选择…")
        self.library_button.clicked.connect(self.choose_library)
        self.family_combo = QComboBox()
        for family in Family:
            self.family_combo.addItem(family.label, family.value)
        self.port_combo = QComboBox()
        self.port_combo.addItem(AUTO_PORT, None)
        for port in idreader.SCAN_ORDER:
            self.port_combo.addItem(f"{port}（{'USB' if port > 1000 else '串口'}）", port)
        self._helper: str | None = None  # set with `adultschool card setup --helper`; kept when saved here
        self.decoder_edit = QLineEdit()
        self.decoder_edit.setPlaceholderText("可不填：读卡器厂家的 WltRS.dll（通用 SAM 接口），用来读出证件照片")
        self.decoder_button = QPushButton("选择…")
        self.decoder_button.clicked.connect(self.choose_decoder)
        self.save_button = QPushButton("保存读卡器设置")
        self.save_button.clicked.connect(lambda: self.save())
        self.clear_button = QPushButton("不用读卡器")
        self.clear_button.clicked.connect(lambda: self.save(clear=True))
        self.test_button = QPushButton("测试读卡")
        self.test_button.setToolTip("把一张身份证放在读卡器上再点：显示读出的姓名和遮挡后的号码")
        self.test_button.clicked.connect(lambda: self.test())
        self.message = MessageLabel(kind="hint")

        def row(edit: QLineEdit, button: QPushButton) -> QHBoxLayout:
            line = QHBoxLayout()
            line.addWidget(edit, 1)
            line.addWidget(button)
            return line

        form = QFormLayout()
        form.addRow("驱动文件", row(self.library_edit, self.library_button))
        form.addRow("接口类型", self.family_combo)
        form.addRow("端口", self.port_combo)
        form.addRow("照片解码", row(self.decoder_edit, self.decoder_button))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.clear_button, self.test_button, self.save_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.load()

    def load(self) -> None:
        config = card_reader.reader_config()
        self.library_edit.setText(config.library if config else "")
        self.family_combo.setCurrentIndex(self.family_combo.findData(config.family.value) if config else 0)
        self.port_combo.setCurrentIndex(max(self.port_combo.findData(config.port), 0) if config else 0)
        self._helper = config.helper if config else None
        self.decoder_edit.setText((config.photo_decoder or "") if config else "")
        self.message.show_message("本机已设置读卡器：登记学员时把身份证放上去即可读入。" if config else
                                  "本机还没有设置读卡器。没有读卡器也可以照常手工登记。", "hint")

    def choose_library(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "选择读卡器驱动", self.library_edit.text(), LIBRARY_FILTER)
        if chosen:
            self.library_edit.setText(chosen)

    def choose_decoder(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "选择照片解码文件（WltRS.dll）",
                                                self.decoder_edit.text() or self.library_edit.text(), LIBRARY_FILTER)
        if chosen:
            self.decoder_edit.setText(chosen)

    def config(self) -> ReaderConfig:
        return card_reader.checked_config(self.library_edit.text(), self.family_combo.currentData(),
                                          self.port_combo.currentData(), photo_decoder=self.decoder_edit.text(),
                                          helper=self._helper)

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def _enable(self) -> None:
        for button in (self.save_button, self.clear_button, self.test_button):
            button.setEnabled(not self.busy)

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, AdultSchoolError):
            self.message.show_message(str(exc), "error")
        else:
            report_failure(self, exc)

    def save(self, *, clear: bool = False) -> ops.Op | None:
        if self.busy:
            return None
        try:
            config = None if clear else self.config()
        except AdultSchoolError as exc:
            self.message.show_message(str(exc), "error")
            return None
        who = actor()
        self.op = ops.run_write(
            self, self._engine, lambda session, _job: card_reader.save_reader_config(session, config, actor=who),
            label="正在保存……", title="读卡器", cancellable=False, on_success=self._saved, on_failure=self._refused)
        self._enable()
        self.op.done.connect(self._enable)
        return self.op

    def _saved(self, config: ReaderConfig | None) -> None:
        self.load()
        self.message.show_message("已保存读卡器设置：以后打开“登记学员”时会自动读卡。" if config else
                                  "已取消读卡器设置。", "hint")
        self.saved.emit(config)

    def test(self) -> ops.Op | None:
        if self.busy:
            return None
        try:
            config = self.config()
        except AdultSchoolError as exc:
            self.message.show_message(str(exc), "error")
            return None
        today = self._today()
        self.op = ops.run_op(self, lambda _job: card_reader.read_for_registration(config, today=today), label="正在读卡……",
                             title="测试读卡", cancellable=False, on_success=self._tested, on_failure=self._refused)
        self._enable()
        self.op.done.connect(self._enable)
        return self.op

    def _tested(self, reading: card_reader.CardReading) -> None:
        if reading.card.port is not None and self.port_combo.currentData() is None:
            self.port_combo.setCurrentIndex(self.port_combo.findData(reading.card.port))
        self.message.show_message("读卡成功（端口 %s）：\n%s" % (reading.card.port, "\n".join(reading.lines())),
                                  "warning" if reading.warnings else "hint")
