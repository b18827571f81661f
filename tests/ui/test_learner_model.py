"""The 学员 page over a school of a few thousand learners: lazy pages, SQL search, sort and filters."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from adultschool import pinyin
from adultschool.db import read_session
from adultschool.models.enums import Level
from adultschool.services import learners
from adultschool.services.learners import LearnerFilter
from adultschool.ui import learner_model
from adultschool.ui.learner_model import HEADERS, PAGE_SIZE, LearnerTableModel
from adultschool.ui.learners_page import LearnersPage

pytestmark = pytest.mark.gui

DEMO_LEARNERS = 3000  # conftest.DEMO_LEARNERS; checked by test_the_demo_school_has_the_expected_size


@pytest.fixture
def page(qtbot, demo_db):
    widget = LearnersPage(demo_db.engine)
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def column_texts(model: LearnerTableModel, header: str) -> list[str]:
    column = HEADERS.index(header)
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_the_demo_school_has_the_expected_size(demo_size):
    assert demo_size == DEMO_LEARNERS


def test_columns_are_the_ones_a_clerk_expects(demo_db):
    model = LearnerTableModel(demo_db.engine)
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles == ["学籍号", "姓名", "性别", "身份证号码", "层次", "状态", "报名日期", "街道/镇", "联系电话"]


def test_the_first_fetch_loads_one_page_of_200_and_more_can_be_fetched(demo_db):
    model = LearnerTableModel(demo_db.engine)
    model.refresh()

    assert model.total == DEMO_LEARNERS
    assert model.rowCount() == PAGE_SIZE == 200
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 400
    numbers = column_texts(model, "学籍号")
    assert numbers == sorted(numbers) and len(set(numbers)) == 400


def test_id_numbers_and_phones_are_masked(demo_db):
    model = LearnerTableModel(demo_db.engine)
    model.refresh()
    assert all(text[6:14] == "********" for text in column_texts(model, "身份证号码"))
    assert all("****" in text for text in column_texts(model, "联系电话"))
    assert set(column_texts(model, "性别")) <= {"男", "女"}
    assert set(column_texts(model, "层次")) <= {"初中", "高中"}
    assert set(column_texts(model, "状态")) == {"在读"}


def test_every_fetch_asks_the_service_for_one_page_only(demo_db, monkeypatch):
    limits = []
    real = learner_model.list_learners

    def recording(*args, **kwargs):
        limits.append(kwargs.get("limit"))
        return real(*args, **kwargs)

    monkeypatch.setattr(learner_model, "list_learners", recording)
    model = LearnerTableModel(demo_db.engine)
    model.refresh()
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == DEMO_LEARNERS
    assert limits and set(limits) == {PAGE_SIZE}


def test_the_page_shows_the_total_while_holding_only_what_was_scrolled_to(qtbot, page):
    assert page.count_label.text() == f"共 {DEMO_LEARNERS} 人"
    assert page.model.rowCount() < DEMO_LEARNERS

    bar = page.table.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: page.model.rowCount() >= 2 * PAGE_SIZE, timeout=5000)
    assert page.model.rowCount() < DEMO_LEARNERS


def test_search_narrows_the_count_after_a_short_pause(qtbot, type_text, page, demo_db):
    first = page.model.row_at(0)
    surname = first.name[0]
    with read_session(demo_db.engine) as session:
        expected = learners.count_learners(session, LearnerFilter(search=surname))
    assert 0 < expected < DEMO_LEARNERS

    type_text(page.search_edit, surname)
    assert page.count_label.text() == f"共 {DEMO_LEARNERS} 人"  # debounced: not yet
    qtbot.waitUntil(lambda: page.count_label.text() == f"共 {expected} 人", timeout=3000)
    assert all(surname in name for name in column_texts(page.model, "姓名"))


def test_search_by_student_number_finds_the_one_learner(qtbot, type_text, page):
    number = page.model.row_at(5).student_number
    type_text(page.search_edit, number)
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)  # Enter searches at once
    assert page.count_label.text() == "共 1 人"
    assert column_texts(page.model, "学籍号") == [number]


def test_pinyin_initials_typed_in_the_search_find_the_learner_and_the_hint_says_so(qtbot, page, demo_db):
    assert "拼音" in page.search_edit.placeholderText() and "zw" in page.search_edit.toolTip()
    first = page.model.row_at(0).name
    initials = pinyin.person_name(first).initials
    with read_session(demo_db.engine) as session:
        expected = learners.count_learners(session, LearnerFilter(search=initials))
    assert 1 <= expected < DEMO_LEARNERS
    qtbot.keyClicks(page.search_edit, initials.upper())
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    assert page.count_label.text() == f"共 {expected} 人"
    names = column_texts(page.model, "姓名")
    assert first in names
    assert all(pinyin.person_name(n).initials.startswith(initials) or initials in pinyin.person_name(n).full
               for n in names)
    page.search_edit.setText("qqqq")
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    assert page.count_label.text().startswith("共 0 人：没有符合条件的学员")


def test_clicking_the_name_header_sorts_by_name_in_sql(qtbot, page, demo_db):
    header = page.table.horizontalHeader()
    name_column = HEADERS.index("姓名")
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + _section_centre(header, name_column))

    assert page.model.sort_key == "name"
    with read_session(demo_db.engine) as session:
        expected = [r.name for r in learners.list_learners(session, sort="name", descending=page.model.descending,
                                                           limit=PAGE_SIZE)]
    assert column_texts(page.model, "姓名") == expected
    keys = [pinyin.person_name(name).sort_key for name in expected]  # by pinyin, whichever way the header points
    assert keys == sorted(keys, reverse=page.model.descending)
    assert page.model.rowCount() == PAGE_SIZE  # a re-query, still one page

    page.model.sort(name_column, Qt.SortOrder.DescendingOrder)
    with read_session(demo_db.engine) as session:
        descending = [r.name for r in learners.list_learners(session, sort="name", descending=True, limit=PAGE_SIZE)]
    assert column_texts(page.model, "姓名") == descending


def _section_centre(header, column):
    from PySide6.QtCore import QPoint

    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    return QPoint(x, header.height() // 2)


def test_level_and_township_filters(qtbot, page, demo_db):
    page.level_combo.setCurrentIndex(page.level_combo.findText("初中"))
    with read_session(demo_db.engine) as session:
        juniors = learners.count_learners(session, LearnerFilter(level=Level.JUNIOR))
    assert page.count_label.text() == f"共 {juniors} 人"
    assert set(column_texts(page.model, "层次")) == {"初中"}

    page.township_combo.setCurrentIndex(page.township_combo.findText("演示南街道"))
    assert set(column_texts(page.model, "街道/镇")) == {"演示南街道"}
    assert set(column_texts(page.model, "层次")) == {"初中"}

    page.status_combo.setCurrentIndex(page.status_combo.findText("已毕业"))
    assert page.count_label.text() == "共 0 人：没有符合条件的学员（可改搜索内容，或把层次、状态、街道/镇改回“全部”）"
    assert page.model.rowCount() == 0
    assert not page.empty_hint.isVisible()  # no learners *match*; the school is not empty


def test_ctrl_end_reaches_the_last_learner_and_enter_opens_the_current_one(qtbot, page):
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(0, 0))
    qtbot.keyClick(page.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert page.model.rowCount() == DEMO_LEARNERS and page.table.currentIndex().row() == DEMO_LEARNERS - 1
    last = page.model.row_at(DEMO_LEARNERS - 1).student_number
    qtbot.keyClick(page.table, Qt.Key.Key_Return)  # Enter opens the learner's page (学员档案)
    qtbot.waitUntil(lambda: page.record_dialog.record is not None, timeout=20_000)
    assert page.record_dialog.isVisible() and page.record_dialog.record.student_numbers == (last,)
    page.record_dialog.close()


def test_ctrl_c_copies_the_selected_rows_for_excel_with_id_numbers_kept_as_text(qtbot, page):
    from PySide6.QtGui import QGuiApplication
    from adultschool.ui import table_copy

    table_copy.install()
    page.table.setFocus()
    page.table.selectRow(0)
    page.table.selectionModel().select(page.model.index(2, 0), page.table.selectionModel().SelectionFlag.Select
                                       | page.table.selectionModel().SelectionFlag.Rows)
    qtbot.keyClick(page.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    mime = QGuiApplication.clipboard().mimeData()
    lines = mime.text().splitlines()
    expected = [[page.model.index(row, c).data() or "" for c in range(page.model.columnCount())] for row in (0, 2)]
    assert [line.split("\t") for line in lines] == expected
    assert mime.html().count("<tr>") == 2 and "mso-number-format:'\\@'" in mime.html()
    assert page.model.index(0, HEADERS.index("学籍号")).data() in mime.html()
