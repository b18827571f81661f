"""设置 → 设置…: rules, townships and task numbers, print font, backup folder, district key; only administrators."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from adultschool import aspkg
from adultschool.db import read_session, unit_of_work
from adultschool.models import Role
from adultschool.services import accounts, permissions, rules, site, sync
from adultschool.ui import common
from adultschool.ui.main_window import MainWindow
from adultschool.ui.settings_dialog import SettingsDialog
from testclock import TODAY

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def nobody_signed_in():
    common.set_signed_in(None)
    yield
    common.set_signed_in(None)


@pytest.fixture
def dialog(qtbot, school_db):
    with read_session(school_db.engine) as session:
        info = site.get_site(session)
    settings = SettingsDialog(school_db, info)
    qtbot.addWidget(settings)
    settings.show()
    qtbot.waitExposed(settings)
    return settings


def saved(qtbot, op) -> None:
    assert op is not None
    qtbot.waitUntil(lambda: op.finished, timeout=20_000)


def current_rules(database):
    with read_session(database.engine) as session:
        return rules.load_rules(session)


def test_every_rule_is_listed_with_its_chinese_label_value_and_default(dialog):
    fields = dialog.rules_tab.fields
    assert fields["min_age"].label.text() == "报名最低年龄（周岁）"
    assert fields["min_age"].widget.value() == 18
    assert fields["class_hours_count"].widget.isChecked() is False
    assert fields["courses_junior"].widget.text() == "成人初中文化学习辅导"
    assert fields["enrolment_deadline_month_day"].widget.text() == "03-31"
    assert "2024-03-31" in fields["enrolment_deadlines"].widget.text()
    assert fields["partial_attendance_share"].default_label.text() == "默认：0.5"


def test_a_rule_changed_in_settings_is_in_force(qtbot, dialog, school_db):
    fields = dialog.rules_tab.fields
    fields["pass_mark"].widget.setValue(70)
    fields["class_hours_count"].widget.setChecked(True)
    fields["courses_skills"].widget.setText("技能培训，家政服务、电工")
    fields["enrolment_deadlines"].widget.setText("2026-04-15、2025-03-31")
    fields["min_video_hours"].widget.setValue(20.5)  # hours take fractions, ages do not
    saved(qtbot, dialog.save(close=False))
    loaded = current_rules(school_db)
    assert loaded.min_video_hours == 20.5 and loaded.values["pass_mark"] == 70
    assert isinstance(loaded.values["pass_mark"], int)
    assert loaded.pass_mark == 70 and loaded.class_hours_count is True
    assert loaded.courses("skills") == ("技能培训", "家政服务", "电工")
    assert loaded.enrolment_deadline(2026) == date(2026, 4, 15)
    assert dialog.message.text() == "已保存。"
    assert dialog.rules_tab.changes() == {}


def test_a_bad_value_shows_the_services_message_beside_it_and_nothing_is_saved(qtbot, dialog, school_db):
    fields = dialog.rules_tab.fields
    fields["pass_mark"].widget.setValue(75)  # fine on its own, but saved with the bad one or not at all
    fields["min_age"].widget.setValue(10)
    saved(qtbot, dialog.save(close=True))
    assert fields["min_age"].error.text() == "规则“报名最低年龄（周岁）”的值 10 不合要求。"
    assert fields["min_age"].error.isVisible() and dialog.isVisible()
    assert current_rules(school_db).pass_mark == 60 and current_rules(school_db).min_age == 18

    fields["min_age"].widget.setValue(65)  # within range, but above the highest age
    saved(qtbot, dialog.save(close=False))
    assert fields["min_age"].error.text() == "报名最低年龄不能大于最高年龄。"
    fields["enrolment_deadline_month_day"].widget.setText("02-30")
    fields["min_age"].widget.setValue(20)
    saved(qtbot, dialog.save(close=False))
    assert "每年报名截止日" in fields["enrolment_deadline_month_day"].error.text()
    assert not fields["min_age"].error.isVisible()
    assert current_rules(school_db).min_age == 18


def test_raising_both_ages_at_once_is_accepted(qtbot, dialog, school_db):
    fields = dialog.rules_tab.fields
    fields["min_age"].widget.setValue(62)
    fields["max_age"].widget.setValue(70)
    saved(qtbot, dialog.save(close=False))
    assert (current_rules(school_db).min_age, current_rules(school_db).max_age) == (62, 70)


def test_a_quota_edited_in_settings_shows_in_the_township_list(qtbot, dialog, school_db):
    tab = dialog.townships_tab
    year = TODAY.year
    tab.table.set_quota(tab.table.row_of("大碶街道"), 150)
    tab.year_spin.setValue(year + 1)  # typed numbers survive looking at another year
    tab.table.set_quota(tab.table.row_of("新碶街道"), 90)
    saved(qtbot, dialog.save(close=False))
    with read_session(school_db.engine) as session:
        quotas = {t.name: t.quotas for t in site.list_townships(session)}
    assert quotas == {"大碶街道": {year: 150}, "新碶街道": {year + 1: 90}}


def test_a_township_is_added_at_once(qtbot, dialog, school_db, type_text):
    tab = dialog.townships_tab
    type_text(tab.add_edit, "小港街道")
    qtbot.keyClick(tab.add_edit, Qt.Key.Key_Return)  # Enter here adds; it does not close the dialog
    qtbot.waitUntil(lambda: dialog.op is not None and dialog.op.finished, timeout=10_000)
    assert dialog.isVisible()
    with read_session(school_db.engine) as session:
        added = [t for t in site.list_townships(session) if t.name == "小港街道"]
    assert added and added[0].school_code == "330206-01"
    assert tab.table.row_of("小港街道") >= 0
    type_text(tab.add_edit, "小港街道")
    saved(qtbot, dialog.add_township("小港街道"))
    assert "已经存在" in tab.message.text()


def test_registering_a_district_key(qtbot, dialog, school_db, tmp_path):
    pair = aspkg.generate_district_keys("330206")
    path = tmp_path / "district.pub"
    path.write_bytes(aspkg.dump_district_public(pair.public))
    assert dialog.key_tab.district_label.text() == "还没有登记"
    saved(qtbot, dialog.register_district_key(path))
    with read_session(school_db.engine) as session:
        assert sync.district_key(session).fingerprint == pair.public.fingerprint
    assert pair.public.fingerprint in dialog.key_tab.district_label.text()
    bad = tmp_path / "bad.pub"
    bad.write_text("{}")
    assert dialog.register_district_key(bad) is None
    assert "公钥" in dialog.key_tab.message.text() and dialog.key_tab.message.isVisibleTo(dialog)


def test_the_backup_tab_shows_the_folder_and_opens_it(dialog, private_data_dir, monkeypatch):
    opened = []
    monkeypatch.setattr("adultschool.ui.about_dialog.QDesktopServices.openUrl", lambda url: opened.append(url) or True)
    assert dialog.backup_tab.folder_label.text() == str(private_data_dir / "backups")
    assert dialog.backup_tab.open_folder()
    assert opened[0].toLocalFile() == str(private_data_dir / "backups")


def test_the_font_tab_is_the_font_dialog_without_its_own_close(dialog):
    panel = dialog.font_tab
    assert "打印字体" in panel.current_label.text()
    assert not panel.close_button.isVisible()


def test_esc_closes_and_enter_saves(qtbot, dialog, school_db):
    dialog.rules_tab.fields["pass_mark"].widget.setValue(65)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.keyClick(dialog.rules_tab.fields["pass_mark"].widget, Qt.Key.Key_Return)
    assert current_rules(school_db).pass_mark == 65


def test_esc_forgets(qtbot, dialog, school_db):
    dialog.rules_tab.fields["pass_mark"].widget.setValue(65)
    with qtbot.waitSignal(dialog.rejected, timeout=5000):
        qtbot.keyClick(dialog.rules_tab.fields["pass_mark"].widget, Qt.Key.Key_Escape)
    assert current_rules(school_db).pass_mark == 60


def test_esc_in_the_font_tab_closes_the_settings(qtbot, dialog):
    dialog.tabs.setCurrentWidget(dialog.font_tab)
    with qtbot.waitSignal(dialog.rejected, timeout=5000):
        qtbot.keyClick(dialog.font_tab.choose_button, Qt.Key.Key_Escape)
    assert dialog.font_tab.isVisibleTo(dialog)


def test_only_an_administrator_sees_the_settings_entry(qtbot, school_db):
    with unit_of_work(school_db.engine) as session:
        accounts.create_account(session, "boss", "mima-2026", Role.ADMIN, actor="test")
        accounts.create_account(session, "li", "mima-2026", Role.CLERK, actor="boss")
    for name, visible in (("li", False), ("boss", True)):
        with read_session(school_db.engine) as session:
            common.set_signed_in(permissions.principal(session, name))
        window = MainWindow(school_db)
        qtbot.addWidget(window)
        assert window.settings_action.isVisible() is visible, name
    window.settings_action.trigger()
    assert isinstance(window.dialog, SettingsDialog) and window.dialog.isVisible()
    window.dialog.reject()


def test_a_task_number_typed_in_its_cell_then_enter_twice_saves(qtbot, dialog, school_db):
    """The first Enter ends the cell's edit (the dialog stays), the second one is 确定."""
    tab = dialog.townships_tab
    dialog.tabs.setCurrentWidget(tab)
    table = tab.table
    table.setFocus()
    table.setCurrentCell(table.row_of("新碶街道"), table.columnCount() - 1)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert editor is not None and table.isAncestorOf(editor)
    editor.selectAll() if hasattr(editor, "selectAll") else None
    qtbot.keyClicks(editor, "75")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.wait(50)
    assert dialog.isVisible()
    assert [row.quota for row in table.rows() if row.name == "新碶街道"] == [75]
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.keyClick(table, Qt.Key.Key_Return)
    with read_session(school_db.engine) as session:
        quotas = {t.name: t.quotas for t in site.list_townships(session)}
    assert quotas["新碶街道"] == {TODAY.year: 75}


def test_the_backup_folder_can_be_moved_and_exit_backups_go_there(qtbot, dialog, school_db, tmp_path, monkeypatch):
    from adultschool import paths
    from adultschool.models import AuditEntry
    from adultschool.services import maintenance
    from sqlalchemy import select

    usb = tmp_path / "U盘" / "备份"
    monkeypatch.setattr(dialog.backup_tab, "choose_folder", lambda: usb)
    saved(qtbot, dialog.backup_tab.change_folder())
    assert dialog.backup_tab.folder_label.text() == str(usb.resolve())
    assert paths.backup_dir() == usb.resolve()
    copy = maintenance.back_up_on_exit(school_db.path)
    assert copy is not None and copy.parent == usb.resolve()
    with read_session(school_db.engine) as session:
        summary = session.execute(select(AuditEntry.summary).where(AuditEntry.action == "settings.backup_dir")).scalar_one()
    assert str(usb.resolve()) in summary
    saved(qtbot, dialog.backup_tab.change_folder(default=True))
    assert paths.backup_dir() == paths.default_backup_dir()


def test_a_folder_that_cannot_be_written_is_refused_and_nothing_changes(qtbot, dialog, tmp_path, monkeypatch):
    from adultschool import paths

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    before = paths.backup_dir()
    op = dialog.backup_tab.change_folder(folder=blocked / "backups")
    qtbot.waitUntil(lambda: op.finished, timeout=10_000)
    assert "无法在文件夹" in dialog.backup_tab.message.text()
    assert paths.backup_dir() == before


def test_at_a_district_the_rules_tab_says_which_rules_its_schools_may_set(qtbot, tmp_path, wait_ops):
    from adultschool.db import open_database, read_session, unit_of_work
    from adultschool.models import SiteKind
    from adultschool.services import rules, site
    from adultschool.ui.settings_dialog import SettingsDialog

    office = open_database(tmp_path / "district.sqlite3", create=True)
    with unit_of_work(office.engine) as session:
        site.initialise(session, kind=SiteKind.DISTRICT, code="330206", name="北仑区分中心", actor="district")
        info = site.get_site(session)
    dialog = SettingsDialog(office, info)
    qtbot.addWidget(dialog)
    boxes = dialog.rules_tab.allow_boxes
    assert set(boxes) == set(dialog.rules_tab.fields) and not any(b.isChecked() for b in boxes.values())
    boxes["min_video_hours"].setChecked(True)
    dialog.rules_tab.fields["pass_mark"].widget.setValue(65)
    dialog.save(close=False)
    wait_ops()
    with read_session(office.engine) as session:
        assert rules.school_may_change(session) == {"min_video_hours"}
        assert rules.load_rules(session).pass_mark == 65
    boxes["min_video_hours"].setChecked(False)
    dialog.save(close=False)
    wait_ops()
    with read_session(office.engine) as session:
        assert rules.school_may_change(session) == frozenset()
    office.close()


def test_the_task_numbers_open_on_the_year_of_the_windows_day(qtbot, school_db):
    """A window whose day is a year after the clock's (a session past midnight on 31 December) shows that year."""
    window_day = TODAY + timedelta(days=366)
    window = MainWindow(school_db, today=lambda: window_day)
    qtbot.addWidget(window)
    dialog = window.open_settings()
    assert dialog.townships_tab.year_spin.value() == window_day.year
    dialog.reject()
