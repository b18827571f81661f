"""The window's 立即备份… and 从备份恢复… (menu 文件), and the offer of the newest good backup when the database fails
its integrity check at start-up. The work runs off the UI thread through ui/ops; services/maintenance does it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Protocol

from PySide6.QtCore import QEventLoop, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import paths
from adultschool.db import Database, DatabaseDamaged
from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.jobs import JobContext
from adultschool.services import maintenance
from adultschool.ui import ops
from adultschool.ui.common import actor, ask_folder, ask_open_path, MessageLabel, open_dialog, show_error, show_info

BACKUP_FILE_FILTER = "数据库备份 (*.asbackup *.sqlite3 *.sqlite *.db);;所有文件 (*)"


class Window(Protocol):
    """What these actions need from the main window."""

    database: Database
    engine: Engine
    dialog: QWidget | None

    def refresh_pages(self) -> None: ...

    def show_status(self, text: str) -> None: ...


def _widget(window: Window) -> QWidget:
    """The main window as the parent of what these actions open (it is a QWidget besides being a Window)."""
    assert isinstance(window, QWidget)
    return window


# --- 立即备份 ---------------------------------------------------------------------------------------------------

def choose_backup_folder(parent: QWidget | None) -> Path | None:
    return ask_folder(parent, "备份到哪个文件夹（可以选 U 盘）")


class BackupPassphraseDialog(QDialog):
    """The passphrase that seals a backup leaving this PC (typed twice), or 不加密 for a copy that stays here."""

    def __init__(self, folder: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("备份密码")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0") * 70)
        layout = QVBoxLayout(self)
        intro = QLabel(f"备份到：{folder}\n备份里有全部学员的身份证号码：带出本机（U 盘）的备份请加密。"
                       "请把备份密码记在安全的地方，不要和 U 盘放在一起；没有它，这份备份谁也打不开。")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(intro)
        form = QFormLayout()
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.again_edit = QLineEdit()
        self.again_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("备份密码", self.passphrase_edit)
        form.addRow("再输入一次", self.again_edit)
        layout.addLayout(form)
        self.plain_check = QCheckBox("不加密（只用于留在本机的备份）")
        self.plain_check.toggled.connect(self._enable_passphrase)
        layout.addWidget(self.plain_check)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("备份")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.passphrase: str | None = None

    def _enable_passphrase(self, plain: bool) -> None:
        self.passphrase_edit.setEnabled(not plain)
        self.again_edit.setEnabled(not plain)

    def accept(self) -> None:
        if self.plain_check.isChecked():
            self.passphrase = None
            super().accept()
            return
        first = self.passphrase_edit.text()
        if first != self.again_edit.text():
            self.message.show_message("两次输入的备份密码不一致。")
            return
        try:
            maintenance.check_backup_passphrase(first)
        except AdultSchoolError as exc:
            self.message.show_message(str(exc))
            return
        self.passphrase = first
        super().accept()


def back_up_now(window: Window, folder: Path | None = None) -> BackupPassphraseDialog | None:
    """Asks for a folder (unless given), then the passphrase (or 不加密), copies the database there in the background,
    then says where it went. Returns the passphrase dialog (the backup starts when it is accepted)."""
    db_path = window.database.path
    if db_path is None:
        window.dialog = show_error(_widget(window), "不能备份", maintenance.SERVER_DATABASE_MESSAGE)
        return None
    folder = folder or choose_backup_folder(_widget(window))
    if folder is None:
        return None

    def done(made: maintenance.BackupMade) -> None:
        window.show_status(f"已备份到：{made.path}")
        sealed_note = ("\n\n备份已加密：恢复时要输入备份密码。" if made.path.suffix == maintenance.SEALED_SUFFIX
                       else "\n\n注意：这份备份没有加密，里面有全部学员的身份证号码，请不要带出学校。")
        window.dialog = show_info(_widget(window), "备份完成",
                                  f"数据库已备份到：\n{made.path}\n\n" + "\n".join(made.preview.facts()[2:]) + sealed_note)

    who = actor()
    dialog = BackupPassphraseDialog(folder, _widget(window))

    def start() -> None:
        secret = dialog.passphrase
        ops.run_op(  # ops keeps the operation until it has delivered its result
            _widget(window), lambda job: maintenance.back_up_now(db_path, folder, actor=who, job=job, passphrase=secret),
            label="正在备份数据库……", title="立即备份", cancellable=False, on_success=done)

    dialog.accepted.connect(start)
    window.dialog = dialog
    open_dialog(dialog)
    return dialog


# --- 从备份恢复 -------------------------------------------------------------------------------------------------

class RestoreDialog(QDialog):
    """Shows what the chosen backup holds (checked in the background) and, on 恢复, replaces the database with it."""

    restored = Signal(object)  # maintenance.RestoreResult

    def __init__(self, db_path: Path, backup_file: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("从备份恢复")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0") * 80)
        self.db_path = db_path
        self.backup_file = backup_file
        self.preview: maintenance.BackupPreview | None = None
        self.result_value: maintenance.RestoreResult | None = None

        layout = QVBoxLayout(self)
        self.preview_label = QLabel(f"正在检查备份文件 {backup_file} ……")
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.preview_label)
        self.warning_label = MessageLabel(kind="warning")
        layout.addWidget(self.warning_label)
        self.explanation = QLabel(
            f"恢复会用这份备份替换当前数据库：\n{db_path}\n"
            f"当前数据库会先另存到备份文件夹 {paths.backup_dir()}；备份之后录入的内容不在恢复后的数据库里。"
        )
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.explanation)
        self.passphrase_row = QWidget()
        row = QFormLayout(self.passphrase_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.open_button = QPushButton("打开")
        self.open_button.clicked.connect(self.open_sealed)
        row.addRow("备份密码", self.passphrase_edit)
        row.addRow("", self.open_button)
        self.passphrase_row.setVisible(False)
        layout.addWidget(self.passphrase_row)
        self.passphrase: str | None = None
        self.confirm_check = QCheckBox()
        self.confirm_check.hide()
        self.confirm_check.toggled.connect(lambda _on: self._enable())
        layout.addWidget(self.confirm_check)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox()
        self.restore_button = QPushButton("恢复")
        self.restore_button.setEnabled(False)
        self.restore_button.setAutoDefault(False)  # replacing the database is never what Enter does
        self.buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText("取消")
        self.restore_button.clicked.connect(self.restore)
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

        self.restore_op: ops.Op | None = None
        self.preview_op: ops.Op | None = None
        if maintenance.is_sealed_backup(backup_file):
            self.preview_label.setText(f"备份文件 {backup_file} 已加密：请输入备份时设定的备份密码，再点“打开”。")
            self.passphrase_row.setVisible(True)
            self.passphrase_edit.setFocus()
        else:
            self._start_preview()

    def _start_preview(self) -> None:
        db_path, backup_file, secret = self.db_path, self.backup_file, self.passphrase
        self.preview_op = ops.run_op(
            self, lambda job: maintenance.preview_backup(backup_file, db_path=db_path, job=job, passphrase=secret),
            label="正在检查备份文件……", title="从备份恢复", cancellable=False,
            on_success=self._show_preview, on_failure=self._preview_failed,
        )

    def open_sealed(self) -> None:
        if self.busy:
            return
        self.passphrase = self.passphrase_edit.text()
        self.message.show_message(None)
        self._start_preview()

    @property
    def busy(self) -> bool:
        return any(op is not None and op.running for op in (self.preview_op, self.restore_op))

    def _show_preview(self, preview: maintenance.BackupPreview) -> None:
        self.preview = preview
        self.passphrase_row.setVisible(False)
        self.preview_label.setText("这份备份里有：\n" + "\n".join(preview.facts()))
        self.warning_label.show_message("\n".join(preview.warnings) or None)
        if preview.warnings:  # another school's backup, or one without a school: a tick before 恢复 can be pressed
            self.confirm_check.setText(f"我已核对：要用“{preview.site_name or '这份备份'}”的备份替换当前数据库")
            self.confirm_check.show()
        self._enable()
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()

    def _enable(self) -> None:
        self.restore_button.setEnabled(self.preview is not None and not self.busy
                                       and (self.confirm_check.isHidden() or self.confirm_check.isChecked()))

    def _preview_failed(self, exc: BaseException) -> None:
        if isinstance(exc, AdultSchoolError):
            self.preview_label.setText("这个文件不能用来恢复。")
        ops.show_failure(self, exc, line=self.message)

    def restore(self) -> None:
        if self.preview is None or self.busy or not self.restore_button.isEnabled():
            return
        self.restore_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.message.show_message("正在恢复，请稍候……", "hint")
        db_path, backup_file, who, secret = self.db_path, self.backup_file, actor(), self.passphrase
        self.restore_op = ops.run_op(
            self, lambda job: maintenance.restore_backup(db_path, backup_file, actor=who, job=job, passphrase=secret),
            label="正在恢复数据库……", title="从备份恢复", cancellable=False,
            on_success=self._restored, on_failure=self._restore_failed,
        )

    def _restored(self, result: maintenance.RestoreResult) -> None:
        self.result_value = result
        self.restored.emit(result)
        self.accept()

    def _restore_failed(self, exc: BaseException) -> None:
        self.cancel_button.setEnabled(True)
        self.restore_button.setEnabled(True)
        self.message.show_message(None)
        ops.show_failure(self, exc, line=self.message)

    def reject(self) -> None:
        if self.restore_op is not None and self.restore_op.running:
            return  # a restore is never left half-watched
        super().reject()


def choose_backup_file(parent: QWidget | None) -> Path | None:
    return ask_open_path(parent, "选择备份文件", BACKUP_FILE_FILTER, default=paths.backup_dir())


def restored_text(result: maintenance.RestoreResult) -> str:
    lines = ["数据库已从备份恢复：", *result.preview.facts()[:3]]
    if result.safety_copy is not None:
        lines += ["", f"恢复前的数据库已另存为：\n{result.safety_copy}"]
    if result.upgraded_from:
        lines.append(f"备份的数据库版本 {result.upgraded_from} 已升级到 {result.preview.current_revision}。")
    if result.sync_note:
        lines += ["", f"数据上报：{result.sync_note}"]
    return "\n".join(lines)


def open_restore(window: Window, backup_file: Path | None = None) -> RestoreDialog | None:
    """Asks for a backup file (unless given) and opens the preview; after a restore every page reloads."""
    db_path = window.database.path
    if db_path is None:
        window.dialog = show_error(_widget(window), "不能恢复", maintenance.SERVER_DATABASE_MESSAGE)
        return None
    backup_file = backup_file or choose_backup_file(_widget(window))
    if backup_file is None:
        return None
    dialog = RestoreDialog(db_path, backup_file, _widget(window))

    def after(result: maintenance.RestoreResult) -> None:
        window.engine.dispose()  # pooled connections may still point at the replaced file
        window.refresh_pages()
        window.show_status(f"已从备份恢复：{backup_file}")
        window.dialog = show_info(_widget(window), "恢复完成", restored_text(result))

    dialog.restored.connect(after)
    window.dialog = dialog
    open_dialog(dialog)
    return dialog


# --- damaged at start-up -----------------------------------------------------------------------------------------

def exec_box(box: QMessageBox) -> int:
    """Runs a start-up message box (before the main window exists); tests replace this."""
    return box.exec()


def run_and_wait(work: Callable[[JobContext], Any], *, label: str, title: str) -> Any:
    """Runs `work` in the worker with the usual progress dialog and waits for it (start-up has no window to return to)."""
    op = ops.run_op(None, work, label=label, title=title, cancellable=False, on_failure=lambda _exc: None)
    if not op.finished:
        loop = QEventLoop()
        op.done.connect(loop.quit)
        loop.exec()
    if op.error is not None:
        raise op.error
    return op.result


def damaged_box(error: DatabaseDamaged, preview: maintenance.BackupPreview) -> QMessageBox:
    text = (f"数据库文件 {error.path} 已损坏（完整性检查未通过），不能打开。\n\n"
            f"最近一份完好的备份（{preview.taken_at:%Y-%m-%d %H:%M}）里有：\n" + "\n".join(preview.facts()[1:]) +
            "\n\n要用这份备份恢复吗？损坏的文件会先另存到备份文件夹；备份之后录入的内容需要重新录入。")
    box = QMessageBox(QMessageBox.Icon.Critical, "数据库已损坏", text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.Yes).setText("用备份恢复")
    box.button(QMessageBox.StandardButton.No).setText("退出")
    box.setDefaultButton(QMessageBox.StandardButton.Yes)
    box.setDetailedText(error.problem)
    return box


def offer_restore_of_damaged(error: DatabaseDamaged) -> bool:
    """At start-up: offers the newest good backup of a damaged database; True when the database was restored."""
    if error.backup is None:
        exec_box(QMessageBox(QMessageBox.Icon.Critical, "数据库已损坏", str(error), QMessageBox.StandardButton.Ok))
        return False
    backup_path, db_path = error.backup.path, error.path
    try:
        preview = run_and_wait(lambda job: maintenance.preview_backup(backup_path, job=job),
                               label="正在检查备份文件……", title="数据库已损坏")
    except AdultSchoolError as exc:
        exec_box(QMessageBox(QMessageBox.Icon.Critical, "数据库已损坏", f"{error}\n\n{exc}", QMessageBox.StandardButton.Ok))
        return False
    if exec_box(damaged_box(error, preview)) != QMessageBox.StandardButton.Yes:
        return False
    who = actor()
    try:
        result = run_and_wait(lambda job: maintenance.restore_backup(db_path, backup_path, actor=who, job=job),
                              label="正在用备份恢复数据库……", title="恢复数据库")
    except (AdultSchoolError, Cancelled) as exc:
        exec_box(QMessageBox(QMessageBox.Icon.Critical, "恢复没有完成", str(exc), QMessageBox.StandardButton.Ok))
        return False
    exec_box(QMessageBox(QMessageBox.Icon.Information, "恢复完成", restored_text(result), QMessageBox.StandardButton.Ok))
    return True
