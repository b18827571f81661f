"""Pages of a PDF as images, for the print preview and for printing on a Windows printer.

Qt's own QtPdf renders them when the PySide6 build has it (PySide6-Addons; PySide6-Essentials has not), else
pypdfium2 when installed; with neither, `open_pages` returns None and the dialog offers the system's PDF viewer.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QSize, QSizeF
from PySide6.QtGui import QImage

# PDFium, under either binding, must not run in two threads at once (preview in the UI, printing in the worker).
_lock = threading.Lock()


class PdfPages(Protocol):
    """An open PDF: how many pages, each page's size in points (1/72 inch), and a page as an image."""

    def page_count(self) -> int: ...

    def page_size(self, page: int) -> QSizeF: ...

    def render(self, page: int, size: QSize) -> QImage: ...

    def close(self) -> None: ...


class _QtPdfPages:
    def __init__(self, path: Path):
        from PySide6.QtPdf import QPdfDocument

        self._document = QPdfDocument()
        with _lock:
            error = self._document.load(str(path))
        if error != QPdfDocument.Error.None_:
            raise OSError(f"QtPdf cannot read {path.name}: {error}")

    def page_count(self) -> int:
        return self._document.pageCount()

    def page_size(self, page: int) -> QSizeF:
        return self._document.pagePointSize(page)

    def render(self, page: int, size: QSize) -> QImage:
        with _lock:
            return self._document.render(page, size)

    def close(self) -> None:
        self._document.close()


class _PdfiumPages:
    def __init__(self, path: Path):
        import pypdfium2

        with _lock:
            self._document = pypdfium2.PdfDocument(str(path))

    def page_count(self) -> int:
        return len(self._document)

    def page_size(self, page: int) -> QSizeF:
        with _lock:
            pdf_page = self._document[page]
            width, height = pdf_page.get_size()
            pdf_page.close()
        return QSizeF(width, height)

    def render(self, page: int, size: QSize) -> QImage:
        with _lock:
            pdf_page = self._document[page]
            width, _height = pdf_page.get_size()
            bitmap = pdf_page.render(scale=size.width() / width, prefer_bgrx=True)
            # BGRx bytes are Qt's RGB32 on a little-endian PC; copy() owns the pixels once the bitmap is freed.
            image = QImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride,
                           QImage.Format.Format_RGB32).copy()
            bitmap.close()
            pdf_page.close()
        return image

    def close(self) -> None:
        with _lock:
            self._document.close()


def _available() -> list[type]:
    found: list[type] = []
    try:
        import PySide6.QtPdf  # noqa: F401
    except ImportError:
        pass
    else:
        found.append(_QtPdfPages)
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        pass
    else:
        found.append(_PdfiumPages)
    return found


def renderer_name() -> str | None:
    """Which renderer previews and prints here ('QtPdf', 'PDFium'), None when there is none."""
    found = _available()
    if not found:
        return None
    return "QtPdf" if found[0] is _QtPdfPages else "PDFium"


def open_pages(path: Path) -> PdfPages | None:
    """The PDF's pages, or None when no renderer is installed (then only the system's PDF viewer can show it)."""
    found = _available()
    return found[0](Path(path)) if found else None


def fit(page_points: QSizeF, box: QSize) -> QSize:
    """The largest size of the page's shape that fits in `box` (pixels)."""
    if page_points.width() <= 0 or page_points.height() <= 0:
        return box
    scale = min(box.width() / page_points.width(), box.height() / page_points.height())
    return QSize(max(1, round(page_points.width() * scale)), max(1, round(page_points.height() * scale)))
