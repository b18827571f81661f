"""打印证书 / 补发证书 / 打印表格 / 打印名单: what to print, where the PDF goes, then 生成 PDF, a preview, and 打印… /
打开 PDF / 另存为.

A certificate preview is free: `documents.preview_certificates` writes it to a private scratch folder and records
nothing. The printing is recorded (`documents.record_certificate_printing`) only when the clerk says the pages came out
of the printer, or saves the final PDF; pages that misfed can be sent again from the same dialog without a 补发. Forms
are read-only. The preview and the printer get the PDF's own pages (see pdf_pages), so what is printed is exactly the
file that was recorded. A list of a page (`kind="list"`, see list_output) is made at once into the scratch folder and
records nothing unless it carries full ID numbers (then its making is the audited disclosure).

This dialog is the frame every kind shares; the fields of a kind are its panel (print_panels), the pages are shown by
print_preview and sent to a printer by pdf_printing.
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
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget
from sqlalchemy import Engine

from adultschool import clock, paths
from adultschool.errors import AdultSchoolError, Cancelled, os_error_text
from adultschool.outfiles import private_folder
from adultschool.services import documents
from adultschool.services.documents import Printed
from adultschool.ui import ops
from adultschool.ui.common import (
    MessageLabel,
    actor,
    ask_save_path,
    ask_to_confirm,
    documents_folder,
    report_failure,
    show_error,
    unused_path,
    with_suffix,
)
from adultschool.ui.pdf_printing import PdfPrinting, new_printer
from adultschool.ui.print_kinds import KINDS, ListWork
from adultschool.ui.print_panels import CertificatesPanel, PanelContext, make_panel
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
        if kind == "list":
            self.kind = replace(self.kind, title=title or self.kind.title, file_stem=file_stem or self.kind.file_stem,
                                writes=writes)
        self._today = today
        self._folder = folder or documents_folder()
        self.student_numbers = tuple(student_numbers) if student_numbers else None
        self.op: ops.Op | None = None
        self.result: Printed | None = None  # type: ignore[assignment]  # the PDF made (shadows QDialog.result())
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
        context = PanelContext(engine=engine, parent=self, folder=self._folder, today=today,
                               student_numbers=self.student_numbers, file_name_changed=self._suggest_path,
                               opened=self._keep)
        self.panel = make_panel(self.kind, context, names=names, note=note, list_work=list_work)
        self.panel.add_rows(form)

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
            self.save_as_button.setToolTip("保存最终的证书 PDF，并记为" + self.panel.record_word)
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

    # --- where the PDF goes --------------------------------------------------------------------------------

    def default_file_name(self) -> str:
        return self.panel.file_name()

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
        for widget in (*self.panel.inputs(), self.path_edit, self.browse_button, self.generate_button):
            widget.setEnabled(not done and not busy)
        self.close_button.setEnabled(not busy)
        self.print_button.setEnabled(done and not busy and self.preview.pages is not None)
        self.open_button.setEnabled(done and not busy)
        self.save_as_button.setEnabled(done and not busy)
        self.record_button.setEnabled(done and not busy and self.recorded is None)

    # --- 生成 PDF ------------------------------------------------------------------------------------------

    def generate(self) -> ops.Op | None:
        if self.busy or self.result is not None:
            return None
        self.error_label.show_message(None)
        if not self.panel.check(self.error_label):
            return None
        out = self._preview_file() if self.kind.scratch else self._checked_target()
        if out is None:
            return None
        self.summary_label.setText("正在生成 PDF……")
        run = ops.run_write if self.kind.writes else ops.run_read  # full ID numbers on paper are audited
        op = run(self, self._engine, self.panel.work(out), label=f"正在生成 {self.kind.file_stem} PDF……",
                 title=self.kind.title, on_success=lambda printed: self._generated(printed, out),
                 on_failure=self._failed)
        self.op = op
        self._set_state()
        op.done.connect(self._set_state)
        return op

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
        return self.panel.record_word

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

        def yes() -> None:
            self.record()

        self.dialog = ask_to_confirm(self, "证书打印好了吗？", text, f"都打好了，记为{self._record_word}", yes,
                                     cancel_text="没打好，不记", details="\n".join(self.result.names))
        return self.dialog

    def record(self, out: Path | None = None) -> ops.Op | None:
        """Records the printing of exactly the previewed certificates; with `out`, saves the final PDF there too."""
        panel = self.panel
        if not isinstance(panel, CertificatesPanel) or self.result is None or self.recorded is not None or self.busy:
            return None
        preview, preview_file, who = self.result, self.pdf_path, actor()
        reprint, reason = panel.reprint, panel.reason()
        op = ops.run_write(
            self, self._engine, lambda session, _job: documents.record_certificate_printing(
                session, preview, actor=who, reprint=reprint, reason=reason, preview_file=preview_file, out=out),
            label=f"正在记为{self._record_word}……", title=self.kind.title, cancellable=False,
            on_success=lambda printed: self._recorded(printed, out),
            on_failure=lambda exc: self._keep(report_failure(self, exc, title=f"没有记为{self._record_word}")))
        self.record_op = op
        self._set_state()
        op.done.connect(self._set_state)
        return op

    def _recorded(self, printed: Printed, out: Path | None) -> None:
        self.recorded = printed
        self.summary_label.setText(f"已记为{self._record_word}：{printed.pages} 张。卡纸等没打好的，可以再点“打印…”重印，不算补发。")
        if out is not None:
            self.saved_label.show_message(f"已保存：{out}")
        self._set_state()
        self.printed.emit(printed, str(out or self.pdf_path))

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.summary_label.setText("已取消，没有生成 PDF" + (f"，也没有记为{self._record_word}。" if self.kind.records else "。"))
            return
        self.summary_label.setText("" if isinstance(exc, AdultSchoolError) else "没有生成 PDF。")
        line = self.panel.failure_line(exc) or self.error_label
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
