"""设置 → 备份: the backup folder, changed or set back to the default, and opened."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from adultschool import paths
from adultschool.db import Database
from adultschool.services import maintenance
from adultschool.ui import ops
from adultschool.ui.about_dialog import open_folder
from adultschool.ui.common import actor, MessageLabel
from adultschool.ui.widgets import hint_label


class BackupTab(QWidget):
    """`folder_changed(Path)` after the backup folder was stored (首页 names the newest backup in it)."""

    folder_changed = Signal(object)

    def __init__(self, database: Database, parent: QWidget | None = None):
        super().__init__(parent)
        folder = paths.backup_dir()
        self.folder = folder
        self.folder_label = QLabel(str(folder))
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_label.setWordWrap(True)
        self.open_button = QPushButton("打开文件夹(&O)")
        self.open_button.clicked.connect(self.open_folder)
        self.change_button = QPushButton("更改…(&G)")
        self.change_button.clicked.connect(lambda: self.change_folder())
        self.default_button = QPushButton("恢复默认(&F)")
        self.default_button.clicked.connect(lambda: self.change_folder(default=True))
        self._engine = database.engine
        self.op: ops.Op | None = None
        self.message = MessageLabel()
        form = QFormLayout()
        form.addRow("自动备份文件夹：", self.folder_label)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addWidget(self.change_button)
        row.addWidget(self.default_button)
        row.addStretch(1)
        for button in (self.change_button, self.default_button):
            button.setEnabled(database.path is not None)
        if database.path is not None:
            text = ("每次正常退出程序时，数据库自动复制一份到上面的文件夹，按日、周、月轮换保留（最近 7 天、4 周、12 个月各一份）；"
                    "升级程序和从备份恢复之前也各存一份。\n"
                    "这是本机的设置（换一台电脑要另设）。要另存一份到 U 盘或别的电脑，"
                    "请用“文件 → 立即备份…”，恢复用“文件 → 从备份恢复…”。")
        else:
            text = "这是服务器数据库：程序不做自动备份，请用数据库服务器自己的备份工具（如 pg_dump）定期备份。"
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(hint_label(text))
        layout.addWidget(self.message)
        layout.addStretch(1)

    def choose_folder(self) -> Path | None:
        """The folder dialog; tests replace it."""
        chosen = QFileDialog.getExistingDirectory(self, "选择自动备份文件夹", str(self.folder))
        return Path(chosen) if chosen else None

    def change_folder(self, *, default: bool = False, folder: Path | None = None) -> ops.Op | None:
        """Stores this PC's backup folder through the service (which checks it can be written), off the UI thread."""
        if not default:
            folder = folder or self.choose_folder()
            if folder is None:
                return None
        chosen, who = (None if default else folder), actor()
        self.message.show_message(None)
        self.op = ops.run_write(
            self, self._engine, lambda session, _job: maintenance.set_backup_folder(session, chosen, actor=who),
            label="正在检查文件夹……", title="自动备份文件夹", cancellable=False,
            on_success=self._folder_changed, on_failure=self._folder_refused,
        )
        return self.op

    def _folder_changed(self, folder: Path) -> None:
        self.folder = folder
        self.folder_label.setText(str(folder))
        self.message.show_message(f"以后的自动备份存到 {folder}。", "hint")
        self.folder_changed.emit(folder)

    def _folder_refused(self, exc: BaseException) -> None:
        ops.show_failure(self, exc, line=self.message)

    def open_folder(self) -> bool:
        opened = open_folder(self.folder)
        self.message.show_message(None if opened else f"打不开文件夹 {self.folder}。", "error")
        return opened
