"""The first-run wizard's key pages: a school registers the district's public key (district.pub); a new district
office makes its key pair."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from adultschool import aspkg
from adultschool.errors import AdultSchoolError
from adultschool.ui.common import ask_folder, ask_open_path, documents_folder
from adultschool.ui.first_run.page import ADMIN, FirstRunPage
from adultschool.ui.sync_page import KEY_FILTER, read_key_file
from adultschool.ui.widgets import buddy_label, chain_tab_order, hint_label, password_edit


class DistrictPublicPage(FirstRunPage):
    def __init__(self) -> None:
        super().__init__("分中心公钥", "学校发给分中心的数据包要用分中心的公钥（district.pub）加密。")
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("没有也可以：以后在“设置”或“数据上报”页登记")
        self.path_edit.textChanged.connect(self._path_changed)
        self.browse_button = QPushButton("浏览(&O)…")
        self.browse_button.clicked.connect(self.choose_file)
        self.key_label = QLabel()
        self.key_label.setWordWrap(True)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data: bytes | None = None
        self.key: aspkg.DistrictPublicKey | None = None
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow(buddy_label("公钥文件(&K)", self.path_edit), row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.key_label)
        layout.addWidget(hint_label("选好后请打电话与分中心核对上面显示的指纹，确认文件没有被调换。"
                                    "还没有拿到公钥文件的，可以先跳过：生成第一个数据包之前再登记。"))
        layout.addWidget(self.message)
        layout.addStretch(1)
        chain_tab_order(self.path_edit, self.browse_button)
        self.first_field = self.path_edit

    def _path_changed(self) -> None:
        self.data, self.key = None, None
        self.key_label.clear()
        self.message.show_message(None)

    def choose_file(self) -> None:
        path = ask_open_path(self, "选择分中心公钥文件", KEY_FILTER)
        if path:
            self.path_edit.setText(str(path))
            self.load()

    def load(self) -> bool:
        text = self.path_edit.text().strip()
        if not text:
            self._path_changed()
            return True
        try:
            data, key = read_key_file(Path(text))
        except AdultSchoolError as exc:
            self.data, self.key = None, None
            self.key_label.clear()
            return self.refuse(exc, self.path_edit)
        self.data, self.key = data, key
        self.key_label.setText(f"分中心：{key.code}\n指纹：{key.fingerprint}")
        self.message.show_message(None)
        return True

    def validatePage(self) -> bool:
        return self.load()

    def nextId(self) -> int:
        return ADMIN


class DistrictKeysPage(FirstRunPage):
    def __init__(self) -> None:
        super().__init__("分中心密钥", "分中心的公钥（district.pub）发给各学校；私钥（district.key）用口令保护，导入数据包时要用。")
        self.make_check = QCheckBox("现在生成分中心密钥(&G)")
        self.make_check.setChecked(True)
        self.make_check.toggled.connect(self._toggled)
        self.passphrase_edit = password_edit()
        self.again_edit = password_edit()
        self.folder_edit = QLineEdit(str(documents_folder() / "分中心密钥"))
        self.browse_button = QPushButton("浏览(&O)…")
        self.browse_button.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow(buddy_label("口令(&P)", self.passphrase_edit), self.passphrase_edit)
        form.addRow(buddy_label("再输一次(&R)", self.again_edit), self.again_edit)
        form.addRow(buddy_label("保存到文件夹(&S)", self.folder_edit), row)
        self.fields = (self.passphrase_edit, self.again_edit, self.folder_edit, self.browse_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.make_check)
        layout.addLayout(form)
        layout.addWidget(hint_label(
            f"口令至少 {aspkg.MIN_PASSPHRASE_CHARS} 个字符。忘记口令就再也打不开私钥，请记在安全的地方，"
            "并把 district.key 另存一份到 U 盘。"
            "也可以以后在“数据包汇总”页点“生成密钥…”。"))
        layout.addWidget(self.message)
        layout.addStretch(1)
        chain_tab_order(self.make_check, self.passphrase_edit, self.again_edit, self.folder_edit, self.browse_button)
        self.first_field = self.passphrase_edit

    def _toggled(self, on: bool) -> None:
        if not on:
            self.make_check.setFocus()  # not on the next enabled widget, which may be 上一步 (Enter would go back)
        for widget in self.fields:
            widget.setEnabled(on)
        self.message.show_message(None)

    def choose_folder(self) -> None:
        folder = ask_folder(self, "密钥文件保存到哪个文件夹")
        if folder:
            self.folder_edit.setText(str(folder))

    def folder(self) -> Path | None:
        return Path(self.folder_edit.text().strip()).expanduser() if self.make_check.isChecked() else None

    def validatePage(self) -> bool:
        if not self.make_check.isChecked():
            self.message.show_message(None)
            return True
        secret = self.passphrase_edit.text()
        if len(secret) < aspkg.MIN_PASSPHRASE_CHARS:
            return self.refuse(f"口令太短：至少要 {aspkg.MIN_PASSPHRASE_CHARS} 个字符。", self.passphrase_edit)
        if self.again_edit.text() != secret:
            self.again_edit.clear()
            return self.refuse("两次输入的口令不一致，请再输一次。", self.again_edit)
        if not self.folder_edit.text().strip():
            return self.refuse("请选择保存密钥文件的文件夹。", self.folder_edit)
        folder = self.folder()
        assert folder is not None  # make_check is checked
        taken = [name for name in ("district.pub", "district.key") if (folder / name).exists()]
        if taken:
            return self.refuse(f"文件夹 {folder} 里已经有 {'、'.join(taken)}，不覆盖：请换一个文件夹。", self.folder_edit)
        self.message.show_message(None)
        return True

    def nextId(self) -> int:
        return ADMIN
