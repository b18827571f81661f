"""Qt printing of a PDF that was made: the printer's paper matched to the PDF's pages, and the pages rendered (see
pdf_pages) and painted on the printer in the worker thread."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter

from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import JobContext
from adultschool.ui.pdf_pages import fit, open_pages


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
