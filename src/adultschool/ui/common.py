"""Small pieces every screen shares: who is acting, dates, red/amber message labels, message boxes and the bug report.

Message boxes are opened without a nested event loop (`open()`), so an action never blocks the caller (or a test).
"""
from __future__ import annotations

import logging
import traceback
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ClassVar, TypeVar

from PySide6.QtCore import QDate, QStandardPaths, Qt, Signal
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sqlalchemy import Engine

from adultschool import clock, idcard, paths
from adultschool import __version__
from adultschool.errors import AdultSchoolError, Cancelled, os_error_text
from adultschool.services import audit, permissions
from adultschool.ui.changes import ALL_TOPICS, Topic

if TYPE_CHECKING:
    from adultschool.ui import ops

log = logging.getLogger(__name__)

ERROR_COLOUR = "#c0392b"
WARNING_COLOUR = "#b9770e"  # amber that stays readable on a white dialog
HINT_COLOUR = "#666666"



_signed_in: permissions.Principal | None = None  # set by the login dialog; None: single-user mode (no accounts)


def actor() -> str:
    """Who is acting, for the services' permission checks and the audit log: the signed-in account, else (single-user
    mode) the computer's login name — the same answer the command line gives."""
    return _signed_in.name if _signed_in is not None else audit.local_actor()


def signed_in() -> permissions.Principal:
    return _signed_in if _signed_in is not None else permissions.single_user(audit.local_actor())


def set_signed_in(principal: permissions.Principal | None) -> None:
    global _signed_in
    _signed_in = None if principal is None or principal.single_user else principal


def can(permission: permissions.Permission) -> bool:
    """What the window shows; the services check again whatever it lets through."""
    return signed_in().can(permission)


def to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


_UNSAFE_IN_FILE_NAMES = str.maketrans({c: "_" for c in '\\/:*?"<>|'})


def file_name_part(text: str) -> str:
    """Text (a school, a class, an exam round) made safe inside a Windows file name."""
    return text.translate(_UNSAFE_IN_FILE_NAMES).strip() or "_"


def documents_folder() -> Path:
    """The clerk's 文档 folder when there is one, else the home folder."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def unused_path(path: Path) -> Path:
    """`path`, or `name-2.ext`, `name-3.ext`… when a file of that name exists (a suggestion never overwrites)."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def with_suffix(path: Path, suffix: str) -> Path:
    """Adds `.xlsx` / `.pdf` when the clerk typed a name without it."""
    return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)


# Each file dialog remembers, on this PC, the folder last used in it (`key`, by default its title): the roster import
# opens where the townships' files were last time, the package export where the USB stick was.
FOLDERS_SETTING = "last_folders"


def remembered_folder(key: str, default: Path | None = None) -> Path:
    """The folder last used in the dialog `key` when it still exists, else `default` (else 文档)."""
    folders = paths.local_setting(FOLDERS_SETTING)
    remembered = folders.get(key) if isinstance(folders, dict) else None
    if isinstance(remembered, str) and Path(remembered).is_dir():
        return Path(remembered)
    return default if default is not None else documents_folder()


def remember_folder(key: str, chosen: Path) -> None:
    """Keeps the folder of what was chosen (the folder itself for a folder dialog) for the next time."""
    folder = chosen if chosen.is_dir() else chosen.parent
    folders = paths.local_setting(FOLDERS_SETTING)
    folders = dict(folders) if isinstance(folders, dict) else {}
    if folders.get(key) == str(folder):
        return
    folders[key] = str(folder)
    try:
        paths.set_local_setting(FOLDERS_SETTING, folders)
    except OSError:  # a read-only data folder costs the convenience, never the file the clerk chose
        log.warning("could not remember the folder of %s", key, exc_info=True)


def ask_save_path(parent: QWidget | None, title: str, suggested: Path, file_filter: str, suffix: str, *,
                  key: str | None = None) -> Path | None:
    """The system's 另存为 dialog (it asks before overwriting), in the folder last used for this dialog with the
    suggested name; None when the clerk cancels."""
    key = key or title
    start = remembered_folder(key, suggested.parent) / suggested.name
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start), file_filter)
    if not chosen:
        return None
    path = with_suffix(Path(chosen), suffix)
    remember_folder(key, path)
    return path


def ask_open_path(parent: QWidget | None, title: str, file_filter: str, *, default: Path | None = None,
                  key: str | None = None) -> Path | None:
    """The system's 打开 dialog in the folder last used for it; None when the clerk cancels."""
    key = key or title
    chosen, _ = QFileDialog.getOpenFileName(parent, title, str(remembered_folder(key, default)), file_filter)
    if not chosen:
        return None
    remember_folder(key, Path(chosen))
    return Path(chosen)


def ask_open_paths(parent: QWidget | None, title: str, file_filter: str, *, default: Path | None = None,
                   key: str | None = None) -> list[Path]:
    """Several files at once (packages from several schools); empty when the clerk cancels."""
    key = key or title
    chosen, _ = QFileDialog.getOpenFileNames(parent, title, str(remembered_folder(key, default)), file_filter)
    if chosen:
        remember_folder(key, Path(chosen[0]))
    return [Path(c) for c in chosen]


def ask_folder(parent: QWidget | None, title: str, *, default: Path | None = None,
               key: str | None = None) -> Path | None:
    key = key or title
    chosen = QFileDialog.getExistingDirectory(parent, title, str(remembered_folder(key, default)))
    if not chosen:
        return None
    remember_folder(key, Path(chosen))
    return Path(chosen)


def mask_ids(text: str) -> str:
    """Masks any full resident ID number in free text (tracebacks, logs): PIPL, see DOMAIN.md."""
    return idcard.mask_in_text(text)


class MessageLabel(QLabel):
    """A wrapped red (error), amber (warning) or grey (hint) line under a field; hidden while empty."""

    def __init__(self, parent: QWidget | None = None, *, kind: str = "error"):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.set_kind(kind)
        self.hide()

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        colour = {"error": ERROR_COLOUR, "warning": WARNING_COLOUR}.get(kind, HINT_COLOUR)
        self.setStyleSheet(f"color: {colour};")

    def show_message(self, text: str | None, kind: str | None = None) -> None:
        if kind is not None and kind != self.kind:
            self.set_kind(kind)
        self.setText(text or "")
        self.setVisible(bool(text))


def fit_height(dialog: QWidget) -> None:
    """Messages come and go under a form's fields: grows the dialog so none is cut off (Qt does not, for wrapped
    text)."""
    layout = dialog.layout()
    if layout is None:
        return
    layout.activate()
    width = max(dialog.width(), dialog.minimumSizeHint().width())
    needed = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
    if needed > dialog.height():
        dialog.resize(width, needed)


_parentless: set[QDialog] = set()
D = TypeVar("D", bound=QDialog)


def open_dialog(dialog: D) -> D:
    """Opens without a nested event loop; a dialog without a parent is kept alive until it closes."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if dialog.parent() is None:
        _parentless.add(dialog)
        dialog.finished.connect(lambda _result: _parentless.discard(dialog))
    dialog.open()
    return dialog


def show_info(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    open_dialog(box)
    return box


def show_error(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    open_dialog(box)
    return box


def report_failure(parent: QWidget | None, exc: BaseException, *, title: str = "操作没有完成") -> QWidget:
    """A problem the clerk can fix gets its Chinese message; anything else is a bug and gets the report dialog."""
    if isinstance(exc, Cancelled):
        return show_info(parent, "已取消", exc.message)
    if isinstance(exc, AdultSchoolError):
        return show_error(parent, title, str(exc))
    if isinstance(exc, OSError):  # a file or folder: the clerk can act on it (close Excel, plug the USB stick in)
        log.warning("file error", exc_info=exc)
        where = f"“{exc.filename}”" if exc.filename else "文件"
        return show_error(parent, title, f"{where}无法使用：{os_error_text(exc)}。")
    return show_bug_report(parent, exc)


def bug_report_text(exc: BaseException) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return mask_ids(f"adultschool {__version__}\n" + "".join(lines))


class BugReportDialog(QDialog):
    """Shown for every exception that is not an AdultSchoolError: what happened, and a report to copy and send."""

    def __init__(self, report: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("程序出错")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "程序遇到了意外的问题，刚才的操作没有完成，数据库没有被改动。\n"
            "请点“复制报告”，把下面的内容发给技术支持；详情也已写入日志。"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.report_view = QPlainTextEdit(report)
        self.report_view.setReadOnly(True)
        self.report_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.report_view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("复制报告")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        layout.addWidget(buttons)

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report_view.toPlainText())
        self.copy_button.setText("已复制")


def show_bug_report(parent: QWidget | None, exc: BaseException) -> BugReportDialog:
    report = bug_report_text(exc)
    log.error("unexpected error (shown to the user)\n%s", report)
    dialog = BugReportDialog(report, parent)
    open_dialog(dialog)
    return dialog


class Page(QWidget):
    """A page of the main window: one engine, today's date (tests set it), the folder file dialogs start in.

    `changed` after the page wrote something, with what it touched (a `changes.Changes`): the window re-reads the
    pages whose `topics` (what the page shows) it touched; `status_message` for the window's status bar.
    A page with `load_on_first_show` reads its data (`refresh()`) when it is first shown, not when the window is
    built, unless something refreshed it before (its `refresh` sets `loaded`)."""

    changed = Signal(object)
    status_message = Signal(str)
    load_on_first_show = False
    topics: ClassVar[frozenset[Topic]] = ALL_TOPICS  # a page that does not say re-reads after every write

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today,
                 folder: Path | None = None):
        super().__init__(parent)
        self._engine = engine
        self._today = today
        self._folder = folder
        self.op: ops.Op | None = None  # the page's background operation, one at a time
        self.loaded = False

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def showEvent(self, event: QShowEvent) -> None:  # Qt's name
        super().showEvent(event)
        if self.load_on_first_show and not self.loaded:
            self.loaded = True
            self.refresh()

    def refresh(self) -> None:
        """Reads the page's data again (the window calls it after a change elsewhere); each page defines it."""

    def _enable(self) -> None:
        """Enables what the page's state allows (pages override it); called when an operation starts and ends."""

    def _start(self, factory: Callable[[], ops.Op]) -> ops.Op:
        """Starts the operation `factory` makes, clearing the page's message line: the page is busy until it ends."""
        message = getattr(self, "message", None)
        if message is not None:
            message.show_message(None)
        self.op = factory()
        self._enable()
        self.op.done.connect(self._enable)
        return self.op


def ok_cancel_buttons(ok_text: str, cancel_text: str = "取消") -> tuple[QDialogButtonBox, QPushButton, QPushButton]:
    """A dialog's 确定/取消 pair with our own words; the OK button is the default, so Enter presses it."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
    ok.setText(ok_text)
    cancel.setText(cancel_text)
    ok.setDefault(True)
    return buttons, ok, cancel


def with_message(messages: dict[str, "MessageLabel"], field: str, widget: QWidget | QHBoxLayout) -> QWidget:
    """A form field with its own message line under it (a refusal, a warning), kept in `messages` by field name."""
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    if isinstance(widget, QHBoxLayout):
        column.addLayout(widget)
    else:
        column.addWidget(widget)
    message = MessageLabel()
    column.addWidget(message)
    messages[field] = message
    return holder


def ask_to_confirm(parent: QWidget | None, title: str, text: str, yes_text: str,
                   on_yes: Callable[[], object], *, cancel_text: str = "取消",
                   details: str | None = None) -> QMessageBox:
    """A step that changes records: says what will happen (and, in `details`, whom it touches); 取消 is the default
    button, so Enter or Esc changes nothing. What `on_yes` returns (often the operation it starts) is not used."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    if details:
        box.setDetailedText(details)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(cancel_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.buttonClicked.connect(lambda button: on_yes() if button is yes else None)
    open_dialog(box)
    return box
