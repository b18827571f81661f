"""设置 → 设置…: the rules table, townships and their yearly task numbers, the print font, the backup folder and the
district's public key, in tabs. Administrators only (roles.py); the services check and audit every change.

确定 (Enter) saves the edited rules and task numbers in one transaction and closes, 应用 saves and stays, 取消 (Esc)
forgets them. A refusal is shown beside the field it is about, and nothing of that save is stored. Adding a township,
choosing a font and registering a district key take effect at once, as the buttons say.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from adultschool import clock
from adultschool.db import Database, read_session
from adultschool.errors import AdultSchoolError
from adultschool.models.enums import SiteKind
from adultschool.services import site, site_settings, sync
from adultschool.services.site import SiteInfo, TownshipInfo
from adultschool.rule_defaults import SPECS_BY_KEY
from adultschool.ui import changes, ops
from adultschool.ui.backup_tab import BackupTab
from adultschool.ui.card_reader_tab import CardReaderTab
from adultschool.ui.certificate_settings_tab import CertificateTab
from adultschool.ui.common import actor, ask_open_path, MessageLabel, report_failure
from adultschool.ui.font_tab import EmbeddedFontPanel
from adultschool.ui.key_tab import KeyTab
from adultschool.ui.rules_tab import RulesTab
from adultschool.ui.sync_page import KEY_FILTER, confirm_district_key_change, read_key_file
from adultschool.ui.townships_tab import TownshipsTab


class SettingsDialog(QDialog):
    """`changed(Changes)` after something was stored (the window refreshes the pages that show it). `today` is the
    window's day: the year the task numbers open on, the day a card's validity is checked on."""

    changed = Signal(object)

    def __init__(self, database: Database, site_info: SiteInfo, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self.database = database
        self._engine = database.engine
        self.site = site_info
        self.op: ops.Op | None = None
        self.setWindowTitle("设置")
        metrics = self.fontMetrics()
        self.setMinimumWidth(metrics.horizontalAdvance("中") * 52)

        self.tabs = QTabWidget()
        self.rules_tab = RulesTab(at_district=site_info.kind is SiteKind.DISTRICT)
        self.townships_tab = TownshipsTab(site_info, today=today)
        self.townships_tab.add_requested.connect(self.add_township)
        self.font_tab = EmbeddedFontPanel(self._engine)
        self.backup_tab = BackupTab(database)
        self.key_tab = KeyTab(site_info)
        self.key_tab.register_button.clicked.connect(lambda: self.register_district_key())
        self.tabs.addTab(self.rules_tab, "规则(&R)")
        self.tabs.addTab(self.townships_tab, "街道/镇与任务数(&T)")
        self.tabs.addTab(self.font_tab, "打印字体(&F)")
        self.tabs.addTab(self.backup_tab, "备份(&B)")
        self.tabs.addTab(self.key_tab, "分中心密钥(&K)" if site_info.kind is SiteKind.DISTRICT else "分中心公钥(&K)")
        self.certificate_tab = CertificateTab(self._engine)
        self.certificate_tab.saved.connect(lambda _wording: self.changed.emit(changes.SETTINGS_SAVED))
        self.backup_tab.folder_changed.connect(lambda _folder: self.changed.emit(changes.SETTINGS_SAVED))
        self.tabs.addTab(self.certificate_tab, "证书(&C)")
        if site_info.kind is SiteKind.SCHOOL:
            self.card_reader_tab = CardReaderTab(self._engine, today=today)
            self.tabs.addTab(self.card_reader_tab, "读卡器(&D)")

        self.message = MessageLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                        | QDialogButtonBox.StandardButton.Apply)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.ok_button.setText("确定")
        self.cancel_button.setText("取消")
        self.apply_button.setText("应用(&A)")
        self.ok_button.clicked.connect(lambda: self.save(close=True))
        self.apply_button.clicked.connect(lambda: self.save(close=False))
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.ok_button.setDefault(True)  # once inside the dialog, or the dialog would not know it as its default
        QWidget.setTabOrder(self.tabs, self.ok_button)
        QWidget.setTabOrder(self.ok_button, self.cancel_button)
        QWidget.setTabOrder(self.cancel_button, self.apply_button)
        self.reload()
        self._fit_to_screen()

    def _fit_to_screen(self) -> None:
        """Tall enough for the rules without scrolling where the screen allows, never taller than a 1366×768 laptop's."""
        screen = self.screen()
        wanted = self.fontMetrics().height() * 40
        if screen is not None:
            wanted = min(wanted, screen.availableGeometry().height() - 80)
        self.resize(max(self.sizeHint().width(), self.minimumWidth()), wanted)

    # --- reading -----------------------------------------------------------------------------------------------

    def reload(self) -> None:
        with read_session(self._engine) as session:
            current = site_settings.current_settings(session)
        self.rules_tab.load(current.rules, current.locked, current.school_may_change)
        self.townships_tab.load(current.townships)
        self.key_tab.load(self._engine)

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def _start(self, factory: Callable[[], ops.Op]) -> ops.Op:
        self.op = factory()
        self._enable()
        self.op.done.connect(self._enable)
        return self.op

    def _enable(self) -> None:
        idle = not self.busy
        for widget in (self.ok_button, self.apply_button, self.cancel_button, self.townships_tab.add_button,
                       self.key_tab.register_button):
            widget.setEnabled(idle)

    # --- saving the rules and task numbers ------------------------------------------------------------------------

    def save(self, *, close: bool) -> ops.Op | None:
        if self.busy:
            return None
        self.message.show_message(None)
        self.rules_tab.clear_errors()
        self.townships_tab.message.show_message(None)
        rule_changes = self.rules_tab.changes()
        quota_changes = self.townships_tab.changes()
        may_change = self.rules_tab.may_change()
        if not rule_changes and not quota_changes and may_change is None:
            if close:
                self.accept()
            else:
                self.message.show_message("没有改动。", "hint")
            return None
        who = actor()
        return self._start(lambda: ops.run_write(
            self, self._engine,
            lambda session, _job: site_settings.save_settings(
                session, rule_changes=rule_changes, quota_changes=quota_changes, school_may_change=may_change,
                actor=who),
            label="正在保存设置……", title="设置", cancellable=False,
            on_success=lambda saved: self._saved(saved, close=close),
            on_failure=lambda exc: self._refused(exc, "rules" if getattr(exc, "field", None) in SPECS_BY_KEY
                                                 else "townships")))

    def _saved(self, saved: site_settings.SavedSettings, *, close: bool) -> None:
        self.rules_tab.load(saved.rules, saved.locked, saved.school_may_change)
        self.townships_tab.saved(saved.townships)
        self.message.show_message("已保存。", "hint")
        self.changed.emit(changes.SETTINGS_SAVED)
        if close:
            self.accept()

    def _refused(self, exc: BaseException, stage: str) -> None:
        if not isinstance(exc, AdultSchoolError):
            report_failure(self, exc)
            return
        if exc.field in SPECS_BY_KEY:
            self.tabs.setCurrentWidget(self.rules_tab)
            self.rules_tab.show_error(exc.field, str(exc))
            self.message.show_message("没有保存任何改动：请按红字修改后再保存。", "error")
            return
        if stage == "townships":
            self.tabs.setCurrentWidget(self.townships_tab)
            self.townships_tab.message.show_message(str(exc), "error")
        self.message.show_message(f"没有保存任何改动：{exc}", "error")

    # --- actions that take effect at once -----------------------------------------------------------------------

    def add_township(self, name: str) -> ops.Op | None:
        if self.busy:
            return None
        tab = self.townships_tab
        if not name:
            tab.message.show_message("请先输入街道/镇的名称。", "error")
            tab.add_edit.setFocus()
            return None
        tab.message.show_message(None)
        who = actor()
        school_code = self.site.code if self.site.kind is SiteKind.SCHOOL else None

        def work(session, _job):  # noqa: ANN001, ANN202
            site.add_township(session, name, school_code=school_code, actor=who)
            return site.list_townships(session)

        def added(townships: list[TownshipInfo]) -> None:
            tab.keep_typed()
            tab.load(townships)
            tab.add_edit.clear()
            tab.message.show_message(f"已添加：{name}", "hint")
            tab.table.setCurrentCell(tab.table.row_of(name), tab.table.columnCount() - 1)
            self.changed.emit(changes.SETTINGS_SAVED)

        def refused(exc: BaseException) -> None:
            ops.show_failure(self, exc, line=tab.message)
            tab.add_edit.setFocus()

        return self._start(lambda: ops.run_write(self, self._engine, work, label="正在添加街道/镇……", title="设置",
                                                 cancellable=False, on_success=added, on_failure=refused))

    def choose_key_file(self) -> Path | None:
        return ask_open_path(self, "选择分中心公钥文件", KEY_FILTER)

    def register_district_key(self, path: Path | None = None) -> ops.Op | None:
        if self.busy:
            return None
        tab = self.key_tab
        path = path or self.choose_key_file()
        if path is None:
            return None
        try:
            data, _key = read_key_file(path)
        except AdultSchoolError as exc:
            self.tabs.setCurrentWidget(tab)
            tab.message.show_message(str(exc), "error")
            return None
        who = actor()

        def registered(key: Any) -> None:
            tab.load(self._engine)
            before = f"（原指纹 {key.previous_fingerprint}）" if key.changed else ""
            tab.message.show_message(f"已登记分中心 {key.code} 的公钥，指纹 {key.fingerprint}{before}。请与分中心核对这个指纹。",
                                     "hint")
            self.changed.emit(changes.DISTRICT_KEY_SET)

        def refused(exc: BaseException) -> None:
            if isinstance(exc, sync.DistrictKeyChange) and exc.allowed:
                self.key_change_box = confirm_district_key_change(self, exc, lambda: start(True))
            else:
                ops.show_failure(self, exc, line=tab.message)

        def start(replace: bool) -> ops.Op:
            return self._start(lambda: ops.run_write(
                self, self._engine, lambda session, _job: sync.set_district_key(session, data, actor=who, replace=replace),
                label="正在登记分中心公钥……", title="设置", cancellable=False, on_success=registered, on_failure=refused))

        return start(False)

    def reject(self) -> None:
        if self.busy or self.font_tab.busy:
            return
        super().reject()
