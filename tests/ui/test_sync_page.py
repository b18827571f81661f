"""The school's 数据上报 page: its key fingerprint, registering the district's key, making packages, reading receipts."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from adultschool.db import read_session
from adultschool.services import district_keypair, district_status, sync
from adultschool.services.package_imports import counts_text
from adultschool.ui.sync_page import HISTORY_HEADERS, SyncPage
from sync_builders import district_keys, export, make_district, make_school, merge, register_person
from testclock import TODAY

pytestmark = pytest.mark.gui

CONFIRMED = HISTORY_HEADERS.index("分中心确认")


@pytest.fixture
def office(tmp_path):
    db = make_district(tmp_path)
    yield db
    db.close()


@pytest.fixture
def school(tmp_path, qtbot, office):
    from conftest import settle

    db = make_school(tmp_path, "330206-01", office=office)
    yield db
    settle(qtbot)
    db.close()


@pytest.fixture
def page(qtbot, school, tmp_path):
    widget = SyncPage(school.engine, folder=tmp_path)
    qtbot.addWidget(widget)
    widget.resize(1100, 640)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def column(page: SyncPage, name: str) -> list[str]:
    index = HISTORY_HEADERS.index(name)
    return [page.history_table.item(r, index).text() for r in range(page.history_table.rowCount())]


def test_the_page_shows_the_fingerprint_to_read_out_and_asks_for_the_district_key(page, school):
    with read_session(school.engine) as session:
        fingerprint = sync.own_fingerprint(session)
    assert fingerprint and page.fingerprint_label.text() == fingerprint
    assert "还没有登记" in page.district_label.text()
    assert page.district_key_button.text() == "登记分中心公钥…"
    assert not page.export_button.isEnabled() and not page.receipt_button.isEnabled()
    assert page.history_table.rowCount() == 0 and "还没有生成过数据包" in page.last_label.text()


def test_the_district_key_is_registered_from_the_file_the_clerk_picks(page, office, tmp_path, monkeypatch, wait_ops):
    monkeypatch.setattr(page, "choose_district_key_file", lambda: tmp_path / "keys" / "district.pub")
    page.district_key_button.click()
    wait_ops()
    with read_session(office.engine) as session:
        public = district_keypair.district_public(session)
    assert page.district_label.text() == f"分中心 330206，指纹 {public.fingerprint}"
    assert page.district_key_button.text() == "更换分中心公钥…"
    assert page.export_button.isEnabled() and page.receipt_button.isEnabled()
    assert public.fingerprint in page.result_box.text()


def _another_district_key(tmp_path: Path) -> tuple[Path, str]:
    from adultschool import aspkg

    other = aspkg.generate_district_keys("330206").public
    path = tmp_path / "换过的district.pub"
    path.write_bytes(aspkg.dump_district_public(other))
    return path, other.fingerprint


def test_replacing_the_district_key_shows_both_fingerprints_and_asks_first(page, office, tmp_path, wait_ops):
    page.register_district_key(tmp_path / "keys" / "district.pub")
    wait_ops()
    with read_session(office.engine) as session:
        registered = district_keypair.district_public(session).fingerprint
    swapped, offered = _another_district_key(tmp_path)
    page.result_box.close()
    page.register_district_key(swapped)
    wait_ops()
    box = page.dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert registered in box.text() and offered in box.text() and "打电话" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()  # not checked yet: nothing changes
    wait_ops()
    assert registered in page.district_label.text()
    page.register_district_key(swapped)
    wait_ops()
    page.dialog.button(QMessageBox.StandardButton.Yes).click()
    wait_ops()
    assert offered in page.district_label.text()
    assert registered in page.result_box.text() and offered in page.result_box.text()


def test_a_clerk_cannot_replace_the_district_key(page, school, tmp_path, wait_ops):
    from adultschool.db import unit_of_work
    from adultschool.services import accounts, permissions
    from adultschool.ui.common import set_signed_in

    page.register_district_key(tmp_path / "keys" / "district.pub")
    wait_ops()
    with unit_of_work(school.engine) as session:
        accounts.create_account(session, "admin", "admin-password-1", "admin", actor=None)
        accounts.create_account(session, "clerk", "clerk-password-1", "clerk", actor="admin")
    with read_session(school.engine) as session:
        set_signed_in(permissions.principal(session, "clerk"))
    try:
        swapped, offered = _another_district_key(tmp_path)
        page.result_box.close()
        page.register_district_key(swapped)
        wait_ops()
        assert "只能由管理员操作" in page.message.text() and offered in page.message.text()
        assert offered not in page.district_label.text()
    finally:
        set_signed_in(permissions.single_user())


def test_after_a_restore_the_page_says_the_next_package_is_full_and_why(page, school, wait_ops):
    from adultschool.db import unit_of_work

    with unit_of_work(school.engine) as session:
        sync.begin_epoch(session, None, actor="clerk")
    page.refresh()
    assert "下一个数据包（第 1 号）将是完整数据包" in page.last_label.text()


def test_a_file_that_is_not_a_key_is_refused_with_a_message(page, tmp_path, monkeypatch, wait_ops):
    wrong = tmp_path / "district.pub"
    wrong.write_text("not a key", encoding="utf-8")
    page.register_district_key(wrong)
    wait_ops()
    assert page.message.isVisible() and "公钥文件" in page.message.text()
    assert "还没有登记" in page.district_label.text()


def test_a_package_is_saved_under_the_suggested_name_and_appears_in_the_history(page, office, school, tmp_path,
                                                                                monkeypatch, wait_ops):
    page.register_district_key(tmp_path / "keys" / "district.pub")
    wait_ops()
    suggested: list[Path] = []
    out = tmp_path / "out"
    out.mkdir()

    def choose(path: Path) -> Path:
        suggested.append(path)
        return out / path.name

    monkeypatch.setattr(page, "choose_package_path", choose)
    page.export_button.click()
    wait_ops()
    assert suggested[0].name == f"330206-01 成人文化技术学校-330206-01-{TODAY.isoformat()}-第1号.aspkg"
    made = out / suggested[0].name
    assert made.exists() and made.stat().st_size > 0
    assert column(page, "序号") == ["1"] and column(page, "类型") == ["完整"] and column(page, "分中心确认") == ["未确认"]
    with read_session(school.engine) as session:
        history = sync.export_history(session)
    assert "第 1 号（完整）" in page.last_label.text() and counts_text(history[0].counts) in page.last_label.text()
    learners = f"学员 {history[0].counts['learners']}，学籍 {history[0].counts['enrolments']}"
    assert learners in page.last_label.text()
    box = page.result_box
    assert isinstance(box, QMessageBox) and str(made) in box.text() and learners in box.text()
    box.close()

    page.export_button.click()  # nothing changed since: a small incremental package, number 2
    wait_ops()
    assert column(page, "序号") == ["2", "1"] and column(page, "类型") == ["增量", "完整"]
    page.full_check.setChecked(True)
    page.export_button.click()
    wait_ops()
    assert column(page, "类型")[0] == "完整" and not page.full_check.isChecked()


def test_a_receipt_marks_what_the_district_confirmed_and_what_is_still_missing(page, office, school, tmp_path,
                                                                              monkeypatch, wait_ops):
    page.register_district_key(tmp_path / "keys" / "district.pub")
    wait_ops()
    first = export(school, tmp_path / "p1.aspkg")
    export(school, tmp_path / "p2.aspkg")  # made, but lost on the way
    third = export(school, tmp_path / "p3.aspkg")
    keys = district_keys(office)
    merge(office, keys, first)
    merge(office, keys, third)
    with read_session(office.engine) as session:
        data, _body = district_status.make_receipt(session, "330206-01", keys)
    receipt = tmp_path / "回执.json"
    receipt.write_bytes(data)
    page.refresh()
    assert column(page, "分中心确认") == ["未确认"] * 3

    monkeypatch.setattr(page, "choose_receipt_file", lambda: receipt)
    page.receipt_button.click()
    wait_ops()
    confirmed = column(page, "分中心确认")
    assert confirmed[1] == "未确认" and confirmed[0] != "未确认" and confirmed[2] != "未确认"
    assert "新增" in column(page, "分中心回执")[2]
    text = page.result_box.text()
    assert "本次新确认：第 1、3 号" in text and "尚未确认：第 2 号" in text and "分中心尚缺本校的数据包（缺 1 个：第 2 号）" in text
    assert "（缺 1 个：第 2 号）" in page.receipt_label.text()


def test_a_receipt_for_another_school_confirms_nothing(page, office, tmp_path, wait_ops):
    page.register_district_key(tmp_path / "keys" / "district.pub")
    wait_ops()
    other = make_school(tmp_path, "330206-02", seed=2, public_key=tmp_path / "keys" / "district.pub", office=office)
    keys = district_keys(office)
    merge(office, keys, export(other, tmp_path / "o1.aspkg"))
    with read_session(office.engine) as session:
        data, _body = district_status.make_receipt(session, "330206-02", keys)
    other.close()
    receipt = tmp_path / "other.json"
    receipt.write_bytes(data)
    page.import_receipt(receipt)
    wait_ops()
    assert page.message.isVisible() and "330206-02" in page.message.text()
    assert page.history_table.rowCount() == 0


def test_the_school_window_has_the_page_in_its_navigation_and_file_menu(qtbot, school, tmp_path):
    from adultschool.ui.main_window import MainWindow

    window = MainWindow(school)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles[-1] == "数据上报"
    file_menu = window.menuBar().actions()[0].menu()
    assert file_menu.actions()[0] is window.sync_action and window.sync_action.text() == "数据上报…"
    window.sync_action.trigger()
    assert window.sync_page.isVisible() and window.sync_page.fingerprint_label.text()


def _district_package_for(office, school, tmp_path: Path) -> Path:
    from adultschool.db import unit_of_work
    from adultschool.services import district_outbox, site

    keys = district_keys(office)
    merge(office, keys, export(school, tmp_path / "p1.aspkg"))
    with unit_of_work(office.engine) as session:
        site.set_quota(session, "大碶街道", 2026, 321, actor="district")
        district_outbox.export_for_school(session, "330206-01", tmp_path / "d1.asdist", keys=keys, actor="district")
    return tmp_path / "d1.asdist"


def _button(box: QMessageBox, text: str):
    return next(b for b in box.buttons() if b.text() == text)


def _quota(school) -> int | None:
    from adultschool.services import site

    with read_session(school.engine) as session:
        return {t.name: t.quotas for t in site.list_townships(session)}["大碶街道"].get(2026)


def test_the_districts_package_is_previewed_and_applied_only_after_the_clerk_confirms(page, office, school,
                                                                                      tmp_path, wait_ops):
    page.register_district_key(tmp_path / "keys" / "district.pub")
    wait_ops()
    package = _district_package_for(office, school, tmp_path)
    before = _quota(school)
    assert before != 321 and page.inbox_button.isEnabled()

    page.import_district_package(package)
    wait_ops()
    box = page.dialog
    assert isinstance(box, QMessageBox) and "大碶街道 2026 年任务数" in box.text() and "→ 321" in box.text()
    assert box.defaultButton().text() == "取消"
    assert _quota(school) == before  # the preview changed nothing
    box.defaultButton().click()
    wait_ops()
    assert _quota(school) == before

    page.import_district_package(package)
    wait_ops()
    _button(page.dialog, "导入").click()
    wait_ops()
    assert _quota(school) == 321
    assert "已导入" in page.result_box.text() and "确认收到本校第 1 号数据包" in page.result_box.text()
    page.result_box.close()
    page.import_district_package(package)  # the same file again: said, nothing asked
    wait_ops()
    assert "以前已经导入过" in page.result_box.text()


def test_a_package_not_from_the_registered_district_is_refused_on_the_page(page, office, school, tmp_path, wait_ops):
    page.register_district_key(tmp_path / "keys" / "district.pub")
    wait_ops()
    package = _district_package_for(office, school, tmp_path)
    data = bytearray(package.read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / "bad.asdist").write_bytes(bytes(data))
    page.import_district_package(tmp_path / "bad.asdist")
    wait_ops()
    assert "损坏" in page.message.text() and "损坏" in page.result_box.text()
    assert page.dialog is None  # nothing to confirm
    assert _quota(school) != 321


def test_after_the_districts_package_its_rules_cannot_be_edited_in_the_settings(page, office, school, tmp_path,
                                                                                 qtbot, wait_ops):
    from adultschool.db import unit_of_work
    from adultschool.services import rules, site
    from adultschool.ui.settings_dialog import SettingsDialog

    with unit_of_work(office.engine) as session:
        rules.set_school_may_change(session, ["min_video_hours"], allowed=True, actor="district")
    page.register_district_key(tmp_path / "keys" / "district.pub")
    wait_ops()
    package = _district_package_for(office, school, tmp_path)
    page.import_district_package(package)
    wait_ops()
    _button(page.dialog, "导入").click()
    wait_ops()
    with read_session(school.engine) as session:
        info = site.get_site(session)
    dialog = SettingsDialog(school, info)
    qtbot.addWidget(dialog)
    fields = dialog.rules_tab.fields
    assert not fields["pass_mark"].widget.isEnabled()
    assert fields["pass_mark"].default_label.text().startswith("由分中心统一规定")
    assert fields["min_video_hours"].widget.isEnabled()


def test_the_districts_results_are_checked_against_the_windows_day(qtbot, office, school, tmp_path, wait_ops):
    """Scores of an exam held after the clock's day but before the window's (a week later) are taken: the package
    is imported on the window's day, as a results file imported in the window is."""
    from sqlalchemy import select

    from adultschool.db import unit_of_work
    from adultschool.models import Enrolment, ExamResult
    from adultschool.services import district_outbox, exam_results
    from conftest import SENIOR_COURSES, make_id, write_results

    window_day, exam_day = TODAY + timedelta(days=7), TODAY + timedelta(days=3)
    page = SyncPage(school.engine, folder=tmp_path, today=lambda: window_day)
    qtbot.addWidget(page)
    page.show()
    page.register_district_key(tmp_path / "keys" / "district.pub")
    wait_ops()
    register_person(school, name="葛晓燕", id_number=make_id(date(1990, 3, 4), serial=7), level="高中")
    with read_session(school.engine) as session:
        number = session.execute(select(Enrolment.student_number).order_by(Enrolment.id.desc())).scalars().first()
    keys = district_keys(office)
    merge(office, keys, export(school, tmp_path / "p1.aspkg"))
    scores = write_results(tmp_path / "成绩.xlsx", [(number, "葛晓燕", SENIOR_COURSES[0], 80, exam_day.isoformat())])
    with unit_of_work(office.engine) as session:
        report = exam_results.import_results(session, scores, actor="district", today=window_day)
        assert report.imported == 1 and not report.rejected
        district_outbox.export_for_school(session, "330206-01", tmp_path / "d1.asdist", keys=keys, actor="district")
    page.import_district_package(tmp_path / "d1.asdist")
    wait_ops()
    assert "未记入 0 条" in page.dialog.text(), page.dialog.text()
    _button(page.dialog, "导入").click()
    wait_ops()
    with read_session(school.engine) as session:
        assert session.execute(select(ExamResult.exam_date)).scalars().all() == [exam_day]
