"""What the main window shows to the signed-in role, and the window's account and audit menu entries.

Hiding is a courtesy: the services refuse whatever a role may not do, whichever way it is asked.
A teacher sees 班级 and 考勤 (names and student numbers only) and the sign-in sheet; a clerk everything but settings,
accounts, rules, restore and the audit log; an administrator everything.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QMenu

from adultschool.db import read_session
from adultschool.services import permissions
from adultschool.services.permissions import Permission
from adultschool.ui.accounts_dialogs import AccountsDialog, PasswordDialog
from adultschool.ui.audit_view import AuditDialog
from adultschool.ui.common import signed_in

if TYPE_CHECKING:
    from adultschool.ui.main_window import MainWindow

# MainWindow attribute → the permission it needs. Actions not listed (other parts' additions) stay as they are;
# their services check anyway.
ACTION_PERMISSIONS: dict[str, Permission] = {
    "register_action": Permission.REGISTER,
    "import_roster_action": Permission.IMPORT,
    "export_action": Permission.VIEW_FULL_ID,
    "import_survey_action": Permission.IMPORT,
    "new_class_action": Permission.MANAGE_CLASSES,
    "import_attendance_action": Permission.IMPORT,
    "import_study_action": Permission.IMPORT,
    "rebuild_totals_action": Permission.IMPORT,
    "imports_action": Permission.IMPORT,
    "photos_folder_action": Permission.IMPORT,
    "photos_zip_action": Permission.IMPORT,
    "apply_action": Permission.EXAMS,
    "import_results_action": Permission.EXAMS,
    "graduate_action": Permission.EXAMS,
    "skill_action": Permission.EXAMS,
    "exam_history_action": Permission.VIEW_LEARNERS,  # 考试记录: names learners, changes nothing
    "credit_bank_action": Permission.VIEW_FULL_ID,
    "household_action": Permission.VIEW_FULL_ID,
    "print_certificates_action": Permission.PRINT,
    "reprint_action": Permission.PRINT,
    "print_registration_action": Permission.VIEW_FULL_ID,
    "print_summary_action": Permission.VIEW_FULL_ID,
    "print_signin_action": Permission.TAKE_ATTENDANCE,
    "font_action": Permission.PRINT,
    "settings_action": Permission.MANAGE_SETTINGS,  # 设置…: rules, townships and quotas, font, backup, keys
    "backup_action": Permission.BACKUP,
    "restore_action": Permission.RESTORE,
    "audit_action": Permission.VIEW_AUDIT,
    "sync_action": Permission.SYNC,  # 数据上报 (school) / 导入数据包 (district)
    "progress_export_action": Permission.VIEW_LEARNERS,  # the district's 任务进度 export, like its page
}
# Navigation titles → permission; a page not listed needs VIEW_LEARNERS (clerk's work).
PAGE_PERMISSIONS: dict[str, Permission] = {
    "首页": Permission.VIEW_LEARNERS,  # names learners
    "学员": Permission.VIEW_LEARNERS,
    "排摸": Permission.VIEW_LEARNERS,
    "班级": Permission.TAKE_ATTENDANCE,
    "考勤": Permission.TAKE_ATTENDANCE,
    "可报考": Permission.VIEW_LEARNERS,
    "考试": Permission.EXAMS,
    "证书": Permission.PRINT,
    "数据交换": Permission.SYNC,
    "数据上报": Permission.SYNC,  # the school's sync page
    "数据包汇总": Permission.SYNC,  # the district's pages
    "冲突": Permission.SYNC,
    "证书查验": Permission.VERIFY_CERTIFICATES,
}


ACCOUNT_LABEL = "account_label"  # the object name of the status bar's 账户 label


def _has_visible_entry(menu: QMenu) -> bool:
    visible = False
    for action in menu.actions():
        submenu = action.menu()  # PySide6's stubs say QObject; it is the action's QMenu, or None
        if isinstance(submenu, QMenu):
            action.setVisible(_has_visible_entry(submenu))
        if action.isVisible() and not action.isSeparator():
            visible = True
    return visible


def apply_role(window: "MainWindow") -> None:
    """Shows and hides actions, pages and page buttons for the signed-in role; called again after a change of account."""
    who = signed_in()
    nobody = False
    if who.single_user:  # nobody signed in: fine without accounts, nothing to show on a database that has some
        with read_session(window.engine) as session:
            nobody = permissions.has_accounts(session)

    def allowed(permission: Permission) -> bool:
        return not nobody and who.can(permission)

    for name, permission in ACTION_PERMISSIONS.items():
        action = getattr(window, name, None)
        if action is not None:
            action.setVisible(allowed(permission))
    if getattr(window, "accounts_action", None) is not None:
        window.accounts_action.setVisible(allowed(Permission.MANAGE_ACCOUNTS))
    if getattr(window, "password_action", None) is not None:
        window.password_action.setVisible(not who.single_user)
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if isinstance(menu, QMenu):
            menu_action.setVisible(_has_visible_entry(menu))

    for row in range(window.nav.count()):
        item = window.nav.item(row)
        item.setHidden(not allowed(PAGE_PERMISSIONS.get(item.text(), Permission.VIEW_LEARNERS)))
    current = window.nav.currentItem()
    if current is None or current.isHidden():
        for row in range(window.nav.count()):
            if not window.nav.item(row).isHidden():
                window.nav.setCurrentRow(row)
                break

    window.classes_page.new_class_button.setVisible(allowed(Permission.MANAGE_CLASSES))
    window.classes_page.add_members_button.setVisible(allowed(Permission.MANAGE_CLASSES))
    window.classes_page.correct_button.setVisible(allowed(Permission.MANAGE_CLASSES))
    window.learners_page.records_button.setVisible(allowed(Permission.REGISTER))
    window.certificates_page.revoke_button.setVisible(allowed(Permission.EXAMS))
    reveal = getattr(window.learners_page, "reveal_button", None)
    if reveal is not None:
        reveal.setVisible(allowed(Permission.VIEW_FULL_ID))

    account_label(window).setText("账户：未登录" if nobody else f"账户：{who.label}")


def account_label(window: "MainWindow") -> QLabel:
    """The status bar's 账户 label (who is signed in), made on the first call."""
    label = window.statusBar().findChild(QLabel, ACCOUNT_LABEL)
    if label is None:
        label = QLabel()
        label.setObjectName(ACCOUNT_LABEL)
        window.statusBar().addPermanentWidget(label)
    return label


def open_accounts(window: "MainWindow") -> AccountsDialog:
    dialog = AccountsDialog(window.engine, window)
    dialog.signed_in_changed.connect(lambda: apply_role(window))
    window.open_dialog(dialog)
    return dialog


def open_change_password(window: "MainWindow") -> PasswordDialog:
    dialog = PasswordDialog(window.engine, signed_in().name, window)
    dialog.accepted.connect(lambda: window.show_status("密码已修改。"))
    window.open_dialog(dialog)
    return dialog


def open_audit_view(window: "MainWindow") -> AuditDialog:
    dialog = AuditDialog(window.engine, window, today=window.today)
    window.open_dialog(dialog)
    return dialog
