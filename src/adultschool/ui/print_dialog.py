"""打印证书 / 补发证书 / 打印表格 / 打印名单: what to print, where the PDF goes, then 生成 PDF, a preview, and 打印… /
打开 PDF / 另存为.

A certificate preview is free: `documents.preview_certificates` writes it to a private scratch folder and records
nothing. The printing is recorded (`documents.record_certificate_printing`) only when the clerk says the pages came out
of the printer, or saves the final PDF; pages that misfed can be sent again from the same dialog without a 补发. Forms
are read-only. The preview and the printer get the PDF's own pages (see pdf_pages), so what is printed is exactly the
file that was recorded. A list of a page (`kind="list"`, see list_output) is made at once into the scratch folder and
records nothing unless it carries full ID numbers (then its making is the audited disclosure).
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock, paths
from adultschool.db import read_session
from adultschool.errors import AdultSchoolError, Cancelled, os_error_text
from adultschool.models.enums import Level
from adultschool.outfiles import private_folder
from adultschool.printing import Layout
from adultschool.services import certificate_settings, classes, documents
from adultschool.services.documents import Printed
from adultschool.textnorm import clean_text
from adultschool.ui import ops
from adultschool.ui.class_dialogs import required_label
from adultschool.ui.common import (
    HINT_COLOUR,
    MessageLabel,
    actor,
    ask_save_path,
    ask_to_confirm,
    documents_folder,
    file_name_part,
    open_dialog,
    report_failure,
    show_error,
    to_date,
    to_qdate,
    unused_path,
    with_suffix,
)
from adultschool.ui.layout_dialog import LayoutDialog
from adultschool.ui.pdf_printing import PdfPrinting, new_printer
from adultschool.ui.print_kinds import KINDS, ListWork, names_text
from adultschool.ui.print_preview import PdfPreview


PDF_FILTER = "PDF 文件 (*.pdf)"


class PrintDialog(QDialog):
    """`printed(Printed, path)` once a form's PDF is written, or once a certificate printing is recorded."""

    printed = Signal(object, str)

    def __init__(self, engine: Engine, kind: str, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today, folder: Path | None = None,
                 student_numbers: Sequence[str] | None = None, names: Sequence[str] = (), note: str = "",
                 list_work: ListWork | None = None, title: str | None = None, file_stem: str | None = None,
                 writes: bool = False):
        super().__init__(parent)
        self._engine = engine
        self.kind = KINDS[kind]
        self._list_work = list_work
        if kind == "list":
            if list_work is None:
                raise ValueError("a list needs its list_work")
            self.kind = replace(self.kind, title=title or self.kind.title, file_stem=file_stem or self.kind.file_stem,
                                writes=writes)
        self._today = today
        self._folder = folder or documents_folder()
        self.student_numbers = tuple(student_numbers) if student_numbers else None
        self.op: ops.Op | None = None
        self.result: Printed | None = None
        self.recorded: Printed | None = None  # certificates: the printing as recorded
        self.record_op: ops.Op | None = None
        self._preview_dir: Path | None = None
        self.pdf_path: Path | None = None
        self.dialog: QWidget | None = None
        self._path_edited = False
        self._overwrite: Path | None = None  # a file the system's save dialog asked about and the clerk confirmed
        self.setWindowTitle(self.kind.title)
        metrics = self.fontMetrics()
        em = metrics.horizontalAdvance("中")
        self._fit_to_screen(em * 72, metrics.height() * 46)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.what_label = QLabel()
        self.what_label.setWordWrap(True)
        self.what_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason_edit = QLineEdit()
        self.reason_edit.setMaxLength(100)
        self.reason_edit.setPlaceholderText("如：原证书遗失、原证书损毁")
        self.reason_message = MessageLabel()
        self.scope_combo = QComboBox()
        self.level_combo = QComboBox()
        self.class_combo = QComboBox()
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDate(to_qdate(today()))
        self._build_what(form, names, note)

        self.path_edit = QLineEdit()
        self.path_edit.setMinimumWidth(em * 30)
        self.path_edit.textEdited.connect(lambda _text: setattr(self, "_path_edited", True))
        self.browse_button = QPushButton("选择位置…")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self.choose_path)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        if not self.kind.scratch:  # certificates: the final PDF is saved (and recorded) after the preview
            form.addRow("PDF 保存到", path_row)
        self._suggest_path()

        self.error_label = MessageLabel()
        self.generate_button = QPushButton("生成预览" if self.kind.scratch else "生成 PDF")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(lambda: self.generate())
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        generate_row = QHBoxLayout()
        generate_row.addWidget(self.generate_button)
        generate_row.addWidget(self.summary_label, 1)

        self.preview = PdfPreview(f"点“{self.generate_button.text()}”后，在这里预览。")

        self.print_button = QPushButton("打印…")
        self.print_button.setToolTip("选择打印机，把这些页送去打印")
        self.print_button.clicked.connect(lambda: self.choose_printer())
        self.open_button = QPushButton("打开 PDF")
        self.open_button.setToolTip("用电脑上的 PDF 阅读器打开")
        self.open_button.clicked.connect(lambda: self.open_pdf())
        self.save_as_button = QPushButton("另存为…")
        self.save_as_button.clicked.connect(lambda: self.save_as())
        self.record_button = QPushButton("记为已打印…")
        self.record_button.setToolTip("用 PDF 阅读器打印好以后，在这里记为已打印")
        self.record_button.clicked.connect(lambda: self.confirm_printed(outside=True))
        self.record_button.setVisible(self.kind.records)
        if self.kind.records:
            self.open_button.setToolTip("用电脑上的 PDF 阅读器打开预览（不记为已打印）")
            self.save_as_button.setText("保存 PDF…")
            self.save_as_button.setToolTip("保存最终的证书 PDF，并记为" + ("补发" if self.kind.key == "reprint" else "已打印"))
        self.close_button = QPushButton("关闭")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        self.saved_label = MessageLabel(kind="hint")
        bottom = QHBoxLayout()
        for button in (self.print_button, self.open_button, self.save_as_button, self.record_button):
            button.setAutoDefault(False)
            bottom.addWidget(button)
        bottom.addWidget(self.saved_label, 1)
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        self.printing = PdfPrinting(self, self.saved_label, sent=self._sent, opened=self._keep)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addLayout(generate_row)
        layout.addWidget(self.preview, 1)
        layout.addLayout(bottom)

        self._set_state()
        self.finished.connect(lambda _result: self._close_pages())

    def _fit_to_screen(self, width: int, height: int) -> None:
        screen = self.screen()
        if screen is not None:
            available = screen.availableGeometry()
            width, height = min(width, available.width() - 40), min(height, available.height() - 60)
        self.resize(width, height)

    def _keep(self, dialog: QWidget | None) -> None:
        """The dialog last opened from here (a question, a failure, the printer's or the calibration's dialog)."""
        self.dialog = dialog

    # --- what to print -------------------------------------------------------------------------------------

    def _build_what(self, form: QFormLayout, names: Sequence[str], note: str) -> None:
        key = self.kind.key
        if key in ("certificates", "reprint"):
            if self.student_numbers:
                text = f"{'补发' if key == 'reprint' else '打印'} {len(self.student_numbers)} 张证书：{names_text(list(names))}"
            else:
                text = "打印全部未打印过的证书"
            if note:
                text += f"\n{note}"
            if key == "reprint":
                text += "\n补发的证书沿用原编号，并印有“补发”字样。"
            text += ("\n预览不算打印：打印完确认“都打好了”（或保存最终 PDF）时才记为" + ("补发" if key == "reprint" else "已打印")
                     + "；卡纸、打歪的可以在这个窗口里再印，不算补发。")
            self.what_label.setText(text)
            form.addRow("证书", self.what_label)
            self.layout_combo = QComboBox()
            self.text_only_check = QCheckBox("只印内容")
            self.text_only_check.setToolTip("不印边框、标题和照片/盖章虚线框：印在已有这些的证书纸上")
            self.calibrate_button = QPushButton("套打校准…")
            self.calibrate_button.setAutoDefault(False)
            self.calibrate_button.clicked.connect(lambda: self.open_calibration())
            self._fill_layouts()
            self.layout_combo.currentIndexChanged.connect(lambda _i: self._layout_chosen())
            row = QHBoxLayout()
            row.addWidget(self.layout_combo)
            row.addWidget(self.text_only_check)
            row.addWidget(self.calibrate_button)
            row.addStretch(1)
            form.addRow("套打", row)
            if key == "reprint":
                reason = QWidget()
                column = QVBoxLayout(reason)
                column.setContentsMargins(0, 0, 0, 0)
                column.setSpacing(2)
                column.addWidget(self.reason_edit)
                column.addWidget(self.reason_message)
                form.addRow(required_label("补发原因"), reason)
                self.reason_edit.textEdited.connect(lambda _text: self.reason_message.show_message(None))
        elif key == "registration":
            if self.student_numbers:
                self.scope_combo.addItem(f"学员页所选的 {len(self.student_numbers)} 人", "selected")
            self.scope_combo.addItem("全部在读学员", "all")
            form.addRow("学员", self._left(self.scope_combo))
            hint = "每人一页。" + ("" if self.student_numbers else "只打几个人时，先在“学员”页选中他们。")
            self.what_label.setText(hint)
            self.what_label.setStyleSheet(f"color: {HINT_COLOUR};")
            form.addRow("", self.what_label)
        elif key == "list":
            self.what_label.setText(note)
            self.what_label.setStyleSheet(f"color: {HINT_COLOUR};")
            form.addRow("名单", self.what_label)
        elif key == "summary":
            self.level_combo.addItem("全部", None)
            for level in Level:
                self.level_combo.addItem(level.label, level.value)
            self.level_combo.currentIndexChanged.connect(lambda _i: self._suggest_path())
            form.addRow("学历提升层次", self._left(self.level_combo))
        elif key == "signin":
            with read_session(self._engine) as session:
                found = classes.list_classes(session)
            for info in found:
                self.class_combo.addItem(info.name, info.name)
            self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            if not found:
                self.class_combo.setPlaceholderText("还没有班级")
            self.class_combo.currentIndexChanged.connect(lambda _i: self._suggest_path())
            self.date_edit.dateChanged.connect(lambda _d: self._suggest_path())
            form.addRow(required_label("班级"), self._left(self.class_combo))
            form.addRow(required_label("日期"), self._left(self.date_edit))

    def _fill_layouts(self, chosen: str | None = None) -> None:
        self.layout_combo.blockSignals(True)
        self.layout_combo.clear()
        self.layout_combo.addItem("白纸打印（不套打）", None)
        for name in certificate_settings.print_layouts():
            self.layout_combo.addItem(name, name)
        self.layout_combo.setCurrentIndex(max(self.layout_combo.findData(chosen), 0) if chosen else 0)
        self.layout_combo.blockSignals(False)
        self._layout_chosen()

    def _layout_chosen(self) -> None:
        name = self.layout_combo.currentData()
        self.text_only_check.setChecked(bool(name) and certificate_settings.layout_named(name).text_only)

    def chosen_layout(self) -> Layout:
        layout = certificate_settings.layout_named(self.layout_combo.currentData())
        return replace(layout, text_only=self.text_only_check.isChecked())

    def open_calibration(self) -> LayoutDialog:
        dialog = LayoutDialog(self._engine, self, name=self.layout_combo.currentData(), folder=self._folder)
        dialog.saved.connect(self._fill_layouts)
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    @staticmethod
    def _left(widget: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(widget)
        row.addStretch(1)
        return row

    def default_file_name(self) -> str:
        day = self._today().isoformat()
        key = self.kind.key
        if key == "summary" and self.level_combo.currentData():
            return f"{self.kind.file_stem}-{Level(self.level_combo.currentData()).label}-{day}.pdf"
        if key == "signin" and self.class_combo.currentData():
            held_on = to_date(self.date_edit.date()).isoformat()
            return f"{self.kind.file_stem}-{file_name_part(self.class_combo.currentData())}-{held_on}.pdf"
        return f"{self.kind.file_stem}-{day}.pdf"

    def _suggest_path(self) -> None:
        if not self._path_edited:
            self.path_edit.setText(str(unused_path(self._folder / self.default_file_name())))

    def choose_path(self) -> None:
        path = ask_save_path(self, "PDF 保存到", Path(self.path_edit.text()), PDF_FILTER, ".pdf")
        if path is not None:
            self.path_edit.setText(str(path))
            self._path_edited = True
            self._overwrite = path

    # --- state ---------------------------------------------------------------------------------------------

    @property
    def print_op(self) -> ops.Op | None:
        """The last sending of the pages to a printer."""
        return self.printing.op

    @property
    def busy(self) -> bool:
        return any(op is not None and op.running for op in (self.op, self.print_op, self.record_op))

    def _set_state(self) -> None:
        done = self.result is not None
        busy = self.busy
        for widget in (self.reason_edit, self.scope_combo, self.level_combo, self.class_combo, self.date_edit,
                       self.path_edit, self.browse_button, self.generate_button):
            widget.setEnabled(not done and not busy)
        self.close_button.setEnabled(not busy)
        self.print_button.setEnabled(done and not busy and self.preview.pages is not None)
        self.open_button.setEnabled(done and not busy)
        self.save_as_button.setEnabled(done and not busy)
        self.record_button.setEnabled(done and not busy and self.recorded is None)

    # --- 生成 PDF ------------------------------------------------------------------------------------------

    def _work(self, out: Path) -> Callable:
        key = self.kind.key
        numbers = list(self.student_numbers) if self.student_numbers else None
        who = actor()
        if key in ("certificates", "reprint"):
            reason = clean_text(self.reason_edit.text()) if key == "reprint" else None
            layout = self.chosen_layout()
            return lambda session, job: documents.preview_certificates(
                session, out, actor=who, student_numbers=numbers, reprint=key == "reprint", reason=reason,
                layout=layout, job=job)
        if key == "list":
            assert self._list_work is not None
            list_work = self._list_work
            return lambda session, job: list_work(session, job, out)
        if key == "registration":
            chosen = numbers if self.scope_combo.currentData() == "selected" else None
            return lambda session, job: documents.print_registration_forms(session, out, student_numbers=chosen, job=job,
                                                                           actor=who)
        if key == "summary":
            level = Level(self.level_combo.currentData()) if self.level_combo.currentData() else None
            return lambda session, job: documents.print_summary_form(session, out, level=level, job=job, actor=who)
        class_name = self.class_combo.currentData()
        held_on = to_date(self.date_edit.date())
        return lambda session, job: documents.print_signin_sheet(session, out, class_name=class_name, held_on=held_on,
                                                                 job=job, actor=who)

    def generate(self) -> ops.Op | None:
        if self.busy or self.result is not None:
            return None
        self.error_label.show_message(None)
        if self.kind.key == "reprint" and not clean_text(self.reason_edit.text()):
            self.reason_message.show_message("补发证书必须写明原因（如“原证书遗失”）。")
            self.reason_edit.setFocus()
            return None
        if self.kind.key == "signin" and self.class_combo.currentData() is None:
            self.error_label.show_message("请先选择班级（在“班级”页新建）。")
            return None
        out = self._preview_file() if self.kind.scratch else self._checked_target()
        if out is None:
            return None
        self.summary_label.setText("正在生成 PDF……")
        run = ops.run_write if self.kind.writes else ops.run_read  # full ID numbers on paper are audited
        self.op = run(self, self._engine, self._work(out), label=f"正在生成 {self.kind.file_stem} PDF……",
                      title=self.kind.title, on_success=lambda printed: self._generated(printed, out),
                      on_failure=self._failed)
        self._set_state()
        self.op.done.connect(self._set_state)
        return self.op

    def _checked_target(self) -> Path | None:
        """The PDF 保存到 path, or None with the reason said under the fields."""
        text = self.path_edit.text().strip()
        if not text:
            self.error_label.show_message("请填写 PDF 的保存位置。")
            return None
        out = with_suffix(Path(text), ".pdf")
        if not out.parent.is_dir():
            self.error_label.show_message(f"文件夹“{out.parent}”不存在，请换一个保存位置。")
            return None
        if out.exists() and out != self._overwrite:
            self.error_label.show_message(f"“{out.name}”已经有了：请换一个文件名，或点“选择位置…”确认覆盖。")
            return None
        return out

    def _preview_file(self) -> Path:
        """A certificate preview (or a page's list) goes to a private scratch folder of the data folder, removed when the dialog closes."""
        if self._preview_dir is None:
            scratch = private_folder(paths.data_dir() / "previews")
            self._preview_dir = Path(tempfile.mkdtemp(prefix="preview-", dir=scratch))
        return self._preview_dir / self.default_file_name()

    @property
    def _record_word(self) -> str:
        return "补发" if self.kind.key == "reprint" else "已打印"

    def _generated(self, printed: Printed, out: Path) -> None:
        self.result = printed
        self.pdf_path = out
        if self.kind.records:
            self.summary_label.setText(f"预览 {printed.pages} 张，还没有记为{self._record_word}。"
                                       "打印后确认“都打好了”，或点“保存 PDF…”，才记为" + self._record_word + "。")
        elif self.kind.scratch:
            self.summary_label.setText(f"已生成 {printed.pages} 页，没有另存为文件。可以打印，或“另存为…”保存 PDF。")
        else:
            self.path_edit.setText(str(out))
            self.summary_label.setText(f"已生成 {printed.pages} 页：{out.name}")
        self.preview.load(out)
        self._set_state()
        self.print_button.setDefault(self.preview.pages is not None)
        self.open_button.setDefault(self.preview.pages is None)
        if not self.kind.records:
            self.printed.emit(printed, str(out))

    # --- recording a certificate printing ------------------------------------------------------------------

    def confirm_printed(self, *, outside: bool = False) -> QWidget | None:
        """Asks whether the certificates came out right; only 都打好了 records the printing (取消 is the default)."""
        if self.result is None or self.recorded is not None or self.busy:
            return None
        where = "在 PDF 阅读器里" if outside else "刚才送往打印机的"
        text = (f"{where}{self.result.pages} 张证书都打好了吗？\n\n都打好了：记为{self._record_word}"
                f"（以后再打印同一张证书须补发）。\n卡纸、打歪或没打出来：点“没打好”，什么也不记，可以再打印。")
        self.dialog = ask_to_confirm(self, "证书打印好了吗？", text, f"都打好了，记为{self._record_word}",
                                     lambda: self.record(), cancel_text="没打好，不记",
                                     details="\n".join(self.result.names))
        return self.dialog

    def record(self, out: Path | None = None) -> ops.Op | None:
        """Records the printing of exactly the previewed certificates; with `out`, saves the final PDF there too."""
        if self.result is None or self.recorded is not None or self.busy:
            return None
        preview, preview_file, who = self.result, self.pdf_path, actor()
        reprint = self.kind.key == "reprint"
        reason = clean_text(self.reason_edit.text()) if reprint else None
        self.record_op = ops.run_write(
            self, self._engine, lambda session, _job: documents.record_certificate_printing(
                session, preview, actor=who, reprint=reprint, reason=reason, preview_file=preview_file, out=out),
            label=f"正在记为{self._record_word}……", title=self.kind.title, cancellable=False,
            on_success=lambda printed: self._recorded(printed, out),
            on_failure=lambda exc: setattr(self, "dialog", report_failure(self, exc, title=f"没有记为{self._record_word}")))
        self._set_state()
        self.record_op.done.connect(self._set_state)
        return self.record_op

    def _recorded(self, printed: Printed, out: Path | None) -> None:
        self.recorded = printed
        self.summary_label.setText(f"已记为{self._record_word}：{printed.pages} 张。卡纸等没打好的，可以再点“打印…”重印，不算补发。")
        if out is not None:
            self.saved_label.show_message(f"已保存：{out}")
        self._set_state()
        self.printed.emit(printed, str(out or self.pdf_path))

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.summary_label.setText("已取消，没有生成 PDF" + ("，也没有记为已打印。" if self.kind.records else "。"))
            return
        self.summary_label.setText("" if isinstance(exc, AdultSchoolError) else "没有生成 PDF。")
        reason_refused = self.kind.key == "reprint" and isinstance(exc, AdultSchoolError) and "原因" in exc.message
        line = self.reason_message if reason_refused else self.error_label
        self.dialog = ops.show_failure(self, exc, line=line) or self.dialog

    def _close_pages(self) -> None:
        if self.busy:
            return
        self.preview.close_pages()
        if self._preview_dir is not None:
            shutil.rmtree(self._preview_dir, ignore_errors=True)
            self._preview_dir = None

    # --- 打印… / 打开 PDF / 另存为 ----------------------------------------------------------------------------

    def new_printer(self) -> QPrinter:
        """A printer set up for the PDF's paper: its size and orientation, drawn edge to edge."""
        return new_printer(self.pdf_path.stem if self.pdf_path else self.kind.file_stem, self.preview.pages)

    def choose_printer(self) -> QPrintDialog | None:
        pages = self.preview.pages
        if pages is None or self.busy:
            return None
        dialog = self.printing.choose(self.new_printer(), pages.page_count(), self.print_to)
        self.dialog = dialog
        return dialog

    def print_to(self, printer: QPrinter) -> ops.Op | None:
        """Sends the pages (the printer's page range, else all) to `printer`, in the worker with progress and 取消."""
        pages = self.preview.pages
        if self.pdf_path is None or self.busy or pages is None:
            return None
        op = self.printing.print_to(printer, self.pdf_path, pages.page_count())
        self._set_state()
        op.done.connect(self._set_state)
        return op

    def _sent(self, _pages: int) -> None:
        if self.kind.records and self.recorded is None:
            self.confirm_printed()

    def open_pdf(self) -> bool:
        if self.pdf_path is None:
            return False
        opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.pdf_path)))
        if not opened:
            self.dialog = show_error(self, "打开 PDF", f"没能打开 PDF 阅读器。文件在：\n{self.pdf_path}")
        return opened

    def save_as(self, target: Path | None = None) -> Path | ops.Op | None:
        """Forms: a copy of the PDF. Certificates: the final PDF, and the printing recorded with it (once)."""
        if self.pdf_path is None:
            return None
        if target is None:
            suggested = Path(self.path_edit.text()) if self.kind.scratch else self.pdf_path
            target = ask_save_path(self, "保存 PDF" if self.kind.records else "另存为", suggested, PDF_FILTER, ".pdf")
            if target is None:
                return None
        if self.kind.records and self.recorded is None:
            return self.record(target)
        if target.resolve() == self.pdf_path.resolve():
            return target
        try:
            shutil.copyfile(self.pdf_path, target)
        except OSError as exc:
            self.dialog = show_error(self, "另存为", f"没能保存到“{target}”：{os_error_text(exc)}")
            return None
        self.saved_label.show_message(f"已另存为：{target}")
        return target

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()
