"""The district's pages: importing packages (one good, one tampered), who has sent, receipts, keys, conflicts, the
quota progress table and its chart, and the main window of a district database."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta

import openpyxl
import pytest
import time_machine
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel
from sqlalchemy import delete, func, select, update

from adultschool import aspkg
from adultschool.db import open_database, read_session, unit_of_work
from adultschool.models import Learner, SyncPackage, TownshipQuota
from adultschool.services import district_conflicts, district_schools, district_status, quotas, site, sync
from adultschool.ui.bar_chart import BAR_COLOUR, DONE_COLOUR
from adultschool.ui.district_dialogs import AddSchoolDialog, DecideDialog, RetireSchoolDialog, TrustDialog
from adultschool.ui.district_packages_page import NOT_SENT_COLOUR, SCHOOL_HEADERS, DistrictPackagesPage
from adultschool.ui.district_conflicts_page import ConflictsPage
from adultschool.ui.district_progress_page import ProgressPage
from adultschool.ui.main_window import MainWindow
from adultschool.ui.passphrase_dialog import PassphraseDialog
from conftest import make_id, settle
from sync_builders import (
    PASSPHRASE,
    district_keys,
    enlist,
    export,
    make_district,
    make_school,
    merge,
    register_person,
    tampered,
)
from testclock import NOW, TODAY

pytestmark = pytest.mark.gui


@pytest.fixture
def office(tmp_path, qtbot):
    db = make_district(tmp_path)
    yield db
    settle(qtbot)
    db.close()


@pytest.fixture
def public_key(tmp_path, office):
    return tmp_path / "keys" / "district.pub"


@pytest.fixture
def packages_page(qtbot, office, tmp_path):
    page = DistrictPackagesPage(office.engine, folder=tmp_path)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitExposed(page)
    return page


def enter_passphrase(qtbot, page, passphrase: str = PASSPHRASE) -> None:
    dialog = page.dialog
    assert isinstance(dialog, PassphraseDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.passphrase_edit, passphrase)
    dialog.accept()


def school_row(page: DistrictPackagesPage, code: str) -> dict[str, str]:
    table = page.schools_table
    for row in range(table.rowCount()):
        if table.item(row, 0).text() == code:
            return {header: table.item(row, column).text() for column, header in enumerate(SCHOOL_HEADERS)}
    raise KeyError(code)


def learner_count(db) -> int:
    with read_session(db.engine) as session:
        return session.execute(select(func.count()).select_from(Learner)).scalar_one()


def test_two_packages_one_tampered_the_good_one_goes_in_and_the_bad_one_is_named(
        qtbot, packages_page, office, public_key, tmp_path, monkeypatch, wait_ops):
    good_school = make_school(tmp_path, "330206-01", public_key=public_key, office=office)
    bad_school = make_school(tmp_path, "330206-02", seed=2, public_key=public_key, office=office)
    good = export(good_school, tmp_path / "good.aspkg")
    made = export(bad_school, tmp_path / "bad-original.aspkg").read_bytes()
    bad = tmp_path / "bad.aspkg"
    bad.write_bytes(tampered(made, len(made) // 2))
    good_learners = learner_count(good_school)
    good_school.close()
    bad_school.close()
    monkeypatch.setattr(packages_page, "choose_package_files", lambda: [bad, good])
    assert packages_page.key_label.text().startswith("分中心 330206 公钥指纹：")
    assert not packages_page.keygen_button.isVisible()

    packages_page.import_button.click()
    enter_passphrase(qtbot, packages_page)
    wait_ops()
    lines = packages_page.result_lines()
    assert lines[0].startswith("✘ bad.aspkg：未导入。")
    ok = next(line for line in lines if line.startswith("✔ "))
    assert "（330206-01）第 1 号（完整）：新增 " in ok and "［good.aspkg］" in ok
    with read_session(office.engine) as session:
        fingerprint = next(s for s in district_status.school_statuses(session, TODAY) if s.code == "330206-01").fingerprint
    assert any("签名密钥与登记的指纹" in line and fingerprint in line for line in lines)
    assert learner_count(office) == good_learners
    assert packages_page.message.text() == "导入数据包：成功 1 个，未导入 1 个（原因见“本次导入结果”）"
    row = school_row(packages_page, "330206-01")
    assert row["本月已报送"] == "是" and row["数据包数"] == "1" and row["最近序号"] == "1" and row["密钥指纹"] == fingerprint
    assert row["名册"] == "已确认"
    # The school whose package was damaged is on the roster, registered but never heard from.
    assert school_row(packages_page, "330206-02")["最近收到"] == "从未收到"
    assert school_row(packages_page, "330206-02")["名册"] == "已登记指纹，待收到数据包"
    assert packages_page.keys is not None and "本次已输入口令" in packages_page.key_label.text()

    # The passphrase is asked once per session: the same package again needs no dialog and changes nothing.
    packages_page.dialog = None
    packages_page.import_files([good])
    assert packages_page.dialog is None
    wait_ops()
    assert "以前已经导入过，没有任何改动" in packages_page.result_lines()[0]
    assert learner_count(office) == good_learners


def test_a_school_that_sent_nothing_this_month_is_marked_no(qtbot, merged_office, tmp_path):
    with unit_of_work(merged_office.engine) as session:
        session.execute(update(SyncPackage).where(SyncPackage.school_code == "330206-02")
                        .values(received_at=NOW - timedelta(days=45)))
    page = DistrictPackagesPage(merged_office.engine, folder=tmp_path, today=lambda: TODAY)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    sent, silent = school_row(page, "330206-01"), school_row(page, "330206-02")
    assert sent["本月已报送"] == "是" and silent["本月已报送"] == "否"
    column = SCHOOL_HEADERS.index("本月已报送")
    row = next(r for r in range(page.schools_table.rowCount()) if page.schools_table.item(r, 0).text() == "330206-02")
    item = page.schools_table.item(row, column)
    assert item.background().color() == NOT_SENT_COLOUR and item.font().bold()


def test_a_wrong_passphrase_is_refused_and_asked_again_next_time(qtbot, packages_page, office, public_key, tmp_path,
                                                                 wait_ops):
    school = make_school(tmp_path, "330206-01", public_key=public_key, office=office)
    package = export(school, tmp_path / "p1.aspkg")
    school.close()
    packages_page.import_files([package])
    enter_passphrase(qtbot, packages_page, "not-the-passphrase")
    wait_ops()
    assert "口令不对" in packages_page.message.text()
    assert packages_page.keys is None and learner_count(office) == 0
    packages_page.result_box.close()
    packages_page.import_files([package])
    enter_passphrase(qtbot, packages_page)
    wait_ops()
    assert learner_count(office) > 0


def test_a_receipt_is_saved_for_the_selected_school_and_the_school_can_verify_it(
        qtbot, packages_page, office, public_key, tmp_path, monkeypatch, wait_ops):
    school = make_school(tmp_path, "330206-01", public_key=public_key, office=office)
    package = export(school, tmp_path / "p1.aspkg")
    school.close()
    packages_page.import_files([package])
    enter_passphrase(qtbot, packages_page)
    wait_ops()
    assert not packages_page.receipt_button.isEnabled()  # nothing selected yet
    packages_page.select_school("330206-01")
    assert packages_page.receipt_button.isEnabled()
    suggested = []
    monkeypatch.setattr(packages_page, "choose_receipt_path", lambda path: suggested.append(path) or path)
    packages_page.receipt_button.click()
    wait_ops()
    assert suggested[0].name == f"回执-330206-01-{TODAY.isoformat()}.json"
    body = aspkg.read_receipt(suggested[0].read_bytes(),
                                       aspkg.load_district_public(public_key.read_bytes()))
    assert body["school_code"] == "330206-01" and [p["sequence"] for p in body["packages"]] == [1]
    assert str(suggested[0]) in packages_page.result_box.text()


def test_keys_are_made_from_the_page_when_the_district_has_none(qtbot, tmp_path, wait_ops):
    folder = tmp_path / "fresh"
    folder.mkdir()
    office = make_district(folder, keys=False)
    page = DistrictPackagesPage(office.engine, folder=tmp_path)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    assert page.keygen_button.isVisible() and not page.import_button.isEnabled()
    assert "还没有密钥" in page.key_label.text()
    page.make_keys(folder / "keys")
    dialog = page.dialog
    assert isinstance(dialog, PassphraseDialog) and dialog.new_key
    qtbot.keyClicks(dialog.passphrase_edit, PASSPHRASE)
    qtbot.keyClicks(dialog.again_edit, "something-else")
    dialog.accept()
    assert dialog.isVisible() and "不一致" in dialog.error_label.text()
    qtbot.keyClicks(dialog.again_edit, PASSPHRASE)
    dialog.accept()
    wait_ops()
    assert (folder / "keys" / "district.pub").exists() and (folder / "keys" / "district.key").exists()
    public = aspkg.load_district_public((folder / "keys" / "district.pub").read_bytes())
    assert public.fingerprint in page.key_label.text() and not page.keygen_button.isVisible()
    assert page.keys is not None and page.import_button.isEnabled()
    settle(qtbot)
    office.close()


# --- the roster ------------------------------------------------------------------------------------------------


def test_a_school_is_added_to_the_roster_and_retired_from_the_page(qtbot, packages_page, office, tmp_path, wait_ops):
    dialog = packages_page.open_add_school()
    assert isinstance(dialog, AddSchoolDialog) and dialog.code_edit.text() == "330206-"
    dialog.code_edit.setText("330206-05")
    dialog.name_edit.setText("柴桥街道成人文化技术学校")
    dialog.townships_edit.setText("柴桥街道、春晓街道")
    dialog.fingerprint_edit.setText("12ab")  # a fingerprint misheard: refused before anything is written
    dialog.accept()
    assert dialog.isVisible() and "格式不对" in dialog.message.text()
    fingerprint = "3f2a 91c0 aa01 bb02 cc03 dd04 ee05 ff06"
    dialog.fingerprint_edit.setText(fingerprint)
    dialog.accept()
    wait_ops()
    row = school_row(packages_page, "330206-05")
    assert row["学校"] == "柴桥街道成人文化技术学校" and row["密钥指纹"] == "3F2A-91C0-AA01-BB02-CC03-DD04-EE05-FF06"
    assert row["名册"] == "已登记指纹，待收到数据包" and row["最近收到"] == "从未收到"
    assert "已把柴桥街道成人文化技术学校（330206-05）登记到名册" in packages_page.message.text()
    with read_session(office.engine) as session:
        assert district_schools.get_school(session, "330206-05").townships == ("柴桥街道", "春晓街道")

    wrong = packages_page.open_add_school()
    wrong.code_edit.setText("330207-01")  # another district's code
    wrong.name_edit.setText("别区成校")
    wrong.accept()
    wait_ops()
    assert "不属于本分中心" in packages_page.message.text()
    packages_page.result_box.close()

    packages_page.select_school("330206-05")
    assert packages_page.retire_button.isEnabled()
    retire = packages_page.open_retire()
    assert isinstance(retire, RetireSchoolDialog) and "不再接收它的数据包" in retire.findChild(QLabel).text()
    retire.reason_edit.setText("并入大碶成校")
    retire.accept()
    wait_ops()
    assert school_row(packages_page, "330206-05")["名册"] == "已停用"
    packages_page.select_school("330206-05")
    assert not packages_page.retire_button.isEnabled()


def test_a_listed_schools_first_package_asks_to_compare_the_fingerprint_by_phone(
        qtbot, packages_page, office, public_key, tmp_path, wait_ops):
    school = make_school(tmp_path, "330206-03", public_key=public_key)
    enlist(office, school, fingerprint=False)  # on the roster, key not known yet
    with read_session(school.engine) as session:
        fingerprint = sync.own_fingerprint(session)
    package = export(school, tmp_path / "p1.aspkg")
    learners = learner_count(school)
    school.close()
    packages_page.import_files([package])
    enter_passphrase(qtbot, packages_page)
    wait_ops()
    assert packages_page.result_lines()[0].startswith("✘ p1.aspkg：未导入。首次收到学校 330206-03")
    assert learner_count(office) == 0
    dialog = packages_page.dialog
    assert isinstance(dialog, TrustDialog) and dialog.isVisible()
    assert dialog.fingerprint_label.text() == fingerprint and "打电话" in dialog.findChild(QLabel).text() + "".join(
        label.text() for label in dialog.findChildren(QLabel))
    dialog.reject()  # not confirmed: nothing accepted, nothing imported
    wait_ops()
    with read_session(office.engine) as session:
        assert district_schools.get_school(session, "330206-03").fingerprint is None
    packages_page.import_files([package])
    wait_ops()
    packages_page.dialog.accept()  # the school read the same fingerprint on the phone
    wait_ops()
    assert learner_count(office) == learners
    assert any(line.startswith("✔ ") and "330206-03" in line for line in packages_page.result_lines())
    assert school_row(packages_page, "330206-03")["名册"] == "已确认"
    assert school_row(packages_page, "330206-03")["密钥指纹"] == fingerprint


def test_a_package_from_a_school_not_on_the_roster_is_refused_naming_it(
        qtbot, packages_page, office, public_key, tmp_path, wait_ops):
    school = make_school(tmp_path, "330206-09", public_key=public_key)
    package = export(school, tmp_path / "p1.aspkg")
    school.close()
    packages_page.import_files([package])
    enter_passphrase(qtbot, packages_page)
    wait_ops()
    assert "学校 330206-09 不在本分中心的学校名册上" in packages_page.result_lines()[0]
    assert not isinstance(packages_page.dialog, TrustDialog) and learner_count(office) == 0


# --- conflicts -------------------------------------------------------------------------------------------------


def two_schools_with_one_person(office, tmp_path, public_key, *, same_level: bool):
    shared = make_id(date(1990, 2, 3), serial=777)
    keys = district_keys(office)
    for code, seed, level in (("330206-01", 1, "高中"), ("330206-02", 2, "高中" if same_level else "初中")):
        school = make_school(tmp_path, code, seed=seed, public_key=public_key, office=office)
        register_person(school, name="王喆", id_number=shared, level=level)
        merge(office, keys, export(school, tmp_path / f"{code}.aspkg"))
        school.close()
    return shared


@pytest.fixture
def conflicts_page(qtbot, office):
    page = ConflictsPage(office.engine)
    qtbot.addWidget(page)
    page.resize(1100, 500)
    return page


def test_a_conflict_is_settled_from_the_page_with_a_note(qtbot, conflicts_page, office, public_key, tmp_path, wait_ops):
    shared = two_schools_with_one_person(office, tmp_path, public_key, same_level=False)
    conflicts_page.show()
    qtbot.waitExposed(conflicts_page)
    table = conflicts_page.table
    assert table.rowCount() == 1 and conflicts_page.count_label.text() == "待处理 1 个"
    assert [table.item(0, c).text() for c in (2, 3, 4, 5, 6, 7)] == ["王喆", "330206-01", "高中在读", "330206-02",
                                                                     "初中在读", "待处理"]
    assert shared not in table.item(0, 1).text() and table.item(0, 1).text().startswith(shared[:6])
    assert not conflicts_page.settle_button.isEnabled()
    table.selectRow(0)
    conflict = conflicts_page.conflicts[0]
    assert conflicts_page.way_out_label.text().startswith(f"冲突 {conflict.id}：可以确认为同一人：点“确认为同一人…”。")
    assert "若身份证号码登记有误" in conflicts_page.way_out_label.text()
    assert conflicts_page.settle_button.isEnabled() and not conflicts_page.decide_button.isEnabled()
    conflicts_page.settle_button.click()
    dialog = conflicts_page.dialog
    text = dialog.findChild(type(conflicts_page.count_label)).text()
    assert dialog.isVisible() and "王喆" in text and "在读学籍" not in text and "（初中在读）" in text
    dialog.note_edit.setText("电话核实为同一人")
    dialog.accept()
    wait_ops()
    assert table.rowCount() == 0 and conflicts_page.count_label.text() == "没有待处理的冲突"
    assert "已确认为同一人，合并了" in conflicts_page.message.text()
    conflicts_page.show_settled.setChecked(True)
    assert table.rowCount() == 1 and table.item(0, 7).text() == "已确认为同一人"
    with read_session(office.engine) as session:
        assert district_conflicts.list_conflicts(session) == []


def test_two_open_enrolments_at_one_level_show_the_way_out_and_the_district_records_who_keeps(
        qtbot, conflicts_page, office, public_key, tmp_path, wait_ops):
    two_schools_with_one_person(office, tmp_path, public_key, same_level=True)
    conflicts_page.show()
    qtbot.waitExposed(conflicts_page)
    conflicts_page.select_conflict(conflicts_page.conflicts[0].id)
    way_out = conflicts_page.way_out_label.text()
    assert "两校都有此人的高中学籍（330206-01 在读，330206-02 在读）：请其中一所学校办理退学或转学，" \
           "收到其数据包后即可确认为同一人" in way_out and "点“裁定由哪所学校保留…”" in way_out
    assert not conflicts_page.settle_button.isEnabled() and conflicts_page.decide_button.isEnabled()
    dialog = conflicts_page.open_decide()
    assert isinstance(dialog, DecideDialog) and "330206-02" in dialog.findChild(QLabel).text()
    dialog.accept()  # nothing chosen yet: asks, stays open
    assert dialog.isVisible() and "请选择" in dialog.message.text()
    dialog.choices["330206-01"].setChecked(True)
    dialog.note_edit.setText("本人在大碶就读")
    dialog.accept()
    wait_ops()
    assert "已裁定由学校 330206-01 保留学籍" in conflicts_page.message.text()
    assert conflicts_page.table.item(0, 7).text() == "已裁定由 330206-01 保留，待 330206-02 退学"
    conflicts_page.select_conflict(conflicts_page.conflicts[0].id)
    assert "分中心已裁定由学校 330206-01 保留学籍" in conflicts_page.way_out_label.text()
    assert not conflicts_page.decide_button.isEnabled()
    with read_session(office.engine) as session:
        assert district_status.receipt_body(session, "330206-02")["conflicts"][0]["decision"] == "withdraw"


# --- quota progress --------------------------------------------------------------------------------------------


# The merged schools' data is of one fixed autumn, and the progress test looks at it on a day of that November, so the
# chart has bars on whatever day the suite runs (in January the new year has no registrations yet, rightly).
DATA_DAY = date(2026, 11, 20)
VIEW_MOMENT = datetime(2026, 11, 23, 10, 0)


@pytest.fixture(scope="module")
def merged_template(tmp_path_factory):
    """A district that merged two small schools (quotas set for two townships), made once and copied per test."""
    folder = tmp_path_factory.mktemp("merged")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADULTSCHOOL_DATA_DIR", str(folder / "data"))
        office = make_district(folder)
        keys = district_keys(office)
        for code, seed, learners in (("330206-01", 1, 8), ("330206-02", 2, 5)):
            school = make_school(folder, code, seed=seed, learners=learners, public_key=folder / "keys" / "district.pub",
                                 office=office, today=DATA_DAY)
            merge(office, keys, export(school, folder / f"{code}.aspkg"))
            school.close()
        with read_session(office.engine) as session:
            townships = [t.name for t in site.list_townships(session)]
        with unit_of_work(office.engine) as session:
            for year in {DATA_DAY.year, TODAY.year}:
                site.set_quota(session, townships[0], year, 4, actor="district")
                site.set_quota(session, townships[1], year, 40, actor="district")
        office.close()
    return folder / "district.sqlite3"


@pytest.fixture
def merged_office(merged_template, tmp_path, qtbot):
    target = tmp_path / "merged.sqlite3"
    shutil.copyfile(merged_template, target)
    db = open_database(target)
    yield db
    settle(qtbot)
    db.close()


def test_the_progress_table_shows_what_quota_progress_computes_and_the_chart_draws_a_bar_per_township(
        qtbot, merged_office, tmp_path, wait_ops):
    with time_machine.travel(VIEW_MOMENT.astimezone(), tick=True):  # a day of the data's November
        page = ProgressPage(merged_office.engine, folder=tmp_path)
        qtbot.addWidget(page)
        page.resize(1280, 640)
        with qtbot.waitSignal(page.computed, timeout=30_000):
            page.show()
        today = VIEW_MOMENT.date()
        with read_session(merged_office.engine) as session:
            report = quotas.quota_progress(session, year=today.year, month=today.month, today=today)
        expected = [["" if v is None else str(v) for v in row] for row in quotas.progress_rows(report)]
        assert page.table_values() == expected
        assert page.table.rowCount() == len(report.townships) + 1 and page.table_values()[-1][1] == "合计"
        bars = page.chart.bars()
        assert len(bars) == len(report.townships) == len(page.chart.bar_rects())
        assert bars[0].ratio is not None and bars[0].ratio >= bars[1].ratio  # ranked like the table
        image = page.chart.grab().toImage()
        colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
        assert len(colours) > 3 and (BAR_COLOUR.name() in colours or DONE_COLOUR.name() in colours)
        assert image.pixelColor(1, 1) == QColor("white")

        with qtbot.waitSignal(page.computed, timeout=30_000):
            page.set_month(today.year - 1, 6)
        assert page.chart.title().startswith(f"{today.year - 1}年6月")
        # the month picker picks a month: no day calendar, the arrows step the month
        assert not page.month_edit.calendarPopup() and page.month_edit.displayFormat() == "yyyy年M月"
        with qtbot.waitSignal(page.computed, timeout=30_000):
            page.month_edit.stepUp()
        assert page.month() == (today.year - 1, 7)
        with unit_of_work(merged_office.engine) as session:  # the template also sets the test clock's year (2027 on a
            session.execute(delete(TownshipQuota).where(TownshipQuota.year == today.year + 1))  # shifted run)
        with qtbot.waitSignal(page.computed, timeout=30_000):
            page.set_month(today.year + 1, 1)  # nothing counts toward next year yet: the page says why
        assert page.message.isVisible() and f"{today.year + 1} 年还没有任务数" in page.message.text()


def test_the_progress_report_is_exported_to_excel(qtbot, merged_office, tmp_path, monkeypatch, wait_ops):
    page = ProgressPage(merged_office.engine, folder=tmp_path)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.show()
    chosen = []
    monkeypatch.setattr(page, "choose_export_path", lambda path: chosen.append(path) or path)
    page.export_button.click()
    wait_ops()
    today = TODAY
    assert chosen[0].name == f"任务完成情况-{today.year}-{today.month:02d}.xlsx"
    book = openpyxl.load_workbook(chosen[0], read_only=True)
    assert book.sheetnames == ["任务完成情况", "报送情况"]
    book.close()
    assert str(chosen[0]) in page.result_box.text()


# --- the window of a district database ---------------------------------------------------------------------------


def menu_texts(menu) -> list[str]:
    """Every visible entry of a menu bar or menu, submenus included."""
    texts = []
    for action in menu.actions():
        if action.isVisible() and not action.isSeparator():
            texts.append(action.text())
            if action.menu() is not None:
                texts.extend(menu_texts(action.menu()))
    return texts


def test_a_district_window_shows_the_district_pages_and_hides_the_schools_work(qtbot, merged_office, wait_ops):
    window = MainWindow(merged_office)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    visible = [window.nav.item(i).text() for i in range(window.nav.count()) if not window.nav.item(i).isHidden()]
    assert visible[:4] == ["数据包汇总", "冲突", "任务进度", "考试与成绩"] and "学员" in visible
    assert "登记学员" not in [a.text() for a in window.toolbar.actions() if a.isVisible()]
    assert not window.register_action.isEnabled() and not window.import_roster_action.isEnabled()
    shown = menu_texts(window.menuBar())
    assert "导入数据包…" in shown and "导出任务进度…" in shown
    assert not {"登记学员", "导入名单", "导入考勤表", "导入成绩…", "打印证书…", "签到表…"} & set(shown)
    assert "学员(&L)" not in shown and "考试(&E)" not in shown  # menus left empty are hidden
    assert window.packages_page.isVisible()
    window.show_page("学员")
    wait_ops()
    assert window.learners_page.isVisible() and window.learners_page.count_label.text().startswith("共 ")
    window.show_page("任务进度")
    wait_ops()
    assert window.progress_page.table.rowCount() > 1


def test_the_chart_marks_a_township_past_its_quota_and_one_without_a_quota(qtbot):
    from adultschool.ui.bar_chart import Bar, BarChart

    chart = BarChart(title="测试")
    qtbot.addWidget(chart)
    chart.set_bars([Bar("大碶街道", 130, 100), Bar("新碶街道", 50, 100), Bar("小港街道", 7, None)])
    chart.resize(800, 300)
    over, half, none = chart.bar_rects()
    assert over.width() == pytest.approx(half.width() * 2.6) and none.width() == 0
    image = chart.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    assert DONE_COLOUR.name() in colours and BAR_COLOUR.name() in colours


def test_packages_for_the_schools_are_made_into_a_folder_and_a_school_that_never_sent_is_named(
        qtbot, packages_page, office, public_key, tmp_path, wait_ops):
    from adultschool.services import district_schools, site

    school = make_school(tmp_path, "330206-01", public_key=public_key, office=office)
    package = export(school, tmp_path / "p1.aspkg")
    school.close()
    with unit_of_work(office.engine) as session:
        district_schools.add_school(session, "330206-05", name="春晓成校", actor="district")
    packages_page.import_files([package])
    enter_passphrase(qtbot, packages_page)
    wait_ops()
    with unit_of_work(office.engine) as session:
        site.set_quota(session, "大碶街道", 2026, 200, actor="district")
    packages_page.refresh()
    assert packages_page.outbox_button.isEnabled()
    packages_page.make_school_packages(tmp_path / "out")
    wait_ops()
    made = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert made == [f"分中心给330206-01 成人文化技术学校-330206-01-{TODAY.isoformat()}-第1号.asdist"]
    lines = packages_page.result_lines()
    assert lines[0].startswith("学校 330206-01 成人文化技术学校（330206-01）第 1 号：任务数 ")
    assert "330206-05" in lines[1] and lines[1].startswith("未生成：")
    assert packages_page.results_box.title() == "本次生成的数据包"
    sent = SCHOOL_HEADERS.index("发给学校的数据包")
    row = next(r for r in range(packages_page.schools_table.rowCount())
               if packages_page.schools_table.item(r, 0).text() == "330206-01")
    assert packages_page.schools_table.item(row, sent).text().startswith("第 1 号，")
