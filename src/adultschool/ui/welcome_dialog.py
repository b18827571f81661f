"""First start: no school database yet. Offers a demo school, a new school, an existing database file, or 退出.

Creating a school calls `site.initialise`, the demo calls `demo.fill_demo` (a background operation with progress).
"""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from adultschool import paths
from adultschool.db import Database, open_database, read_session
from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.services import demo, site, sync
from adultschool.ui import ops
from adultschool.ui.common import MessageLabel, actor, report_failure

DEMO_LEARNERS = 300
_TOWNSHIP_SEPARATORS = re.compile(r"[,，、;；\s]+")


def split_townships(text: str) -> list[str]:
    """'大碶街道，新碶街道、小港街道' → three names (clerks type Chinese or English commas)."""
    return [part for part in _TOWNSHIP_SEPARATORS.split(text.strip()) if part]


def is_initialised(database: Database) -> bool:
    with read_session(database.engine) as session:
        return site.is_initialised(session)


class WelcomeDialog(QDialog):
    """Accepted with `database` set to an initialised school database; rejected means 退出."""

    def __init__(self, target: str | None, database: Database | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("欢迎使用成人“双证制”学历提升教务")
        self.target = target
        self.database = database
        self.op: ops.Op | None = None
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0") * 80)

        where = database.describe() if database else self._target_description()
        self.intro = QLabel(
            f"数据库 {where} 里还没有学校。\n请选择："
            if database else f"没有找到数据库文件：\n{where}\n请选择："
        )
        self.intro.setWordWrap(True)

        self.demo_button = QCommandLinkButton("创建演示学校", f"生成一所演示学校（{DEMO_LEARNERS} 名学员、排摸记录），先熟悉操作")
        self.new_button = QCommandLinkButton("新建学校", "填写本校的学校代码、名称和负责的街道/镇")
        self.open_button = QCommandLinkButton("打开已有数据库", "选择以前用过或别处拷来的数据库文件")
        self.quit_button = QCommandLinkButton("退出", "")
        self.demo_button.clicked.connect(self.create_demo)
        self.new_button.clicked.connect(lambda: self.pages.setCurrentIndex(1))
        self.open_button.clicked.connect(self.choose_existing)
        self.quit_button.clicked.connect(self.reject)
        self.choice_message = MessageLabel()

        choice = QWidget()
        choice_layout = QVBoxLayout(choice)
        choice_layout.addWidget(self.intro)
        for button in (self.demo_button, self.new_button, self.open_button, self.quit_button):
            choice_layout.addWidget(button)
        choice_layout.addWidget(self.choice_message)

        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("如：330206-01")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("如：北仑区大碶街道成人文化技术学校")
        self.townships_edit = QLineEdit()
        self.townships_edit.setPlaceholderText("多个用逗号或顿号隔开，如：大碶街道，新碶街道")
        self.form_message = MessageLabel()
        self.create_button = QPushButton("创建")
        self.create_button.clicked.connect(self.create_school)
        self.back_button = QPushButton("返回")
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        form_page = QWidget()
        form_layout = QVBoxLayout(form_page)
        form = QFormLayout()
        form.addRow("学校代码", self.code_edit)
        form.addRow("学校名称", self.name_edit)
        form.addRow("负责街道/镇", self.townships_edit)
        form_layout.addLayout(form)
        form_layout.addWidget(self.form_message)
        form_layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.create_button)
        form_layout.addLayout(buttons)

        self.pages = QStackedWidget()
        self.pages.addWidget(choice)
        self.pages.addWidget(form_page)
        self.pages.currentChanged.connect(self._page_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

    def _target_description(self) -> str:
        url = paths.database_url(self.target)
        path = paths.sqlite_path(url)
        return str(path) if path else url

    def _page_changed(self, index: int) -> None:
        if index == 1:
            self.create_button.setDefault(True)
            self.code_edit.setFocus()

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def _ensure_database(self) -> Database:
        if self.database is None:
            self.database = open_database(self.target, create=True)
        return self.database

    # --- the choices ---------------------------------------------------------------------------------------

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
            on_success=lambda _summary: self.accept(), on_failure=lambda exc: self._failed(exc, self.choice_message),
        )

    def create_school(self) -> None:
        if self.busy:
            return
        code, name = self.code_edit.text().strip(), self.name_edit.text().strip()
        townships = split_townships(self.townships_edit.text())
        try:
            database = self._ensure_database()
        except AdultSchoolError as exc:
            self.form_message.show_message(str(exc))
            return
        who = actor()
        self._set_busy(True)
        self.op = ops.run_write(
            self, database.engine,
            lambda session, _job: sync.initialise_school(session, code=code, name=name, townships=townships, actor=who),
            label="正在建立学校数据库……", title="新建学校", cancellable=False,
            on_success=lambda _info: self.accept(), on_failure=lambda exc: self._failed(exc, self.form_message),
        )

    def choose_existing(self) -> None:
        start = str(paths.data_dir())
        path, _ = QFileDialog.getOpenFileName(self, "打开已有数据库", start,
                                              "数据库文件 (*.sqlite3 *.sqlite *.db);;所有文件 (*)")
        if path:
            self.open_existing(Path(path))

    def open_existing(self, path: Path) -> bool:
        try:
            database = open_database(path)
        except AdultSchoolError as exc:
            self.choice_message.show_message(str(exc))
            return False
        if self.database is not None:
            self.database.close()
        self.database = database
        self.target = str(path)
        if is_initialised(database):
            self.accept()
            return True
        self.intro.setText(f"数据库 {database.describe()} 里还没有学校。\n请选择：")
        self.choice_message.show_message("这个数据库还没有建立学校：请点“新建学校”或“创建演示学校”。", "hint")
        return False

    # --- state ---------------------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.demo_button, self.new_button, self.open_button, self.quit_button, self.create_button,
                       self.back_button):
            widget.setEnabled(not busy)

    def _failed(self, exc: BaseException, where: MessageLabel) -> None:
        self._set_busy(False)
        if isinstance(exc, Cancelled):
            where.show_message(exc.message, "hint")
        elif isinstance(exc, AdultSchoolError):
            where.show_message(str(exc), "error")
        else:
            report_failure(self, exc)

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()
