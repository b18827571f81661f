"""Signing in, 账户管理 and 修改密码, and what each role's window shows (a teacher: 班级 and 考勤 only)."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy import select

from adultschool.db import read_session, unit_of_work
from adultschool.models import AuditEntry, Role
from adultschool.services import accounts, permissions
from adultschool.ui import common, roles
from adultschool.ui.accounts_dialogs import AccountsDialog, LoginDialog, NewAccountDialog, PasswordDialog, sign_in
from adultschool.ui.audit_view import AuditDialog
from conftest import open_window
from testclock import TODAY

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def nobody_signed_in():
    """The signed-in account is the window's global state: never let it leak into another test."""
    common.set_signed_in(None)
    yield
    common.set_signed_in(None)


def make_accounts(database) -> None:
    with unit_of_work(database.engine) as session:
        accounts.create_account(session, "boss", "boss-pass", Role.ADMIN, actor="test", display_name="校长")
        accounts.create_account(session, "li", "li-pass-1", Role.CLERK, actor="boss", display_name="李明")
        accounts.create_account(session, "wang", "wang-pass", Role.TEACHER, actor="boss", display_name="王老师")


def as_account(database, name: str) -> None:
    with read_session(database.engine) as session:
        common.set_signed_in(permissions.principal(session, name))


@pytest.fixture
def with_accounts(school_db):
    make_accounts(school_db)
    return school_db


def fill_login(qtbot, dialog: LoginDialog, name: str, password: str) -> None:
    dialog.name_edit.setText(name)
    dialog.password_edit.clear()
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


# --- the login dialog ----------------------------------------------------------------------------------------

def test_login_with_the_right_password(qtbot, with_accounts):
    dialog = LoginDialog(with_accounts.engine, site_name="大碶成校")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.ok_button.text() == "登录" and dialog.cancel_button.text() == "退出"
    fill_login(qtbot, dialog, "li", "li-pass-1")
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.principal.name == "li" and dialog.principal.role is Role.CLERK


def test_the_last_login_name_on_this_pc_is_filled_in_and_the_cursor_waits_in_the_password(qtbot, with_accounts):
    first = LoginDialog(with_accounts.engine)
    qtbot.addWidget(first)
    first.show()
    assert first.name_edit.text() == "" and first.focusWidget() is first.name_edit
    fill_login(qtbot, first, "li", "nope")  # a failed login remembers nothing
    again = LoginDialog(with_accounts.engine)
    qtbot.addWidget(again)
    again.show()
    assert again.name_edit.text() == ""
    fill_login(qtbot, first, "li", "li-pass-1")
    later = LoginDialog(with_accounts.engine)
    qtbot.addWidget(later)
    later.show()
    qtbot.waitExposed(later)
    assert later.name_edit.text() == "li" and later.focusWidget() is later.password_edit
    qtbot.keyClicks(later.password_edit, "li-pass-1")
    qtbot.keyClick(later.password_edit, Qt.Key.Key_Return)
    assert later.principal is not None and later.principal.name == "li"


def test_a_wrong_password_is_said_and_the_dialog_stays_until_the_account_locks(qtbot, with_accounts):
    dialog = LoginDialog(with_accounts.engine)
    qtbot.addWidget(dialog)
    dialog.show()
    fill_login(qtbot, dialog, "li", "nope")
    assert dialog.isVisible() and dialog.principal is None
    assert dialog.message.text() == "账户名或密码不对。再输错 4 次，账户将锁定 15 分钟。"
    assert dialog.password_edit.text() == ""
    for _ in range(4):
        fill_login(qtbot, dialog, "li", "nope")
    assert "锁定 15 分钟" in dialog.message.text() and "输错 5 次" in dialog.message.text()
    fill_login(qtbot, dialog, "li", "li-pass-1")
    assert dialog.principal is None and "已锁定" in dialog.message.text()
    fill_login(qtbot, dialog, "", "x")
    assert dialog.message.text() == "请输入账户名。"


def test_a_database_without_accounts_opens_without_login(school_db):
    assert sign_in(school_db) is True
    assert common.signed_in().single_user and common.actor() == common.signed_in().name


# --- what each role's window shows ---------------------------------------------------------------------------

def visible_pages(window) -> list[str]:
    return [window.nav.item(i).text() for i in range(window.nav.count()) if not window.nav.item(i).isHidden()]


def visible_menus(window) -> list[str]:
    return [a.text() for a in window.menuBar().actions() if a.isVisible()]


def test_a_teachers_window_has_classes_and_roll_call_only(qtbot, with_accounts):
    as_account(with_accounts, "wang")
    window = open_window(qtbot, with_accounts)
    assert visible_pages(window) == ["班级", "考勤"]
    assert window.classes_page.isVisible()
    for action in (window.register_action, window.import_roster_action, window.export_action, window.import_survey_action,
                   window.import_attendance_action, window.import_study_action, window.new_class_action,
                   window.graduate_action, window.print_certificates_action, window.print_registration_action,
                   window.accounts_action, window.audit_action, window.font_action):
        assert not action.isVisible(), action.text()
    assert window.print_signin_action.isVisible() and window.password_action.isVisible()
    assert not any(a.isVisible() for a in window.toolbar.actions())
    assert "学员(&L)" not in visible_menus(window) and "考试(&E)" not in visible_menus(window)
    assert {"打印(&P)", "设置(&O)", "帮助(&H)"} <= set(visible_menus(window))
    assert not window.classes_page.new_class_button.isVisible()
    assert not window.classes_page.add_members_button.isVisible()
    assert window.classes_page.new_session_button.isVisible()
    assert roles.account_label(window).text() == "账户：王老师（wang），任课教师"


def test_a_clerks_window_has_the_clerk_actions_but_no_accounts_rules_or_audit(qtbot, with_accounts):
    as_account(with_accounts, "li")
    window = open_window(qtbot, with_accounts)
    assert visible_pages(window) == ["首页", "学员", "排摸", "班级", "考勤", "可报考", "考试", "证书", "证书查验", "数据上报"]
    assert window.register_action.isVisible() and window.import_roster_action.isVisible()
    assert window.learners_page.reveal_button.isVisible()
    assert not window.accounts_action.isVisible() and not window.audit_action.isVisible()
    assert window.password_action.isVisible()


def test_an_administrator_and_the_single_user_see_everything(qtbot, with_accounts):
    as_account(with_accounts, "boss")
    window = open_window(qtbot, with_accounts)
    assert window.accounts_action.isVisible() and window.audit_action.isVisible() and window.register_action.isVisible()
    window.audit_action.trigger()
    assert isinstance(window.dialog, AuditDialog)
    window.dialog.reject()
    common.set_signed_in(None)
    nobody = open_window(qtbot, with_accounts)  # no one signed in on a database with accounts: nothing to see
    assert visible_pages(nobody) == [] and not nobody.register_action.isVisible()
    assert roles.account_label(nobody).text() == "账户：未登录"


# --- showing full ID numbers ---------------------------------------------------------------------------------

def test_showing_full_id_numbers_is_audited(qtbot, school_db, enrol, wait_ops):
    enrol(school_db, "陈堃", serial=1)  # in single-user mode, before the accounts
    make_accounts(school_db)
    with_accounts = school_db
    as_account(with_accounts, "li")
    window = open_window(qtbot, with_accounts)
    page = window.learners_page
    page.refresh()
    assert "********" in page.model.data(page.model.index(0, 3))
    page.table.selectionModel().select(page.model.index(0, 0),
                                       QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    page.reveal_button.click()
    wait_ops()
    shown = page.model.data(page.model.index(0, 3))
    assert "*" not in shown and len(shown) == 18
    with read_session(with_accounts.engine) as session:
        entry = session.execute(select(AuditEntry.actor, AuditEntry.after).where(AuditEntry.action == "id.reveal")).one()
    assert entry.actor == "li" and json.loads(entry.after)["count"] == 1
    page.refresh()  # a new list is masked again
    assert "********" in page.model.data(page.model.index(0, 3))


# --- 账户管理 and 修改密码 -------------------------------------------------------------------------------------

def test_the_first_account_is_made_from_the_window_and_the_window_continues_as_it(qtbot, school_db):
    window = open_window(qtbot, school_db)
    assert not window.password_action.isVisible()
    window.accounts_action.trigger()
    dialog: AccountsDialog = window.dialog
    assert dialog.add_button.text() == "新建第一个管理员账户…"
    new = dialog.open_new()
    assert isinstance(new, NewAccountDialog) and [new.role_combo.itemText(i) for i in range(new.role_combo.count())] == ["管理员"]
    new.name_edit.setText("boss")
    new.display_edit.setText("校长")
    new.password_edit.setText("boss-pass")
    new.again_edit.setText("boss-pass")
    with qtbot.waitSignal(new.accepted):  # saved off the UI thread (the password's hash takes a moment)
        new.ok_button.click()
    assert common.actor() == "boss" and not common.signed_in().single_user
    assert window.password_action.isVisible() and roles.account_label(window).text() == "账户：校长（boss），管理员"
    assert [a.name for a in dialog.accounts] == ["boss"]


def test_an_administrator_adds_disables_unlocks_and_resets(qtbot, with_accounts):
    as_account(with_accounts, "boss")
    dialog = AccountsDialog(with_accounts.engine)
    qtbot.addWidget(dialog)
    dialog.show()
    assert [a.name for a in dialog.accounts] == ["boss", "li", "wang"]
    new = dialog.open_new()
    new.name_edit.setText("zhao")
    new.display_edit.setText("赵老师")
    new.role_combo.setCurrentIndex(new.role_combo.findData(Role.TEACHER))
    new.password_edit.setText("zhao-pass")
    new.again_edit.setText("zhao-pasS")
    new.ok_button.click()
    assert new.isVisible() and new.message.text() == "两次输入的新密码不一致。"
    new.again_edit.setText("zhao-pass")
    with qtbot.waitSignal(new.accepted):
        new.ok_button.click()
    assert "已新建账户“zhao”（任课教师）" in dialog.message.text()

    dialog.select("li")
    dialog.disable_button.click()
    assert dialog.selected().disabled and dialog.enable_button.isEnabled()
    dialog.select("boss")
    dialog.disable_button.click()
    assert dialog.message.text() == "不能停用自己正在使用的账户。"

    with unit_of_work(with_accounts.engine) as session:
        for _ in range(5):
            accounts.authenticate(session, "wang", "wrong")
    dialog.refresh()
    dialog.select("wang")
    assert dialog.selected().locked() and dialog.unlock_button.isEnabled()
    dialog.unlock_button.click()
    assert not dialog.selected().locked()

    reset = dialog.open_password()
    assert isinstance(reset, PasswordDialog) and not reset.own and reset.windowTitle() == "重设“wang”的密码"
    reset.password_edit.setText("wang-new-1")
    reset.again_edit.setText("wang-new-1")
    with qtbot.waitSignal(reset.accepted):
        reset.ok_button.click()
    with unit_of_work(with_accounts.engine) as session:
        assert accounts.authenticate(session, "wang", "wang-new-1").ok


def test_everyone_changes_their_own_password_with_the_old_one(qtbot, with_accounts):
    as_account(with_accounts, "wang")
    window = open_window(qtbot, with_accounts)
    window.password_action.trigger()
    dialog: PasswordDialog = window.dialog
    assert dialog.own and dialog.windowTitle() == "修改密码"
    dialog.old_edit.setText("guess")
    dialog.password_edit.setText("wang-pass-2")
    dialog.again_edit.setText("wang-pass-2")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.message.text() == "原密码不对。")
    assert dialog.isVisible()
    dialog.old_edit.setText("wang-pass")
    with qtbot.waitSignal(dialog.accepted):
        dialog.ok_button.click()
    with unit_of_work(with_accounts.engine) as session:
        assert accounts.authenticate(session, "wang", "wang-pass-2").ok


def test_a_teacher_saves_the_roll_call_of_their_own_class(qtbot, school_db, enrol, wait_ops):
    from adultschool.models import ClassType, Level
    from adultschool.services import classes

    number = enrol(school_db, "陈堃", serial=1)  # in single-user mode, before the accounts
    make_accounts(school_db)
    with_accounts = school_db
    with unit_of_work(with_accounts.engine) as session:
        info = classes.create_class(session, name="大碶夜校班", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=TODAY, teacher="王老师", actor="boss")
        classes.add_members(session, info.id, [number], joined_on=TODAY, actor="boss")
        lesson = classes.create_session(session, info.id, held_on=TODAY, hours=2, actor="boss")
    as_account(with_accounts, "wang")
    window = open_window(qtbot, with_accounts)
    window.open_roll_call(info.id, lesson.id)
    wait_ops()
    page = window.rollcall_page
    page.mark_all_present()
    with qtbot.waitSignal(page.saved, timeout=10_000):
        page.save()
    with read_session(with_accounts.engine) as session:
        actor = session.execute(select(AuditEntry.actor).where(AuditEntry.action == "attendance.save")).scalar_one()
    assert actor == "wang"


# --- the form dialogs: focus, Tab order, Enter (issue 14) -------------------------------------------------------

def _tab_chain(dialog, count: int) -> list:
    seen = []
    for _ in range(count):
        seen.append(dialog.focusWidget())
        dialog.focusNextChild()
    return seen


def test_new_account_opens_in_the_name_field_tabs_through_the_form_and_enter_in_the_last_field_creates(qtbot, with_accounts):
    as_account(with_accounts, "boss")
    dialog = AccountsDialog(with_accounts.engine)
    qtbot.addWidget(dialog)
    dialog.show()
    new = dialog.open_new()
    qtbot.waitExposed(new)
    assert new.focusWidget() is new.name_edit  # typed text goes into the form, not onto a button
    chain = _tab_chain(new, 7)
    assert chain == [new.name_edit, new.display_edit, new.role_combo, new.password_edit, new.again_edit,
                     new.ok_button, new.cancel_button]
    qtbot.keyClicks(new.name_edit, "zhao")
    new.password_edit.setText("zhao-pass")
    new.again_edit.setText("zhao-pass")
    # Tab past 取消 and back, then Enter in 再输一次: the account is made, not the dialog cancelled.
    new.cancel_button.setFocus()
    new.again_edit.setFocus()
    with qtbot.waitSignal(new.accepted):
        qtbot.keyClick(new.again_edit, Qt.Key.Key_Return)
    assert "zhao" in [a.name for a in dialog.accounts]


def test_enter_in_a_field_of_the_password_form_moves_on_and_enter_on_cancel_cancels(qtbot, with_accounts):
    as_account(with_accounts, "boss")
    reset = PasswordDialog(with_accounts.engine, "wang")
    qtbot.addWidget(reset)
    reset.show()
    qtbot.waitExposed(reset)
    assert reset.focusWidget() is reset.password_edit
    assert _tab_chain(reset, 4) == [reset.password_edit, reset.again_edit, reset.ok_button, reset.cancel_button]
    qtbot.keyClicks(reset.password_edit, "wang-new-1")
    qtbot.keyClick(reset.password_edit, Qt.Key.Key_Return)  # not the last field: on to 再输一次
    assert reset.isVisible() and reset.focusWidget() is reset.again_edit
    qtbot.keyClicks(reset.again_edit, "wang-new-1")
    reset.cancel_button.setFocus()
    qtbot.keyClick(reset.cancel_button, Qt.Key.Key_Return)  # Enter on a focused 取消 cancels, as it says
    assert reset.result() == QDialog.DialogCode.Rejected
    with unit_of_work(with_accounts.engine) as session:
        assert accounts.authenticate(session, "wang", "wang-pass").ok
