"""设置 → 街道/镇与任务数: the townships this school serves and their task numbers for a chosen year; a new township is
added at once."""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from adultschool import clock
from adultschool.models.enums import SiteKind
from adultschool.services.site import SiteInfo, TownshipInfo
from adultschool.ui.common import MessageLabel
from adultschool.ui.quota_table import QuotaRow, QuotaTable
from adultschool.ui.widgets import EnterAdds, buddy_label, hint_label


class TownshipsTab(QWidget):
    add_requested = Signal(str)

    def __init__(self, site_info: SiteInfo, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self.site = site_info
        self.townships: list[TownshipInfo] = []
        self.pending: dict[tuple[int, str], int] = {}  # (year, township) → task number typed but not saved
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(today().year)
        self.year_spin.setSuffix(" 年")
        self.year_spin.setFixedWidth(self.fontMetrics().horizontalAdvance("0") * 14)
        self.shown_year = self.year_spin.value()
        self.year_spin.valueChanged.connect(self._year_changed)
        district_site = site_info.kind is SiteKind.DISTRICT
        self.table = QuotaTable(names_editable=False, show_school=district_site, year=self.shown_year)
        self.add_edit = QLineEdit()
        self.add_edit.setPlaceholderText("新的街道/镇名称")
        self.add_button = QPushButton("添加街道/镇(&N)")
        self.add_button.clicked.connect(lambda: self.add_requested.emit(self.add_edit.text().strip()))
        EnterAdds(self.add_edit, lambda: self.add_requested.emit(self.add_edit.text().strip()))
        self.message = MessageLabel()
        form = QFormLayout()
        form.addRow(buddy_label("年度(&Y)", self.year_spin), self.year_spin)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_edit, 1)
        add_row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint_label("任务数：选中后双击或按 F2 修改，点“确定”或“应用”保存。"
                                    + ("各校的街道/镇随数据包而来。" if district_site else "")))
        layout.addLayout(add_row)
        layout.addWidget(self.message)
        for first, second in ((self.year_spin, self.table), (self.table, self.add_edit), (self.add_edit, self.add_button)):
            QWidget.setTabOrder(first, second)

    def load(self, townships: list[TownshipInfo]) -> None:
        self.townships = townships
        self._show(self.shown_year)

    def _show(self, year: int) -> None:
        self.shown_year = year
        self.table.set_year(year)
        self.table.set_rows([QuotaRow(t.name, t.quotas.get(year), t.school_code) for t in self.townships])
        for (pending_year, name), quota in self.pending.items():
            if pending_year == year:
                self.table.set_quota(self.table.row_of(name), quota)

    def keep_typed(self) -> None:
        for name, quota in self.table.changed_quotas():
            self.pending[(self.shown_year, name)] = quota

    def _year_changed(self, year: int) -> None:
        self.keep_typed()
        self._show(year)

    def changes(self) -> list[tuple[int, str, int]]:
        self.keep_typed()
        saved = {(year, t.name): quota for t in self.townships for year, quota in t.quotas.items()}
        return [(year, name, quota) for (year, name), quota in sorted(self.pending.items())
                if saved.get((year, name)) != quota]

    def saved(self, townships: list[TownshipInfo]) -> None:
        self.pending.clear()
        self.load(townships)
