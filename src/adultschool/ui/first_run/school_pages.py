"""The first-run wizard's pages for the site itself: its code and name (a school's or a district office's), and the
townships a school serves with their quotas."""
from __future__ import annotations

import re
from datetime import date
from typing import Callable

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QVBoxLayout

from adultschool import clock
from adultschool.errors import AdultSchoolError
from adultschool.models.enums import SiteKind
from adultschool.services import first_run, site
from adultschool.services.first_run import TownshipPlan
from adultschool.ui.first_run.page import DISTRICT_KEYS, DISTRICT_PUBLIC, TOWNSHIPS, FirstRunPage
from adultschool.ui.quota_table import QuotaTable
from adultschool.ui.widgets import EnterAdds, buddy_label, chain_tab_order, hint_label


_TOWNSHIP_SEPARATORS = re.compile(r"[,，、;；\s]+")


def split_townships(text: str) -> list[str]:
    """'大碶街道，新碶街道、小港街道' → three names (clerks type Chinese or English commas)."""
    return [part for part in _TOWNSHIP_SEPARATORS.split(text.strip()) if part]


class IdentityPage(FirstRunPage):
    def __init__(self) -> None:
        super().__init__("学校代码和名称")
        self.code_edit = QLineEdit()
        self.name_edit = QLineEdit()
        self.code_label = buddy_label("学校代码(&C)", self.code_edit)
        self.name_label = buddy_label("学校名称(&M)", self.name_edit)
        self.hint = hint_label("")
        form = QFormLayout()
        form.addRow(self.code_label, self.code_edit)
        form.addRow(self.name_label, self.name_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.message)
        layout.addStretch(1)
        chain_tab_order(self.code_edit, self.name_edit)
        self.first_field = self.code_edit

    def initializePage(self) -> None:
        district = self.wizard().kind is SiteKind.DISTRICT
        what = "分中心" if district else "学校"
        self.setTitle(f"{what}代码和名称")
        self.setSubTitle("代码用在学籍号、数据包和文件名里，建好后不能再改，请与分中心核对。" if not district else
                         "分中心的代码和名称，会写进分中心公钥，各学校登记公钥时能看到。")
        self.code_label.setText(f"{what}代码(&C)")
        self.name_label.setText(f"{what}名称(&M)")
        self.code_edit.setPlaceholderText("如：330206" if district else "如：330206-01")
        self.name_edit.setPlaceholderText("如：北仑区社区学院（成人教育分中心）" if district else "如：北仑区大碶街道成人文化技术学校")
        self.hint.setText("代码只能用数字、英文字母和“-”，2 到 39 个字符。")
        self.message.show_message(None)

    def validatePage(self) -> bool:
        try:
            code, name = site.check_identity(self.code_edit.text(), self.name_edit.text())
        except AdultSchoolError as exc:
            return self.refuse(exc, self.name_edit if exc.field == "name" else self.code_edit)
        self.code_edit.setText(code)
        self.name_edit.setText(name)
        self.message.show_message(None)
        return True

    def nextId(self) -> int:
        return DISTRICT_KEYS if self.wizard().kind is SiteKind.DISTRICT else TOWNSHIPS


class TownshipsPage(FirstRunPage):
    def __init__(self, *, today: Callable[[], date] = clock.today) -> None:
        super().__init__("负责的街道/镇和任务数", "本校负责招生的街道/镇，以及区里下达的年度任务数（人）。以后可在“设置”里修改、添加。")
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(today().year)
        self.year_spin.setSuffix(" 年")
        self.year_spin.setFixedWidth(self.fontMetrics().horizontalAdvance("0") * 14)
        self.add_edit = QLineEdit()
        self.add_edit.setPlaceholderText("如：大碶街道，新碶街道（可一次输入多个，用逗号或顿号隔开）")
        self.add_button = QPushButton("添加(&A)")
        self.add_button.clicked.connect(self.add_typed)
        EnterAdds(self.add_edit, self.add_typed)
        self.table = QuotaTable(names_editable=True, year=self.year_spin.value())
        self.year_spin.valueChanged.connect(self.table.set_year)
        self.remove_button = QPushButton("删除所选(&D)")
        self.remove_button.clicked.connect(self.remove_selected)

        form = QFormLayout()
        form.addRow(buddy_label("任务年度(&Y)", self.year_spin), self.year_spin)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_edit, 1)
        add_row.addWidget(self.add_button)
        form.addRow(buddy_label("街道/镇(&T)", self.add_edit), add_row)
        buttons = QHBoxLayout()
        buttons.addWidget(hint_label("任务数：选中后双击或按 F2 修改，最小值“未定”表示还没有下达。"), 1)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        chain_tab_order(self.year_spin, self.add_edit, self.add_button, self.table, self.remove_button)
        self.first_field = self.add_edit

    def add_typed(self) -> None:
        names = split_townships(self.add_edit.text())
        known = {row.name for row in self.table.rows()}
        for name in names:
            if name not in known:
                self.table.add_row(name)
                known.add(name)
        self.add_edit.clear()
        self.add_edit.setFocus()
        self.message.show_message(None)

    def remove_selected(self) -> None:
        self.table.remove_current_row()

    def townships(self) -> tuple[TownshipPlan, ...]:
        return tuple(TownshipPlan(row.name, row.quota) for row in self.table.rows())

    def validatePage(self) -> bool:
        if self.add_edit.text().strip():  # typed but not yet added: 下一步 means "with these"
            self.add_typed()
        try:
            first_run.check_townships(self.townships())
        except AdultSchoolError as exc:
            return self.refuse(exc, self.table)
        self.message.show_message(None)
        return True

    def nextId(self) -> int:
        return DISTRICT_PUBLIC
