"""The 证书 page (R11): every graduation certificate with how often it was printed; 打印证书 and 补发 open the print dialog.

打印证书 prints the selected certificates not printed yet, or all not printed yet when none is selected; printing one
again is a 补发 and needs a reason (the services refuse otherwise, and so does the dialog). The preview is free: a
certificate counts as printed once the clerk confirms the print or saves the final PDF.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.models.enums import Level
from adultschool.services import certificates, lists
from adultschool.services.certificates import CertificateRow
from adultschool.ui import changes
from adultschool.ui.changes import Topic
from adultschool.ui.common import HINT_COLOUR, Page, open_dialog, show_info
from adultschool.ui.list_output import ListOutput
from adultschool.ui.ways_back_dialogs import RevokeCertificateDialog

if TYPE_CHECKING:
    from adultschool.services.documents import Printed  # brings reportlab, like the print dialog
    from adultschool.ui.print_dialog import PrintDialog  # imported when first opened (it brings reportlab)

HEADERS = ("学籍号", "姓名", "层次", "证书编号", "发证日期", "已打印次数", "状态")
_SAMPLES = ("330206-01-2026-00000", "欧阳小红红", "层次", "330206-01-BY2026-0000", "2026-00-00", "已打印次数",
            "已撤销（2026-00-00）")
ALL, NOT_PRINTED, PRINTED = "all", "not_printed", "printed"
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
RowRole = Qt.ItemDataRole.UserRole + 1


def _fresh(row: CertificateRow) -> bool:
    """Valid and never printed: what 打印证书 prints."""
    return row.revoked_on is None and row.prints == 0


def _reprintable(row: CertificateRow) -> bool:
    return row.revoked_on is None and row.prints > 0


class CertificatesPage(Page):
    """`changed` after a printing was recorded; `status_message` for the status bar."""

    topics = frozenset({Topic.CERTIFICATES, Topic.LEARNERS})  # each certificate with its holder's name and number


    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today,
                 folder: Path | None = None):
        super().__init__(engine, parent, today=today, folder=folder)
        self.rows: list[CertificateRow] = []
        self.dialog: QWidget | None = None
        metrics = self.fontMetrics()

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("搜索姓名、学籍号或证书编号")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(metrics.horizontalAdvance("搜索姓名、学籍号或证书编号") + 40)
        self.state_combo = QComboBox()
        for text, state in (("全部", ALL), ("未打印", NOT_PRINTED), ("已打印", PRINTED)):
            self.state_combo.addItem(text, state)
        self.print_button = QPushButton("打印证书…")
        self.print_button.clicked.connect(lambda: self.open_print())
        self.reprint_button = QPushButton("补发…")
        self.reprint_button.setToolTip("再次打印所选的已打印证书（原编号，印“补发”），须写明原因")
        self.reprint_button.clicked.connect(lambda: self.open_reprint())
        self.revoke_button = QPushButton("撤销证书…")
        self.revoke_button.setToolTip("撤销所选的一张证书（须写明原因）：此后它显示为已撤销，不能再打印或补发")
        self.revoke_button.clicked.connect(lambda: self.open_revoke())
        self.count_label = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        state_label = QLabel("状态")
        state_label.setBuddy(self.state_combo)
        top.addWidget(state_label)
        top.addWidget(self.state_combo)
        top.addWidget(self.print_button)
        top.addWidget(self.reprint_button)
        top.addWidget(self.revoke_button)
        top.addWidget(self.count_label)

        self.empty_hint = QLabel("还没有毕业证书。学员全部课程考试通过后，在“考试”页点“毕业…”。")
        self.empty_hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.empty_hint.hide()
        self.selection_label = QLabel()
        self.selection_label.setStyleSheet(f"color: {HINT_COLOUR};")

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(metrics.height() + 10)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        for column, (title, sample) in enumerate(zip(HEADERS, _SAMPLES)):
            self.table.setColumnWidth(column, max(metrics.horizontalAdvance(title), metrics.horizontalAdvance(sample)) + 28)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSortIndicator(3, Qt.SortOrder.AscendingOrder)  # certificate number order
        self.table.setSortingEnabled(True)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.table, 1)
        # 导出 Excel… / 打印名单…: the certificates the table shows (search and state), as a list on paper.
        self.list_output = ListOutput(self, engine, spec=self.list_spec, file_stem=lambda: "毕业证书名单", has_ids=False,
                                      folder=folder, print_text="打印名单…", today=self._today)
        bottom = QHBoxLayout()
        bottom.addWidget(self.selection_label, 1)
        bottom.addLayout(self.list_output.layout())
        layout.addLayout(bottom)

        self.search_edit.textChanged.connect(lambda _text: self.apply_filter())
        self.state_combo.currentIndexChanged.connect(lambda _index: self.apply_filter())
        self.refresh()

    # --- loading and filtering -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reads the certificates again (one grouped query), keeping the filter and the selection."""
        chosen = {row.number for row in self.selected_rows()}
        with read_session(self._engine) as session:
            self.rows = certificates.list_certificates(session)
        table = self.table
        table.setSortingEnabled(False)
        table.setUpdatesEnabled(False)
        table.clearSelection()
        table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            values: tuple[object, ...] = (row.student_number, row.name, Level(row.level).label, row.number,
                                          row.issued_on.isoformat(), row.prints,
                                          f"已撤销（{row.revoked_on}）" if row.revoked_on else "有效")
            for c, value in enumerate(values):
                item = QTableWidgetItem()
                if isinstance(value, int):
                    item.setData(Qt.ItemDataRole.DisplayRole, value)  # sorts as a number
                    item.setTextAlignment(_RIGHT)
                else:
                    item.setText(str(value))
                if c == 0:
                    item.setData(RowRole, row)
                if c == 6 and row.revoked_on:
                    item.setToolTip(row.revoked_reason or "")
                table.setItem(r, c, item)
        table.setSortingEnabled(True)
        table.setUpdatesEnabled(True)
        self.apply_filter()
        for r in range(table.rowCount()):
            if self._row(r).number in chosen and not table.isRowHidden(r):
                table.selectionModel().select(table.model().index(r, 0), table.selectionModel().SelectionFlag.Select
                                              | table.selectionModel().SelectionFlag.Rows)
        self.empty_hint.setVisible(not self.rows)
        self._selection_changed()

    def _row(self, table_row: int) -> CertificateRow:
        item = self.table.item(table_row, 0)
        assert item is not None  # refresh() sets every cell of every row
        return item.data(RowRole)

    def list_spec(self) -> lists.CertificateList:
        return lists.CertificateList(self.search_edit.text().strip(), self.state_combo.currentData())

    def apply_filter(self) -> None:
        needle = self.search_edit.text().strip()
        state = self.state_combo.currentData()
        shown = 0
        for r in range(self.table.rowCount()):
            row = self._row(r)
            visible = lists.certificate_shown(row, needle, state)
            self.table.setRowHidden(r, not visible)
            shown += visible
        not_printed = sum(1 for row in self.rows if _fresh(row))
        self.count_label.setText(f"共 {len(self.rows)} 张，未打印 {not_printed} 张" +
                                 (f"，显示 {shown} 张" if shown != len(self.rows) else ""))
        self._selection_changed()

    def selected_rows(self) -> list[CertificateRow]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self._row(r) for r in rows if not self.table.isRowHidden(r)]

    def select_numbers(self, student_numbers: list[str]) -> None:
        """Selects the certificates of these student numbers (what a clerk does with Ctrl+click)."""
        self.table.clearSelection()
        flags = self.table.selectionModel().SelectionFlag.Select | self.table.selectionModel().SelectionFlag.Rows
        for r in range(self.table.rowCount()):
            if self._row(r).student_number in student_numbers:
                self.table.selectionModel().select(self.table.model().index(r, 0), flags)

    def _selection_changed(self) -> None:
        selected = self.selected_rows()
        fresh = [row for row in selected if _fresh(row)]
        printed = [row for row in selected if _reprintable(row)]
        any_fresh = any(_fresh(row) for row in self.rows)
        if selected:
            self.print_button.setText(f"打印所选证书（{len(fresh)} 张）…" if fresh else "打印证书…")
            self.print_button.setEnabled(bool(fresh))
            self.selection_label.setText(f"已选 {len(selected)} 张：未打印 {len(fresh)} 张，已打印 {len(printed)} 张")
        else:
            self.print_button.setText("打印证书…")
            self.print_button.setEnabled(any_fresh)
            self.selection_label.setText("没有选中证书时，“打印证书…”打印全部未打印的证书；补发请先选中证书。")
        self.reprint_button.setEnabled(bool(printed))
        self.revoke_button.setEnabled(len(selected) == 1 and selected[0].revoked_on is None)

    # --- printing --------------------------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def _print_dialog(self, kind: str, rows: list[CertificateRow] | None, note: str) -> PrintDialog:
        from adultschool.ui.print_dialog import PrintDialog

        dialog = PrintDialog(self._engine, kind, self, today=self._today, folder=self._folder,
                             student_numbers=[r.student_number for r in rows] if rows else None,
                             names=[r.name for r in rows] if rows else (), note=note)
        dialog.printed.connect(self._printed)
        self._open(dialog)
        return dialog

    def open_print(self) -> PrintDialog | None:
        """The selected certificates not printed yet, or every one not printed yet when none is selected."""
        selected = self.selected_rows()
        if selected:
            fresh = [row for row in selected if _fresh(row)]
            if not fresh:
                self.dialog = show_info(self, "打印证书", "所选证书都已打印过。再次打印请用“补发…”，并写明原因。")
                return None
            left_out = len(selected) - len(fresh)
            note = f"所选的另外 {left_out} 张已打印过，不在这次打印之列（再次打印请用“补发…”）。" if left_out else ""
            return self._print_dialog("certificates", fresh, note)
        if not any(_fresh(row) for row in self.rows):
            self.dialog = show_info(self, "打印证书", "没有未打印的证书。再次打印请先选中证书，再点“补发…”。")
            return None
        count = sum(1 for row in self.rows if _fresh(row))
        return self._print_dialog("certificates", None, f"共 {count} 张。")

    def open_reprint(self) -> PrintDialog | None:
        selected = self.selected_rows()
        printed = [row for row in selected if _reprintable(row)]
        if not printed:
            self.dialog = show_info(self, "补发证书", "请先选中要补发的证书（已打印过的）。未打印过的证书请用“打印证书…”。")
            return None
        left_out = len(selected) - len(printed)
        note = f"所选的另外 {left_out} 张还没打印过，请用“打印证书…”。" if left_out else ""
        return self._print_dialog("reprint", printed, note)

    def open_revoke(self) -> RevokeCertificateDialog | None:
        selected = self.selected_rows()
        if len(selected) != 1 or selected[0].revoked_on is not None:
            self.dialog = show_info(self, "撤销证书", "请先选中一张有效的证书。")
            return None
        row = selected[0]
        dialog = RevokeCertificateDialog(self._engine, row.number, f"{row.name}（{row.student_number}）", self,
                                         today=self._today)
        dialog.completed.connect(self._revoked)
        self._open(dialog)
        return dialog

    def _revoked(self, revoked: certificates.Revoked) -> None:
        self.refresh()
        self.status_message.emit(f"已撤销证书 {revoked.number}：{revoked.reason}")
        self.changed.emit(changes.CERTIFICATE_REVOKED)

    def _printed(self, printed: Printed, path: str) -> None:
        self.refresh()
        self.status_message.emit(f"已记录打印：{printed.pages} 张证书")
        self.changed.emit(changes.CERTIFICATES_PRINTED)
