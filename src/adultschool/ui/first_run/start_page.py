"""The first-run wizard's first page: a new school, a new district office, a demo school or an existing database
file."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCommandLinkButton, QLabel, QVBoxLayout

from adultschool.ui.common import MessageLabel
from adultschool.ui.first_run.page import DEMO_LEARNERS, IDENTITY, FirstRunPage
from adultschool.ui.widgets import chain_tab_order


class StartPage(FirstRunPage):
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
