"""导出 Excel… and 打印… on the pages that list things: the file holds what the page shows (the learner list: every
filtered row, not only those loaded), IDs masked unless chosen; the print preview records nothing."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from sqlalchemy import func, select

from adultschool.db import read_session
from adultschool.models import AuditEntry, CertificatePrint, Level
from adultschool.ui.certificates_page import CertificatesPage
from adultschool.ui.classes_page import ClassesPage
from adultschool.ui.exams_page import ExamsPage
from adultschool.ui.learner_model import PAGE_SIZE
from adultschool.ui.learners_page import LearnersPage
from adultschool.ui.pdf_pages import renderer_name
from adultschool.ui.print_dialog import PrintDialog
from adultschool.ui.readiness_page import ReadinessPage
from testclock import TODAY

pytestmark = pytest.mark.gui

needs_renderer = pytest.mark.skipif(renderer_name() is None, reason="no PDF renderer (QtPdf or pypdfium2) installed")


def audit_count(database) -> int:
    with read_session(database.engine) as session:
        return session.execute(select(func.count(AuditEntry.id))).scalar_one()


def reveal_count(database) -> int:
    with read_session(database.engine) as session:
        return session.execute(select(func.count(AuditEntry.id)).where(AuditEntry.action == "id.reveal")).scalar_one()


def save_dialog_answers(monkeypatch, target: Path) -> list[tuple]:
    """The system's 另存为 dialog, answered with `target`; returns what it was asked."""
    asked: list[tuple] = []

    def answer(*args):
        asked.append(args)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    return asked


def click_export(qtbot, output, wait_ops, *, choice: int | None = 0) -> None:
    """Clicks 导出 Excel…; a clerk allowed full IDs gets the menu, where `choice` 0 is the masked list."""
    qtbot.mouseClick(output.export_button, Qt.MouseButton.LeftButton)
    if output.has_ids:
        assert output.export_menu.isVisible()
        output.export_menu.actions()[choice].trigger()
        output.export_menu.hide()
    wait_ops()


def click_print(qtbot, output, wait_ops) -> PrintDialog:
    qtbot.mouseClick(output.print_button, Qt.MouseButton.LeftButton)
    if output.has_ids:
        output.print_menu.actions()[0].trigger()
        output.print_menu.hide()
    dialog = output.dialog
    assert isinstance(dialog, PrintDialog)
    qtbot.waitExposed(dialog)
    wait_ops()
    return dialog


def sheet_rows(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path).active.iter_rows(min_row=3, values_only=True))


# --- 学员 -------------------------------------------------------------------------------------------------------

@pytest.fixture
def learners_page(qtbot, demo_db):
    widget = LearnersPage(demo_db.engine)
    qtbot.addWidget(widget)
    widget.resize(1300, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_learner_export_writes_every_filtered_row_not_only_the_loaded_page(qtbot, learners_page, demo_db, tmp_path,
                                                                           monkeypatch, wait_ops):
    page = learners_page
    page.level_combo.setCurrentIndex(page.level_combo.findText("高中"))
    qtbot.waitUntil(lambda: page.model.learner_filter.level == Level.SENIOR)
    total = page.model.total
    assert total > PAGE_SIZE >= page.model.rowCount()  # more match than the table has loaded
    target = tmp_path / "高中学员.xlsx"
    asked = save_dialog_answers(monkeypatch, target)
    before = audit_count(demo_db)
    click_export(qtbot, page.list_output, wait_ops)

    assert len(asked) == 1 and asked[0][1] == "导出 Excel" and asked[0][3] == "Excel 工作簿 (*.xlsx)"
    rows = sheet_rows(target)
    assert len(rows) == total and {row[4] for row in rows} == {"高中"}
    assert all("********" in row[3] for row in rows)
    assert audit_count(demo_db) == before  # masked, as on screen
    assert "已写入学员名单" in page.list_output.dialog.text()


def test_learner_export_with_full_ids_is_the_menu_choice_and_is_audited(qtbot, learners_page, demo_db, tmp_path,
                                                                        monkeypatch, wait_ops):
    target = tmp_path / "完整.xlsx"
    save_dialog_answers(monkeypatch, target)
    click_export(qtbot, learners_page.list_output, wait_ops, choice=2)  # 完整身份证号码，不加密
    rows = sheet_rows(target)
    assert rows and not any("*" in row[3] for row in rows) and all(len(row[3]) == 18 for row in rows)
    assert reveal_count(demo_db) == 1


@needs_renderer
def test_learner_print_opens_the_preview_and_records_nothing(qtbot, learners_page, demo_db, wait_ops):
    before = audit_count(demo_db)
    dialog = click_print(qtbot, learners_page.list_output, wait_ops)
    assert dialog.result is not None and dialog.preview.pages is not None and dialog.preview.pages.page_count() == dialog.result.pages > 1
    assert dialog.print_button.isEnabled() and dialog.save_as_button.isEnabled()
    assert not dialog.record_button.isVisible()
    assert "学员名单" in PdfReader(dialog.pdf_path).pages[0].extract_text()
    assert audit_count(demo_db) == before
    dialog.reject()


# --- 可报考 ------------------------------------------------------------------------------------------------------

def test_readiness_export_follows_the_state_filter_with_what_is_missing(qtbot, small_demo_db, tmp_path, monkeypatch,
                                                                       wait_ops):
    page = ReadinessPage(small_demo_db.engine)
    qtbot.addWidget(page)
    page.resize(1300, 700)
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.show()
    page.select_state("soon")
    shown = [page.model.index(r, 0).data() for r in range(page.model.rowCount())]
    assert shown
    target = tmp_path / "即将可报考.xlsx"
    save_dialog_answers(monkeypatch, target)
    click_export(qtbot, page.list_output, wait_ops)
    rows = sheet_rows(target)
    assert sorted(row[0] for row in rows) == sorted(shown)
    assert all(row[8] == "否" and "还差" in row[10] for row in rows)
    title = openpyxl.load_workbook(target).active["A1"].value
    assert "可报考名单" in title and "即将可报考（30 天内）" in title


# --- 班级 ------------------------------------------------------------------------------------------------------

@pytest.fixture
def classes_page(qtbot, school_db, night_class, wait_ops):
    widget = ClassesPage(school_db.engine)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    wait_ops()
    return widget


def test_class_roster_exports_and_prints_the_selected_class(qtbot, classes_page, school_db, night_class, tmp_path,
                                                           monkeypatch, wait_ops):
    page = classes_page
    page.select_class(night_class["class"].id)
    wait_ops()
    target = tmp_path / "班级.xlsx"
    asked = save_dialog_answers(monkeypatch, target)
    click_export(qtbot, page.list_output, wait_ops)
    assert night_class["class"].name in asked[0][2]  # the suggested file name names the class
    rows = sheet_rows(target)
    assert sorted(row[0] for row in rows) == sorted(night_class["numbers"])
    assert openpyxl.load_workbook(target).active.cell(row=2, column=1).value == "学籍号"

    if renderer_name() is not None:
        before = audit_count(school_db)
        dialog = click_print(qtbot, page.list_output, wait_ops)
        assert dialog.result is not None and dialog.result.pages == 1
        assert night_class["class"].name in PdfReader(dialog.pdf_path).pages[0].extract_text()
        assert audit_count(school_db) == before
        dialog.reject()


# --- 考试 ------------------------------------------------------------------------------------------------------

def test_exam_applicants_export_names_the_batch_and_applies_nobody(qtbot, school_db, ready_school, tmp_path,
                                                                  monkeypatch, wait_ops):
    from adultschool.services import readiness

    page = ExamsPage(school_db.engine, folder=tmp_path)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.show()
    page.round_edit.setText("测试批次")
    target = tmp_path / "可报考学员.xlsx"
    save_dialog_answers(monkeypatch, target)
    before = audit_count(school_db)
    click_export(qtbot, page.list_output, wait_ops)
    rows = sheet_rows(target)
    assert sorted(row[1] for row in rows) == sorted(ready_school.values())
    assert "测试批次" in openpyxl.load_workbook(target).active["A1"].value
    assert audit_count(school_db) == before  # nobody applied, nothing revealed
    with read_session(school_db.engine) as session:
        still_studying = readiness.readiness(session, page.list_spec().as_of)
    assert sorted(r.name for r in still_studying) == sorted(ready_school.values())


# --- 证书 ------------------------------------------------------------------------------------------------------

def test_certificate_list_exports_the_search_and_prints_without_counting_a_print(qtbot, school_db, graduates, tmp_path,
                                                                               monkeypatch, wait_ops):
    page = CertificatesPage(school_db.engine, folder=tmp_path)
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    qtbot.waitExposed(page)
    number, name = next(iter(graduates.items()))
    page.search_edit.setText(name)
    target = tmp_path / "证书.xlsx"
    save_dialog_answers(monkeypatch, target)
    qtbot.mouseClick(page.list_output.export_button, Qt.MouseButton.LeftButton)
    wait_ops()
    rows = sheet_rows(target)
    assert [(row[0], row[1]) for row in rows] == [(number, name)]
    assert openpyxl.load_workbook(target).active["D3"].data_type == "s"  # the certificate number stays text

    if renderer_name() is not None:
        page.search_edit.clear()
        qtbot.mouseClick(page.list_output.print_button, Qt.MouseButton.LeftButton)
        dialog = page.list_output.dialog
        qtbot.waitExposed(dialog)
        wait_ops()
        assert dialog.result is not None
        text = PdfReader(dialog.pdf_path).pages[0].extract_text()
        assert "毕业证书名单" in text and all(n in text for n in graduates.values())
        with read_session(school_db.engine) as session:
            assert session.execute(select(func.count(CertificatePrint.id))).scalar_one() == 0
        assert all(row.prints == 0 for row in page.rows)
        dialog.reject()


@needs_renderer
def test_printing_with_full_ids_is_the_second_choice_and_writes_one_reveal(qtbot, school_db, night_class, wait_ops):
    page = ReadinessPage(school_db.engine)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.computed, timeout=30_000):
        page.show()
    output = page.list_output
    qtbot.mouseClick(output.print_button, Qt.MouseButton.LeftButton)
    assert output.print_menu.isVisible()  # a clerk allowed full ID numbers chooses; the first entry stays masked
    output.print_menu.actions()[1].trigger()
    output.print_menu.hide()
    dialog = output.dialog
    qtbot.waitExposed(dialog)
    wait_ops()
    text = PdfReader(dialog.pdf_path).pages[0].extract_text()
    assert "含完整身份证号码" in text and "********" not in text
    assert reveal_count(school_db) == 1
    dialog.reject()


def test_a_list_exported_in_a_window_whose_day_differs_from_the_clock_is_made_and_named_on_the_windows_day(
        qtbot, school_db, graduates, tmp_path, monkeypatch, wait_ops):
    window_day = TODAY + timedelta(days=7)
    page = CertificatesPage(school_db.engine, folder=tmp_path, today=lambda: window_day)
    qtbot.addWidget(page)
    page.show()
    target = tmp_path / "证书名单.xlsx"
    asked = save_dialog_answers(monkeypatch, target)
    click_export(qtbot, page.list_output, wait_ops)
    assert Path(asked[0][2]).name == f"毕业证书名单-{window_day.isoformat()}.xlsx"
    title = openpyxl.load_workbook(target).active.cell(1, 1).value
    assert f"{window_day.isoformat()} 制表" in title
