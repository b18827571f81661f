"""导出 Excel… and 打印… for a page's list: the page says what it shows (a `services.lists` spec), this writes it.

Both run `lists.write_list` off the UI thread (ops). The export asks where to save (ask_save_path); 打印… opens the
print preview (print_dialog, kind "list") on a PDF made in a scratch folder, which records nothing. A list with ID
numbers is written masked, as the screen shows it; a clerk allowed full ID numbers may choose them from the button's
menu (an encrypted or a plain workbook, or a plain printout), and that file writes its `id.reveal` entry.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QWidget
from sqlalchemy import Engine

from adultschool import clock
from adultschool.services import lists
from adultschool.services.permissions import Permission
from adultschool.services.disclosure import Protection
from adultschool.ui import ops
from adultschool.ui.common import (
    actor,
    ask_save_path,
    can,
    documents_folder,
    file_name_part,
    open_dialog,
    show_error,
    show_info,
    unused_path,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from adultschool.jobs import JobContext
    from adultschool.ui.print_dialog import PrintDialog  # imported when first opened (it brings reportlab)

XLSX_FILTER = "Excel 工作簿 (*.xlsx)"
FULL_ID_CHOICES = (
    ("身份证号码遮挡（与屏幕相同）", Protection.MASKED),
    ("完整身份证号码，加密（发邮件用，程序给出密码）", Protection.PASSWORD),
    ("完整身份证号码，不加密（在本机打印，记入日志）", Protection.PLAIN),
)


class ListOutput(QObject):
    """The two buttons of one page's list. `spec()` gives what the page shows now, or None (with `why_not()` saying
    why nothing can be written); `file_stem()` names the file, `today()` (the page's day) dates it and the list.
    `written(ListWritten)` after an export."""

    written = Signal(object)

    def __init__(self, parent: QWidget, engine: Engine, *, spec: Callable[[], lists.ListSpec | None],
                 file_stem: Callable[[], str], has_ids: bool, why_not: Callable[[], str] = lambda: "",
                 folder: Path | None = None, print_text: str = "打印…", today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self._today = today
        self._page = parent
        self._engine = engine
        self._spec = spec
        self._file_stem = file_stem
        self._why_not = why_not
        self._folder = folder
        self.has_ids = has_ids
        self.op: ops.Op | None = None
        self.dialog: QWidget | None = None
        self.export_button = QPushButton("导出 Excel…")
        self.export_button.setToolTip("把列表里的全部行（按现在的筛选）保存为 Excel 文件，身份证号码和学籍号是文本")
        self.print_button = QPushButton(print_text)
        self.print_button.setToolTip("预览并打印列表里的全部行（按现在的筛选）；预览和打印都不记录")
        for button in (self.export_button, self.print_button):
            button.setAutoDefault(False)
        # For a clerk allowed full ID numbers the buttons offer them as a second, deliberate choice (asked at the click:
        # the account may change while the window is open).
        self.export_menu = QMenu(self.export_button)
        for text, protection in FULL_ID_CHOICES:
            self.export_menu.addAction(text, self._export_as(protection))
        self.print_menu = QMenu(self.print_button)
        self.print_menu.addAction(FULL_ID_CHOICES[0][0], lambda: self.open_print())
        self.print_menu.addAction("完整身份证号码（记入日志）", lambda: self.open_print(protection=Protection.PLAIN))
        self.export_button.clicked.connect(lambda: self._clicked(self.export_menu, self.export_button, self.export))
        self.print_button.clicked.connect(lambda: self._clicked(self.print_menu, self.print_button, self.open_print))

    def _export_as(self, protection: Protection) -> Callable[[], object]:
        return lambda: self.export(protection=protection)

    def _clicked(self, menu: QMenu, button: QPushButton, masked: Callable[[], object]) -> None:
        if self.has_ids and can(Permission.VIEW_FULL_ID):
            menu.popup(button.mapToGlobal(button.rect().bottomLeft()))
        else:
            masked()

    def layout(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.export_button)
        row.addWidget(self.print_button)
        return row

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def set_enabled(self, enabled: bool) -> None:
        self.export_button.setEnabled(enabled)
        self.print_button.setEnabled(enabled)

    def folder(self) -> Path:
        return self._folder or documents_folder()

    def default_name(self, suffix: str) -> str:
        return f"{file_name_part(self._file_stem())}-{self._today().isoformat()}{suffix}"

    def _current(self) -> lists.ListSpec | None:
        spec = self._spec()
        if spec is None:
            self.dialog = show_error(self._page, "没有可导出的名单", self._why_not() or "这一页现在没有名单。")
        return spec

    # --- 导出 Excel… -----------------------------------------------------------------------------------------

    def export(self, path: Path | None = None, *, protection: Protection = Protection.MASKED) -> ops.Op | None:
        if self.busy:
            return None
        spec = self._current()
        if spec is None:
            return None
        if path is None:
            path = ask_save_path(self._page, "导出 Excel", unused_path(self.folder() / self.default_name(".xlsx")),
                                 XLSX_FILTER, ".xlsx")
            if path is None:
                return None
        who, today = actor(), self._today()
        run = ops.run_write if protection.full_ids else ops.run_read  # full ID numbers in a file are audited
        self.op = run(self._page, self._engine,
                      lambda session, job: lists.write_list(session, path, spec, actor=who, protection=protection,
                                                            job=job, today=today),
                      label="正在导出……", title="导出 Excel", on_success=self._exported, on_failure=self._failed)
        self.op.done.connect(lambda: self.set_enabled(True))
        self.set_enabled(False)
        return self.op

    def _exported(self, written: lists.ListWritten) -> None:
        self.dialog = show_info(self._page, "导出完成", "\n".join(written.lines()))
        self.written.emit(written)

    def _failed(self, exc: BaseException) -> None:
        self.dialog = ops.show_failure(self._page, exc, cancelled="已取消导出，没有写出文件。", box="没有导出")

    # --- 打印… ---------------------------------------------------------------------------------------------

    def open_print(self, *, protection: Protection = Protection.MASKED) -> PrintDialog | None:
        """The print preview of the list, made at once; nothing is recorded unless full ID numbers were chosen."""
        spec = self._current()
        if spec is None:
            return None
        from adultschool.services.documents import Printed
        from adultschool.ui.print_dialog import PrintDialog

        who, today = actor(), self._today()

        def work(session: Session, job: JobContext, out: Path) -> Printed:
            written = lists.write_list(session, out, spec, actor=who, protection=protection, job=job, today=today)
            return Printed(written.pages or 0, ())

        stem = self._file_stem()
        if not self.has_ids:
            note = f"{stem}：与屏幕上的列表相同（按现在的筛选）。预览和打印都不记录。"
        elif protection.full_ids:
            note = f"{stem}：含完整身份证号码，生成时记入日志。请妥善保管打印出的纸张。"
        else:
            note = f"{stem}：与屏幕上的列表相同（按现在的筛选），身份证号码已遮挡。预览和打印都不记录。"
        dialog = PrintDialog(self._engine, "list", self._page, today=self._today, folder=self.folder(), list_work=work,
                             title=f"打印{stem}", file_stem=file_name_part(stem), writes=protection.full_ids, note=note)
        self.dialog = dialog
        open_dialog(dialog)
        dialog.generate()
        return dialog
