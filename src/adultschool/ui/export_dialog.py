"""导出报名汇总表: where to save the R13 summary form and which level; the export runs as a background operation."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QStandardPaths, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.models.enums import Level
from adultschool.services import roster
from adultschool.services.disclosure import Exported, Protection, parse_protection
from adultschool.ui import ops
from adultschool.ui.common import MessageLabel, actor, show_info

_UNSAFE_IN_FILE_NAMES = str.maketrans({c: "_" for c in '\\/:*?"<>|'})


def default_file_name(school_name: str, day: date) -> str:
    return f"报名汇总表-{school_name.translate(_UNSAFE_IN_FILE_NAMES)}-{day.isoformat()}.xlsx"


def default_folder() -> Path:
    """The clerk's 文档 folder when there is one, else the home folder."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


class ExportDialog(QDialog):
    """`exported` carries (count, path) when the file is written."""

    exported = Signal(int, str)

    def __init__(self, engine: Engine, school_name: str, parent: QWidget | None = None,
                 *, today: Callable[[], date] = clock.today, folder: Path | None = None):
        super().__init__(parent)
        self._engine = engine
        self.op: ops.Op | None = None
        self.result_box: QWidget | None = None
        self.setWindowTitle("导出报名汇总表")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0") * 90)

        self.path_edit = QLineEdit(str((folder or default_folder()) / default_file_name(school_name, today())))
        self.browse_button = QPushButton("另存为…")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self.choose_path)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)

        self.level_combo = QComboBox()
        self.level_combo.addItem("全部", None)
        for level in Level:
            self.level_combo.addItem(level.label, level)

        form = QFormLayout()
        form.addRow("保存到", path_row)
        level_row = QHBoxLayout()
        level_row.addWidget(self.level_combo)
        level_row.addStretch(1)
        form.addRow("学历提升层次", level_row)
        self.protection_combo = QComboBox()
        self.protection_combo.addItem("不加密（在本机打印）", Protection.PLAIN)
        self.protection_combo.addItem("加密（发邮件用，程序给出密码）", Protection.PASSWORD)
        self.protection_combo.addItem("身份证号码遮挡", Protection.MASKED)
        form.addRow("保护方式", self.protection_combo)
        self.error_label = MessageLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("导出")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setTabOrder(self.path_edit, self.browse_button)
        self.setTabOrder(self.browse_button, self.level_combo)

    def choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "导出报名汇总表", self.path_edit.text(), "Excel 工作簿 (*.xlsx)")
        if path:
            self.path_edit.setText(path)

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def export(self) -> None:
        if self.busy:
            return
        text = self.path_edit.text().strip()
        if not text:
            self.error_label.show_message("请填写保存位置。")
            return
        path = Path(text)
        if path.suffix.lower() != ".xlsx":
            path = path.with_name(path.name + ".xlsx")
        level = self.level_combo.currentData()
        self.error_label.show_message(None)
        self.ok_button.setEnabled(False)
        who = actor()
        protection = parse_protection(self.protection_combo.currentData())
        # A write: the export of full ID numbers is recorded in the audit log (id.reveal).
        self.op = ops.run_write(
            self, self._engine, lambda session, job: roster.export_roster(session, path, level=level, job=job, actor=who,
                                                                          protection=protection),
            label="正在导出报名汇总表……", title="导出报名汇总表",
            on_success=lambda exported: self._exported(exported, path), on_failure=self._failed,
        )

    def _exported(self, exported: Exported, path: Path) -> None:
        self.ok_button.setEnabled(True)
        super().accept()
        self.exported.emit(exported.count, str(path))
        self.result_box = show_info(self.parentWidget(), "导出完成",
                                    f"已导出 {exported.count} 人的报名汇总表：\n{path}\n\n" + "\n".join(exported.lines()))

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        ops.show_failure(self, exc, line=self.error_label, cancelled="已取消导出，没有写出文件。")

    def accept(self) -> None:
        self.export()

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()
