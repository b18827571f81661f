"""Ctrl+C in any list of the window copies the selected rows: tab-separated text, and an HTML table marking every cell
as text, so that pasting into Excel or WPS keeps an 18-digit ID number or a student number exactly as shown (as plain
text, Excel would turn 330206198806010032 into 3.30206E+17).
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QTableView

_TEXT_CELL = "mso-number-format:'\\@'"  # Excel's and WPS's "this cell is text"


def _clean(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def selected_rows(view: QTableView) -> list[list[str]]:
    """The selected rows (or the current one), each the shown text of its visible columns in the order on screen."""
    model, selection = view.model(), view.selectionModel()
    if model is None or selection is None:
        return []
    rows = sorted({index.row() for index in selection.selectedIndexes()})
    if not rows and view.currentIndex().isValid():
        rows = [view.currentIndex().row()]
    header = view.horizontalHeader()
    columns = [header.logicalIndex(visual) for visual in range(header.count())]
    columns = [c for c in columns if not view.isColumnHidden(c)]
    return [[_clean(model.index(row, column).data(Qt.ItemDataRole.DisplayRole)) for column in columns] for row in rows]


def copy_rows(view: QTableView) -> int:
    """Puts the selected rows on the clipboard; how many rows."""
    rows = selected_rows(view)
    if not rows:
        return 0
    mime = QMimeData()
    mime.setText("\r\n".join("\t".join(row) for row in rows) + "\r\n")
    cells = "".join("<tr>" + "".join(f'<td style="{_TEXT_CELL}">{escape(cell)}</td>' for cell in row) + "</tr>"
                    for row in rows)
    mime.setHtml(f"<html><body><table>{cells}</table></body></html>")
    QGuiApplication.clipboard().setMimeData(mime)
    return len(rows)


class _Copier(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and isinstance(event, QKeyEvent) \
                and event.matches(QKeySequence.StandardKey.Copy):
            view = watched if isinstance(watched, QTableView) else None
            if view is None and isinstance(watched, QObject) and isinstance(watched.parent(), QTableView):
                view = watched.parent() if watched is watched.parent().viewport() else None  # type: ignore[union-attr]
            if view is not None and view.state() != QTableView.State.EditingState:
                if event.type() == QEvent.Type.ShortcutOverride:
                    event.accept()  # ours, not a window shortcut's
                    return True
                copy_rows(view)
                return True
        return False


def install() -> None:
    """Once per application: every table view of every window copies rows on Ctrl+C."""
    app = QApplication.instance()
    if app is None or getattr(app, "_adultschool_copier", None) is not None:
        return
    copier = _Copier(app)
    app.installEventFilter(copier)
    app._adultschool_copier = copier  # type: ignore[attr-defined]
