"""设置 → 设置…: the rules table, townships and their yearly task numbers, the print font, the backup folder and the
district's public key, in tabs. Administrators only (roles.py); the services check and audit every change.

确定 (Enter) saves the edited rules and task numbers in one transaction and closes, 应用 saves and stays, 取消 (Esc)
forgets them. A refusal is shown beside the field it is about, and nothing of that save is stored. Adding a township,
choosing a font and registering a district key take effect at once, as the buttons say.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool import paths
from adultschool.db import Database, read_session
from adultschool.errors import AdultSchoolError
from adultschool.models.enums import SiteKind
from adultschool.services import district_keypair, maintenance, site, site_settings, sync
from adultschool.services.site import SiteInfo, TownshipInfo
from adultschool.rule_defaults import RULE_SPECS, SPECS_BY_KEY, RuleSpec, Rules
from adultschool.ui import ops
from adultschool.ui.about_dialog import open_folder
from adultschool.ui.card_reader_tab import CardReaderTab
from adultschool.ui.certificate_settings_tab import CertificateTab
from adultschool.ui.common import actor, ask_open_path, HINT_COLOUR, MessageLabel, report_failure
from adultschool.ui.font_dialog import FontDialog
from adultschool.ui.quota_table import QuotaRow, QuotaTable
from adultschool.ui.sync_page import confirm_district_key_change
from adultschool.ui.welcome_dialog import KEY_FILE_FILTER, EnterAdds, buddy_label, hint_label, read_key_file

_LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def shown_value(value: Any) -> str:
    """A rule's value as the clerk reads and types it."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "、".join(str(v) for _k, v in sorted(value.items()))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class RuleField:
    """One rule's editor, chosen by the type of its default: a check box, a spin box or a line of text."""

    def __init__(self, spec: RuleSpec):
        self.spec = spec
        default = spec.default
        self.kind = type(default)
        number_width = QLabel().fontMetrics().horizontalAdvance("0") * 12
        if isinstance(default, bool):
            self.widget: QWidget = QCheckBox("是")
        elif isinstance(default, int) and not spec.check(default + 0.5):  # whole numbers only (ages, months)
            box = QSpinBox()
            box.setRange(0, 9999)  # wide on purpose: the rule's own range is the service's to say
            box.setAlignment(Qt.AlignmentFlag.AlignRight)
            box.setFixedWidth(number_width)
            self.widget = box
        elif isinstance(default, (int, float)):  # the rule takes fractions too (hours, marks, shares)
            double = QDoubleSpinBox()
            double.setRange(0, 9999)
            double.setDecimals(2 if default < 1 else 1)
            double.setSingleStep(0.05 if default < 1 else 1)
            double.setAlignment(Qt.AlignmentFlag.AlignRight)
            double.setFixedWidth(number_width)
            self.widget = double
        else:
            edit = QLineEdit()
            if isinstance(default, list):
                edit.setPlaceholderText("多个用顿号或逗号隔开")
            elif isinstance(default, dict):
                edit.setPlaceholderText("年-月-日，每年一个，用顿号隔开，如 2026-03-31")
            else:
                edit.setPlaceholderText("月-日，如 03-31")
            self.widget = edit
        self.widget.setToolTip(f"{spec.label}（{spec.source}）")
        self.label = QLabel(spec.label)
        self.label.setBuddy(self.widget)
        self.label.setWordWrap(True)
        self.default_label = QLabel(f"默认：{shown_value(default)}")
        self.default_label.setStyleSheet(f"color: {HINT_COLOUR};")
        self.default_label.setWordWrap(True)
        self.error = MessageLabel()
        self.loaded: Any = default

    def set_value(self, value: Any) -> None:
        self.loaded = value
        widget = self.widget
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            widget.setValue(value)
        else:
            widget.setText(shown_value(value))  # type: ignore[attr-defined]
            widget.setCursorPosition(0)  # type: ignore[attr-defined] - a long list shows its beginning
        self.error.show_message(None)

    def value(self) -> Any:
        """What the editor holds, as the rule's type; text that does not parse is handed on for the service to refuse."""
        widget = self.widget
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QSpinBox):
            return widget.value()
        if isinstance(widget, QDoubleSpinBox):
            number = round(widget.value(), 2)
            return int(number) if number.is_integer() and self.kind is int else number
        text = widget.text().strip()  # type: ignore[attr-defined]
        if self.kind is list:
            return split_list(text)
        if self.kind is dict:
            return {day[:4]: day for day in split_list(text)}
        return text

    def changed(self) -> bool:
        value = self.value()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(self.loaded, (int, float)):
            return abs(value - self.loaded) > 1e-9
        return value != self.loaded


class RulesTab(QWidget):
    def __init__(self, parent: QWidget | None = None, *, at_district: bool = False):
        super().__init__(parent)
        self.fields: dict[str, RuleField] = {spec.key: RuleField(spec) for spec in RULE_SPECS}
        # At a district: per rule, whether its schools may set it for themselves (the rest is the district's).
        self.allow_boxes: dict[str, QCheckBox] = {key: QCheckBox("学校可自行设定") for key in self.fields} \
            if at_district else {}
        self.loaded_may_change: frozenset[str] = frozenset()
        grid = QGridLayout()
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 2)
        grid.setColumnMinimumWidth(0, self.fontMetrics().horizontalAdvance("中") * 12)
        for number, field in enumerate(self.fields.values()):
            grid.addWidget(field.label, number * 2, 0)
            grid.addWidget(field.widget, number * 2, 1, Qt.AlignmentFlag.AlignLeft if not isinstance(field.widget, QLineEdit)
                           else Qt.AlignmentFlag(0))
            grid.addWidget(field.default_label, number * 2, 2)
            if field.spec.key in self.allow_boxes:
                grid.addWidget(self.allow_boxes[field.spec.key], number * 2, 3)
            grid.addWidget(field.error, number * 2 + 1, 1, 1, 2)
        inner = QWidget()
        inner.setLayout(grid)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(inner)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(hint_label("这些规则决定报名年龄、可报考的条件、课程和及格分数等，一般由分中心统一规定。"
                                    "改动从保存时起生效，并记入审计记录。"))
        layout.addWidget(self.scroll, 1)
        widgets = [f.widget for f in self.fields.values()]
        for first, second in zip(widgets, widgets[1:]):
            QWidget.setTabOrder(first, second)

    def load(self, current: Rules, locked: frozenset[str] = frozenset(),
             may_change: frozenset[str] = frozenset()) -> None:
        """The values in force; those the district sets for every school (`locked`) are shown but cannot be edited;
        at a district, which rules its schools may set (`may_change`)."""
        self.loaded_may_change = may_change
        for key, box in self.allow_boxes.items():
            box.setChecked(key in may_change)
        for key, field in self.fields.items():
            field.set_value(current.values[key])
            field.widget.setEnabled(key not in locked)
            if key in locked:
                field.default_label.setText("由分中心统一规定（随分中心数据包更新）")
                field.widget.setToolTip(f"{field.spec.label}：由分中心统一规定，本校不能修改")
            else:
                field.default_label.setText(f"默认：{shown_value(field.spec.default)}")
                field.widget.setToolTip(f"{field.spec.label}（{field.spec.source}）")

    def changes(self) -> dict[str, Any]:
        return {key: field.value() for key, field in self.fields.items() if field.changed()}

    def may_change(self) -> frozenset[str] | None:
        """At a district: the rules ticked 学校可自行设定, when that differs from what was loaded (None: unchanged)."""
        ticked = frozenset(key for key, box in self.allow_boxes.items() if box.isChecked())
        return ticked if self.allow_boxes and ticked != self.loaded_may_change else None

    def clear_errors(self) -> None:
        for field in self.fields.values():
            field.error.show_message(None)

    def show_error(self, key: str, text: str) -> None:
        field = self.fields[key]
        field.error.show_message(text, "error")
        self.scroll.ensureWidgetVisible(field.widget)
        field.widget.setFocus()


class TownshipsTab(QWidget):
    add_requested = Signal(str)

    def __init__(self, site_info: SiteInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.site = site_info
        self.townships: list[TownshipInfo] = []
        self.pending: dict[tuple[int, str], int] = {}  # (year, township) → task number typed but not saved
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(clock.today().year)
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

    def _keep_typed(self) -> None:
        for name, quota in self.table.changed_quotas():
            self.pending[(self.shown_year, name)] = quota

    def _year_changed(self, year: int) -> None:
        self._keep_typed()
        self._show(year)

    def changes(self) -> list[tuple[int, str, int]]:
        self._keep_typed()
        saved = {(year, t.name): quota for t in self.townships for year, quota in t.quotas.items()}
        return [(year, name, quota) for (year, name), quota in sorted(self.pending.items())
                if saved.get((year, name)) != quota]

    def saved(self, townships: list[TownshipInfo]) -> None:
        self.pending.clear()
        self.load(townships)


class EmbeddedFontPanel(FontDialog):
    """The 打印字体 dialog's own logic, shown inside the tab: its 关闭 goes, and Esc/Enter reach the settings dialog."""

    def __init__(self, engine: Engine, parent: QWidget | None = None):
        super().__init__(engine, parent)
        self.setWindowFlags(Qt.WindowType.Widget)
        self.close_button.hide()
        self.layout().addStretch(1)  # keep the lines together at the top of the tab

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.ignore()  # the settings dialog's 取消 / 确定
            return
        super().keyPressEvent(event)


class BackupTab(QWidget):
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

    def _folder_refused(self, exc: BaseException) -> None:
        if isinstance(exc, AdultSchoolError):
            self.message.show_message(str(exc))
        else:
            report_failure(self, exc)

    def open_folder(self) -> bool:
        opened = open_folder(self.folder)
        self.message.show_message(None if opened else f"打不开文件夹 {self.folder}。", "error")
        return opened


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


class SettingsDialog(QDialog):
    """`changed` after something was stored (the window refreshes its pages)."""

    changed = Signal()

    def __init__(self, database: Database, site_info: SiteInfo, parent: QWidget | None = None):
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
        self.townships_tab = TownshipsTab(site_info)
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
        self.certificate_tab.saved.connect(lambda _wording: self.changed.emit())
        self.tabs.addTab(self.certificate_tab, "证书(&C)")
        if site_info.kind is SiteKind.SCHOOL:
            self.card_reader_tab = CardReaderTab(self._engine)
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
        self.changed.emit()
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
            tab._keep_typed()
            tab.load(townships)
            tab.add_edit.clear()
            tab.message.show_message(f"已添加：{name}", "hint")
            tab.table.setCurrentCell(tab.table.row_of(name), tab.table.columnCount() - 1)
            self.changed.emit()

        def refused(exc: BaseException) -> None:
            if isinstance(exc, AdultSchoolError):
                tab.message.show_message(str(exc), "error")
                tab.add_edit.setFocus()
            else:
                report_failure(self, exc)

        return self._start(lambda: ops.run_write(self, self._engine, work, label="正在添加街道/镇……", title="设置",
                                                 cancellable=False, on_success=added, on_failure=refused))

    def choose_key_file(self) -> Path | None:
        return ask_open_path(self, "选择分中心公钥文件", KEY_FILE_FILTER)

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
            self.changed.emit()

        def refused(exc: BaseException) -> None:
            if isinstance(exc, sync.DistrictKeyChange) and exc.allowed:
                self.key_change_box = confirm_district_key_change(self, exc, lambda: start(True))
            elif isinstance(exc, AdultSchoolError):
                tab.message.show_message(str(exc), "error")
            else:
                report_failure(self, exc)

        def start(replace: bool) -> ops.Op:
            return self._start(lambda: ops.run_write(
                self, self._engine, lambda session, _job: sync.set_district_key(session, data, actor=who, replace=replace),
                label="正在登记分中心公钥……", title="设置", cancellable=False, on_success=registered, on_failure=refused))

        return start(False)

    def reject(self) -> None:
        if self.busy or self.font_tab.busy:
            return
        super().reject()
