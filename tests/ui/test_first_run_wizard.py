"""The first-run wizard: a school or a district made in one go, nothing left behind by 取消 or a refusal, keyboard use."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from adultschool import aspkg
from adultschool.db import read_session, unit_of_work
from adultschool.models.enums import SiteKind
from adultschool.services import accounts, district_keypair, permissions, site, sync
from adultschool.ui import common
from adultschool.ui.first_run.page import ADMIN, DISTRICT_KEYS, DISTRICT_PUBLIC, IDENTITY, SUMMARY, TOWNSHIPS
from adultschool.ui.first_run.wizard import FirstRunWizard
from testclock import TODAY

pytestmark = pytest.mark.gui

PASSWORD = "mima-2026"
PASSPHRASE = "fenzhongxin-kouling"


@pytest.fixture(autouse=True)
def nobody_signed_in():
    common.set_signed_in(None)
    yield
    common.set_signed_in(None)


@pytest.fixture
def target(tmp_path) -> Path:
    return tmp_path / "新学校.sqlite3"


@pytest.fixture
def wizard(qtbot, target):
    dialog = FirstRunWizard(str(target))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    yield dialog
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    if dialog.database is not None:
        dialog.database.close()


@pytest.fixture
def district_pub(tmp_path) -> Path:
    """A district.pub as a district office hands it out."""
    pair = aspkg.generate_district_keys("330206")
    path = tmp_path / "from-district" / "district.pub"
    path.parent.mkdir()
    path.write_bytes(aspkg.dump_district_public(pair.public))
    return path


def fill_identity(wizard: FirstRunWizard, type_text, code: str, name: str) -> None:
    assert wizard.currentId() == IDENTITY
    type_text(wizard.code_edit, code)
    type_text(wizard.name_edit, name)
    wizard.next()


def fill_admin(wizard: FirstRunWizard, type_text, name: str = "boss", password: str = PASSWORD) -> None:
    page = wizard.admin_page
    assert wizard.currentId() == ADMIN
    type_text(page.name_edit, name)
    type_text(page.display_edit, "王校长")
    type_text(page.password_edit, password)
    type_text(page.again_edit, password)
    wizard.next()


def school_up_to_summary(qtbot, wizard, type_text, district_pub: Path | None) -> None:
    qtbot.mouseClick(wizard.new_button, Qt.MouseButton.LeftButton)
    fill_identity(wizard, type_text, "330206-05", "北仑区霞浦街道成人文化技术学校")
    page = wizard.townships_page
    assert wizard.currentId() == TOWNSHIPS
    type_text(page.add_edit, "霞浦街道，柴桥街道、春晓街道")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert [row.name for row in page.table.rows()] == ["霞浦街道", "柴桥街道", "春晓街道"]
    page.table.set_quota(page.table.row_of("霞浦街道"), 120)
    page.table.set_quota(page.table.row_of("柴桥街道"), 80)
    wizard.next()
    assert wizard.currentId() == DISTRICT_PUBLIC
    if district_pub is not None:
        wizard.district_public_page.path_edit.setText(str(district_pub))
    wizard.next()
    fill_admin(wizard, type_text)
    assert wizard.currentId() == SUMMARY


def test_a_school_made_by_the_wizard_has_townships_quotas_district_key_and_its_administrator(
        qtbot, type_text, wizard, target, district_pub):
    school_up_to_summary(qtbot, wizard, type_text, district_pub)
    summary = wizard.summary_page.summary.text()
    assert "霞浦街道：120 人" in summary and "春晓街道：未定" in summary and "王校长（boss）" in summary
    expected = aspkg.load_district_public(district_pub.read_bytes())
    assert expected.fingerprint in summary
    assert not target.exists()  # nothing is written before 创建

    with qtbot.waitSignal(wizard.accepted, timeout=20_000):
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)

    year = TODAY.year
    with unit_of_work(wizard.database.engine) as session:
        info = site.get_site(session)
        townships = {t.name: t.quotas for t in site.list_townships(session)}
        key = sync.district_key(session)
        login = accounts.authenticate(session, "boss", PASSWORD)
        assert sync.own_fingerprint(session) is not None
    assert (info.kind, info.code, info.name) == (SiteKind.SCHOOL, "330206-05", "北仑区霞浦街道成人文化技术学校")
    assert townships == {"霞浦街道": {year: 120}, "柴桥街道": {year: 80}, "春晓街道": {}}
    assert key is not None and key.fingerprint == expected.fingerprint
    assert login.principal is not None and login.principal.role is accounts.Role.ADMIN
    assert login.principal.display_name == "王校长"
    assert common.signed_in().name == "boss"  # the window opens as the administrator, no second login


def test_a_district_made_by_the_wizard_has_its_key_pair(qtbot, type_text, wizard, tmp_path):
    keys = tmp_path / "keys"
    qtbot.mouseClick(wizard.district_button, Qt.MouseButton.LeftButton)
    assert wizard.identity_page.code_label.text() == "分中心代码(&C)"
    fill_identity(wizard, type_text, "330206", "北仑区成人教育分中心")
    assert wizard.currentId() == DISTRICT_KEYS
    page = wizard.district_keys_page
    page.folder_edit.setText(str(keys))
    type_text(page.passphrase_edit, PASSPHRASE)
    type_text(page.again_edit, PASSPHRASE)
    wizard.next()
    assert wizard.currentId() == ADMIN
    wizard.admin_page.create_check.setChecked(False)  # single-user mode
    wizard.next()
    assert "管理员账户：不建" in wizard.summary_page.summary.text()
    with qtbot.waitSignal(wizard.accepted, timeout=30_000):
        wizard.accept()

    assert (keys / "district.pub").exists() and (keys / "district.key").exists()
    public = aspkg.load_district_public((keys / "district.pub").read_bytes())
    with read_session(wizard.database.engine) as session:
        info = site.get_site(session)
        pair = district_keypair.district_keys(session, PASSPHRASE)
        assert not permissions.has_accounts(session)
    assert (info.kind, info.code) == (SiteKind.DISTRICT, "330206")
    assert pair.public.fingerprint == public.fingerprint and public.code == "330206"
    assert common.signed_in().single_user


def test_the_wizard_refuses_bad_input_on_the_page_where_it_was_typed(qtbot, type_text, wizard, tmp_path):
    qtbot.mouseClick(wizard.new_button, Qt.MouseButton.LeftButton)
    fill_identity(wizard, type_text, "成校", "某成校")
    assert wizard.currentId() == IDENTITY
    assert "代码“成校”不合要求" in wizard.identity_page.message.text()
    wizard.code_edit.setText("330206-09")
    wizard.next()
    page = wizard.townships_page
    page.table.add_row("大碶街道")
    page.table.add_row("大碶街道")
    wizard.next()
    assert wizard.currentId() == TOWNSHIPS and "填了两次" in page.message.text()
    page.table.setCurrentCell(1, 0)
    page.remove_selected()
    wizard.next()
    bad_key = tmp_path / "not-a-key.pub"
    bad_key.write_text("hello")
    wizard.district_public_page.path_edit.setText(str(bad_key))
    wizard.next()
    assert wizard.currentId() == DISTRICT_PUBLIC and wizard.district_public_page.message.isVisible()
    wizard.district_public_page.path_edit.clear()
    wizard.next()
    fill_admin(wizard, type_text, password="123")
    assert wizard.currentId() == ADMIN and "密码太短" in wizard.admin_page.message.text()


def test_cancelling_the_wizard_leaves_no_database(qtbot, type_text, wizard, target):
    school_up_to_summary(qtbot, wizard, type_text, None)
    with qtbot.waitSignal(wizard.rejected, timeout=5000):
        qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert not target.exists()
    assert list(target.parent.glob("新学校.sqlite3*")) == []


def test_a_refusal_at_the_end_removes_the_file_it_had_made(qtbot, type_text, wizard, target, district_pub):
    school_up_to_summary(qtbot, wizard, type_text, district_pub)
    wizard.admin_page.name_edit.setText("有 空格")  # slipped past the page: the service refuses in the transaction
    wizard.accept()
    qtbot.waitUntil(lambda: not wizard.busy and wizard.op is not None and wizard.op.finished, timeout=20_000)
    assert "账户名“有 空格”不合要求" in wizard.summary_page.message.text()
    assert wizard.isVisible() and wizard.created is None
    assert not target.exists() and list(target.parent.glob("新学校.sqlite3*")) == []
    # fixed on its page, 创建 again works
    wizard.admin_page.name_edit.setText("boss")
    with qtbot.waitSignal(wizard.accepted, timeout=20_000):
        wizard.accept()
    assert target.exists()


def test_enter_on_the_last_page_creates(qtbot, type_text, wizard, target):
    school_up_to_summary(qtbot, wizard, type_text, None)
    assert wizard.button(QWizard.WizardButton.FinishButton).isDefault()
    with qtbot.waitSignal(wizard.accepted, timeout=20_000):
        qtbot.keyClick(wizard.summary_page, Qt.Key.Key_Return)
    with read_session(wizard.database.engine) as session:
        assert site.get_site(session).code == "330206-05"


def test_the_wizard_goes_through_by_keyboard(qtbot, wizard, target):
    """Tab to 新建学校, Enter; type, Enter for 下一步 on every page; Enter in the township field adds, not 下一步."""
    qtbot.waitUntil(lambda: wizard.new_button.hasFocus(), timeout=2000)
    qtbot.keyClick(wizard.new_button, Qt.Key.Key_Return)
    assert wizard.currentId() == IDENTITY
    qtbot.waitUntil(lambda: wizard.code_edit.hasFocus(), timeout=2000)
    qtbot.keyClicks(wizard.code_edit, "330206-07")
    qtbot.keyClick(wizard.code_edit, Qt.Key.Key_Tab)
    assert wizard.name_edit.hasFocus()
    qtbot.keyClicks(wizard.name_edit, "Xiapu school")
    qtbot.keyClick(wizard.name_edit, Qt.Key.Key_Return)
    assert wizard.currentId() == TOWNSHIPS
    page = wizard.townships_page
    qtbot.waitUntil(lambda: page.add_edit.hasFocus(), timeout=2000)
    qtbot.keyClicks(page.add_edit, "Xiapu, Chaiqiao")
    qtbot.keyClick(page.add_edit, Qt.Key.Key_Return)
    assert wizard.currentId() == TOWNSHIPS and [r.name for r in page.table.rows()] == ["Xiapu", "Chaiqiao"]
    qtbot.keyClick(page.add_edit, Qt.Key.Key_Return)  # empty: Enter means 下一步
    assert wizard.currentId() == DISTRICT_PUBLIC
    qtbot.keyClick(wizard.district_public_page.path_edit, Qt.Key.Key_Return)
    assert wizard.currentId() == ADMIN
    admin = wizard.admin_page
    qtbot.keyClick(admin.name_edit, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # 建立管理员账户(&A) off
    qtbot.waitUntil(lambda: not admin.create_check.isChecked(), timeout=2000)  # a mnemonic clicks after a flash
    qtbot.keyClick(admin.create_check, Qt.Key.Key_Return)
    assert wizard.currentId() == SUMMARY
    with qtbot.waitSignal(wizard.accepted, timeout=20_000):
        qtbot.keyClick(wizard.summary_page, Qt.Key.Key_Return)
    assert target.exists()


def test_the_old_choices_are_still_there(qtbot, wizard, school_db):
    assert [b.text() for b in (wizard.new_button, wizard.district_button, wizard.demo_button, wizard.open_button,
                               wizard.quit_button)] == ["新建学校(&S)", "新建区级分中心(&D)", "创建演示学校(&M)",
                                                        "打开已有数据库(&O)", "退出(&Q)"]
    with qtbot.waitSignal(wizard.accepted, timeout=5000):
        assert wizard.open_existing(school_db.path)


def test_a_cancelled_demo_leaves_no_database(qtbot, wizard, target, monkeypatch):
    from adultschool.errors import Cancelled
    from adultschool.services import demo

    def cancelled(*_args, **_kwargs):
        raise Cancelled()

    monkeypatch.setattr(demo, "fill_demo", cancelled)
    wizard.create_demo()
    qtbot.waitUntil(lambda: wizard.op is not None and wizard.op.finished, timeout=20_000)
    assert "操作已取消" in wizard.choice_message.text()
    assert not target.exists()


def test_the_demo_school_and_the_quota_year_follow_the_wizards_day(qtbot, target):
    """A wizard whose day is a year after the clock's offers that year's quotas and makes the demo school's quotas
    for it."""
    day = TODAY + timedelta(days=366)
    wizard = FirstRunWizard(str(target), today=lambda: day)
    qtbot.addWidget(wizard)
    assert wizard.townships_page.year_spin.value() == day.year
    with qtbot.waitSignal(wizard.accepted, timeout=60_000):
        wizard.create_demo()
    with read_session(wizard.database.engine) as session:
        years = {year for t in site.list_townships(session) for year in t.quotas}
    wizard.database.close()
    assert years == {day.year}


def test_a_township_table_cell_being_typed_counts(qtbot, wizard):
    qtbot.mouseClick(wizard.new_button, Qt.MouseButton.LeftButton)
    wizard.code_edit.setText("330206-08")
    wizard.name_edit.setText("某某学校")
    wizard.next()
    table = wizard.townships_page.table
    table.add_row()  # opens the name cell for typing
    editor = table.viewport().focusWidget() or table.focusWidget()
    qtbot.keyClicks(editor, "Baifeng")
    assert [r.name for r in table.rows()] == ["Baifeng"]


def test_district_key_page_shows_the_fingerprint_to_check(qtbot, wizard, district_pub):
    qtbot.mouseClick(wizard.new_button, Qt.MouseButton.LeftButton)
    wizard.code_edit.setText("330206-08")
    wizard.name_edit.setText("某某学校")
    wizard.next()
    wizard.next()
    page = wizard.district_public_page
    page.path_edit.setText(str(district_pub))
    assert page.load()
    fingerprint = json.loads(district_pub.read_text())["fingerprint"]
    assert fingerprint in page.key_label.text() and "330206" in page.key_label.text()


def test_an_empty_database_that_was_there_before_is_kept_after_a_refusal(qtbot, type_text, tmp_path):
    existing = tmp_path / "empty.sqlite3"
    from adultschool.db import open_database

    open_database(existing, create=True).close()  # made (and migrated) earlier, never initialised
    database = open_database(existing)
    dialog = FirstRunWizard(str(existing), database)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "里还没有学校" in dialog.intro.text()
    school_up_to_summary(qtbot, dialog, type_text, None)
    dialog.admin_page.name_edit.setText("有 空格")
    dialog.accept()
    qtbot.waitUntil(lambda: dialog.op is not None and dialog.op.finished, timeout=20_000)
    assert "不合要求" in dialog.summary_page.message.text()
    assert existing.exists() and dialog.database is database
    with read_session(database.engine) as session:
        assert not site.is_initialised(session)
    database.close()
