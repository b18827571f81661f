"""The first-run wizard: a new school (code, name, townships with this year's quotas, the district's public
key, the administrator), a new district office (code, name, its key pair, the administrator), a demo school, or an
existing database file; 退出 leaves.

Nothing is written until 创建 on the last page: then the database file is made and `first_run.create_site` writes
everything in one background transaction. A refusal removes the file it had just made, so a cancelled or failed wizard
leaves no half-made database. The demo school is `demo.fill_demo`, in the background too.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget, QWizard

from adultschool import clock, paths
from adultschool.db import Database, open_database, read_session
from adultschool.errors import AdultSchoolError
from adultschool.models.enums import SiteKind
from adultschool.services import demo, first_run, permissions, site
from adultschool.services.first_run import SiteCreated, SitePlan
from adultschool.ui import ops
from adultschool.ui.common import actor, ask_open_path, MessageLabel, set_signed_in
from adultschool.ui.first_run.admin_page import AdminPage
from adultschool.ui.first_run.key_pages import DistrictKeysPage, DistrictPublicPage
from adultschool.ui.first_run.page import ADMIN, DEMO_LEARNERS, DISTRICT_KEYS, DISTRICT_PUBLIC, IDENTITY, START, SUMMARY, TOWNSHIPS
from adultschool.ui.first_run.school_pages import IdentityPage, TownshipsPage
from adultschool.ui.first_run.start_page import StartPage
from adultschool.ui.first_run.summary_page import SummaryPage


def is_initialised(database: Database) -> bool:
    with read_session(database.engine) as session:
        return site.is_initialised(session)


class FirstRunWizard(QWizard):
    """Accepted with `database` set to an initialised school or district database; rejected means 退出. `today` is its
    day (the clock's; tests give another): this year's quotas and the demo school's dates follow it."""

    def __init__(self, target: str | None, database: Database | None = None, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self.setWindowTitle("欢迎使用成人“双证制”学历提升教务")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)  # the same look on Windows, where the default is Aero
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.target = target
        self.database = database
        self._today = today
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
        self.townships_page = TownshipsPage(today=today)
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
        who, today = actor(), self._today()
        self._set_busy(True)
        self.op = ops.run_write(
            self, database.engine,
            lambda session, job: demo.fill_demo(session, learners=DEMO_LEARNERS, actor=who, today=today, job=job),
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
        where.show_message("没有建立数据库。", "error")
        ops.show_failure(self, exc, line=where, problem="没有建立数据库：{}")

    def reject(self) -> None:
        if self.busy:
            return
        self._discard_new_file()
        super().reject()

