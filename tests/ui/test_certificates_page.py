"""证书: the certificates with their print counts; 打印证书 and 补发 through the print dialog (PDF, preview, printer),
the 打印表格 forms and the print font."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog

from adultschool import paths
from adultschool.db import read_session, unit_of_work
from adultschool.models import ClassType, Level
from adultschool.services import classes, documents
from adultschool.ui.certificates_page import HEADERS, NOT_PRINTED, CertificatesPage
from adultschool.ui.font_dialog import FontDialog
from adultschool.ui.pdf_pages import renderer_name
from adultschool.ui.print_dialog import PrintDialog
from testclock import TODAY

pytestmark = pytest.mark.gui

needs_renderer = pytest.mark.skipif(renderer_name() is None, reason="no PDF renderer (QtPdf or pypdfium2) installed")


@pytest.fixture
def page(qtbot, school_db, graduates, tmp_path):
    widget = CertificatesPage(school_db.engine, folder=tmp_path)
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    widget.show()
    return widget


def table(page: CertificatesPage) -> list[list[str]]:
    return [[page.table.item(r, c).text() for c in range(len(HEADERS))] for r in range(page.table.rowCount())
            if not page.table.isRowHidden(r)]


def generate(qtbot, dialog: PrintDialog, wait_ops) -> None:
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.generate_button, Qt.MouseButton.LeftButton)
    wait_ops()


def print_all(dialog: PrintDialog, wait_ops) -> None:
    """Preview made: save the final PDF next to the suggestion, which records the printing."""
    dialog.save_as(Path(dialog.path_edit.text()))
    wait_ops()


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def test_graduates_certificates_are_listed_not_yet_printed(page, graduates):
    year = TODAY.year
    rows = table(page)
    assert [row[0] for row in rows] == sorted(graduates)
    assert rows[0][1:] == [graduates[sorted(graduates)[0]], "高中", f"330206-01-BY{year}-0001", TODAY.isoformat(), "0", "有效"]
    assert page.count_label.text() == "共 3 张，未打印 3 张"
    assert page.print_button.isEnabled() and not page.reprint_button.isEnabled()


def test_printing_the_selected_certificates_previews_free_and_saving_the_pdf_counts_the_printing(qtbot, page, graduates,
                                                                                              tmp_path, wait_ops):
    first, second, third = sorted(graduates)
    page.select_numbers([first, second])
    assert page.print_button.text() == "打印所选证书（2 张）…"
    dialog = page.open_print()
    assert dialog.windowTitle() == "打印证书"
    assert f"打印 2 张证书：{graduates[first]}、{graduates[second]}" in dialog.panel.what_label.text()
    assert "预览不算打印" in dialog.panel.what_label.text()
    assert dialog.generate_button.text() == "生成预览"
    generate(qtbot, dialog, wait_ops)

    # The preview is a PDF in a scratch folder, and nothing is recorded.
    assert len(PdfReader(dialog.pdf_path).pages) == 2
    assert dialog.pdf_path.parent.parent == paths.data_dir() / "previews"
    assert dialog.summary_label.text().startswith("预览 2 张，还没有记为已打印")
    chosen = (dialog.panel.layout_combo, dialog.panel.text_only_check, dialog.panel.calibrate_button)
    assert not any(widget.isEnabled() for widget in chosen)  # the preview is made with them: they no longer change it
    page.refresh()
    assert [row[5] for row in table(page)] == ["0", "0", "0"]

    final = tmp_path / f"毕业证书-{TODAY.isoformat()}.pdf"
    assert Path(dialog.path_edit.text()) == final
    with qtbot.waitSignal(dialog.printed, timeout=60_000):
        dialog.save_as(final)
    wait_ops()
    assert final.read_bytes() == dialog.pdf_path.read_bytes()
    assert dialog.summary_label.text().startswith("已记为已打印：2 张")
    assert [row[5] for row in table(page)] == ["1", "1", "0"]
    assert not dialog.generate_button.isEnabled() and not dialog.record_button.isEnabled()
    assert dialog.save_as(tmp_path / "copy.pdf") == tmp_path / "copy.pdf"  # a second copy records nothing more
    assert (tmp_path / "copy.pdf").read_bytes() == final.read_bytes()
    page.refresh()
    assert [row[5] for row in table(page)] == ["1", "1", "0"]
    preview_folder = dialog.pdf_path.parent
    dialog.reject()
    assert not preview_folder.exists()  # the scratch copy goes when the dialog closes

    # Nothing selected: the one certificate still unprinted.
    page.table.clearSelection()
    rest = page.open_print()
    assert "打印全部未打印过的证书" in rest.panel.what_label.text() and "共 1 张" in rest.panel.what_label.text()
    assert Path(rest.path_edit.text()).name == f"毕业证书-{TODAY.isoformat()}-2.pdf"  # never overwrites
    generate(qtbot, rest, wait_ops)
    print_all(rest, wait_ops)
    assert len(PdfReader(rest.path_edit.text()).pages) == 1
    assert [row[5] for row in table(page)] == ["1", "1", "1"]
    assert graduates[third] in pdf_text(Path(rest.path_edit.text()))
    assert page.open_print() is None and "没有未打印的证书" in page.dialog.text()


def test_cancelling_the_certificate_pdf_records_no_printing(qtbot, page, tmp_path, wait_ops):
    import threading

    from adultschool.ui import ops

    gate = threading.Event()
    ops.run_op(None, lambda _job: gate.wait(10), label="占住工作线程", delay_ms=60_000)  # the one worker waits
    dialog = page.open_print()
    qtbot.waitExposed(dialog)
    op = dialog.generate()
    op.cancel()  # before the work has begun: it stops at its first progress report
    gate.set()
    wait_ops()
    assert dialog.summary_label.text() == "已取消，没有生成 PDF，也没有记为已打印。"
    assert not Path(dialog.path_edit.text()).exists() and not list(tmp_path.glob("*.part"))
    assert not list((paths.data_dir() / "previews").rglob("*.pdf"))
    page.refresh()
    assert [row[5] for row in table(page)] == ["0", "0", "0"]
    assert dialog.generate_button.isEnabled()


@needs_renderer
def test_the_preview_shows_the_pages_and_prints_them_to_a_printer(qtbot, page, graduates, tmp_path, wait_ops):
    dialog = page.open_print()
    generate(qtbot, dialog, wait_ops)
    assert dialog.preview.stack.currentIndex() == 1
    assert not dialog.preview.page_view.pixmap().isNull()
    assert dialog.preview.page_label.text() == "第 1 / 3 页"
    assert not dialog.preview.previous_button.isEnabled() and dialog.preview.next_button.isEnabled()
    dialog.preview.next_button.click()
    assert dialog.preview.page_label.text() == "第 2 / 3 页"
    assert dialog.print_button.isEnabled()

    chooser = dialog.choose_printer()  # the system's print dialog, opened without a nested event loop
    assert isinstance(chooser, QPrintDialog) and chooser.isVisible() and chooser.windowTitle() == "打印"
    chooser.reject()
    assert dialog.print_op is None  # 取消 prints nothing

    def printer_to(name: str) -> QPrinter:
        printer = dialog.new_printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / name))
        printer.setResolution(150)
        return printer

    dialog.print_to(printer_to("printed.pdf"))
    wait_ops()
    assert dialog.saved_label.text() == "已送往打印机：3 页"
    printed = PdfReader(tmp_path / "printed.pdf")
    assert len(printed.pages) == 3
    source = PdfReader(dialog.pdf_path).pages[0].mediabox
    paper = printed.pages[0].mediabox
    assert (paper.width > paper.height) == (source.width > source.height)  # the certificate's orientation

    # The printer misfed: 没打好 (the default button) records nothing, and the pages go again without a 补发.
    question = dialog.dialog
    assert question.windowTitle() == "证书打印好了吗？" and question.defaultButton().text() == "没打好，不记"
    question.defaultButton().click()
    page.refresh()
    assert [row[5] for row in table(page)] == ["0", "0", "0"]
    dialog.print_to(printer_to("again.pdf"))
    wait_ops()
    [yes] = [b for b in dialog.dialog.buttons() if b.text() == "都打好了，记为已打印"]
    with qtbot.waitSignal(dialog.printed, timeout=20_000):
        yes.click()
    wait_ops()
    assert [row[5] for row in table(page)] == ["1", "1", "1"]
    # A page found crumpled later goes again from the same dialog: not a 补发, no second record.
    dialog.print_to(printer_to("third.pdf"))
    wait_ops()
    assert len(PdfReader(tmp_path / "third.pdf").pages) == 3
    page.refresh()
    assert [row[5] for row in table(page)] == ["1", "1", "1"]


@needs_renderer
def test_a_printer_that_cannot_start_is_said_so_and_nothing_is_recorded(qtbot, page, tmp_path, wait_ops):
    dialog = page.open_print()
    generate(qtbot, dialog, wait_ops)
    printer = dialog.new_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "no such folder" / "printed.pdf"))  # the printer cannot begin
    dialog.print_to(printer)
    wait_ops()
    assert dialog.saved_label.text() == "打印机没有准备好：请检查打印机是否开着、是否选对。"
    assert dialog.dialog.windowTitle() == "没有打印" and "打印机没有准备好" in dialog.dialog.text()
    assert dialog.print_button.isEnabled()  # try again, on another printer
    page.refresh()
    assert [row[5] for row in table(page)] == ["0", "0", "0"]


def test_printing_from_the_pdf_viewer_is_recorded_only_when_confirmed(qtbot, page, wait_ops, monkeypatch):
    monkeypatch.setattr("adultschool.ui.print_dialog.QDesktopServices.openUrl", lambda url: True)
    dialog = page.open_print()
    generate(qtbot, dialog, wait_ops)
    dialog.open_button.click()
    question = dialog.confirm_printed(outside=True)
    assert "在 PDF 阅读器里3 张证书都打好了吗" in question.text()
    qtbot.keyClick(question, Qt.Key.Key_Return)  # Enter takes the default: 没打好, nothing recorded
    page.refresh()
    assert [row[5] for row in table(page)] == ["0", "0", "0"]
    dialog.confirm_printed(outside=True)
    [yes] = [b for b in dialog.dialog.buttons() if b.text() == "都打好了，记为已打印"]
    yes.click()
    wait_ops()
    assert [row[5] for row in table(page)] == ["1", "1", "1"]
    assert dialog.confirm_printed() is None  # once only


def test_without_a_renderer_the_dialog_says_so_and_offers_the_pdf_viewer(qtbot, page, monkeypatch, wait_ops):
    monkeypatch.setattr("adultschool.ui.print_preview.open_pages", lambda _path: None)
    opened = []
    monkeypatch.setattr("adultschool.ui.print_dialog.QDesktopServices.openUrl", lambda url: opened.append(url) or True)
    dialog = page.open_print()
    generate(qtbot, dialog, wait_ops)
    assert dialog.preview.stack.currentIndex() == 0
    assert "缺少 PDF 预览组件" in dialog.preview.hint.text()
    assert not dialog.print_button.isEnabled() and dialog.open_button.isEnabled()
    dialog.open_button.click()
    assert [url.toLocalFile() for url in opened] == [str(dialog.pdf_path)]


def test_a_reprint_needs_a_reason_and_says_so_on_the_certificate(qtbot, page, graduates, tmp_path, wait_ops):
    first = sorted(graduates)[0]
    everyone = page.open_print()
    generate(qtbot, everyone, wait_ops)
    print_all(everyone, wait_ops)  # all three printed once
    page.select_numbers([first])
    assert page.reprint_button.isEnabled()
    dialog = page.open_reprint()
    assert dialog.windowTitle() == "补发证书"
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.generate_button, Qt.MouseButton.LeftButton)
    assert dialog.op is None  # refused in the dialog, before any work
    assert dialog.panel.reason_message.text() == "补发证书必须写明原因（如“原证书遗失”）。" and dialog.panel.reason_message.isVisible()
    assert dialog.pdf_path is None
    assert [row[5] for row in table(page)] == ["1", "1", "1"]

    dialog.panel.reason_edit.setText("原证书遗失")
    generate(qtbot, dialog, wait_ops)
    pdf = dialog.pdf_path
    assert len(PdfReader(pdf).pages) == 1
    assert "补发" in pdf_text(pdf) and graduates[first] in pdf_text(pdf)
    assert dialog.summary_label.text().startswith("预览 1 张，还没有记为补发")
    page.refresh()
    assert [row[5] for row in table(page)] == ["1", "1", "1"]  # the preview of a reprint is free too
    print_all(dialog, wait_ops)
    assert dialog.summary_label.text().startswith("已记为补发：1 张")
    assert [row[5] for row in table(page)] == ["2", "1", "1"]


def test_a_calibration_saved_from_the_print_dialog_is_chosen_for_the_printing(qtbot, page, wait_ops):
    dialog = page.open_print()
    qtbot.waitExposed(dialog)
    assert dialog.panel.layout_combo.currentText() == "白纸打印（不套打）" and not dialog.panel.text_only_check.isChecked()
    dialog.panel.calibrate_button.click()
    calibration = dialog.dialog
    assert calibration.windowTitle() == "套打校准" and calibration.isVisible()
    calibration.name_combo.setEditText("办公室 EPSON")
    calibration.text_only_check.setChecked(True)
    with qtbot.waitSignal(calibration.saved, timeout=10_000):
        qtbot.mouseClick(calibration.ok_button, Qt.MouseButton.LeftButton)
    wait_ops()
    assert dialog.panel.layout_combo.currentText() == "办公室 EPSON" and dialog.panel.text_only_check.isChecked()


def test_printing_only_printed_certificates_points_to_reprint(qtbot, page, graduates, wait_ops):
    dialog = page.open_print()
    generate(qtbot, dialog, wait_ops)
    print_all(dialog, wait_ops)
    page.select_numbers(sorted(graduates)[:1])
    assert not page.print_button.isEnabled()
    assert page.open_print() is None and "补发" in page.dialog.text()
    page.state_combo.setCurrentIndex(page.state_combo.findData(NOT_PRINTED))
    assert table(page) == []


def test_the_forms_print_as_pdf(qtbot, school_db, graduates, ready_school, enrol, tmp_path, wait_ops):
    with unit_of_work(school_db.engine) as session:
        info = classes.create_class(session, name="大碶街道夜校班（高中）", class_type=ClassType.NIGHT, level=Level.SENIOR,
                                    starts_on=date(2026, 2, 1), actor="test")
        classes.add_members(session, info.id, sorted(ready_school), joined_on=date(2026, 2, 1), actor="test")
    enrol(school_db, "赵初中", level="初中", serial=9)  # the only current learner: the graduates have left the roster

    summary = PrintDialog(school_db.engine, "summary", folder=tmp_path)
    qtbot.addWidget(summary)
    summary.show()
    summary.panel.level_combo.setCurrentIndex(summary.panel.level_combo.findData(Level.SENIOR.value))
    assert Path(summary.path_edit.text()).name == f"报名汇总表-高中-{TODAY.isoformat()}.pdf"
    generate(qtbot, summary, wait_ops)
    assert summary.result is None and summary.error_label.text() == "汇总表里没有学员，不能打印。"
    assert summary.generate_button.isEnabled()  # choose again and retry
    summary.panel.level_combo.setCurrentIndex(0)
    assert Path(summary.path_edit.text()).name == f"报名汇总表-{TODAY.isoformat()}.pdf"
    generate(qtbot, summary, wait_ops)
    assert summary.result.pages == len(PdfReader(summary.pdf_path).pages) == 1
    assert "赵初中" in pdf_text(summary.pdf_path)

    signin = PrintDialog(school_db.engine, "signin", folder=tmp_path)
    qtbot.addWidget(signin)
    signin.show()
    signin.panel.date_edit.setDate(signin.panel.date_edit.date().fromString("2026-03-02", "yyyy-MM-dd"))
    assert Path(signin.path_edit.text()).name == "签到表-大碶街道夜校班（高中）-2026-03-02.pdf"
    generate(qtbot, signin, wait_ops)
    assert signin.result is not None and len(PdfReader(signin.pdf_path).pages) == signin.result.pages
    assert all(name in pdf_text(signin.pdf_path) for name in ready_school.values())

    numbers = sorted(ready_school)[:2]
    forms = PrintDialog(school_db.engine, "registration", folder=tmp_path, student_numbers=numbers)
    qtbot.addWidget(forms)
    forms.show()
    assert forms.panel.scope_combo.currentText() == "学员页所选的 2 人"
    generate(qtbot, forms, wait_ops)
    assert len(PdfReader(forms.pdf_path).pages) == 2


def test_an_existing_pdf_is_not_overwritten_unless_confirmed(qtbot, school_db, enrol, tmp_path, monkeypatch, wait_ops):
    enrol(school_db, "赵初中", level="初中", serial=9)
    dialog = PrintDialog(school_db.engine, "summary", folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    taken = tmp_path / "已有.pdf"
    taken.write_bytes(b"%PDF-1.4 earlier printing")
    dialog.path_edit.setText(str(taken))
    assert dialog.generate() is None
    assert dialog.error_label.text() == "“已有.pdf”已经有了：请换一个文件名，或点“选择位置…”确认覆盖。"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(taken), ""))  # the system dialog asked
    dialog.browse_button.click()
    generate(qtbot, dialog, wait_ops)
    assert len(PdfReader(taken).pages) == 1


def test_saving_the_final_certificates_pdf_goes_through_the_save_dialog(qtbot, page, tmp_path, monkeypatch, wait_ops):
    dialog = page.open_print()
    generate(qtbot, dialog, wait_ops)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: ("", ""))  # 取消 in the system dialog
    assert dialog.save_as() is None
    page.refresh()
    assert [row[5] for row in table(page)] == ["0", "0", "0"]
    chosen = tmp_path / "证书终稿"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(chosen), ""))
    dialog.save_as_button.click()
    wait_ops()
    assert len(PdfReader(tmp_path / "证书终稿.pdf").pages) == 3
    assert [row[5] for row in table(page)] == ["1", "1", "1"]


def test_a_signin_sheet_needs_a_class(qtbot, school_db, tmp_path):
    dialog = PrintDialog(school_db.engine, "signin", folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.generate() is None
    assert dialog.error_label.text() == "请先选择班级（在“班级”页新建）。"


def test_the_print_font_refuses_a_file_that_is_no_font_and_returns_to_the_default(qtbot, school_db, tmp_path,
                                                                                 wait_ops):
    dialog = FontDialog(school_db.engine)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.current_label.text().startswith("打印字体：默认")
    assert not dialog.default_button.isEnabled()
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    dialog.set_font(broken)
    wait_ops()
    assert "不能用来打印" in dialog.message.text() and dialog.message.kind == "error"
    shipped = paths.resources_dir() / "fonts" / "LXGWWenKai-Regular.ttf"
    with qtbot.waitSignal(dialog.changed, timeout=30_000):
        dialog.set_font(shipped)
    wait_ops()
    assert dialog.current_label.text().startswith(f"打印字体：已选定：{shipped}")
    with read_session(school_db.engine) as session:
        assert documents.chosen_font_path(session) == str(shipped)
    dialog.default_button.click()
    wait_ops()
    assert dialog.message.text() == "已恢复默认字体。"
    with read_session(school_db.engine) as session:
        assert documents.chosen_font_path(session) is None


def test_choosing_the_font_file_uses_the_open_dialog(qtbot, school_db, monkeypatch, wait_ops):
    shipped = paths.resources_dir() / "fonts" / "LXGWWenKai-Regular.ttf"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(shipped), ""))
    dialog = FontDialog(school_db.engine)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.choose_button.click()
    wait_ops()
    assert dialog.message.text() == f"已改用：{shipped.name}"
