"""Starting up: Chinese Qt texts and a CJK font, the first-start dialog, the bug-report hook."""
from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontInfo, QFontMetrics
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QWizard

from adultschool.db import read_session
from adultschool.models.enums import SiteKind
from adultschool.services import learners, site
from adultschool.ui import app as gui_app
from adultschool.ui.common import BugReportDialog
from adultschool.ui.first_run.page import DEMO_LEARNERS
from adultschool.ui.first_run.wizard import FirstRunWizard
from adultschool.ui.first_run.school_pages import split_townships

pytestmark = pytest.mark.gui


def test_standard_buttons_are_in_chinese_and_the_font_has_cjk_glyphs(qapp):
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    assert [b.text() for b in box.buttons()] == ["确定", "取消"]
    font = qapp.font()
    assert "WenQuanYi Micro Hei" in font.families()
    assert font.pointSizeF() >= gui_app.MIN_POINT_SIZE


def test_the_shipped_font_backs_the_pc_font_for_rare_name_characters(qapp):
    families = qapp.font().families()
    # the PC's UI font first, the shipped font next: Qt takes a character the first lacks from the second
    assert families[:2] == ["WenQuanYi Micro Hei", gui_app.SHIPPED_FONT]
    shipped = QFont()
    shipped.setFamilies([gui_app.SHIPPED_FONT])
    shipped.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    metrics = QFontMetrics(shipped)
    assert QFontInfo(shipped).family() == gui_app.SHIPPED_FONT  # loaded from resources/, not found on the PC
    assert all(metrics.inFontUcs4(ord(ch)) for ch in "褚𬌗堃喆赟")


@pytest.fixture
def welcome(qtbot, tmp_path):
    dialog = FirstRunWizard(str(tmp_path / "新学校.sqlite3"))
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    if dialog.database is not None:
        dialog.database.close()


def test_the_welcome_dialog_names_the_missing_file_and_offers_its_choices(welcome, tmp_path):
    assert str(tmp_path / "新学校.sqlite3") in welcome.intro.text()
    assert [b.text() for b in (welcome.demo_button, welcome.new_button, welcome.district_button, welcome.open_button,
                               welcome.quit_button)] == [
        "创建演示学校(&M)", "新建学校(&S)", "新建区级分中心(&D)", "打开已有数据库(&O)", "退出(&Q)"]


def test_a_new_school_is_created_by_the_first_run_wizard(qtbot, type_text, welcome):
    qtbot.mouseClick(welcome.new_button, Qt.MouseButton.LeftButton)
    assert welcome.currentPage() is welcome.identity_page
    type_text(welcome.code_edit, "330206-05")
    type_text(welcome.name_edit, "北仑区霞浦街道成人文化技术学校")
    welcome.next()
    type_text(welcome.townships_page.add_edit, "霞浦街道，柴桥街道、春晓街道")
    welcome.next()  # townships typed and not yet added count
    welcome.next()  # no district key yet
    welcome.admin_page.create_check.setChecked(False)
    welcome.next()
    with qtbot.waitSignal(welcome.accepted, timeout=10_000):
        qtbot.mouseClick(welcome.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)

    with read_session(welcome.database.engine) as session:
        info = site.get_site(session)
        townships = [t.name for t in site.list_townships(session)]
    assert (info.kind, info.code, info.name) == (SiteKind.SCHOOL, "330206-05", "北仑区霞浦街道成人文化技术学校")
    assert sorted(townships) == sorted(["霞浦街道", "柴桥街道", "春晓街道"])


def test_a_bad_school_code_is_explained_in_the_form(qtbot, type_text, welcome):
    qtbot.mouseClick(welcome.new_button, Qt.MouseButton.LeftButton)
    type_text(welcome.code_edit, "成校")
    type_text(welcome.name_edit, "某成校")
    qtbot.mouseClick(welcome.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert "代码“成校”不合要求" in welcome.identity_page.message.text()
    assert welcome.isVisible() and welcome.currentPage() is welcome.identity_page


def test_the_demo_school_is_created_in_the_background(qtbot, welcome):
    with qtbot.waitSignal(welcome.accepted, timeout=60_000):
        qtbot.mouseClick(welcome.demo_button, Qt.MouseButton.LeftButton)
    with read_session(welcome.database.engine) as session:
        assert learners.count_learners(session) == DEMO_LEARNERS


def test_opening_a_file_that_is_not_a_database_is_explained(welcome, tmp_path):
    stranger = tmp_path / "照片.db"
    stranger.write_bytes(b"\x89PNG not a database" * 100)
    assert not welcome.open_existing(stranger)
    assert "不是本程序的数据库" in welcome.choice_message.text()
    assert welcome.result() != QDialog.DialogCode.Accepted


def test_opening_an_existing_school_database_goes_straight_on(qtbot, welcome, school_db):
    with qtbot.waitSignal(welcome.accepted, timeout=5000):
        assert welcome.open_existing(school_db.path)


def test_an_existing_school_opens_without_the_welcome_dialog(school_db):
    database = gui_app.open_or_welcome(str(school_db.path))
    try:
        assert database is not None and database.path == school_db.path
    finally:
        database.close()


def test_township_lists_accept_chinese_and_english_separators():
    assert split_townships(" 大碶街道，新碶街道、小港街道, 霞浦街道 ") == ["大碶街道", "新碶街道", "小港街道", "霞浦街道"]


def test_an_unexpected_exception_is_shown_not_swallowed(qtbot, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    gui_app.install_excepthook()
    try:
        raise RuntimeError("没想到")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, BugReportDialog) and w.isVisible()]
    assert len(dialogs) == 1
    assert "RuntimeError: 没想到" in dialogs[0].report_view.toPlainText()
    dialogs[0].close()


def test_main_parses_db_and_runs(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(gui_app, "run", lambda db: seen.append(db) or 0)
    assert gui_app.main(["--db", str(tmp_path / "x.sqlite3")]) == 0
    assert gui_app.main([]) == 0
    assert seen == [str(tmp_path / "x.sqlite3"), None]
