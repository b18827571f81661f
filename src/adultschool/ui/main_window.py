"""The main window: navigation on the left (学员, 排摸, 班级, 考勤, 可报考, 考试, 证书, 数据上报), the page on the right, menu and toolbar.
A district database shows 数据包汇总, 冲突, 任务进度 and the merged 学员 list instead of the school's work.

Dialogs open with `open()` (modal, no nested event loop); when one changes data, the pages that show what it
changed re-read (ui.changes).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from adultschool import clock, paths
from adultschool.db import Database, read_session
from adultschool.models.enums import SiteKind
from adultschool.services import photos, site, study
from adultschool.ui import backup_dialogs, changes, ops, roles, table_copy
from adultschool.ui.changes import Changes, as_changes
from adultschool.ui.common import D, Page, actor, ask_folder, ask_open_path, open_dialog, show_error, show_info
from adultschool.ui.about_dialog import AboutDialog
from adultschool.ui.certificates_page import CertificatesPage
from adultschool.ui.classes_page import ClassesPage
from adultschool.ui.exams_page import ExamsPage
from adultschool.ui.export_dialog import ExportDialog
from adultschool.ui.help_dialog import HelpDialog
from adultschool.ui.home_page import HomePage
from adultschool.ui.import_dialog import ImportDialog, preview_line
from adultschool.ui.learners_page import LearnersPage
from adultschool.ui.readiness_page import ReadinessPage
from adultschool.ui.registration_dialog import RegistrationDialog
from adultschool.ui.rollcall_page import RollCallPage
from adultschool.ui.survey_page import SurveyPage
from adultschool.ui.sync_page import SyncPage
from adultschool.ui.verify_page import VerifyPage
from adultschool.ui.ways_back_dialogs import ImportsDialog

if TYPE_CHECKING:  # imported when first opened: printing brings reportlab, the settings the first-run wizard's parts
    from adultschool.services.imports import UndoReport
    from adultschool.services.photos import PhotoImportReport
    from adultschool.services.registration import Registered
    from adultschool.services.sheet_import import ImportReport
    from adultschool.ui.font_dialog import FontDialog
    from adultschool.ui.print_dialog import PrintDialog
    from adultschool.ui.settings_dialog import SettingsDialog

APP_TITLE = "成人“双证制”学历提升教务"



class MainWindow(QMainWindow):
    """`data_changed(Changes)` after a write, with what it touched; `page_refreshed(page)` each time the window has a
    page read its data again (now, or when it is next shown)."""

    data_changed = Signal(object)
    page_refreshed = Signal(object)

    def __init__(self, database: Database, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self.database = database
        self.engine = database.engine
        self.today = today
        self.dialog: QWidget | None = None  # the dialog opened last (tests look at it)
        table_copy.install()  # Ctrl+C in every list copies the selected rows for Excel/WPS
        with read_session(self.engine) as session:
            self.site = site.get_site(session)
            self.is_demo = site.is_demo_school(session)
        self.next_database: Path | None = None  # chosen by 新建数据库… / 打开数据库…: the program opens it after closing
        self.setWindowTitle(f"{self.site.name}{'【演示，不能上报】' if self.is_demo else ''} — {APP_TITLE}")

        self.learners_page = LearnersPage(self.engine, today=today)
        self.survey_page = SurveyPage(self.engine, today=today)
        self.survey_page.register_requested.connect(self.register_prospect)
        self.classes_page = ClassesPage(self.engine, today=today)
        self.classes_page.rollcall_requested.connect(self.open_roll_call)
        self.rollcall_page = RollCallPage(self.engine, today=today)
        self.rollcall_page.saved.connect(lambda _count: self.data_changed.emit(changes.ROLL_CALL_SAVED))
        self.rollcall_page.session_created.connect(lambda: self.data_changed.emit(changes.CLASSES_CHANGED))
        self.readiness_page = ReadinessPage(self.engine, today=today)  # computes when first shown
        self.exams_page = ExamsPage(self.engine, today=today)  # computes its ready list when first shown
        self.certificates_page = CertificatesPage(self.engine, today=today)
        sync_pages = self._create_sync_pages(today)
        self.verify_page = VerifyPage(self.engine)
        self.home_page = HomePage(self.engine, database.path, today=today)
        self.home_page.open_requested.connect(self.open_home_line)
        for page in (self.learners_page, self.survey_page, self.classes_page, self.rollcall_page, self.readiness_page,
                     self.exams_page, self.certificates_page, *sync_pages, self.verify_page, self.home_page):
            page.changed.connect(self.data_changed)  # every page: a write refreshes the others that show it
            page.status_message.connect(self.show_status)

        self.pages = QStackedWidget()
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        for title, page, icon in self._navigation(("学员", self.learners_page, QStyle.StandardPixmap.SP_FileDialogDetailedView),
                                  ("排摸", self.survey_page, QStyle.StandardPixmap.SP_FileDialogContentsView),
                                  ("班级", self.classes_page, QStyle.StandardPixmap.SP_DirIcon),
                                  ("考勤", self.rollcall_page, QStyle.StandardPixmap.SP_DialogApplyButton),
                                  ("可报考", self.readiness_page, QStyle.StandardPixmap.SP_DialogYesButton),
                                  ("考试", self.exams_page, QStyle.StandardPixmap.SP_FileDialogInfoView),
                                  ("证书", self.certificates_page, QStyle.StandardPixmap.SP_DialogSaveButton)):
            item = QListWidgetItem(self.style().standardIcon(icon), title)
            item.setSizeHint(QSize(0, self.fontMetrics().height() * 2 + 8))
            self.nav.addItem(item)
            self.pages.addWidget(page)
        self.nav.setFixedWidth(max(self.fontMetrics().horizontalAdvance(self.nav.item(i).text())
                                   for i in range(self.nav.count())) + 64)
        self._stale: set[QWidget] = set()
        self.nav.currentRowChanged.connect(self._show_page_at)
        # The program opens on 首页 (app.run); a window made on its own starts on the learner list.
        self.nav.setCurrentRow(0 if self.is_district else
                               next(i for i in range(self.nav.count()) if self.nav.item(i).text() == "学员"))

        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        self.demo_banner = QLabel(
            "这是演示学校：学员都是虚构的，不计入任何任务，也不能报送到分中心。"
            "要建立或打开本校的数据库，请用菜单 文件 → 新建数据库… 或 打开数据库…。")
        self.demo_banner.setWordWrap(True)
        self.demo_banner.setStyleSheet("background: #fff3cd; color: #7a4b00; padding: 6px; font-weight: bold;")
        self.demo_banner.setVisible(self.is_demo)
        column.addWidget(self.demo_banner)
        row = QHBoxLayout()
        row.setContentsMargins(6, 6, 6, 0)
        row.addWidget(self.nav)
        row.addWidget(self.pages, 1)
        column.addLayout(row, 1)
        self.setCentralWidget(central)

        self._build_actions()
        self._adapt_actions_to_site()
        roles.apply_role(self)  # hides what the signed-in role cannot use
        self.db_label = QLabel(f"数据库：{database.describe()}")
        self.db_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addPermanentWidget(self.db_label)
        self.data_changed.connect(self.refresh_pages)
        self._fit_to_screen()

    # --- actions -------------------------------------------------------------------------------------------

    def _action(self, text: str, slot: Callable[[], object], shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                icon: QStyle.StandardPixmap | None = None, tip: str | None = None) -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{tip}（{QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)}）"
                              if shortcut else tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        self.register_action = self._action("登记学员", self.open_registration, "Ctrl+N",
                                            QStyle.StandardPixmap.SP_FileIcon, "逐个登记一名学员")
        self.import_roster_action = self._action("导入名单", self.open_roster_import, "Ctrl+I",
                                                 QStyle.StandardPixmap.SP_DialogOpenButton, "从 Excel 报名表登记学员")
        self.export_action = self._action("导出报名汇总表", self.open_export, "Ctrl+E",
                                          QStyle.StandardPixmap.SP_DialogSaveButton, "导出报名汇总表（Excel）")
        self.import_survey_action = self._action("导入排摸表", self.open_survey_import, "Ctrl+Shift+I",
                                                 QStyle.StandardPixmap.SP_FileDialogStart, "导入街道/镇的排摸表")
        self.new_class_action = self._action("新建班级…", self.open_new_class, None, None, "新建村班、厂班、夜校班或重修班")
        self.import_attendance_action = self._action("导入考勤表", self.open_attendance_import, None,
                                                     QStyle.StandardPixmap.SP_FileDialogListView,
                                                     "导入老师填好的考勤表（Excel 或 CSV）")
        self.import_study_action = self._action("导入学习记录", self.open_study_import, None,
                                                QStyle.StandardPixmap.SP_ArrowDown, "导入省学习平台导出的线上学习记录（Excel 或 CSV）")
        self.photos_folder_action = self._action("导入照片（文件夹）…", lambda: self.choose_photos(folder=True), None, None,
                                                 "文件夹里按身份证号码或学籍号命名的照片（jpg、png、bmp），可有子文件夹")
        self.photos_zip_action = self._action("导入照片（zip 压缩包）…", lambda: self.choose_photos(folder=False), None, None,
                                              "zip 压缩包里按身份证号码或学籍号命名的照片")
        self.imports_action = self._action("导入记录与撤销…", self.open_imports, None, None,
                                           "每次导入的记录；导错了可以撤销一次导入（名单、排摸表、考勤、学习记录、成绩）")
        self.rebuild_totals_action = self._action("重算累计学时", self.rebuild_totals, None, None,
                                                  "按全部考勤和学习记录重新计算每个学籍的累计学时（数据有疑问时用）")
        self.apply_action = self._action("考前申请", lambda: self.show_page("考试"), None, None,
                                         "勾选可报考的学员，申请结业考试并导出名单")
        self.import_results_action = self._action("导入成绩…", self.open_results_import, None, None,
                                                  "导入分中心返回的成绩表")
        self.graduate_action = self._action("毕业…", self.open_graduation, None, None, "全部课程通过的学员毕业，取得证书编号")
        self.skill_action = self._action("登记职业技能证书…", self.open_skill_certificate, None, None,
                                         "登记学员的职业技能证书（双证之一）")
        self.credit_bank_action = self._action("导出学分银行成绩清单…", lambda: self.exams_page.export_credit_bank(),
                                               None, None, "全部考试成绩，供录入省学分银行")
        self.household_action = self._action("导出户籍学历变更名单…", lambda: self.exams_page.export_household(),
                                             None, None, "已毕业学员，供户籍部门变更文化程度")
        self.exam_history_action = self._action("考试记录…", lambda: self.exams_page.open_history(), None, None,
                                                "各考试批次的申请人数、各科成绩和需补考的学员")
        self.print_certificates_action = self._action("打印证书…", self.open_certificate_printing, "Ctrl+P",
                                                      QStyle.StandardPixmap.SP_DialogSaveButton,
                                                      "打印“证书”页所选的（或全部）未打印的毕业证书")
        self.reprint_action = self._action("补发证书…", self.open_reprint, None, None, "再次打印所选的已打印证书，须写明原因")
        self.print_registration_action = self._action("报名登记表…", self.open_registration_forms, None, None,
                                                      "“学员”页所选学员（或全部在读学员）的报名登记表，每人一页")
        self.print_summary_action = self._action("报名汇总表…", lambda: self.open_form_printing("summary"), None, None,
                                                 "报名汇总表（PDF），可选层次")
        self.print_signin_action = self._action("签到表…", lambda: self.open_form_printing("signin"), None, None,
                                                "一个班某一天的签到表")
        self.settings_action = self._action("设置…", self.open_settings, None, None,
                                            "规则、街道/镇与任务数、打印字体、备份文件夹、分中心公钥")
        self.font_action = self._action("打印字体…", self.open_font_settings, None, None, "证书和表格 PDF 用的字体")
        self.accounts_action = self._action("账户管理…", lambda: roles.open_accounts(self), None, None,
                                            "新建账户，修改角色，重设密码，停用或解锁账户")
        self.password_action = self._action("修改密码…", lambda: roles.open_change_password(self), None, None,
                                            "修改自己的登录密码")
        self.audit_action = self._action("审计记录…", lambda: roles.open_audit_view(self), None, None,
                                         "谁在什么时候改了什么；检查审计记录是否完整")
        self.backup_action = self._action("立即备份…", lambda: backup_dialogs.back_up_now(self), None, None,
                                          "把数据库备份到选定的文件夹（如 U 盘）")
        self.restore_action = self._action("从备份恢复…", lambda: backup_dialogs.open_restore(self), None, None,
                                           "查看备份文件里有什么，确认后用它替换当前数据库（当前数据库先另存）")
        self.new_database_action = self._action("新建数据库…", self.choose_new_database, None, None,
                                                "关闭这个数据库，在新文件里建立学校或分中心（例如从演示学校转到本校）")
        self.open_database_action = self._action("打开数据库…", self.choose_other_database, None, None,
                                                 "关闭这个数据库，打开另一个数据库文件")
        self.quit_action = self._action("退出", self.close, QKeySequence.StandardKey.Quit)
        self.about_action = self._action("关于", self.show_about)
        self.help_action = self._action("使用说明", self.show_help, QKeySequence.StandardKey.HelpContents, None,
                                        "一天里常做的事怎么做（F1 打开当前页面的那一节）")

        menu = self.file_menu = self.menuBar().addMenu("文件(&F)")
        menu.addAction(self.backup_action)
        menu.addAction(self.restore_action)
        menu.addSeparator()
        menu.addAction(self.new_database_action)
        menu.addAction(self.open_database_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        menu = self.menuBar().addMenu("学员(&L)")
        menu.addAction(self.register_action)
        menu.addAction(self.import_roster_action)
        menu.addAction(self.export_action)
        menu.addAction(self.photos_folder_action)
        menu.addAction(self.photos_zip_action)
        menu.addSeparator()
        menu.addAction(self.imports_action)
        menu = self.menuBar().addMenu("排摸(&S)")
        menu.addAction(self.import_survey_action)
        menu = self.menuBar().addMenu("教学(&T)")
        menu.addAction(self.new_class_action)
        menu.addAction(self.import_attendance_action)
        menu.addAction(self.import_study_action)
        menu.addSeparator()
        menu.addAction(self.rebuild_totals_action)
        menu = self.menuBar().addMenu("考试(&E)")
        for action in (self.apply_action, self.import_results_action, self.graduate_action, self.skill_action):
            menu.addAction(action)
        menu.addAction(self.exam_history_action)
        menu.addSeparator()
        menu.addAction(self.credit_bank_action)
        menu.addAction(self.household_action)
        menu = self.menuBar().addMenu("打印(&P)")
        menu.addAction(self.print_certificates_action)
        menu.addAction(self.reprint_action)
        menu.addSeparator()
        self.forms_menu = menu.addMenu("打印表格")
        for action in (self.print_registration_action, self.print_summary_action, self.print_signin_action):
            self.forms_menu.addAction(action)
        menu = self.menuBar().addMenu("设置(&O)")
        menu.addAction(self.settings_action)
        menu.addAction(self.font_action)
        menu.addSeparator()
        for action in (self.accounts_action, self.password_action, self.audit_action):
            menu.addAction(action)
        menu = self.menuBar().addMenu("帮助(&H)")
        menu.addAction(self.help_action)
        menu.addAction(self.about_action)

        toolbar = QToolBar("常用操作")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.register_action, self.import_roster_action, self.export_action, self.import_survey_action,
                       self.import_attendance_action, self.import_study_action):
            toolbar.addAction(action)
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    # --- sync: the school's 数据上报 page, or the district's pages ------------------------------------------

    @property
    def is_district(self) -> bool:
        return self.site.kind is SiteKind.DISTRICT

    def _create_sync_pages(self, today: Callable[[], date]) -> tuple[Page, ...]:
        if self.is_district:
            from adultschool.ui.district_exams_page import DistrictExamsPage
            from adultschool.ui.district_conflicts_page import ConflictsPage
            from adultschool.ui.district_packages_page import DistrictPackagesPage
            from adultschool.ui.district_progress_page import ProgressPage

            self.packages_page = DistrictPackagesPage(self.engine, today=today)
            self.conflicts_page = ConflictsPage(self.engine)
            self.progress_page = ProgressPage(self.engine, today=today)
            self.district_exams_page = DistrictExamsPage(self.engine, today=today)
            pages: tuple[Page, ...] = (self.packages_page, self.conflicts_page, self.progress_page,
                                       self.district_exams_page)
        else:
            self.sync_page = SyncPage(self.engine, today=today)
            pages = (self.sync_page,)
        return pages

    def _navigation(self, *school_pages: tuple[str, QWidget, QStyle.StandardPixmap]) -> list[tuple]:
        """A school's pages (证书查验 next to 证书) then 数据上报; at a district its own pages, then the merged learner
        list and 证书查验 (the school's registration, classes, roll calls, exams and certificates are the schools' work,
        not the district's)."""
        verify = ("证书查验", self.verify_page, QStyle.StandardPixmap.SP_DialogApplyButton)
        if not self.is_district:
            pages: list[tuple] = [("首页", self.home_page, QStyle.StandardPixmap.SP_DirHomeIcon)]
            for entry in school_pages:
                pages.append(entry)
                if entry[0] == "证书":
                    pages.append(verify)
            return [*pages, ("数据上报", self.sync_page, QStyle.StandardPixmap.SP_ArrowUp)]
        self.home_page.setParent(self)  # a school's day; owned by the window, never shown at a district
        self.home_page.hide()
        kept = [entry for entry in school_pages if entry[0] == "学员"]
        for title, page, _icon in school_pages:
            if title != "学员":
                page.setParent(self)  # owned by the window, never shown
                page.hide()
        return [("数据包汇总", self.packages_page, QStyle.StandardPixmap.SP_DriveNetIcon),
                ("冲突", self.conflicts_page, QStyle.StandardPixmap.SP_MessageBoxWarning),
                ("任务进度", self.progress_page, QStyle.StandardPixmap.SP_FileDialogListView),
                ("考试与成绩", self.district_exams_page, QStyle.StandardPixmap.SP_FileDialogDetailedView), *kept, verify]

    def _adapt_actions_to_site(self) -> None:
        """文件 → 数据上报 at a school; at a district the school's own work leaves the menus and the toolbar."""
        file_menu = self.file_menu
        first = file_menu.actions()[0]  # 立即备份…: 文件 always starts with it
        if not self.is_district:
            self.sync_action = self._action("数据上报…", lambda: self.show_page("数据上报"), None,
                                            QStyle.StandardPixmap.SP_ArrowUp, "生成发给分中心的数据包，导入分中心的回执")
            file_menu.insertAction(first, self.sync_action)
            file_menu.insertSeparator(first)
            return
        self.sync_action = self._action("导入数据包…", self.import_packages, None, QStyle.StandardPixmap.SP_ArrowDown,
                                        "导入学校发来的数据包（可一次选多个）")
        self.progress_export_action = self._action("导出任务进度…", self.export_progress, None,
                                                   QStyle.StandardPixmap.SP_DialogSaveButton,
                                                   "各街道/镇任务完成情况和各校报送情况（Excel）")
        file_menu.insertAction(first, self.sync_action)
        file_menu.insertAction(first, self.progress_export_action)
        file_menu.insertSeparator(first)
        school_work = (self.register_action, self.import_roster_action, self.export_action, self.import_survey_action,
                       self.imports_action, self.photos_folder_action, self.photos_zip_action, self.new_class_action,
                       self.import_attendance_action, self.import_study_action,
                       self.apply_action, self.import_results_action, self.graduate_action, self.skill_action,
                       self.exam_history_action, self.credit_bank_action, self.household_action, self.print_certificates_action,
                       self.reprint_action, self.print_registration_action, self.print_summary_action,
                       self.print_signin_action)
        for action in school_work:
            action.setEnabled(False)  # removed, not hidden: showing by role must not bring it back
            for holder in action.associatedObjects():
                if holder is not self and hasattr(holder, "removeAction"):
                    holder.removeAction(action)
        self.toolbar.addAction(self.sync_action)
        self.toolbar.addAction(self.progress_export_action)

    def import_packages(self) -> None:
        self.show_page("数据包汇总")
        self.packages_page.import_files()

    def export_progress(self) -> None:
        self.show_page("任务进度")
        self.progress_page.export()

    def _fit_to_screen(self) -> None:
        screen = self.screen() or QApplication.primaryScreen()
        width, height = 1280, 720
        if screen is not None:
            available = screen.availableGeometry()
            width, height = min(width, available.width()), min(height, available.height() - 40)
        self.resize(width, height)

    # --- dialogs -------------------------------------------------------------------------------------------

    def open_dialog(self, dialog: D) -> D:
        """The one way the window's dialogs open (ui.roles opens the accounts and audit dialogs through it too): as
        ui.common.open_dialog opens any, remembered as the last one (tests look at it)."""
        self.dialog = dialog
        return open_dialog(dialog)

    def open_registration(self) -> RegistrationDialog:
        dialog = RegistrationDialog(self.engine, self, today=self.today)
        dialog.registered.connect(self._registered)
        return self.open_dialog(dialog)

    def register_prospect(self, learner_id: int) -> RegistrationDialog:
        dialog = RegistrationDialog.for_prospect(self.engine, learner_id, self, today=self.today)
        dialog.registered.connect(self._registered)
        return self.open_dialog(dialog)

    def open_roster_import(self) -> ImportDialog:
        dialog = ImportDialog(self.engine, "roster", self, today=self.today)
        dialog.imported.connect(lambda report: self._imported("名单", "roster", report))
        return self.open_dialog(dialog)

    def open_survey_import(self) -> ImportDialog:
        dialog = ImportDialog(self.engine, "survey", self, today=self.today)
        dialog.imported.connect(lambda report: self._imported("排摸表", "survey", report))
        return self.open_dialog(dialog)

    def open_attendance_import(self) -> ImportDialog:
        dialog = ImportDialog(self.engine, "attendance", self, today=self.today)
        dialog.imported.connect(lambda report: self._imported("考勤表", "attendance", report))
        return self.open_dialog(dialog)

    def open_study_import(self) -> ImportDialog:
        dialog = ImportDialog(self.engine, "study", self, today=self.today)
        dialog.imported.connect(lambda report: self._imported("学习记录", "study", report))
        return self.open_dialog(dialog)

    def choose_photos(self, *, folder: bool) -> ops.Op | None:
        if folder:
            chosen = ask_folder(self, "选择放照片的文件夹", key="photos")
        else:
            chosen = ask_open_path(self, "选择照片压缩包", "zip 压缩包 (*.zip)", key="photos")
        return self.import_photos(chosen) if chosen else None

    def import_photos(self, source: Path) -> ops.Op:
        who = actor()
        self.photos_op = ops.run_write(self, self.engine, lambda session, job: photos.import_photos(
            session, source, actor=who, job=job), label="正在导入照片……", title="导入照片",
            on_success=self._photos_imported)
        return self.photos_op

    def _photos_imported(self, report: PhotoImportReport) -> None:
        lines = [f"共 {report.files} 个文件：新增照片 {len(report.added)} 张，替换 {len(report.replaced)} 张。"]
        for kind, problems in (("未匹配", report.unmatched), ("有问题", report.bad), ("重复", report.duplicates)):
            lines += [f"{kind}：{p.file}（{p.reason}）" for p in problems[:20]]
            if len(problems) > 20:
                lines.append(f"……另有 {len(problems) - 20} 个{kind}的文件")
        if report.batch_id is not None:
            lines.append("导错了可以在“学员 → 导入记录与撤销”里撤销这次导入。")
        self.dialog = show_info(self, "导入照片", "\n".join(lines))
        self.data_changed.emit(changes.of_import("photos"))

    def open_imports(self) -> ImportsDialog:
        dialog = ImportsDialog(self.engine, self, today=self.today)
        dialog.undone.connect(lambda report: self._undone(report))
        return self.open_dialog(dialog)

    def open_new_class(self) -> QWidget:
        self.show_page("班级")
        dialog = self.classes_page.open_new_class()
        self.dialog = dialog
        return dialog

    def open_roll_call(self, class_id: int, session_id: int) -> None:
        self.show_page("考勤")
        self.rollcall_page.show_roll_call(class_id, session_id)

    def rebuild_totals(self) -> ops.Op:
        """Admin's repair: recompute every kept total from the raw attendance and study records."""
        self.rebuild_op = ops.run_write(self, self.engine, lambda session, _job: study.rebuild_totals(session),
                                        label="正在重算累计学时……", title="重算累计学时", cancellable=False,
                                        on_success=self._totals_rebuilt)
        return self.rebuild_op

    def open_results_import(self) -> QWidget:
        self.show_page("考试")
        dialog = self.exams_page.open_results_import()
        self.dialog = dialog
        return dialog

    def open_graduation(self) -> QWidget:
        self.show_page("考试")
        dialog = self.exams_page.open_graduation()
        self.dialog = dialog
        return dialog

    def open_skill_certificate(self) -> QWidget:
        dialog = self.exams_page.open_skill_certificate()
        self.dialog = dialog
        return dialog

    def open_certificate_printing(self) -> QWidget | None:
        self.show_page("证书")
        dialog = self.certificates_page.open_print()
        self.dialog = dialog or self.certificates_page.dialog
        return dialog

    def open_reprint(self) -> QWidget | None:
        self.show_page("证书")
        dialog = self.certificates_page.open_reprint()
        self.dialog = dialog or self.certificates_page.dialog
        return dialog

    def open_registration_forms(self) -> PrintDialog:
        """For the learners selected on the 学员 page, or (a choice in the dialog) every current learner."""
        return self.open_form_printing("registration", self.learners_page.selected_student_numbers())

    def open_form_printing(self, kind: str, student_numbers: list[str] | None = None) -> PrintDialog:
        from adultschool.ui.print_dialog import PrintDialog

        dialog = PrintDialog(self.engine, kind, self, today=self.today, student_numbers=student_numbers)
        dialog.printed.connect(lambda printed, path: self.show_status(f"已生成 PDF（{printed.pages} 页）：{path}"))
        return self.open_dialog(dialog)

    def open_font_settings(self) -> FontDialog:
        from adultschool.ui.font_dialog import FontDialog

        dialog = FontDialog(self.engine, self)
        dialog.changed.connect(lambda path: self.show_status(f"打印字体：{path or '默认'}"))
        return self.open_dialog(dialog)

    def _totals_rebuilt(self, count: int) -> None:
        self.show_status(f"已重算 {count} 个学籍的累计学时")
        self.data_changed.emit(changes.TOTALS_REBUILT)

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    def open_export(self) -> ExportDialog:
        dialog = ExportDialog(self.engine, self.site.name, self, today=self.today)
        dialog.exported.connect(lambda count, path: self.statusBar().showMessage(f"已导出 {count} 人：{path}", 10_000))
        return self.open_dialog(dialog)

    def open_settings(self) -> SettingsDialog:
        from adultschool.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.database, self.site, self, today=self.today)
        dialog.changed.connect(self.data_changed)
        return self.open_dialog(dialog)

    def show_about(self) -> AboutDialog:
        return self.open_dialog(AboutDialog(APP_TITLE, self.database, self.site, self))

    # --- what changed --------------------------------------------------------------------------------------

    def _registered(self, registered: Registered) -> None:
        self.statusBar().showMessage(f"已登记：{registered.name}，学籍号 {registered.student_number}", 10_000)
        self.data_changed.emit(changes.REGISTRATION)

    def _imported(self, what: str, kind: str, report: ImportReport) -> None:
        self.statusBar().showMessage(f"{what}导入完成：{preview_line(report, kind)}", 10_000)
        self.data_changed.emit(changes.of_import(kind))

    def _undone(self, report: UndoReport) -> None:
        self.statusBar().showMessage(report.lines()[0], 10_000)
        self.data_changed.emit(changes.of_undo(report.kind))

    def refresh_pages(self, changed: Changes | None = None) -> None:
        """The data changed: of the pages that show what `changed` touched (without a record: every page), the page in
        view refreshes now, the others when they are next shown."""
        touched = as_changes(changed)
        current = self.pages.currentWidget()
        pages = [self.pages.widget(i) for i in range(self.pages.count())]
        self._stale |= {page for page in pages if page is not None and page is not current and self._shows(page, touched)}
        if current is not None and self._shows(current, touched):
            self._refresh(current)

    @staticmethod
    def _shows(page: QWidget, changed: Changes) -> bool:
        return changed.touches(page.topics) if isinstance(page, Page) else True

    def _refresh(self, page: QWidget) -> None:
        if isinstance(page, Page):  # every page of the stack is one
            page.refresh()
            self.page_refreshed.emit(page)

    def _show_page_at(self, row: int) -> None:
        page = self.pages.widget(row)
        if page in self._stale:
            self._stale.discard(page)
            self._refresh(page)
        self.pages.setCurrentIndex(row)

    def show_help(self) -> QWidget:
        """The manual, at the section of the page in view."""
        current = self.nav.currentItem()
        self.dialog = HelpDialog(current.text() if current is not None else None, self)
        self.dialog.show()
        return self.dialog

    def show_home(self) -> bool:
        """首页, where the school has it and the signed-in role may see it."""
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            if item.text() == "首页" and not item.isHidden():
                self.nav.setCurrentRow(row)
                return True
        return False

    def open_home_line(self, line) -> None:  # noqa: ANN001 - services.home.HomeLine
        """A line of 首页 opens the page that acts on it (a session today: its roll call)."""
        if line.target == "backup":
            backup_dialogs.back_up_now(self)
        elif line.session_id is not None and line.class_id is not None:
            self.open_roll_call(line.class_id, line.session_id)
            self.rollcall_page.focus_table()
        else:
            self.show_page(line.target)

    def choose_new_database(self) -> Path | None:
        """Asks where the new database file goes (a file that does not exist yet), then closes this one; the
        first-start wizard then makes the school there."""
        chosen, _ = QFileDialog.getSaveFileName(self, "新数据库文件保存到", str(paths.data_dir() / "本校.sqlite3"),
                                                "数据库文件 (*.sqlite3)")
        if not chosen:
            return None
        path = Path(chosen) if Path(chosen).suffix else Path(chosen + ".sqlite3")
        if path.exists():
            self.dialog = show_error(self, "不能新建", f"文件 {path} 已经存在。要用它，请选“打开数据库…”；"
                                                      "要新建，请换一个文件名。")
            return None
        return self.switch_to(path)

    def choose_other_database(self) -> Path | None:
        chosen = ask_open_path(self, "打开数据库", "数据库文件 (*.sqlite3 *.sqlite *.db);;所有文件 (*)", default=paths.data_dir(),
                               key="database")
        return self.switch_to(chosen) if chosen else None

    def switch_to(self, path: Path) -> Path | None:
        """Closes this window (asking about unsaved marks as 退出 does) and leaves `path` for the program to open."""
        if self.database.path is not None and path.resolve() == self.database.path.resolve():
            self.show_status("这个数据库已经打开。")
            return None
        self.next_database = path
        if not self.close():
            self.next_database = None
            return None
        return path

    def show_page(self, title: str) -> None:
        for row in range(self.nav.count()):
            if self.nav.item(row).text() == title:
                self.nav.setCurrentRow(row)
                return
        raise KeyError(title)

    def closeEvent(self, event: QCloseEvent) -> None:
        if ops.blocking_ops():
            self.statusBar().showMessage("还有操作在进行，请等它完成或取消后再退出。", 5000)
            event.ignore()
            return
        ops.wait_for_workers(10_000)  # a page's own read (首页 gathering the day) ends first: well under a second
        # Unsaved marks on the 考勤 page are asked about first (保存/放弃/取消).
        if not self.rollcall_page.leave_then(self.close):
            self.show_page("考勤")
            event.ignore()
            return
        super().closeEvent(event)
