"""班级: the classes table, the selected class's learners and sessions, the forms, and a session's roll call."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from adultschool.ui.class_dialogs import AddMembersDialog, NewClassDialog, NewSessionDialog
from adultschool.ui.classes_page import CLASS_HEADERS, ClassesPage
from adultschool.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def row_texts(table, row: int) -> list[str]:
    return [table.item(row, column).text() for column in range(table.columnCount())]


@pytest.fixture
def page(qtbot, school_db, night_class, wait_ops):
    widget = ClassesPage(school_db.engine)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    wait_ops()
    return widget


def test_the_table_shows_each_class_and_the_selected_ones_learners_and_sessions(page, night_class):
    table = page.class_table
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())] == list(CLASS_HEADERS)
    info = night_class["class"]
    assert row_texts(table, 0) == [info.name, "夜校班", "高中", "大碶街道社区学校", "王老师", info.starts_on.isoformat(), "4", "1"]
    assert page.count_label.text() == "共 1 个班"
    names = {page.members_table.item(r, 1).text() for r in range(page.members_table.rowCount())}
    assert names == {"陈堃", "王喆", "李赟", "张犇"}
    assert page.members_box.title() == f"学员（{info.name}，在读 4 人）"
    assert row_texts(page.sessions_table, 0)[:5] == [night_class["session"].held_on.isoformat(), "", "2", "成人高中语文", "第1讲"]


def test_the_buttons_open_the_forms_for_the_selected_class(qtbot, page, night_class, type_text, wait_ops):
    assert isinstance(page.open_add_members(), AddMembersDialog)
    page.dialog.reject()
    assert isinstance(page.open_new_session(), NewSessionDialog)
    page.dialog.reject()

    qtbot.mouseClick(page.new_class_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, NewClassDialog) and dialog.isVisible()
    type_text(dialog.name_edit, "霞浦村班")
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findText("村班"))
    dialog.level_combo.setCurrentIndex(dialog.level_combo.findText("高中"))
    with qtbot.waitSignal(page.changed, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_ops()
    assert page.count_label.text() == "共 2 个班"
    assert page.selected_class().name == "霞浦村班"
    assert page.members_table.rowCount() == 0 and page.sessions_table.rowCount() == 0


def test_double_clicking_a_session_opens_its_roll_call(qtbot, school_db, night_class, wait_ops):
    window = MainWindow(school_db)
    qtbot.addWidget(window)
    window.show()
    window.show_page("班级")
    wait_ops()
    table = window.classes_page.sessions_table
    rect = table.visualItemRect(table.item(0, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.rollcall_page.isVisible()
    assert window.rollcall_page.session_combo.currentData() == night_class["session"].id
    assert window.rollcall_page.model.rowCount() == 4
    # the keyboard is in the list, on the first learner: a key marks at once and moves down
    page = window.rollcall_page
    assert QApplication.focusWidget() is page.table and page.selected_rows() == [0]
    first = page.model.index(0, 1).data()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_1)
    assert page.model.index(0, 2).data().startswith("出勤")  # marked, not yet saved
    assert page.model.index(0, 1).data() == first and page.selected_rows() == [1]
