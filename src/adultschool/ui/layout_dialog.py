"""套打校准: a printer's offsets and scale for pre-printed certificate stock, measured with the calibration page and
saved on this PC under a name (services.certificate_settings); the calibration page opens in the PDF viewer."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QPushButton, QVBoxLayout, QWidget
from sqlalchemy import Engine

from adultschool.printing import Layout
from adultschool.services import certificate_settings, documents
from adultschool.ui import ops
from adultschool.ui.form_dialog import FormDialog
from adultschool.ui.common import HINT_COLOUR, actor, documents_folder, unused_path


def _spin(low: float, high: float, step: float, decimals: int, suffix: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setSuffix(suffix)
    return spin


class LayoutDialog(FormDialog):
    saved = Signal(str)  # the layout's name

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, name: str | None = None,
                 folder: Path | None = None):
        super().__init__(engine, parent, "套打校准")
        self._folder = folder or documents_folder()
        self.calibration_path: Path | None = None
        self.layouts = certificate_settings.print_layouts()
        self.name_combo = QComboBox()
        self.name_combo.setEditable(True)
        self.name_combo.addItems(list(self.layouts))
        self.name_combo.setEditText(name or (next(iter(self.layouts)) if self.layouts else ""))
        line = self.name_combo.lineEdit()
        assert line is not None  # an editable combo box has its line edit
        line.setPlaceholderText("通常用打印机的名字，如 办公室 EPSON")
        self.x_spin = _spin(-50, 50, 0.5, 1, " 毫米")
        self.y_spin = _spin(-50, 50, 0.5, 1, " 毫米")
        self.scale_spin = _spin(0.8, 1.2, 0.001, 3, "")
        self.text_only_check = QCheckBox("只印内容（证书纸上已有边框、标题和照片框）")
        hint = QLabel("先按 100% 把校准页打在白纸上，叠在证书纸上对着光看：十字偏右就把“向右移”减小，偏上就把“向上移”减小；"
                      "网格上量 200 毫米若只有 199 毫米，缩放填 1.005。")
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.calibration_button = QPushButton("打印校准页…")
        self.calibration_button.setAutoDefault(False)
        self.calibration_button.clicked.connect(lambda: self.print_calibration())
        form = self._form()
        form.addRow("名称", self.name_combo)
        form.addRow("向右移", self.x_spin)
        form.addRow("向上移", self.y_spin)
        form.addRow("缩放", self.scale_spin)
        form.addRow("", self.text_only_check)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.calibration_button)
        layout.addWidget(self.general_message)
        layout.addWidget(self.buttons)
        self.ok_button.setText("保存")
        self.name_combo.currentTextChanged.connect(self._load)
        self._load(self.name_combo.currentText())

    def _load(self, name: str) -> None:
        current = self.layouts.get(name, Layout())
        self.x_spin.setValue(current.offset_x_mm)
        self.y_spin.setValue(current.offset_y_mm)
        self.scale_spin.setValue(current.scale)
        self.text_only_check.setChecked(current.text_only)

    def layout_now(self) -> Layout:
        return Layout(self.x_spin.value(), self.y_spin.value(), self.scale_spin.value(), self.text_only_check.isChecked())

    def print_calibration(self, open_it: bool = True) -> ops.Op:
        out = unused_path(self._folder / "套打校准页.pdf")
        layout, who = self.layout_now(), actor()
        self.calibration_path = out

        def done(path: Path) -> None:
            self.general_message.show_message(f"校准页已生成：{path}", "hint")
            if open_it:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

        self.op = ops.run_read(self, self._engine, lambda session, _job: documents.print_calibration_page(
            session, out, layout=layout, actor=who), label="正在生成校准页……", title="套打校准", cancellable=False,
            on_success=done)
        return self.op

    def submit(self) -> None:
        self.clear_problems()
        name, layout, who = self.name_combo.currentText().strip(), self.layout_now(), actor()
        self._run(lambda session, _job: certificate_settings.save_print_layout(session, name, layout, actor=who),
                  "正在保存……", lambda _layout: self.saved.emit(name))
