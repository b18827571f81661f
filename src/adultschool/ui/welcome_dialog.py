"""First start: the first-run wizard. A new school (code, name, townships with this year's quotas, the district's public
key, the administrator), a new district office (code, name, its key pair, the administrator), a demo school, or an
existing database file; 退出 leaves.

Nothing is written until 创建 on the last page: then the database file is made and `first_run.create_site` writes
everything in one background transaction. A refusal removes the file it had just made, so a cancelled or failed wizard
leaves no half-made database. The demo school is `demo.fill_demo`, in the background too.
"""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QCommandLinkButton,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from adultschool import clock
from adultschool import paths
from adultschool import aspkg
from adultschool.db import Database, open_database, read_session
from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.models.enums import SiteKind
from adultschool.services import demo, first_run, passwords, permissions, site
from adultschool.services.first_run import AdminPlan, SiteCreated, SitePlan, TownshipPlan
from adultschool.services.package_imports import read_file
from adultschool.ui import ops
from adultschool.ui.common import (
    actor, ask_folder, ask_open_path, documents_folder, HINT_COLOUR, MessageLabel, report_failure, set_signed_in,
)
from adultschool.ui.quota_table import QuotaTable

DEMO_LEARNERS = 300
_TOWNSHIP_SEPARATORS = re.compile(r"[,，、;；\s]+")
KEY_FILE_FILTER = "分中心公钥 (*.pub);;所有文件 (*)"

START, IDENTITY, TOWNSHIPS, DISTRICT_PUBLIC, DISTRICT_KEYS, ADMIN, SUMMARY = range(7)


def split_townships(text: str) -> list[str]:
    """'大碶街道，新碶街道、小港街道' → three names (clerks type Chinese or English commas)."""
    return [part for part in _TOWNSHIP_SEPARATORS.split(text.strip()) if part]


def is_initialised(database: Database) -> bool:
    with read_session(database.engine) as session:
        return site.is_initialised(session)


def hint_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {HINT_COLOUR};")
    return label


def buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A form label with a mnemonic (Alt+letter) that jumps to its field."""
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


def password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def chain_tab_order(*widgets: QWidget) -> None:
    for first, second in zip(widgets, widgets[1:]):
        QWidget.setTabOrder(first, second)


class EnterAdds(QObject):
    """Enter in a line edit with text runs `add` instead of pressing the dialog's default button (下一步, 确定)."""

    def __init__(self, edit: QLineEdit, add) -> None:  # noqa: ANN001 - a no-argument callable
        super().__init__(edit)
        self._edit = edit
        self._add = add
        edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self._edit and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and self._edit.text().strip()):
            self._add()
            return True
        return False


def read_key_file(path: Path) -> tuple[bytes, aspkg.DistrictPublicKey]:
    """The bytes of a district.pub and the key they hold; a missing or wrong file is an AdultSchoolError."""
    data = read_file(path, "公钥文件")
    return data, aspkg.load_district_public(data)


# --- the pages ----------------------------------------------------------------------------------------------------


class _Page(QWizardPage):
    def __init__(self, title: str, subtitle: str = ""):
        super().__init__()
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        self.message = MessageLabel()
        self.first_field: QWidget | None = None

    def wizard(self) -> "FirstRunWizard":  # type: ignore[override]
        return super().wizard()  # type: ignore[return-value]

    def refuse(self, exc: AdultSchoolError | str, focus: QWidget | None = None) -> bool:
        self.message.show_message(str(exc), "error")
        if focus is not None:
            focus.setFocus()
        return False


class StartPage(_Page):
    def __init__(self, intro: str):
        super().__init__("欢迎使用成人“双证制”学历提升教务", "第一次使用：请选择要做什么。")
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.new_button = QCommandLinkButton("新建学校(&S)", "填写学校代码和名称、负责的街道/镇及任务数、分中心公钥，建立管理员账户")
        self.district_button = QCommandLinkButton("新建区级分中心(&D)", "汇总各校数据包的分中心：填写代码和名称，生成分中心密钥")
        self.demo_button = QCommandLinkButton("创建演示学校(&M)",
                                              f"生成一所演示学校（{DEMO_LEARNERS} 名学员、排摸记录），先熟悉操作")
        self.open_button = QCommandLinkButton("打开已有数据库(&O)", "选择以前用过或别处拷来的数据库文件")
        self.choice_message = MessageLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        for button in (self.new_button, self.district_button, self.demo_button, self.open_button):
            layout.addWidget(button)
        layout.addWidget(self.choice_message)
        layout.addStretch(1)
        chain_tab_order(self.new_button, self.district_button, self.demo_button, self.open_button)
        self.first_field = self.new_button

    def isComplete(self) -> bool:  # the way on is one of the buttons, never 下一步
        return False

    def nextId(self) -> int:
        return IDENTITY


class IdentityPage(_Page):
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


class TownshipsPage(_Page):
    def __init__(self) -> None:
        super().__init__("负责的街道/镇和任务数", "本校负责招生的街道/镇，以及区里下达的年度任务数（人）。以后可在“设置”里修改、添加。")
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(clock.today().year)
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


class DistrictPublicPage(_Page):
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
        path = ask_open_path(self, "选择分中心公钥文件", KEY_FILE_FILTER)
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


class DistrictKeysPage(_Page):
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
        taken = [name for name in ("district.pub", "district.key") if (folder / name).exists()]
        if taken:
            return self.refuse(f"文件夹 {folder} 里已经有 {'、'.join(taken)}，不覆盖：请换一个文件夹。", self.folder_edit)
        self.message.show_message(None)
        return True

    def nextId(self) -> int:
        return ADMIN


class AdminPage(_Page):
    def __init__(self) -> None:
        super().__init__("管理员账户", "管理员可以修改设置和规则、管理账户、查看审计记录。")
        self.create_check = QCheckBox("建立管理员账户(&A)")
        self.create_check.setChecked(True)
        self.create_check.toggled.connect(self._toggled)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("登录用，如：admin 或 姓名拼音")
        self.display_edit = QLineEdit()
        self.display_edit.setPlaceholderText("可不填，如：王老师")
        self.password_edit = password_edit()
        self.again_edit = password_edit()
        form = QFormLayout()
        form.addRow(buddy_label("账户名(&U)", self.name_edit), self.name_edit)
        form.addRow(buddy_label("显示名称(&I)", self.display_edit), self.display_edit)
        form.addRow(buddy_label("密码(&P)", self.password_edit), self.password_edit)
        form.addRow(buddy_label("再输一次(&R)", self.again_edit), self.again_edit)
        self.fields = (self.name_edit, self.display_edit, self.password_edit, self.again_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.create_check)
        layout.addLayout(form)
        self.note = hint_label(
            f"建立账户后，每次打开程序都要登录，管理员再为教务员和任课教师建账户。密码至少 "
            f"{passwords.AccountPolicy().min_password_length} 个字符。\n"
            "不建账户也可以：程序以“单用户模式”运行，不用登录，谁打开都能做所有操作，审计记录里记的是电脑的登录名。"
            "以后可在“设置 → 账户管理”里建第一个账户。")
        layout.addWidget(self.note)
        layout.addWidget(self.message)
        layout.addStretch(1)
        chain_tab_order(self.create_check, self.name_edit, self.display_edit, self.password_edit, self.again_edit)
        self.first_field = self.name_edit

    def _toggled(self, on: bool) -> None:
        if not on:
            self.create_check.setFocus()  # not on the next enabled widget, which may be 上一步 (Enter would go back)
        for widget in self.fields:
            widget.setEnabled(on)
        self.message.show_message(None)

    def admin(self) -> AdminPlan | None:
        if not self.create_check.isChecked():
            return None
        return AdminPlan(name=self.name_edit.text().strip(), password=self.password_edit.text(),
                         display_name=self.display_edit.text().strip() or None)

    def validatePage(self) -> bool:
        if not self.create_check.isChecked():
            self.message.show_message(None)
            return True
        try:
            self.name_edit.setText(permissions.clean_login(self.name_edit.text()))
        except AdultSchoolError as exc:
            return self.refuse(exc, self.name_edit)
        try:
            passwords.check_password(self.password_edit.text(), passwords.AccountPolicy())
        except AdultSchoolError as exc:
            return self.refuse(exc, self.password_edit)
        if self.again_edit.text() != self.password_edit.text():
            self.again_edit.clear()
            return self.refuse("两次输入的密码不一致，请再输一次。", self.again_edit)
        self.message.show_message(None)
        return True

    def nextId(self) -> int:
        return SUMMARY


class SummaryPage(_Page):
    def __init__(self) -> None:
        super().__init__("确认并创建", "请核对。点“创建”后建立数据库；之前的任何一步都可以点“上一步”修改。")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()  # a school with many townships must not push 创建 off a small screen
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message)
        self.setFinalPage(True)

    def initializePage(self) -> None:
        self.summary.setText("\n".join(self.wizard().plan_lines()))
        self.message.show_message(None)

    def validatePage(self) -> bool:
        wizard = self.wizard()
        if wizard.created is not None:
            return True
        wizard.create_site()
        return False

    def nextId(self) -> int:
        return -1


# --- the wizard ---------------------------------------------------------------------------------------------------


class FirstRunWizard(QWizard):
    """Accepted with `database` set to an initialised school or district database; rejected means 退出."""

    def __init__(self, target: str | None, database: Database | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("欢迎使用成人“双证制”学历提升教务")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)  # the same look on Windows, where the default is Aero
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.target = target
        self.database = database
        self.kind: SiteKind | None = None
        self.created: SiteCreated | None = None
        self.op: ops.Op | None = None
        self._made_file: Path | None = None  # the database file this wizard created (removed again if that fails)
        metrics = self.fontMetrics()
        self.setMinimumSize(metrics.horizontalAdvance("中") * 50, metrics.height() * 27)

        where = database.describe() if database else self._target_description()
        intro = (f"数据库 {where} 里还没有学校。" if database else f"没有找到数据库文件：\n{where}")
        self.start_page = StartPage(intro)
        self.identity_page = IdentityPage()
        self.townships_page = TownshipsPage()
        self.district_public_page = DistrictPublicPage()
        self.district_keys_page = DistrictKeysPage()
        self.admin_page = AdminPage()
        self.summary_page = SummaryPage()
        for page_id, page in ((START, self.start_page), (IDENTITY, self.identity_page), (TOWNSHIPS, self.townships_page),
                              (DISTRICT_PUBLIC, self.district_public_page), (DISTRICT_KEYS, self.district_keys_page),
                              (ADMIN, self.admin_page), (SUMMARY, self.summary_page)):
            self.setPage(page_id, page)
        self.setStartId(START)

        self.setButtonText(QWizard.WizardButton.BackButton, "< 上一步(&B)")
        self.setButtonText(QWizard.WizardButton.NextButton, "下一步(&N) >")
        self.setButtonText(QWizard.WizardButton.FinishButton, "创建(&F)")
        # The names the first-start dialog's callers and tests know.
        self.intro = self.start_page.intro
        self.new_button = self.start_page.new_button
        self.district_button = self.start_page.district_button
        self.demo_button = self.start_page.demo_button
        self.open_button = self.start_page.open_button
        self.choice_message = self.start_page.choice_message
        self.quit_button = self.button(QWizard.WizardButton.CancelButton)
        self.code_edit = self.identity_page.code_edit
        self.name_edit = self.identity_page.name_edit

        self.new_button.clicked.connect(lambda: self.begin(SiteKind.SCHOOL))
        self.district_button.clicked.connect(lambda: self.begin(SiteKind.DISTRICT))
        self.demo_button.clicked.connect(self.create_demo)
        self.open_button.clicked.connect(self.choose_existing)
        self.currentIdChanged.connect(self._page_changed)
        self._page_changed(START)

    def _target_description(self) -> str:
        url = paths.database_url(self.target)
        path = paths.sqlite_path(url)
        return str(path) if path else url

    def _page_changed(self, page_id: int) -> None:
        on_start = page_id in (START, -1)
        buttons = [QWizard.WizardButton.Stretch, QWizard.WizardButton.CancelButton] if on_start else [
            QWizard.WizardButton.Stretch, QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
            QWizard.WizardButton.FinishButton, QWizard.WizardButton.CancelButton]
        self.setButtonLayout(buttons)
        self.setButtonText(QWizard.WizardButton.CancelButton, "退出(&Q)" if on_start else "取消")
        page = self.page(page_id) if page_id >= 0 else None
        field = getattr(page, "first_field", None)
        if field is not None and field.isEnabled():
            QTimer.singleShot(0, field.setFocus)

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    # --- the choices on the first page ---------------------------------------------------------------------------

    def begin(self, kind: SiteKind) -> None:
        """新建学校 / 新建区级分中心: on to the code and name."""
        if self.busy:
            return
        self.kind = kind
        self.next()

    def plan(self) -> SitePlan:
        school = self.kind is not SiteKind.DISTRICT
        keys = self.district_keys_page
        return SitePlan(
            kind=self.kind or SiteKind.SCHOOL,
            code=self.identity_page.code_edit.text().strip(),
            name=self.identity_page.name_edit.text().strip(),
            townships=self.townships_page.townships() if school else (),
            quota_year=self.townships_page.year_spin.value() if school else None,
            district_public=self.district_public_page.data if school else None,
            key_folder=None if school else keys.folder(),
            passphrase=None if school or keys.folder() is None else keys.passphrase_edit.text(),
            admin=self.admin_page.admin(),
        )

    def plan_lines(self) -> list[str]:
        plan = self.plan()
        district = plan.kind is SiteKind.DISTRICT
        lines = [f"将建立{'区级分中心' if district else '学校'}数据库：{self.where()}", "",
                 f"{'分中心' if district else '学校'}：{plan.name}（代码 {plan.code}）"]
        if not district:
            if plan.townships:
                lines.append(f"负责的街道/镇（{plan.quota_year} 年任务数）：")
                lines += [f"　　{t.name}：{'未定' if t.quota is None else f'{t.quota} 人'}" for t in plan.townships]
            else:
                lines.append("负责的街道/镇：还没有填写（以后在“设置”里添加）")
            key = self.district_public_page.key
            lines.append(f"分中心公钥：{key.code}，指纹 {key.fingerprint}" if key else "分中心公钥：以后再登记")
            lines.append("本校的签名密钥：创建时生成，保存在本机的数据文件夹里")
        elif plan.key_folder is not None:
            lines.append(f"分中心密钥：生成到 {plan.key_folder}（district.pub 发给各学校，district.key 妥善保存）")
        else:
            lines.append("分中心密钥：以后在“数据包汇总”页生成")
        if plan.admin is not None:
            shown = f"{plan.admin.display_name}（{plan.admin.name}）" if plan.admin.display_name else plan.admin.name
            lines.append(f"管理员账户：{shown}；以后每次打开程序都要登录")
        else:
            lines.append("管理员账户：不建（单用户模式，不用登录）")
        return lines

    def where(self) -> str:
        return self.database.describe() if self.database is not None else self._target_description()

    def _ensure_database(self) -> Database:
        if self.database is None:
            path = paths.sqlite_path(paths.database_url(self.target))
            existed = path is not None and path.exists()
            self.database = open_database(self.target, create=True)
            self._made_file = path if path is not None and not existed else None
        return self.database

    def _discard_new_file(self) -> None:
        """After a failed or cancelled creation: the file this wizard made goes again, so no half-made database stays."""
        if self._made_file is None or self.database is None:
            return
        path, self._made_file = self._made_file, None
        self.database.close()
        self.database = None
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)

    def create_site(self) -> ops.Op | None:
        """创建 on the last page: the database file, then everything in one background transaction."""
        if self.busy:
            return None
        plan = self.plan()
        message = self.summary_page.message
        try:
            database = self._ensure_database()
        except AdultSchoolError as exc:
            message.show_message(str(exc), "error")
            return None
        who = actor()
        self._set_busy(True)
        message.show_message("正在建立数据库……", "hint")
        self.op = ops.run_write(
            self, database.engine, lambda session, _job: first_run.create_site(session, plan, actor=who),
            label="正在建立数据库……", title="新建分中心" if plan.kind is SiteKind.DISTRICT else "新建学校",
            cancellable=False, on_success=self._site_created, on_failure=lambda exc: self._failed(exc, message))
        return self.op

    def _site_created(self, created: SiteCreated) -> None:
        self.created = created
        self._made_file = None
        if created.admin is not None and self.database is not None:
            with read_session(self.database.engine) as session:
                set_signed_in(permissions.principal(session, created.admin))  # just typed the password: no login now
        self._set_busy(False)
        self.accept()

    def create_demo(self) -> None:
        if self.busy:
            return
        try:
            database = self._ensure_database()
        except AdultSchoolError as exc:
            self.choice_message.show_message(str(exc))
            return
        who = actor()
        self._set_busy(True)
        self.op = ops.run_write(
            self, database.engine,
            lambda session, job: demo.fill_demo(session, learners=DEMO_LEARNERS, actor=who, job=job),
            label="正在生成演示学校……", title="创建演示学校",
            on_success=self._demo_created, on_failure=lambda exc: self._failed(exc, self.choice_message),
        )

    def _demo_created(self, _summary: object) -> None:
        self._made_file = None
        self._set_busy(False)
        self.accept()

    def choose_existing(self) -> None:
        path = ask_open_path(self, "打开已有数据库", "数据库文件 (*.sqlite3 *.sqlite *.db);;所有文件 (*)",
                             default=paths.data_dir(), key="database")
        if path:
            self.open_existing(path)

    def open_existing(self, path: Path) -> bool:
        try:
            database = open_database(path)
        except AdultSchoolError as exc:
            self.choice_message.show_message(str(exc))
            return False
        self._discard_new_file()
        if self.database is not None:
            self.database.close()
        self.database = database
        self.target = str(path)
        if is_initialised(database):
            self.accept()
            return True
        self.intro.setText(f"数据库 {database.describe()} 里还没有学校。")
        self.choice_message.show_message("这个数据库还没有建立学校：请选“新建学校”“新建区级分中心”或“创建演示学校”。", "hint")
        return False

    # --- state ---------------------------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.new_button, self.district_button, self.demo_button, self.open_button,
                       self.button(QWizard.WizardButton.BackButton), self.button(QWizard.WizardButton.FinishButton),
                       self.button(QWizard.WizardButton.CancelButton)):
            widget.setEnabled(not busy)

    def _failed(self, exc: BaseException, where: MessageLabel) -> None:
        self._discard_new_file()
        self._set_busy(False)
        if isinstance(exc, Cancelled):
            where.show_message(exc.message, "hint")
        elif isinstance(exc, AdultSchoolError):
            where.show_message(f"没有建立数据库：{exc}", "error")
        else:
            where.show_message("没有建立数据库。", "error")
            report_failure(self, exc)

    def reject(self) -> None:
        if self.busy:
            return
        self._discard_new_file()
        super().reject()


WelcomeDialog = FirstRunWizard  # the first-start dialog's old name (ui/app.py, tests)
