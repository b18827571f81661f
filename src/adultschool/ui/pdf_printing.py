"""Qt printing of a PDF that was made: a printer set up for the PDF's paper, the system's print dialog, and the pages
rendered (see pdf_pages) and painted on the printer in the worker thread, with progress and 取消."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QRect, QSize, QSizeF, Qt
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import JobContext
from adultschool.ui import ops
from adultschool.ui.common import MessageLabel
from adultschool.ui.pdf_pages import PdfPages, fit, open_pages


PRINT_DPI_LIMIT = 300  # pages go to the printer as images; beyond 300 dpi they only grow, not sharpen


def match_paper(printer: QPrinter, points: QSizeF) -> None:
    """The paper and orientation of a PDF page (A4 landscape for a certificate, A4 portrait for a form)."""
    portrait = QSizeF(min(points.width(), points.height()), max(points.width(), points.height()))
    printer.setPageSize(QPageSize(portrait, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch))
    printer.setPageOrientation(QPageLayout.Orientation.Landscape if points.width() > points.height()
                               else QPageLayout.Orientation.Portrait)


def paint_pages(path: Path, printer: QPrinter, pages: list[int], job: JobContext) -> int:
    """Worker thread: each page rendered at up to PRINT_DPI_LIMIT and drawn to fill the paper (QPainter on a
    QPrinter may run outside the UI thread)."""
    document = open_pages(path)
    if document is None:
        raise AdultSchoolError("这台电脑缺少 PDF 预览组件，请点“打开 PDF”，用 PDF 阅读器打印。")
    painter = QPainter()
    try:
        # Set again here: the print dialog (or a change of output format) may have reset the paper.
        match_paper(printer, document.page_size(pages[0]) if pages else QSizeF(595, 842))
        if not painter.begin(printer):
            raise AdultSchoolError("打印机没有准备好：请检查打印机是否开着、是否选对。")
        dpi = min(printer.resolution(), PRINT_DPI_LIMIT)
        scale = printer.resolution() / dpi
        for done, page in enumerate(pages):
            job.report(done, len(pages), f"正在送往打印机：第 {done + 1} / {len(pages)} 页")
            if done:
                match_paper(printer, document.page_size(page))  # takes effect on the new page
                printer.newPage()
            paper = printer.paperRect(QPrinter.Unit.DevicePixel).toRect()
            target = fit(document.page_size(page), paper.size())
            image = document.render(page, QSize(max(1, round(target.width() / scale)),
                                                max(1, round(target.height() / scale))))
            left = paper.left() + (paper.width() - target.width()) // 2
            top = paper.top() + (paper.height() - target.height()) // 2
            painter.drawImage(QRect(left, top, target.width(), target.height()), image)
        job.report(len(pages), len(pages), "已送往打印机")
    except Cancelled:
        printer.abort()
        raise
    finally:
        if painter.isActive():
            painter.end()
        document.close()
    return len(pages)


def new_printer(doc_name: str, pages: PdfPages | None) -> QPrinter:
    """A printer set up for the PDF's paper: its size and orientation, drawn edge to edge, all its pages."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setFullPage(True)
    printer.setDocName(doc_name)
    if pages is not None and pages.page_count():
        match_paper(printer, pages.page_size(0))
        printer.setFromTo(1, pages.page_count())
    return printer


def pages_to_send(printer: QPrinter, count: int) -> list[int]:
    """The printer's page range (else all `count` pages), once per copy the printer does not make itself."""
    first, last = printer.fromPage(), printer.toPage()
    wanted = list(range(first - 1, last)) if first > 0 and last >= first else list(range(count))
    wanted = [p for p in wanted if 0 <= p < count]
    copies = 1 if printer.supportsMultipleCopies() else max(1, printer.copyCount())
    return wanted * copies


class PdfPrinting:
    """打印… from a dialog: the system's print dialog, then the pages sent in the worker. `op` is the sending (None
    before the first); how it went is said on `line`, a failure in a box given to `opened`, and `sent(pages)` follows
    a sending that went through."""

    def __init__(self, parent: QWidget, line: MessageLabel, *, sent: Callable[[int], None],
                 opened: Callable[[QWidget | None], None]):
        self._parent = parent
        self._line = line
        self._sent = sent
        self._opened = opened
        self.op: ops.Op | None = None
        self._printer: QPrinter | None = None  # alive as long as the system's dialog and the printing

    def choose(self, printer: QPrinter, page_count: int, chosen: Callable[[QPrinter], object]) -> QPrintDialog:
        """Opens the system's print dialog on `printer`; 打印 there calls `chosen(printer)`, 取消 nothing."""
        dialog = QPrintDialog(printer, self._parent)
        dialog.setWindowTitle("打印")
        dialog.setMinMax(1, page_count)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda result: chosen(printer) if result == QDialog.DialogCode.Accepted else None)
        self._printer = printer
        QDialog.open(dialog)  # PySide's QPrintDialog.open() wants a receiver; the plain one opens without a nested loop
        return dialog

    def print_to(self, printer: QPrinter, path: Path, page_count: int) -> ops.Op:
        """Sends the PDF's pages (the printer's page range, else all) to `printer`."""
        self._printer = printer
        wanted = pages_to_send(printer, page_count)

        def work(job: JobContext) -> int:
            return paint_pages(path, printer, wanted, job)

        self.op = ops.run_op(self._parent, work, label="正在送往打印机……", title="打印",
                             on_success=self._went, on_failure=self._failed)
        return self.op

    def _went(self, pages: int) -> None:
        self._line.show_message(f"已送往打印机：{pages} 页")
        self._sent(pages)

    def _failed(self, exc: BaseException) -> None:
        self._opened(ops.show_failure(self._parent, exc, line=self._line, cancelled="已取消打印。", box="没有打印"))
