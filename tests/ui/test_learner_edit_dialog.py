"""修改学员信息: opened from the learner list (修改…) or the learner's page, saved in the background, refused when
someone saved in between."""
from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtCore import Qt

from adultschool.db import read_session, unit_of_work
from adultschool.models import Learner
from adultschool.services import learner_edit
from adultschool.services.learner_edit import STALE_MESSAGE, LearnerChanges
from adultschool.ui.learner_edit_dialog import LearnerEditDialog
from adultschool.ui.learners_page import LearnersPage

pytestmark = pytest.mark.gui


def learner(database, student_number: str) -> Learner:
    with read_session(database.engine) as session:
        found = session.get(Learner, learner_edit.find_learner_id(session, student_number))
        session.expunge(found)
        return found


@pytest.fixture
def page(qtbot, school_db, enrol):
    enrol(school_db, "陈堃", serial=1)
    enrol(school_db, "王喆", serial=2)
    widget = LearnersPage(school_db.engine)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2)
    return widget


def closed(dialog: LearnerEditDialog) -> bool:
    """Closed (the page opens it with WA_DeleteOnClose, so it may be gone already)."""
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def open_row(qtbot, page: LearnersPage, row: int) -> LearnerEditDialog:
    index = page.model.index(row, 1)
    page.table.scrollTo(index)
    rect = page.table.visualRect(index)
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.edit_dialog is not None and page.edit_dialog.isVisible())
    return page.edit_dialog


def test_the_edit_button_opens_the_form_filled_and_saving_updates_the_list(qtbot, page, school_db, type_text, wait_ops):
    dialog = open_row(qtbot, page, 1)
    number = page.model.row_at(1).student_number
    assert dialog.name_edit.text() == page.model.row_at(1).name == "王喆"
    assert "*" in dialog.who_label.text() and number in dialog.who_label.text()
    dialog.name_edit.clear()
    type_text(dialog.name_edit, "王 喆喆")
    type_text(dialog.phone_edit, "0574-8612 3456")
    dialog.township_combo.setCurrentIndex(dialog.township_combo.findText("新碶街道"))
    type_text(dialog.address_edit, "新碶街道明州路8号")
    qtbot.keyClick(dialog.address_edit, Qt.Key.Key_Return)  # Enter saves
    wait_ops()
    assert dialog.result_edited.changed == ("name", "phone", "address", "township") and closed(dialog)
    saved = learner(school_db, number)
    assert (saved.name, saved.phone, saved.address) == ("王喆喆", "0574-86123456", "新碶街道明州路8号")
    qtbot.waitUntil(lambda: any(page.model.row_at(r).name == "王喆喆" for r in range(page.model.rowCount())))


def test_a_phone_the_registration_would_refuse_is_shown_under_the_field_and_nothing_is_saved(qtbot, page, school_db,
                                                                                            type_text, wait_ops):
    page.table.selectRow(0)
    dialog = page.edit_selected()
    qtbot.waitExposed(dialog)
    type_text(dialog.phone_edit, "138")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_ops()
    assert dialog.isVisible() and "无法识别" in dialog.field_message("phone")
    assert learner(school_db, page.model.row_at(0).student_number).version == dialog.loaded.version


def test_when_someone_saved_the_learner_meanwhile_the_save_is_refused_and_reload_shows_their_change(
        qtbot, page, school_db, type_text, wait_ops):
    page.table.selectRow(0)
    dialog = page.edit_selected()
    qtbot.waitExposed(dialog)
    number = page.model.row_at(0).student_number
    opened_version = dialog.loaded.version
    # Another PC (or another window) saves the same learner after this dialog was opened.
    with unit_of_work(school_db.engine) as session:
        learner_edit.update_learner(session, dialog.learner_id, opened_version, LearnerChanges(job="焊工"), "li")
    type_text(dialog.job_edit, "电工")
    type_text(dialog.employer_edit, "宁波某厂")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_ops()
    assert dialog.isVisible() and dialog.general_message.text() == STALE_MESSAGE
    assert not dialog.ok_button.isEnabled() and dialog.reload_button.isVisible()
    saved = learner(school_db, number)
    assert (saved.job, saved.employer, saved.version) == ("焊工", None, opened_version + 1)  # nothing overwritten

    qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    assert dialog.job_edit.text() == "焊工" and dialog.loaded.version == opened_version + 1
    assert dialog.ok_button.isEnabled() and dialog.general_message.text() == ""
    type_text(dialog.employer_edit, "宁波某厂")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_ops()
    saved = learner(school_db, number)
    assert (saved.job, saved.employer) == ("焊工", "宁波某厂") and closed(dialog)


def test_escape_closes_without_saving(qtbot, page, school_db, type_text):
    page.table.selectRow(0)
    dialog = page.edit_selected()
    qtbot.waitExposed(dialog)
    type_text(dialog.job_edit, "电工")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert closed(dialog)
    assert learner(school_db, page.model.row_at(0).student_number).job is None
