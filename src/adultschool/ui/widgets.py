"""Small widget helpers the pages and dialogs share: a grey hint label, a label with a mnemonic for its field, a password
edit, a tab order, Enter that adds instead of accepting the dialog, a read-only table and its filling, and a large
selectable label for a key fingerprint."""
from __future__ import annotations

from collections.abc import Collection, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QLineEdit, QTableWidget, QTableWidgetItem, QWidget

from adultschool.ui.common import HINT_COLOUR


def hint_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {HINT_COLOUR};")
    return label


def buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A form label with a mnemonic (Alt+letter) that jumps to its field."""
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


def password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def chain_tab_order(*widgets: QWidget) -> None:
    for first, second in zip(widgets, widgets[1:]):
        QWidget.setTabOrder(first, second)


class EnterAdds(QObject):
    """Enter in a line edit with text runs `add` instead of pressing the dialog's default button (下一步, 确定)."""

    def __init__(self, edit: QLineEdit, add) -> None:  # noqa: ANN001 - a no-argument callable
        super().__init__(edit)
        self._edit = edit
        self._add = add
        edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self._edit and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and self._edit.text().strip()):
            self._add()
            return True
        return False


def _item(text: object, *, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def read_only_table(headers: tuple[str, ...] | list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setStretchLastSection(True)
    return table


def fill_table(table: QTableWidget, rows: Sequence[Sequence[object]], *, right: Collection[int] = frozenset()) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, _item(value, align_right=c in right))
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    metrics = table.fontMetrics()
    for column in range(table.columnCount()):  # room for the header text (each of its lines)
        title = header.model().headerData(column, Qt.Orientation.Horizontal) or ""
        header.resizeSection(column, max(header.sectionSize(column),
                                         max(metrics.horizontalAdvance(line) for line in title.split("\n")) + 18))


def filled_item(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """The item at a cell of a table `fill_table` filled: it sets every cell, so there is one."""
    item = table.item(row, column)
    assert item is not None, (row, column)
    return item


def fingerprint_label() -> QLabel:
    label = QLabel()
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    font.setPointSizeF(label.font().pointSizeF() * 1.2)
    font.setBold(True)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
