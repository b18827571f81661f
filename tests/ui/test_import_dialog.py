"""导入名单 / 导入排摸表: check first (nothing written), see what would happen, then confirm; cancel leaves no trace."""
from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from adultschool.db import read_session
from adultschool.services import learners, survey
from adultschool.ui import ops
from adultschool.ui.import_dialog import ImportDialog
from adultschool.ui.ops import ProgressDialog

pytestmark = pytest.mark.gui


def learner_count(database) -> int:
    with read_session(database.engine) as session:
        return learners.count_learners(session)


@pytest.fixture
def roster_file(tmp_path, make_id, years_ago, write_roster):
    good = make_id(date(1990, 5, 17), serial=3)
    rows = [
        ["张三", "男", "初中", make_id(date(1985, 3, 1), serial=1), "大碶模具厂", "13805740001", "高中"],     # row 3
        ["李四", "女", "小学", make_id(date(1992, 8, 8), male=False, serial=2), "新碶超市", "13805740002", "初中"],  # 4
        ["错号", "男", "初中", good[:17] + ("0" if good[17] != "0" else "1"), "", "13805740003", "高中"],  # 5
        ["王五", "女", "初中", make_id(date(1979, 12, 12), serial=4), "", "13805740004", "高中"],           # 6: 性别 ≠ ID
        ["老赵", "男", "初中", make_id(years_ago(61), serial=5), "", "13805740005", "高中"],                 # 7
        ["钱六", "男", "初中", make_id(date(1988, 1, 20), serial=6), "", "13805740006", "大专"],             # 8
    ]
    return write_roster(tmp_path / "大碶街道报名汇总表.xlsx", rows)


@pytest.fixture
def big_roster(tmp_path, make_id, write_roster):
    rows = []
    for i in range(8000):
        birth = date(1970, 1, 1) + timedelta(days=i)
        rows.append([f"学员{i}", "", "初中", make_id(birth, serial=7), "", f"1380574{i:04d}", "高中"])
    return write_roster(tmp_path / "大名单.xlsx", rows)


@pytest.fixture
def roster_dialog(qtbot, school_db):
    """The school serves two townships: the rosters here have no 街道/镇 column, so the clerk picks 大碶街道."""
    dialog = ImportDialog(school_db.engine, "roster")
    dialog.township_combo.setCurrentIndex(dialog.township_combo.findText("大碶街道"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def wait_op(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: dialog.op is not None and not dialog.op.running, timeout=60_000)


def table_column(table, column: int) -> list[str]:
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_preview_shows_what_would_happen_and_writes_nothing_until_confirmed(qtbot, roster_dialog, roster_file, school_db):
    dialog = roster_dialog
    assert not dialog.confirm_button.isEnabled()
    dialog.set_file(roster_file)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, dialog)

    assert "将登记 3 人，未通过 3 行" in dialog.summary_label.text()
    warnings = list(zip(table_column(dialog.warning_table, 0), table_column(dialog.warning_table, 2)))
    assert "提醒" in dialog.summary_label.text()
    assert table_column(dialog.rejected_table, 0) == ["5", "7", "8"]
    reasons = table_column(dialog.rejected_table, 2)
    assert "校验不通过" in reasons[0]
    assert "年龄 61 周岁" in reasons[1]
    assert "大专" in reasons[2]
    assert table_column(dialog.rejected_table, 1) == ["身份证号码", "身份证号码", "学历提升层次"]
    assert dialog.tabs.tabText(0) == "未通过的行（3 行）"
    assert [row for row, reason in warnings if "性别填写为“女”" in reason] == ["6"]
    assert learner_count(school_db) == 0
    assert dialog.confirm_button.isEnabled()
    assert dialog.save_rejected_button.isEnabled()

    with qtbot.waitSignal(dialog.imported, timeout=30_000) as blocker:
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)

    assert blocker.args[0].imported == 3
    assert "已登记 3 人，未通过 3 行" in dialog.summary_label.text()
    assert not dialog.confirm_button.isEnabled()  # the same file is not imported twice by a double click
    with read_session(school_db.engine) as session:
        names = {r.name for r in learners.list_learners(session)}
    assert names == {"张三", "李四", "王五"}


def test_changing_the_date_after_the_preview_asks_for_a_new_check(qtbot, roster_dialog, roster_file):
    dialog = roster_dialog
    dialog.set_file(roster_file)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, dialog)
    assert dialog.confirm_button.isEnabled()

    dialog.date_edit.setDate(dialog.date_edit.date().addDays(-1))
    assert not dialog.confirm_button.isEnabled()
    assert "请重新点“检查”" in dialog.summary_label.text()
    assert dialog.rejected_table.rowCount() == 0


def test_the_rejected_rows_can_be_saved_as_a_workbook(qtbot, roster_dialog, roster_file, tmp_path, monkeypatch):
    dialog = roster_dialog
    dialog.set_file(roster_file)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, dialog)
    target = tmp_path / "退回.xlsx"
    offered = []

    def fake_save_dialog(parent, title, start, filters):
        offered.append(start)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save_dialog))
    qtbot.mouseClick(dialog.save_rejected_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, dialog)

    assert offered == [str(tmp_path / "大碶街道报名汇总表-未通过的行.xlsx")]
    assert "已保存" in dialog.saved_label.text()
    workbook = openpyxl.load_workbook(target, read_only=True)
    text = " ".join(str(v) for row in workbook.active.iter_rows(values_only=True) for v in row if v is not None)
    workbook.close()
    assert "错号" in text and "老赵" in text and "钱六" in text
    assert "张三" not in text


def test_a_file_that_is_not_a_workbook_is_explained(qtbot, roster_dialog, tmp_path, school_db):
    broken = tmp_path / "名单.xlsx"
    broken.write_text("这不是 Excel 文件", encoding="utf-8")
    roster_dialog.set_file(broken)
    qtbot.mouseClick(roster_dialog.check_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, roster_dialog)

    assert roster_dialog.error_label.isVisible()
    assert "名单.xlsx" in roster_dialog.error_label.text()
    assert not roster_dialog.confirm_button.isEnabled()
    assert learner_count(school_db) == 0


def test_checking_without_a_file_asks_for_one(qtbot, roster_dialog):
    qtbot.mouseClick(roster_dialog.check_button, Qt.MouseButton.LeftButton)
    assert roster_dialog.error_label.text() == "请先选择要导入的 Excel 文件。"
    assert roster_dialog.op is None


def test_cancel_during_a_long_preview_leaves_the_database_unchanged(qtbot, roster_dialog, big_roster, school_db,
                                                                   monkeypatch):
    monkeypatch.setattr(ops, "PROGRESS_DELAY_MS", 0)
    dialog = roster_dialog
    dialog.set_file(big_roster)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.op.progress_dialog is not None and dialog.op.progress_dialog.isVisible(),
                    timeout=5000)
    progress = dialog.op.progress_dialog
    assert progress.cancel_button.text() == "取消"
    qtbot.mouseClick(progress.cancel_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, dialog)

    assert dialog.summary_label.text() == "已取消检查。数据库没有任何改动。"
    assert not dialog.confirm_button.isEnabled()
    assert dialog.rejected_table.rowCount() == 0
    assert [d for d in dialog.findChildren(ProgressDialog) if d.isVisible()] == []
    assert learner_count(school_db) == 0


def test_cancel_during_a_long_import_rolls_everything_back(qtbot, roster_dialog, big_roster, school_db, monkeypatch):
    dialog = roster_dialog
    dialog.set_file(big_roster)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, dialog)
    assert "将登记 8000 人，未通过 0 行" in dialog.summary_label.text()
    # a notice that concerns every row (e.g. past the year's deadline) is one line, not 8000
    assert dialog.warning_table.rowCount() <= 1

    monkeypatch.setattr(ops, "PROGRESS_DELAY_MS", 0)
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.op.progress_dialog is not None and dialog.op.progress_dialog.isVisible(),
                    timeout=5000)
    qtbot.mouseClick(dialog.op.progress_dialog.cancel_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, dialog)

    assert dialog.summary_label.text() == "已取消导入。数据库没有任何改动。"
    assert learner_count(school_db) == 0


def test_a_survey_sheet_becomes_prospects_not_learners(qtbot, tmp_path, school_db, make_id):
    path = tmp_path / "排摸表.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份证号码", "是否愿意提升学历", "文化程度", "街道/镇"])
    sheet.append(["刘一", make_id(date(1980, 4, 4), serial=11), "愿意", "初中", "大碶街道"])
    sheet.append(["陈二", make_id(date(1982, 5, 5), serial=12), "待定", "小学", "新碶街道"])
    sheet.append(["杨三", make_id(date(1984, 6, 6), serial=13), "也许吧", "初中", "大碶街道"])
    workbook.save(path)

    dialog = ImportDialog(school_db.engine, "survey")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "导入排摸表"
    dialog.set_file(path)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, dialog)
    assert "将新增 2 人，未通过 1 行" in dialog.summary_label.text()
    assert table_column(dialog.rejected_table, 0) == ["4"]
    with read_session(school_db.engine) as session:
        assert survey.list_prospects(session) == []

    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    wait_op(qtbot, dialog)
    assert "已新增 2 人，未通过 1 行" in dialog.summary_label.text()
    with read_session(school_db.engine) as session:
        assert sorted(p.name for p in survey.list_prospects(session)) == ["刘一", "陈二"]
    assert learner_count(school_db) == 0
