"""登记学员 with an ID card reader (the stand-in library): the card fills the form while the dialog is open, the
clerk checks and saves, and what the reader says (no card, lift it, no reader) shows in words."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from adultschool import paths
from adultschool.db import read_session
from adultschool.idreader import Family, Mode, ReaderConfig
from adultschool.models import Learner
from adultschool.services import card_reader
from adultschool.ui.registration_dialog import RegistrationDialog
from standinlib import CARD_ADDRESS, CARD_ID, card, standin  # noqa: F401 - fixtures

pytestmark = pytest.mark.gui


@pytest.fixture
def reader(standin):
    paths.set_local_setting(card_reader.SETTING, ReaderConfig(str(standin), Family.SDT, 1002, Mode.DIRECT).as_json())


def _open(qtbot, school_db) -> RegistrationDialog:
    dlg = RegistrationDialog(school_db.engine)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def test_without_a_reader_the_dialog_has_no_card_button(qtbot, school_db):
    dlg = _open(qtbot, school_db)
    assert not dlg.card_button.isVisible() and not dlg.card_timer.isActive()


def test_a_card_on_the_reader_fills_the_form_and_the_clerk_saves_it(qtbot, school_db, reader, card, wait_ops):
    dlg = _open(qtbot, school_db)
    assert dlg.card_button.isVisible() and dlg.card_timer.isActive()
    qtbot.waitUntil(lambda: dlg.id_edit.text() == CARD_ID, timeout=10_000)
    assert dlg.name_edit.text() == "葛晓燕" and dlg.gender_label.text() == "女"
    assert dlg.birth_label.text() == "1991-07-09" and dlg.household_edit.text() == CARD_ADDRESS
    assert "已读入 葛晓燕" in dlg.card_label.text() and CARD_ID not in dlg.card_label.text()
    # The same card still on the reader does not undo what the clerk corrects.
    dlg.household_edit.setText("浙江省宁波市北仑区")
    dlg.read_card(quiet=True)
    wait_ops()
    assert dlg.household_edit.text() == "浙江省宁波市北仑区"
    dlg.level_combo.setCurrentIndex(dlg.level_combo.findText("高中"))
    dlg.township_combo.setCurrentIndex(dlg.township_combo.findText("大碶街道"))
    qtbot.waitUntil(dlg.ok_button.isEnabled, timeout=5000)
    dlg.card_timer.stop()
    wait_ops()
    dlg.submit()
    wait_ops()
    with read_session(school_db.engine) as session:
        learner = session.execute(select(Learner).where(Learner.id_number == CARD_ID)).scalar_one()
        assert (learner.name, learner.household_location) == ("葛晓燕", "浙江省宁波市北仑区")


@pytest.mark.parametrize(("state", "words", "polling"), [
    ({"card": "absent"}, "请把身份证放在读卡器上", True),
    ({"card": "misread"}, "请把身份证拿开再放一次", True),
    ({"reader": "absent"}, "未检测到读卡器", False),
])
def test_what_the_reader_says_is_shown_under_the_form(qtbot, school_db, reader, card, wait_ops, state, words, polling):
    card(**state)
    dlg = _open(qtbot, school_db)
    dlg.card_timer.stop()
    wait_ops()
    dlg.read_card()
    wait_ops()
    assert words in dlg.card_label.text() and dlg.name_edit.text() == ""
    assert dlg.card_timer.isActive() is polling


def test_the_next_card_after_the_first_is_taken_away_fills_the_form_again(qtbot, school_db, reader, card, wait_ops,
                                                                          make_id):
    from datetime import date

    dlg = _open(qtbot, school_db)
    qtbot.waitUntil(lambda: dlg.id_edit.text() == CARD_ID, timeout=10_000)
    card(card="absent")
    qtbot.waitUntil(lambda: dlg.card_number is None, timeout=10_000)
    other = make_id(date(1980, 1, 2), male=True)
    card(id=other, name="林犇", sex="1", birth="19800102")
    qtbot.waitUntil(lambda: dlg.id_edit.text() == other, timeout=10_000)
    assert dlg.name_edit.text() == "林犇"
    dlg.card_timer.stop()
    wait_ops()


def test_the_reader_is_set_up_and_tried_in_the_settings(qtbot, school_db, standin, card, wait_ops):
    from adultschool.services import site
    from adultschool.ui.settings_dialog import SettingsDialog

    with read_session(school_db.engine) as session:
        info = site.get_site(session)
    dialog = SettingsDialog(school_db, info)
    qtbot.addWidget(dialog)
    tab = dialog.card_reader_tab
    assert "还没有设置读卡器" in tab.message.text()
    tab.library_edit.setText(str(standin))
    tab.family_combo.setCurrentIndex(tab.family_combo.findData("cvr"))
    tab.test()
    wait_ops()
    assert "读卡成功（端口 1002）" in tab.message.text() and "姓名：葛晓燕" in tab.message.text()
    assert tab.port_combo.currentData() == 1002  # the port the scan found is kept
    assert CARD_ID not in tab.message.text()
    tab.save()
    wait_ops()
    saved = card_reader.reader_config()
    assert (saved.library, saved.family.value, saved.port) == (str(standin), "cvr", 1002)
    tab.library_edit.setText("")
    tab.save()
    assert "请选择读卡器厂家提供的驱动文件" in tab.message.text()
    assert card_reader.reader_config() == saved


def test_the_settings_try_the_card_on_the_windows_day(qtbot, school_db, standin, card, wait_ops):
    """The stand-in's card is valid until 1 January 2040: on a window's day after it, the trial read says it has
    expired, whatever the clock says."""
    from datetime import date

    from adultschool.services import site
    from adultschool.ui.settings_dialog import SettingsDialog

    with read_session(school_db.engine) as session:
        info = site.get_site(session)
    dialog = SettingsDialog(school_db, info, today=lambda: date(2040, 6, 1))
    qtbot.addWidget(dialog)
    tab = dialog.card_reader_tab
    tab.library_edit.setText(str(standin))
    tab.family_combo.setCurrentIndex(tab.family_combo.findData("cvr"))
    tab.test()
    wait_ops()
    assert "读卡成功（端口 1002）" in tab.message.text()
    assert "这张证件已于 2040-01-01 过期" in tab.message.text()


@pytest.fixture
def reader_with_photos(standin):
    """The stand-in also plays the vendor's WltRS.dll (GetBmp)."""
    paths.set_local_setting(card_reader.SETTING, ReaderConfig(str(standin), Family.SDT, 1002, Mode.DIRECT,
                                                              photo_decoder=str(standin)).as_json())


def _fill_and_save(qtbot, dlg, wait_ops) -> None:
    qtbot.waitUntil(lambda: dlg.id_edit.text() == CARD_ID, timeout=10_000)
    dlg.level_combo.setCurrentIndex(dlg.level_combo.findText("高中"))
    dlg.township_combo.setCurrentIndex(dlg.township_combo.findText("大碶街道"))
    qtbot.waitUntil(dlg.ok_button.isEnabled, timeout=5000)
    dlg.card_timer.stop()
    wait_ops()
    dlg.submit()
    wait_ops()


def _photo_of(school_db):
    from adultschool.models import LearnerPhoto

    with read_session(school_db.engine) as session:
        learner = session.execute(select(Learner).where(Learner.id_number == CARD_ID)).scalar_one()
        photo = session.execute(select(LearnerPhoto).where(LearnerPhoto.learner_id == learner.id)).scalar()
        return (learner.consent_photo, photo.source, photo.jpeg[:3]) if photo else (learner.consent_photo, None, None)


def test_the_card_photo_is_kept_only_when_the_clerk_ticks_it(qtbot, school_db, reader_with_photos, card, wait_ops):
    dlg = _open(qtbot, school_db)
    qtbot.waitUntil(dlg.card_photo_check.isEnabled, timeout=10_000)
    assert not dlg.card_photo_check.isChecked() and "证件照片已读出" in dlg.card_label.text()
    dlg.card_photo_check.setChecked(True)
    assert dlg.consent_photo_check.isChecked()  # using the photo is the person's consent to it, shown and saved
    _fill_and_save(qtbot, dlg, wait_ops)
    consent, source, jpeg = _photo_of(school_db)
    assert consent is True and source == "身份证读卡器" and jpeg == b"\xff\xd8\xff"  # a JPEG, not the card's WLT


def test_an_unticked_card_photo_is_not_kept(qtbot, school_db, reader_with_photos, card, wait_ops):
    dlg = _open(qtbot, school_db)
    qtbot.waitUntil(dlg.card_photo_check.isEnabled, timeout=10_000)
    _fill_and_save(qtbot, dlg, wait_ops)
    assert _photo_of(school_db)[1:] == (None, None)


def test_a_photo_the_decoder_refuses_leaves_the_text_and_says_why(qtbot, school_db, reader_with_photos, card,
                                                                 wait_ops):
    card(photo="bad")
    dlg = _open(qtbot, school_db)
    qtbot.waitUntil(lambda: dlg.id_edit.text() == CARD_ID, timeout=10_000)
    assert not dlg.card_photo_check.isEnabled()
    assert "照片没有解码" in dlg.card_label.text() and "-4" in dlg.card_label.text()
