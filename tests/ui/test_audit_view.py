"""设置 → 审计记录: filters (who, action, dates, text), lazy pages, read-only, and 检查完整性 on an intact and an altered log."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

from adultschool.db import unit_of_work
from adultschool.models import Role
from adultschool.services import accounts, audit, permissions
from adultschool.services.permissions import NotAllowed
from adultschool.ui import common
from adultschool.ui.common import to_qdate
from adultschool.ui.audit_view import PAGE_SIZE, AuditDialog
from testclock import TODAY

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def nobody_signed_in():
    common.set_signed_in(None)
    yield
    common.set_signed_in(None)


@pytest.fixture
def logged(school_db):
    """The school's own entries (site.init, townships) plus a few by two clerks."""
    with unit_of_work(school_db.engine) as session:
        audit.record(session, actor="li", action="learner.register", entity="enrolments", summary="手工登记：登记 1 人",
                     after={"student_numbers": ["330206-01-2026-00001"]})
        audit.record(session, actor="li", action="attendance.save", entity="attendance", summary="2026-03-09 考勤：记录 2 人",
                     before={"7": ["absent", 0.0]}, after={"7": ["present", 2.0]})
        audit.record(session, actor="zhang", action="rule.set", entity="rules", summary="修改规则“及格分数”",
                     before={"pass_mark": 60}, after={"pass_mark": 70})
    return school_db


def open_view(qtbot, database) -> AuditDialog:
    dialog = AuditDialog(database.engine)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def shown(dialog: AuditDialog) -> list[tuple[str, str]]:
    return [(row.actor, row.action) for row in dialog.model.loaded_rows()]


def test_newest_first_with_time_who_action_what_before_and_after(qtbot, logged):
    dialog = open_view(qtbot, logged)
    model = dialog.model
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())] == \
        ["时间", "账户", "操作", "内容", "改动前", "改动后"]
    assert shown(dialog)[0] == ("zhang", "rule.set")
    first = [model.data(model.index(0, c)) for c in range(6)]
    assert first[1:] == ["zhang", "修改规则", "修改规则“及格分数”", "合格分数：60", "合格分数：70"]
    assert dialog.count_label.text() == f"共 {model.total} 条"
    dialog.table.selectRow(0)
    detail = dialog.detail.toPlainText()
    assert "对象：规则" in detail and "合格分数：60 → 70" in detail and "pass_mark" not in detail


def test_the_detail_names_what_changed_in_chinese_not_table_names_or_codes(qtbot, logged):
    dialog = open_view(qtbot, logged)
    row = next(i for i, r in enumerate(dialog.model.loaded_rows()) if r.action == "attendance.save")
    dialog.table.selectRow(row)
    detail = dialog.detail.toPlainText()
    assert "对象：考勤" in detail and "缺勤，0 → 出勤，2" in detail
    assert "attendance" not in detail and "absent" not in detail
    assert dialog.model.data(dialog.model.index(row, 5)) == "7：出勤，2"


def test_filters_by_who_action_text_and_dates(qtbot, logged):
    dialog = open_view(qtbot, logged)
    dialog.actor_combo.setCurrentIndex(dialog.actor_combo.findData("li"))
    assert shown(dialog) == [("li", "attendance.save"), ("li", "learner.register")]
    dialog.action_combo.setCurrentIndex(dialog.action_combo.findData("attendance.save"))
    assert shown(dialog) == [("li", "attendance.save")]
    assert dialog.action_combo.currentText() == "考勤"
    dialog.actor_combo.setCurrentIndex(0)
    dialog.action_combo.setCurrentIndex(0)
    qtbot.keyClicks(dialog.search_edit, "pass_mark")
    qtbot.waitUntil(lambda: shown(dialog) == [("zhang", "rule.set")], timeout=3000)
    dialog.search_edit.clear()
    dialog.apply_filter()
    everything = dialog.model.total
    today = TODAY
    dialog.since_check.setChecked(True)
    dialog.since_edit.setDate(to_qdate(today + timedelta(days=2)))
    assert dialog.model.total == 0
    dialog.since_edit.setDate(to_qdate(today - timedelta(days=1)))
    assert dialog.model.total == everything
    dialog.since_check.setChecked(False)
    dialog.until_check.setChecked(True)
    dialog.until_edit.setDate(to_qdate(today - timedelta(days=2)))
    assert dialog.model.total == 0
    dialog.until_edit.setDate(to_qdate(today + timedelta(days=1)))
    assert dialog.model.total == everything


def test_the_view_is_read_only(qtbot, logged):
    dialog = open_view(qtbot, logged)
    assert dialog.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    flags = dialog.model.flags(dialog.model.index(0, 3))
    assert not flags & Qt.ItemFlag.ItemIsEditable


def test_a_large_log_is_loaded_a_page_at_a_time(qtbot, school_db):
    with unit_of_work(school_db.engine) as session:
        for number in range(PAGE_SIZE * 2 + 50):
            audit.record(session, actor="li", action="attendance.save", entity="attendance", summary=f"第 {number} 次")
    dialog = open_view(qtbot, school_db)
    model = dialog.model
    assert model.total > PAGE_SIZE * 2 and model.rowCount() == PAGE_SIZE
    model.fetchMore()
    assert model.rowCount() == PAGE_SIZE * 2
    dialog.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == model.total, timeout=5000)


def test_verify_reports_an_intact_log_then_an_altered_one(qtbot, logged, db_path):
    dialog = open_view(qtbot, logged)
    with qtbot.waitSignal(dialog.verify().done, timeout=10_000):
        pass
    assert dialog.verify_label.text().startswith("审计记录完整：共 ")
    connection = sqlite3.connect(db_path)
    connection.execute("UPDATE audit_entries SET summary = '改过' WHERE action = 'attendance.save'")
    connection.commit()
    connection.close()
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "对不上" in dialog.verify_label.text(), timeout=10_000)
    assert "审计记录被改动或删除" in dialog.verify_label.text()


def test_verify_reports_a_cut_tail_that_the_chain_alone_would_miss(qtbot, logged, db_path):
    dialog = open_view(qtbot, logged)
    connection = sqlite3.connect(db_path)
    connection.execute("DELETE FROM audit_entries WHERE id = (SELECT max(id) FROM audit_entries)")
    connection.commit()
    connection.close()
    with qtbot.waitSignal(dialog.verify().done, timeout=10_000):
        pass
    assert dialog.verify_label.text().startswith("审计记录被截短或改写：本机")
    assert "截短" in dialog.verify_label.text()


def test_only_administrators_read_the_log(qtbot, logged):
    with unit_of_work(logged.engine) as session:
        accounts.create_account(session, "boss", "boss-pass", Role.ADMIN, actor="test")
        accounts.create_account(session, "li", "li-pass-1", Role.CLERK, actor="boss")
        common.set_signed_in(permissions.principal(session, "li"))
    with pytest.raises(NotAllowed, match="查看审计记录"):
        AuditDialog(logged.engine)
    with unit_of_work(logged.engine) as session:
        common.set_signed_in(permissions.principal(session, "boss"))
    dialog = open_view(qtbot, logged)
    assert dialog.model.total >= 5
    assert TODAY - timedelta(days=1) <= dialog.model.row_at(0).at.astimezone().date() <= TODAY
