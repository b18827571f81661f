"""What changed (issue 19): after a write the window re-reads the pages that show what it touched, and only those.

A page the window has read again is told by `MainWindow.page_refreshed`; each test acts, then visits every page once
and looks at which were read again (now, or when shown)."""
from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from adultschool.ui import changes
from adultschool.ui.changes import ALL_TOPICS, Changes, Topic
from adultschool.ui.main_window import MainWindow
from conftest import open_window, register_in_window, settle
from sync_builders import make_district

pytestmark = pytest.mark.gui

SCHOOL_PAGES = {"首页", "学员", "排摸", "班级", "考勤", "可报考", "考试", "证书", "证书查验", "数据上报"}
DISTRICT_PAGES = {"数据包汇总", "冲突", "任务进度", "考试与成绩", "学员", "证书查验"}


@pytest.fixture
def window(qtbot, school_db, night_class, wait_ops):
    window = open_window(qtbot, school_db)
    visit_every_page(window)  # each page has read its data once, as after a morning's work
    wait_ops()
    return window


@pytest.fixture
def district_window(qtbot, tmp_path, wait_ops):
    office = make_district(tmp_path)
    window = open_window(qtbot, office)
    visit_every_page(window)
    wait_ops()
    yield window
    settle(qtbot)
    office.close()


def titles(window: MainWindow) -> list[str]:
    return [window.nav.item(row).text() for row in range(window.nav.count())]


def visit_every_page(window: MainWindow) -> None:
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)


def reread_after(window: MainWindow, wait_ops, act) -> set[str]:
    """The titles of the pages the window read again after `act` (the page in view at once, the others when shown)."""
    reread: list[object] = []

    def note(page: object) -> None:
        reread.append(page)

    window.page_refreshed.connect(note)
    try:
        act()
        wait_ops()
        visit_every_page(window)
        wait_ops()
    finally:
        window.page_refreshed.disconnect(note)
    return {window.nav.item(window.pages.indexOf(page)).text() for page in reread}


def test_the_school_and_the_district_window_list_the_pages_these_tests_visit(window, district_window):
    assert set(titles(window)) == SCHOOL_PAGES
    assert set(titles(district_window)) == DISTRICT_PAGES


def test_a_roll_call_saved_rereads_the_pages_that_show_hours_and_not_the_certificates_or_the_survey(
        qtbot, window, wait_ops):
    window.show_page("考勤")
    window.rollcall_page.mark_all_present()

    def save() -> None:
        with qtbot.waitSignal(window.data_changed, timeout=10_000) as blocker:
            window.rollcall_page.save()
        assert blocker.args == [changes.ROLL_CALL_SAVED]

    reread = reread_after(window, wait_ops, save)
    assert reread == {"首页", "班级", "考勤", "可报考", "考试"}
    assert window.rollcall_page.summary_label.text().startswith("共 4 人：")


def test_a_registration_rereads_the_learner_list_and_home_and_not_the_data_package_page(
        qtbot, window, make_id, wait_ops):
    window.show_page("学员")
    before = window.learners_page.model.total

    def register() -> None:
        register_in_window(qtbot, window, make_id(date(1987, 10, 1), county="330203"))
        assert window.learners_page.count_label.text() == f"共 {before + 1} 人"  # the page in view, at once

    reread = reread_after(window, wait_ops, register)
    assert {"学员", "首页", "排摸", "可报考", "考试"} <= reread
    assert not {"数据上报", "证书查验"} & reread


def test_a_new_class_rereads_the_roll_call_page_which_then_lists_it(qtbot, type_text, window, wait_ops):
    window.show_page("班级")

    def new_class() -> None:
        page = window.classes_page
        qtbot.mouseClick(page.new_class_button, Qt.MouseButton.LeftButton)
        dialog = page.dialog
        type_text(dialog.name_edit, "霞浦村班")
        dialog.type_combo.setCurrentIndex(dialog.type_combo.findText("村班"))
        dialog.level_combo.setCurrentIndex(dialog.level_combo.findText("高中"))
        with qtbot.waitSignal(window.data_changed, timeout=10_000) as blocker:
            qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert blocker.args == [changes.CLASSES_CHANGED]

    reread = reread_after(window, wait_ops, new_class)
    assert {"班级", "考勤", "可报考", "首页"} <= reread and not {"证书", "数据上报", "排摸"} & reread
    combo = window.rollcall_page.class_combo
    assert "霞浦村班" in [combo.itemText(i) for i in range(combo.count())]


def test_a_learner_edited_on_the_learner_list_is_read_again_by_the_roll_call_under_the_new_name(
        qtbot, type_text, window, wait_ops):
    window.show_page("学员")
    page = window.learners_page
    row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r).name == "王喆")

    def edit() -> None:
        dialog = page.edit_selected(row)
        qtbot.waitExposed(dialog)
        dialog.name_edit.clear()
        type_text(dialog.name_edit, "王喆喆")
        with qtbot.waitSignal(window.data_changed, timeout=10_000) as blocker:
            qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert blocker.args == [changes.LEARNER_EDITED]

    reread = reread_after(window, wait_ops, edit)
    assert {"学员", "考勤", "证书", "班级", "首页"} <= reread and "数据上报" not in reread
    window.show_page("考勤")
    names = {window.rollcall_page.model.index(r, 1).data() for r in range(window.rollcall_page.model.rowCount())}
    assert "王喆喆" in names and "王喆" not in names


def test_a_new_backup_folder_chosen_in_the_settings_rereads_home_which_names_the_backups(
        qtbot, window, wait_ops, tmp_path):
    window.show_page("学员")
    folder = tmp_path / "usb"
    folder.mkdir()

    def choose_folder() -> None:
        window.settings_action.trigger()
        with qtbot.waitSignal(window.data_changed, timeout=10_000) as blocker:
            window.dialog.backup_tab.change_folder(folder=folder)
        assert blocker.args == [changes.SETTINGS_SAVED]
        window.dialog.reject()

    reread = reread_after(window, wait_ops, choose_folder)
    assert "首页" in reread and "证书" not in reread


# Each page, with a write it shows (it must be read again) and one it does not show (it must not).
SCHOOL_CASES = [
    ("首页", changes.ROLL_CALL_SAVED, changes.CERTIFICATES_PRINTED),
    ("学员", changes.GRADUATED, changes.ROLL_CALL_SAVED),
    ("排摸", changes.of_import("survey"), changes.CLASSES_CHANGED),
    ("班级", changes.of_import("study"), changes.CERTIFICATES_PRINTED),
    ("考勤", changes.CLASSES_CHANGED, changes.of_import("study")),
    ("可报考", changes.of_import("study"), changes.PACKAGE_MADE),
    ("考试", changes.ROLL_CALL_SAVED, changes.CERTIFICATES_PRINTED),
    ("证书", changes.GRADUATED, changes.ROLL_CALL_SAVED),
    ("证书查验", changes.CERTIFICATE_REVOKED, changes.REGISTRATION),
    ("数据上报", changes.DISTRICT_KEY_SET, changes.REGISTRATION),
]
DISTRICT_CASES = [
    ("数据包汇总", changes.DISTRICT_SCHOOLS, changes.GRADUATED),
    ("冲突", changes.PACKAGE_MERGED, changes.SETTINGS_SAVED),
    ("任务进度", changes.SETTINGS_SAVED, changes.CERTIFICATES_PRINTED),
    ("考试与成绩", changes.DISTRICT_EXAMS, changes.SETTINGS_SAVED),
    ("学员", changes.DISTRICT_EXAMS, changes.PACKAGE_MADE),
    ("证书查验", changes.PACKAGE_MERGED, changes.SETTINGS_SAVED),
]


def other_page(window: MainWindow, title: str) -> str:
    return next(t for t in titles(window) if t != title)


@pytest.mark.parametrize(("title", "shown", "not_shown"), SCHOOL_CASES, ids=[case[0] for case in SCHOOL_CASES])
def test_a_school_page_is_read_again_after_a_write_it_shows_and_not_after_one_it_does_not(
        window, wait_ops, title, shown, not_shown):
    window.show_page(other_page(window, title))
    assert title in reread_after(window, wait_ops, lambda: window.data_changed.emit(shown))
    assert title not in reread_after(window, wait_ops, lambda: window.data_changed.emit(not_shown))


@pytest.mark.parametrize(("title", "shown", "not_shown"), DISTRICT_CASES, ids=[case[0] for case in DISTRICT_CASES])
def test_a_district_page_is_read_again_after_a_write_it_shows_and_not_after_one_it_does_not(
        district_window, wait_ops, title, shown, not_shown):
    window = district_window
    window.show_page(other_page(window, title))
    assert title in reread_after(window, wait_ops, lambda: window.data_changed.emit(shown))
    assert title not in reread_after(window, wait_ops, lambda: window.data_changed.emit(not_shown))


def test_the_page_in_view_is_read_at_once_and_only_when_the_write_touched_it(window, wait_ops):
    window.show_page("证书")
    reread: list[object] = []
    window.page_refreshed.connect(reread.append)
    window.data_changed.emit(changes.ROLL_CALL_SAVED)
    assert reread == []
    window.data_changed.emit(changes.CERTIFICATES_PRINTED)
    assert reread == [window.certificates_page]


def test_a_change_without_a_record_rereads_every_page_as_the_restore_asks(window, wait_ops):
    assert reread_after(window, wait_ops, window.refresh_pages) == SCHOOL_PAGES


def test_a_page_marked_stale_stays_stale_until_shown_whatever_comes_after(window, wait_ops):
    window.show_page("排摸")

    def two_writes() -> None:
        window.data_changed.emit(changes.CERTIFICATES_PRINTED)
        window.data_changed.emit(changes.ROLL_CALL_SAVED)  # 证书 does not show it: it is still to be read again

    reread = reread_after(window, wait_ops, two_writes)
    assert "证书" in reread and "考勤" in reread and "排摸" not in reread


def test_everything_touches_every_topic_and_an_unknown_import_kind_counts_as_everything():
    assert Changes.everything().topics == ALL_TOPICS and Changes.everything().is_everything
    assert all(Changes.everything().touches({topic}) for topic in Topic)
    assert changes.of_import("something new") == Changes.everything()
    assert changes.of_undo("something new") == Changes.everything()
    assert changes.as_changes(None) == Changes.everything()
    assert not changes.ROLL_CALL_SAVED.touches({Topic.CERTIFICATES})
    assert changes.of_undo("roster").touches({Topic.CLASSES}) and not changes.of_import("roster").touches({Topic.CLASSES})
    assert str(changes.REGISTRATION) == "学员与学籍、排摸" and str(Changes.everything()) == "全部"
