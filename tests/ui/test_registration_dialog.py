"""登记学员: live validation as the clerk types, and what happens on 确定."""
from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pytest
from PySide6.QtCore import Qt

from sqlalchemy import func, select

from adultschool.db import read_session, unit_of_work
from adultschool.models import Enrolment, SurveyContact
from adultschool.services import learners, registration, survey
from adultschool.services.learners import LearnerFilter
from adultschool.services.rules import load_rules
from adultschool.ui.learner_model import LearnerTableModel
from adultschool.ui.registration_dialog import RegistrationDialog
from testclock import TODAY

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(qtbot, school_db):
    dlg = RegistrationDialog(school_db.engine)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def choose_level(dlg: RegistrationDialog, label: str) -> None:
    dlg.level_combo.setCurrentIndex(dlg.level_combo.findText(label))


def fill_valid(type_text, dlg: RegistrationDialog, name: str, id_number: str, level: str = "高中") -> None:
    type_text(dlg.name_edit, name)
    type_text(dlg.id_edit, id_number)
    choose_level(dlg, level)
    type_text(dlg.phone_edit, "13805741234")
    dlg.township_combo.setCurrentIndex(dlg.township_combo.findText("大碶街道"))


def test_a_fresh_form_lists_what_is_missing_without_red_messages(dialog):
    assert dialog.pending_label.text() == "还需填写：姓名、身份证号码、学历提升层次"
    assert all(dialog.field_message(field) == "" or dialog.messages[field].kind != "error"
               for field in dialog.messages)
    assert not dialog.ok_button.isEnabled()
    assert dialog.ok_button.text() == "确定"
    assert dialog.cancel_button.text() == "取消"
    assert dialog.date_edit.date().toString("yyyy-MM-dd") == TODAY.isoformat()


def test_typing_a_valid_id_fills_birth_date_gender_and_age(qtbot, type_text, dialog, make_id):
    birth = date(1990, 5, 17)
    type_text(dialog.id_edit, make_id(birth, male=False))

    assert dialog.birth_label.text() == "1990-05-17"
    assert dialog.gender_label.text() == "女"
    expected_age = TODAY.year - 1990 - ((TODAY.month, TODAY.day) < (5, 17))
    assert dialog.age_label.text() == f"{expected_age} 周岁"
    assert dialog.field_message("id_number") == ""


def test_an_id_typed_with_a_chinese_ime_in_full_width_digits_is_understood(qtbot, type_text, dialog, make_id):
    number = make_id(date(1985, 1, 9), male=True)
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    type_text(dialog.id_edit, full_width)

    assert dialog.birth_label.text() == "1985-01-09"
    assert dialog.gender_label.text() == "男"
    assert dialog.field_message("id_number") == ""


def test_an_invalid_id_shows_the_error_beside_the_id_field_and_disables_ok(qtbot, type_text, dialog, make_id):
    good = make_id(date(1990, 5, 17))
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    fill_valid(type_text, dialog, "王小明", wrong_check)

    assert "校验不通过" in dialog.field_message("id_number")
    assert dialog.messages["id_number"].kind == "error"
    assert dialog.birth_label.text() == "—"
    assert not dialog.ok_button.isEnabled()
    # the other fields are fine, so nothing else is red
    assert dialog.field_message("name") == ""
    assert dialog.field_message("level") == ""


def test_a_short_id_says_how_many_characters_are_there(qtbot, type_text, dialog):
    type_text(dialog.id_edit, "3302061990")
    assert "应为18位，现在有 10 个字符" in dialog.field_message("id_number")


def test_a_61_year_old_on_the_registration_day_is_refused_with_the_age_message(qtbot, type_text, dialog, make_id, years_ago):
    fill_valid(type_text, dialog, "李大伯", make_id(years_ago(61)))

    message = dialog.field_message("id_number")
    assert "年龄 61 周岁" in message
    assert "18–60" in message
    assert dialog.age_label.text() == "61 周岁"
    assert not dialog.ok_button.isEnabled()


def test_the_two_consents_ticked_at_the_desk_are_recorded_with_the_notice_and_day(qtbot, type_text, dialog, school_db,
                                                                                    make_id):
    from adultschool.models import Learner
    from adultschool.services import privacy

    fill_valid(type_text, dialog, "陈堃", make_id(date(1988, 3, 2)))
    dialog.consent_id_check.setChecked(True)  # the photo box left empty: no consent to the photo
    with qtbot.waitSignal(dialog.registered, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    with read_session(school_db.engine) as session:
        consent = session.execute(select(Learner.consent_notice, Learner.consent_on, Learner.consent_id_number,
                                         Learner.consent_photo).where(Learner.name == "陈堃")).one()
    assert tuple(consent) == (privacy.NOTICE_VERSION, to_day(dialog), True, False)


def to_day(dlg):
    from adultschool.ui.common import to_date

    return to_date(dlg.date_edit.date())


def test_a_survey_contact_matched_by_a_registration_is_matched_on_the_forms_day(qtbot, type_text, school_db, make_id,
                                                                               tmp_path):
    """The survey knew 陈堃 by name and phone only; registering him in a window whose day is a week after the clock's
    matches the contact on that day."""
    book = openpyxl.Workbook()
    book.active.append(["姓名", "联系电话", "街道", "年龄", "是否有学历提升意愿"])
    book.active.append(["陈堃", "13805741234", "大碶街道", 38, "愿意"])
    book.save(tmp_path / "排摸.xlsx")
    with unit_of_work(school_db.engine) as session:
        survey.import_survey(session, tmp_path / "排摸.xlsx", actor="test", surveyed_on=TODAY)
    window_day = TODAY + timedelta(days=7)
    dialog = RegistrationDialog(school_db.engine, today=lambda: window_day)
    qtbot.addWidget(dialog)
    dialog.show()
    fill_valid(type_text, dialog, "陈堃", make_id(date(1988, 3, 2)))
    with qtbot.waitSignal(dialog.registered, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    with read_session(school_db.engine) as session:
        [(learner_id, matched_on)] = session.execute(select(SurveyContact.learner_id, SurveyContact.matched_on)).all()
    assert learner_id is not None and matched_on == window_day


def test_accepting_registers_a_learner_who_then_appears_in_the_learner_model(qtbot, type_text, dialog, school_db, make_id):
    model = LearnerTableModel(school_db.engine)
    model.refresh()
    before = model.total
    fill_valid(type_text, dialog, "陈堃", make_id(date(1988, 3, 2)))
    assert dialog.ok_button.isEnabled()

    with qtbot.waitSignal(dialog.registered, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    registered = blocker.args[0]

    assert not dialog.isVisible()
    assert registered.student_number.startswith("330206-01-")
    assert registered.student_number in dialog.result_box.text()
    assert "陈堃" in dialog.result_box.text()
    model.refresh()
    assert model.total == before + 1
    shown = [(row.student_number, row.name, row.id_number) for row in model.loaded_rows()]
    assert (registered.student_number, "陈堃", "330206********" + make_id(date(1988, 3, 2))[-4:]) in shown


def test_enter_submits_and_escape_cancels(qtbot, type_text, school_db, make_id):
    dlg = RegistrationDialog(school_db.engine)
    qtbot.addWidget(dlg)
    dlg.show()
    fill_valid(type_text, dlg, "赵喆", make_id(date(1992, 7, 1)))
    with qtbot.waitSignal(dlg.registered, timeout=10_000):
        qtbot.keyClick(dlg.phone_edit, Qt.Key.Key_Return)
    with read_session(school_db.engine) as session:
        assert learners.count_learners(session, LearnerFilter(search="赵喆")) == 1

    other = RegistrationDialog(school_db.engine)
    qtbot.addWidget(other)
    other.show()
    type_text(other.name_edit, "钱多多")
    qtbot.keyClick(other.name_edit, Qt.Key.Key_Escape)
    box = other.discard_box  # a filled form asks before it is thrown away; Enter or Esc keeps it
    assert box is not None and box.isVisible() and "“钱多多”的登记表已填写但还没有保存" in box.text()
    assert box.defaultButton().text() == "继续填写"
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert other.isVisible() and other.name_edit.text() == "钱多多"
    qtbot.keyClick(other.name_edit, Qt.Key.Key_Escape)
    box = other.discard_box
    discard = next(b for b in box.buttons() if b.text() == "放弃并关闭")
    qtbot.mouseClick(discard, Qt.MouseButton.LeftButton)
    assert not other.isVisible()
    with read_session(school_db.engine) as session:
        assert learners.count_learners(session, LearnerFilter(search="钱多多")) == 0


def _register_directly(database, name: str, id_number: str, level: str) -> None:
    with unit_of_work(database.engine) as session:
        rules = load_rules(session)
        data = registration.RegistrationInput(township="大碶街道", name=name, id_number=id_number, level=level, registered_on=TODAY)
        registration.register_one(session, data, rules, actor="另一台电脑")


def test_a_duplicate_at_the_same_level_is_refused_beside_the_level_field(qtbot, type_text, dialog, school_db, make_id):
    number = make_id(date(1979, 11, 30))
    _register_directly(school_db, "孙赟", number, "高中")

    fill_valid(type_text, dialog, "孙赟", number, level="高中")

    assert "此人已在读高中" in dialog.field_message("level")
    assert "同一层次不能重复报名" in dialog.field_message("level")
    assert not dialog.ok_button.isEnabled()
    choose_level(dialog, "初中")  # the other level is allowed
    assert dialog.field_message("level") == ""
    assert dialog.ok_button.isEnabled()


def test_a_refusal_on_ok_is_shown_beside_its_field_and_nothing_is_written(qtbot, type_text, dialog, school_db, make_id):
    number = make_id(date(1983, 6, 6))
    fill_valid(type_text, dialog, "周犇", number, level="高中")
    assert dialog.ok_button.isEnabled()
    _register_directly(school_db, "周犇", number, "高中")  # meanwhile, on another PC

    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)

    assert dialog.isVisible()
    assert "同一层次不能重复报名" in dialog.field_message("level")
    assert not dialog.ok_button.isEnabled()
    with read_session(school_db.engine) as session:
        assert learners.count_learners(session, LearnerFilter(search="周犇")) == 1


def test_an_id_held_by_someone_else_is_refused_beside_the_id_field(qtbot, type_text, dialog, school_db, make_id):
    number = make_id(date(1991, 2, 14))
    _register_directly(school_db, "吴芳", number, "初中")
    fill_valid(type_text, dialog, "吴方", number, level="高中")
    assert "已登记在“吴*”名下" in dialog.field_message("id_number")
    assert not dialog.ok_button.isEnabled()


def test_a_wrong_phone_number_is_shown_beside_the_phone_field(qtbot, type_text, dialog, make_id):
    type_text(dialog.name_edit, "郑佳")
    type_text(dialog.id_edit, make_id(date(1995, 9, 9)))
    choose_level(dialog, "初中")
    type_text(dialog.phone_edit, "12345")
    assert dialog.field_message("phone") != ""
    assert not dialog.ok_button.isEnabled()
    dialog.phone_edit.clear()
    type_text(dialog.phone_edit, "13905741234")
    assert dialog.field_message("phone") == ""
    assert dialog.ok_button.isEnabled()


def test_the_township_list_comes_from_the_database_and_nothing_is_chosen_for_the_clerk(dialog):
    names = [dialog.township_combo.itemText(i) for i in range(dialog.township_combo.count())]
    assert names == ["大碶街道", "新碶街道"]
    assert dialog.township_combo.currentIndex() == -1 and dialog.township_combo.placeholderText() == "请选择"


def test_a_school_with_two_townships_refuses_a_registration_without_one_beside_the_field(
        qtbot, type_text, dialog, school_db, make_id):
    fill_valid(type_text, dialog, "陈堃", make_id(date(1990, 5, 17)))
    dialog.township_combo.setCurrentIndex(-1)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "没有填写街道/镇" in dialog.field_message("township"), timeout=10_000)
    assert "大碶街道、新碶街道" in dialog.field_message("township")
    with read_session(school_db.engine) as session:
        assert session.execute(select(func.count()).select_from(Enrolment)).scalar_one() == 0


def test_a_school_with_one_township_chooses_it(qtbot, tmp_path):
    from adultschool.db import open_database
    from adultschool.models.enums import SiteKind
    from adultschool.services import site

    database = open_database(tmp_path / "one.sqlite3", create=True)
    with unit_of_work(database.engine) as session:
        site.initialise(session, kind=SiteKind.SCHOOL, code="330206-03", name="柴桥成校", townships=["柴桥街道"], actor="t")
    one = RegistrationDialog(database.engine)
    qtbot.addWidget(one)
    assert (one.township_combo.count(), one.township_combo.currentText()) == (1, "柴桥街道")
    one.close()
    database.close()


def test_escape_on_an_untouched_form_closes_it_without_asking(qtbot, dialog):
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.discard_box is None
