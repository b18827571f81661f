"""设置 → 分中心公钥 / 分中心密钥: at a school the registered district key and the school's own signing key, with the
button that registers or replaces the district key; at a district its own public key."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from sqlalchemy import Engine

from adultschool.db import read_session
from adultschool.models.enums import SiteKind
from adultschool.services import district_keypair, sync
from adultschool.services.site import SiteInfo
from adultschool.ui.common import MessageLabel
from adultschool.ui.widgets import hint_label


class KeyTab(QWidget):
    """At a school: the registered district key and the school's own signing key; at a district: its public key."""

    def __init__(self, site_info: SiteInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.site = site_info
        self.district_label = QLabel()
        self.own_label = QLabel()
        for label in (self.district_label, self.own_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.register_button = QPushButton("登记公钥文件(&L)…")
        self.message = MessageLabel()
        form = QFormLayout()
        layout = QVBoxLayout(self)
        if site_info.kind is SiteKind.DISTRICT:
            self.register_button.hide()
            form.addRow("本分中心公钥：", self.district_label)
            layout.addLayout(form)
            layout.addWidget(hint_label("公钥文件 district.pub 发给各学校；还没有密钥时，在“数据包汇总”页点“生成密钥…”。"))
        else:
            form.addRow("分中心公钥：", self.district_label)
            form.addRow("本校签名密钥：", self.own_label)
            row = QHBoxLayout()
            row.addWidget(self.register_button)
            row.addStretch(1)
            layout.addLayout(form)
            layout.addLayout(row)
            layout.addWidget(hint_label("分中心发来的 district.pub 文件；分中心更换密钥后要重新登记。"
                                        "登记后请打电话与分中心核对指纹，一致才说明文件没有被调换。"
                                        "本校签名密钥的指纹，分中心第一次收到数据包时会核对。"))
        layout.addWidget(self.message)
        layout.addStretch(1)

    def load(self, engine: Engine) -> None:
        with read_session(engine) as session:
            if self.site.kind is SiteKind.DISTRICT:
                key = district_keypair.district_public(session)
                own = None
            else:
                key = sync.district_key(session)
                own = sync.own_fingerprint(session)
        if self.site.kind is SiteKind.DISTRICT:
            self.district_label.setText(f"指纹 {key.fingerprint}" if key else "还没有生成")
        else:
            self.district_label.setText(f"{key.code}，指纹 {key.fingerprint}" if key else "还没有登记")
            self.own_label.setText(f"指纹 {own}" if own else "还没有（生成第一个数据包时生成）")
            self.register_button.setText("更换公钥文件(&L)…" if key else "登记公钥文件(&L)…")
