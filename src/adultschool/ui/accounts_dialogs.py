"""Signing in and accounts in the window: the login dialog at start, 设置 → 账户管理 (administrators), 修改密码 (everyone).

The dialogs collect input and call `services.accounts`, which checks roles and writes the audit log. The account forms
save off the UI thread like every form (ui.form_dialog: a password's scrypt hash takes a moment on an old PC); the
login and the buttons of 账户管理 (disable, enable, unlock) are a single quick write and run directly.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from adultschool import paths
from adultschool.db import Database, read_session, unit_of_work
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext
from adultschool.models import Role
from adultschool.services import accounts, permissions, site
from adultschool.services.accounts import AccountInfo
from adultschool.services.permissions import Principal
from adultschool.ui.common import (D, HINT_COLOUR, MessageLabel, actor, ok_cancel_buttons, open_dialog, set_signed_in,
                                   signed_in)
from adultschool.ui.form_dialog import FormDialog



def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


LAST_LOGIN_SETTING = "last_login_name"


class LoginDialog(QDialog):
    """账户名 and 密码; a wrong password, a lock or a disabled account is said under the fields and the dialog stays."""

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, site_name: str = "",
                 now: Callable[[], datetime] | None = None):
        super().__init__(parent)
        self._engine = engine
        self._now = now
        self.principal: Principal | None = None
        self.setWindowTitle("登录")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 26)
        intro = QLabel(f"{site_name}\n请输入账户名和密码。" if site_name else "请输入账户名和密码。")
        intro.setWordWrap(True)
        self.name_edit = QLineEdit()
        self.password_edit = _password_edit()
        self.message = MessageLabel()
        form = QFormLayout()
        form.addRow("账户名", self.name_edit)
        form.addRow("密码", self.password_edit)
        self.buttons, self.ok_button, self.cancel_button = ok_cancel_buttons("登录", "退出")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        last = paths.local_setting(LAST_LOGIN_SETTING)  # this PC's last login name: only the password to type
        if isinstance(last, str) and last:
            self.name_edit.setText(last)
            self.password_edit.setFocus()
        else:
            self.name_edit.setFocus()

    def submit(self) -> None:
        name, password = self.name_edit.text().strip(), self.password_edit.text()
        if not name:
            self.message.show_message("请输入账户名。")
            self.name_edit.setFocus()
            return
        with unit_of_work(self._engine) as session:  # the failure count is kept even when the password is wrong
            result = accounts.authenticate(session, name, password, now=self._now() if self._now else None)
        if result.principal is None:
            self.message.show_message(result.message)
            self.password_edit.clear()
            self.password_edit.setFocus()
            return
        self.principal = result.principal
        try:
            paths.set_local_setting(LAST_LOGIN_SETTING, name)
        except OSError:
            pass  # a read-only data folder only costs typing the name next time
        self.accept()


def sign_in(database: Database, parent: QWidget | None = None) -> bool:
    """At start: single-user mode needs no login; otherwise the login dialog. False when the person chose 退出."""
    with read_session(database.engine) as session:
        needed = permissions.has_accounts(session)
        name = site.get_site(session).name if needed and site.is_initialised(session) else ""
    if not needed:
        set_signed_in(None)
        return True
    dialog = LoginDialog(database.engine, parent, site_name=name)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.principal is None:
        return False
    set_signed_in(dialog.principal)
    return True


class _AccountForm(FormDialog):
    """The base of 新建账户, 修改账户 and 修改/重设密码: the form's fields in the order shown, then the buttons; saving
    (a password hash takes a moment) runs off the UI thread.

    It opens with the cursor in the first field; Tab runs through the fields, then 确定 and 取消; Enter in a field
    goes on to the next one and, in the last one (再输一次), submits. There is no default button, so a 取消 that once
    had the focus cannot catch an Enter meant for the form; Enter on a focused button presses that button."""

    def __init__(self, engine: Engine, parent: QWidget | None, title: str, ok_text: str = "确定"):
        super().__init__(engine, parent, title)
        self._arranged = False
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 30)
        self.form = QFormLayout()
        self.message = self.general_message
        self.ok_button.setText(ok_text)
        self.ok_button.setDefault(False)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.general_message)
        layout.addWidget(self.buttons)

    def fields(self) -> list[QWidget]:
        """The form's input widgets, top to bottom."""
        found = []
        for row in range(self.form.rowCount()):
            item = self.form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            widget = item.widget() if item is not None else None
            if widget is not None and widget.focusPolicy() != Qt.FocusPolicy.NoFocus and not isinstance(widget, QLabel):
                found.append(widget)
        return found

    def showEvent(self, event) -> None:  # noqa: ANN001 - QShowEvent
        super().showEvent(event)
        if self._arranged:
            return
        self._arranged = True
        fields = self.fields()
        chain = [*fields, self.ok_button, self.cancel_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)
        for index, widget in enumerate(fields):
            if isinstance(widget, QLineEdit):
                following = fields[index + 1] if index + 1 < len(fields) else None
                widget.returnPressed.connect(lambda following=following: self._enter(following))
        if fields:
            fields[0].setFocus(Qt.FocusReason.OtherFocusReason)

    def _enter(self, following: QWidget | None) -> None:
        if following is None:
            self.submit()
        else:
            following.setFocus(Qt.FocusReason.TabFocusReason)

    def submit(self) -> None:
        if self.busy:
            return
        self.clear_problems()
        try:
            work, done = self.save()
        except AdultSchoolError as exc:
            self.show_problem(exc.field, exc.message)
            return
        self._run(work, "正在保存……", done)

    def save(self) -> tuple[Callable[[Session, JobContext], Any], Callable[[Any], None]]:
        """The form's own checks; then the service call to run and what to do with its result."""
        raise NotImplementedError(f"{type(self).__name__} must define save()")  # each form says what it changes

    def _new_password(self, first: QLineEdit, again: QLineEdit) -> str:
        if first.text() != again.text():
            raise AdultSchoolError("两次输入的新密码不一致。")
        return first.text()


class NewAccountDialog(_AccountForm):
    """新建账户. The first account of a database is an administrator, and the window continues as that account."""

    created = Signal(object)  # AccountInfo

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, first: bool = False):
        super().__init__(engine, parent, "新建第一个管理员账户" if first else "新建账户", "新建")
        self.first = first
        self.name_edit = QLineEdit()
        self.display_edit = QLineEdit()
        self.display_edit.setPlaceholderText("如“王老师”；任课教师的须与班级的“任课教师”一致")
        self.role_combo = QComboBox()
        for role in ([Role.ADMIN] if first else [Role.CLERK, Role.TEACHER, Role.VERIFIER, Role.ADMIN]):
            self.role_combo.addItem(role.label, role)
        self.password_edit, self.again_edit = _password_edit(), _password_edit()
        self.form.addRow("账户名", self.name_edit)
        self.form.addRow("显示名称", self.display_edit)
        self.form.addRow("角色", self.role_combo)
        self.form.addRow("密码", self.password_edit)
        self.form.addRow("再输一次", self.again_edit)
        if first:
            note = QLabel("建立第一个账户后，这个数据库不再是单用户模式：每次打开都要登录。"
                          "第一个账户必须是管理员，本窗口随后以它继续。")
            note.setWordWrap(True)
            note.setStyleSheet(f"color: {HINT_COLOUR};")
            self.form.addRow(note)
        self.info: AccountInfo | None = None

    def save(self) -> tuple[Callable[[Session, JobContext], Any], Callable[[Any], None]]:
        password = self._new_password(self.password_edit, self.again_edit)
        name, role, who, first = self.name_edit.text(), self.role_combo.currentData(), actor(), self.first
        display = self.display_edit.text() or None

        def work(session: Session, _job: JobContext) -> tuple[AccountInfo, Principal | None]:
            info = accounts.create_account(session, name, password, role, actor=who, display_name=display)
            return info, permissions.principal(session, info.name) if first else None

        return work, self._created

    def _created(self, result: tuple[AccountInfo, Principal | None]) -> None:
        info, principal = result
        if principal is not None:
            set_signed_in(principal)
        self.info = info
        self.created.emit(info)


class PasswordDialog(_AccountForm):
    """修改密码 (one's own: the old one first) or, for an administrator, 重设密码 of another account."""

    def __init__(self, engine: Engine, name: str, parent: QWidget | None = None):
        self.name = name
        self.own = name == actor()
        super().__init__(engine, parent, "修改密码" if self.own else f"重设“{name}”的密码")
        self.old_edit = _password_edit()
        self.password_edit, self.again_edit = _password_edit(), _password_edit()
        if self.own:
            self.form.addRow("原密码", self.old_edit)
        self.form.addRow("新密码", self.password_edit)
        self.form.addRow("再输一次", self.again_edit)

    def save(self) -> tuple[Callable[[Session, JobContext], Any], Callable[[Any], None]]:
        password = self._new_password(self.password_edit, self.again_edit)
        name, who, old = self.name, actor(), self.old_edit.text() if self.own else None
        return (lambda session, _job: accounts.change_password(session, name, password, actor=who, old_password=old),
                lambda _result: None)


class EditAccountDialog(_AccountForm):
    """The display name (a teacher's must match their classes) and the role of an account."""

    def __init__(self, engine: Engine, info: AccountInfo, parent: QWidget | None = None):
        super().__init__(engine, parent, f"修改账户“{info.name}”")
        self.name = info.name
        self.display_edit = QLineEdit(info.display_name)
        self.role_combo = QComboBox()
        for role in (Role.CLERK, Role.TEACHER, Role.VERIFIER, Role.ADMIN):
            self.role_combo.addItem(role.label, role)
        self.role_combo.setCurrentIndex(self.role_combo.findData(info.role))
        self.form.addRow("显示名称", self.display_edit)
        self.form.addRow("角色", self.role_combo)

    def save(self) -> tuple[Callable[[Session, JobContext], Any], Callable[[Any], None]]:
        name, who, display, role = self.name, actor(), self.display_edit.text(), self.role_combo.currentData()
        return (lambda session, _job: accounts.update_account(session, name, actor=who, display_name=display, role=role),
                lambda _result: None)


class AccountsDialog(QDialog):
    """设置 → 账户管理: the accounts with their role and state; add, change, reset a password, disable, enable, unlock.

    `changed` after any change; `signed_in_changed` when the first account was made (the window shows its role).
    """

    changed = Signal()
    signed_in_changed = Signal()
    HEADERS = ("账户名", "显示名称", "角色", "状态", "最近登录")

    def __init__(self, engine: Engine, parent: QWidget | None = None):
        super().__init__(parent)
        self._engine = engine
        self.dialog: QDialog | None = None
        self.accounts: list[AccountInfo] = []
        self.setWindowTitle("账户管理")
        self.resize(self.fontMetrics().horizontalAdvance("中") * 48, self.fontMetrics().height() * 24)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._enable)
        self.message = MessageLabel()

        self.add_button = QPushButton("新建账户…")
        self.edit_button = QPushButton("修改…")
        self.password_button = QPushButton("重设密码…")
        self.disable_button = QPushButton("停用")
        self.enable_button = QPushButton("启用")
        self.unlock_button = QPushButton("解锁")
        self.close_button = QPushButton("关闭")
        self.add_button.clicked.connect(lambda: self.open_new())
        self.edit_button.clicked.connect(lambda: self.open_edit())
        self.password_button.clicked.connect(lambda: self.open_password())
        self.disable_button.clicked.connect(lambda: self.change(accounts.disable_account, "已停用"))
        self.enable_button.clicked.connect(lambda: self.change(accounts.enable_account, "已启用"))
        self.unlock_button.clicked.connect(lambda: self.change(accounts.unlock_account, "已解锁"))
        self.close_button.clicked.connect(self.accept)
        row = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.password_button, self.disable_button, self.enable_button,
                       self.unlock_button):
            button.setAutoDefault(False)
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        with read_session(self._engine) as session:
            self.single_user = not permissions.has_accounts(session)
            self.accounts = [] if self.single_user else accounts.list_accounts(session, actor=actor())
        self.hint.setText("这个数据库还没有账户（单用户模式）：谁打开程序都能做所有事。请先建立一个管理员账户。"
                          if self.single_user else
                          "管理员：设置、账户、规则和恢复备份，以及教务员的全部工作；教务员：学员、导入、考试、打印和数据交换；"
                          "任课教师：本人任教班级的上课和考勤（显示名称须与班级的“任课教师”一致）。")
        self.table.setRowCount(len(self.accounts))
        for row, info in enumerate(self.accounts):
            last = info.last_login_at.astimezone().strftime("%Y-%m-%d %H:%M") if info.last_login_at else ""
            for column, text in enumerate((info.name, info.display_name, info.role.label, info.state(), last)):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
        self.add_button.setText("新建第一个管理员账户…" if self.single_user else "新建账户…")
        self._enable()

    def selected(self) -> AccountInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.accounts[rows[0].row()] if rows and rows[0].row() < len(self.accounts) else None

    def select(self, name: str) -> None:
        for row, info in enumerate(self.accounts):
            if info.name == name:
                self.table.selectRow(row)
                return

    def _enable(self) -> None:
        info = self.selected()
        for button in (self.edit_button, self.password_button):
            button.setEnabled(info is not None)
        self.disable_button.setEnabled(info is not None and not info.disabled)
        self.enable_button.setEnabled(info is not None and info.disabled)
        self.unlock_button.setEnabled(info is not None and (info.locked() or info.failed_logins > 0))

    def _open(self, dialog: D) -> D:
        self.dialog = dialog
        return open_dialog(dialog)

    def _after(self, text: str, name: str | None = None) -> None:
        self.refresh()
        if name:
            self.select(name)
        self.message.show_message(text, "hint")
        self.changed.emit()

    def open_new(self) -> NewAccountDialog:
        first = self.single_user
        dialog = NewAccountDialog(self._engine, self, first=first)
        dialog.created.connect(lambda info: self._created(info, first))
        return self._open(dialog)

    def _created(self, info: AccountInfo, first: bool) -> None:
        self._after(f"已新建账户“{info.name}”（{info.role.label}）。", info.name)
        if first:
            self.signed_in_changed.emit()

    def open_edit(self) -> EditAccountDialog | None:
        info = self.selected()
        if info is None:
            return None
        dialog = EditAccountDialog(self._engine, info, self)
        dialog.accepted.connect(lambda: self._after(f"已修改账户“{info.name}”。", info.name))
        return self._open(dialog)

    def open_password(self) -> PasswordDialog | None:
        info = self.selected()
        if info is None:
            return None
        dialog = PasswordDialog(self._engine, info.name, self)
        dialog.accepted.connect(lambda: self._after(f"已重设“{info.name}”的密码。", info.name))
        return self._open(dialog)

    def change(self, change: Callable, done: str) -> None:  # accounts.disable_account and friends
        info = self.selected()
        if info is None:
            return
        try:
            with unit_of_work(self._engine) as session:
                change(session, info.name, actor=actor())
        except AdultSchoolError as exc:
            self.message.show_message(str(exc))
            return
        self._after(f"账户“{info.name}”{done}。", info.name)


def open_change_password(engine: Engine, parent: QWidget | None = None) -> PasswordDialog:
    dialog = PasswordDialog(engine, signed_in().name, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
