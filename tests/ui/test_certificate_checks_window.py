"""证书查验 with a scanner, 设置 → 证书 with its preview, 套打校准, and a learner's photo, in the window."""
from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from sqlalchemy import select

from adultschool.db import read_session, unit_of_work
from adultschool.models import Certificate, LearnerPhoto, Level
from adultschool.services import certificate_settings
from adultschool.ui.certificate_settings_tab import CertificateTab
from adultschool.ui.layout_dialog import LayoutDialog
from adultschool.ui.learner_edit_dialog import LearnerEditDialog
from adultschool.ui.verify_page import VerifyPage

pytestmark = pytest.mark.gui


def show(qtbot, widget):
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def window(qtbot, demo_db):
    from adultschool.ui.main_window import MainWindow

    return show(qtbot, MainWindow(demo_db))


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (500, 640), (40, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


def test_a_scanned_code_and_enter_answer_at_once_and_the_field_waits_for_the_next(qtbot, school_db, graduates, wait_ops):
    with read_session(school_db.engine) as session:
        number, code = session.execute(select(Certificate.number, Certificate.check_code)).first()
    page = show(qtbot, VerifyPage(school_db.engine))
    qtbot.keyClicks(page.input, f"ASCERT|{number}|{code}")
    qtbot.keyClick(page.input, Qt.Key.Key_Return)  # what a USB scanner sends after the payload
    wait_ops()
    assert page.verdict_label.text() == "真实有效" and page.last.genuine
    assert "持证人" in page.holder_label.text() and "****" in page.holder_label.text()
    assert page.input.text() == "" and page.input.hasFocus()
    qtbot.keyClicks(page.input, f"{number} AAAAAAAA")
    qtbot.keyClick(page.input, Qt.Key.Key_Return)
    wait_ops()
    assert page.verdict_label.text() == "查验码不符" and page.history.count() == 2


def test_the_certificate_settings_preview_and_save_the_issuer_per_level(qtbot, type_text, school_db, wait_ops):
    tab = show(qtbot, CertificateTab(school_db.engine))
    assert tab.title_edit.text() == "毕业证书" and tab.issuer_edit.text() == ""
    assert tab.preview.pixmap() is not None and not tab.preview.pixmap().isNull()  # drawn with a placeholder issuer
    type_text(tab.issuer_edit, "宁波市成人“双证制”教育培训领导小组办公室")
    tab.body_edit.setPlainText("{名字}准予毕业")
    assert not tab.render_preview() and "不认识的占位符" in tab.message.text()
    tab.body_edit.setPlainText("")
    assert tab.render_preview()
    tab.save()
    wait_ops()
    with read_session(school_db.engine) as session:
        assert certificate_settings.wording(session, Level.SENIOR).issuer == "宁波市成人“双证制”教育培训领导小组办公室"
        assert certificate_settings.wording(session, Level.JUNIOR).issuer == ""
    tab.level_combo.setCurrentIndex(tab.level_combo.findData(Level.JUNIOR))
    assert tab.issuer_edit.text() == ""


def test_a_printers_calibration_is_saved_on_this_pc_and_its_page_made(qtbot, school_db, tmp_path, wait_ops):
    dialog = show(qtbot, LayoutDialog(school_db.engine, folder=tmp_path))
    dialog.name_combo.setEditText("办公室 EPSON")
    dialog.x_spin.setValue(2.5)
    dialog.y_spin.setValue(-1.0)
    dialog.print_calibration(open_it=False)
    wait_ops()
    assert dialog.calibration_path.is_file()
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    layout = certificate_settings.print_layouts()["办公室 EPSON"]
    assert (layout.offset_x_mm, layout.offset_y_mm, layout.scale) == (2.5, -1.0, 1.0)


def test_a_photo_is_chosen_on_the_learners_page_and_saved_at_once(qtbot, school_db, enrol, tmp_path, wait_ops):
    number = enrol(school_db, "陈堃")
    picture = tmp_path / "陈堃.jpg"
    picture.write_bytes(jpeg())
    dialog = show(qtbot, LearnerEditDialog.for_student_number(school_db.engine, number))
    assert dialog.photo_label.text() == "（没有照片）"
    dialog.choose_photo(picture)
    wait_ops()
    assert dialog.field_message("photo") == "照片已保存。" and not dialog.photo_label.pixmap().isNull()
    with read_session(school_db.engine) as session:
        assert session.execute(select(LearnerPhoto.width, LearnerPhoto.height)).one() == (358, 441)


def test_photos_are_imported_from_the_window_and_the_result_is_told(qtbot, window, wait_ops, tmp_path):
    from adultschool.models import Learner

    with read_session(window.engine) as session:
        id_number = session.execute(select(Learner.id_number)).scalars().first()
    archive = tmp_path / "照片.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"{id_number}.jpg", jpeg())
        zipped.writestr("合影.jpg", jpeg())
    window.import_photos(archive)
    wait_ops()
    assert "新增照片 1 张" in window.dialog.text() and "未匹配：合影.jpg" in window.dialog.text()
    with unit_of_work(window.engine) as session:
        assert session.execute(select(LearnerPhoto.id)).scalar() is not None
