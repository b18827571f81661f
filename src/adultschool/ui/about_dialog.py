"""帮助 → 关于: the version, where this database and the program's folders are, Python, Qt and the Windows it runs on
(as Windows reports it, Wine included), with 复制 for support and buttons that open the folders in the file manager.
"""
from __future__ import annotations

import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import QUrl, Qt, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from adultschool import __version__, paths, system
from adultschool.db import Database
from adultschool.models.enums import SiteKind
from adultschool.services.site import SiteInfo
from adultschool.ui.common import MessageLabel


def open_folder(folder: Path) -> bool:
    """Shows `folder` in Explorer (or the desktop's file manager), making it first if it is not there yet."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def site_word(site: SiteInfo | None) -> str:
    return "分中心" if site is not None and site.kind is SiteKind.DISTRICT else "学校"


def about_facts(title: str, database: Database, site: SiteInfo | None) -> list[tuple[str, str, Path | None]]:
    """(what, value, folder to open or None), in the order shown and copied."""
    database_folder = database.path.parent if database.path is not None else None
    facts: list[tuple[str, str, Path | None]] = [
        ("程序", title, None),
        ("版本", __version__, None),
    ]
    if site is not None:
        facts.append((site_word(site), f"{site.name}（{site.code}）", None))
    facts += [
        ("数据库", database.describe(), database_folder),
        ("数据文件夹", str(paths.data_dir()), paths.data_dir()),
        ("日志文件夹", str(paths.log_dir()), paths.log_dir()),
        ("备份文件夹", str(paths.backup_dir()) if database.path is not None else f"{paths.backup_dir()}（服务器数据库用服务器的备份）",
         paths.backup_dir()),
        ("Python", f"{platform.python_version()}（{platform.architecture()[0]}）", None),
        ("Qt", f"{qVersion()}，PySide6 {PySide6.__version__}", None),
        ("操作系统", system.os_description(), None),
    ]
    return facts


def about_text(facts: list[tuple[str, str, Path | None]]) -> str:
    return "\n".join(f"{what}：{value}" for what, value, _folder in facts)


class AboutDialog(QDialog):
    def __init__(self, title: str, database: Database, site: SiteInfo | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("关于")
        self.facts = about_facts(title, database, site)
        self.value_labels: dict[str, QLabel] = {}
        self.open_buttons: dict[str, QPushButton] = {}
        heading = QLabel(f"<b>{title}</b>")
        heading.setTextFormat(Qt.TextFormat.RichText)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        mnemonics = {"数据库": "打开所在文件夹(&W)", "数据文件夹": "打开(&D)", "日志文件夹": "打开(&L)", "备份文件夹": "打开(&B)"}
        order: list[QWidget] = []
        for row, (what, value, folder) in enumerate(self.facts):
            name = QLabel(f"{what}：")
            name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            shown = QLabel(value)  # not wrapped: a path reads best on one line, and the dialog then sizes itself right
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            shown.setTextFormat(Qt.TextFormat.PlainText)
            self.value_labels[what] = shown
            grid.addWidget(name, row, 0)
            grid.addWidget(shown, row, 1)
            if folder is not None:
                button = QPushButton(mnemonics.get(what, "打开"))
                button.setAutoDefault(False)
                button.setToolTip(f"在文件管理器里打开 {folder}")
                button.clicked.connect(lambda _checked=False, f=folder: self.show_folder(f))
                self.open_buttons[what] = button
                grid.addWidget(button, row, 2)
                order.append(button)
        self.message = MessageLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setText("关闭")
        self.copy_button = QPushButton("复制(&C)")
        self.copy_button.setAutoDefault(False)
        self.copy_button.setToolTip("把上面的内容复制下来，发给技术支持")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(grid)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.close_button.setDefault(True)  # Enter, like Esc, closes; set once the button is inside the dialog
        for first, second in zip([self.copy_button, *order], [*order, self.close_button]):
            QWidget.setTabOrder(first, second)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 44)

    def text(self) -> str:
        return about_text(self.facts)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.copy_button.setText("已复制(&C)")

    def show_folder(self, folder: Path) -> bool:
        opened = open_folder(folder)
        self.message.show_message(None if opened else f"打不开文件夹 {folder}。", "error")
        return opened
