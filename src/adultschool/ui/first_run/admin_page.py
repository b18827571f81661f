"""The first-run wizard's page for the first administrator's account."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QVBoxLayout

from adultschool.errors import AdultSchoolError
from adultschool.services import passwords, permissions
from adultschool.services.first_run import AdminPlan
from adultschool.ui.first_run.page import SUMMARY, FirstRunPage
from adultschool.ui.widgets import buddy_label, chain_tab_order, hint_label, password_edit


class AdminPage(FirstRunPage):
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
