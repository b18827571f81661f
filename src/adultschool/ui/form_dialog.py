"""The one base of the window's small forms (班级, 课次, 考试批次, 技能证书, 学籍处理, 账户, 打印位置): a message under each
field and a general one, 确定/取消, and the save run as one service call off the UI thread; a refusal shows at the
field it names (ui.ops.show_failure), and the form stays open to mend it.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QWidget
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from adultschool.jobs import JobContext
from adultschool.ui import ops
from adultschool.ui.common import ERROR_COLOUR, MessageLabel, fit_height, ok_cancel_buttons

T = TypeVar("T")


def required_label(label: str) -> str:
    return f'{label}<span style="color:{ERROR_COLOUR}">*</span>'


class FormDialog(QDialog):
    """A form: `messages` (a line under each field, by field name), `general_message`, 确定/取消 (`ok_button` the
    default unless `quiet_buttons`), and `_run(fn, label, on_success)`, which saves off the UI thread and closes the
    form when it succeeded. Each form defines `submit` (its own checks, then `_run`)."""

    def __init__(self, engine: Engine, parent: QWidget | None, title: str):
        super().__init__(parent)
        self._engine = engine
        self.op: ops.Op | None = None
        self.setWindowTitle(title)
        self.messages: dict[str, MessageLabel] = {}
        self.general_message = MessageLabel()
        self.buttons, self.ok_button, self.cancel_button = ok_cancel_buttons("确定")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def quiet_buttons(self, ok_text: str) -> None:
        """The action button is not the default: Enter in a field must not confirm (a change of records, a new
        account). A button box makes its accept button the default when shown, so the action button takes the action
        role and is wired to `submit` itself."""
        self.ok_button.setText(ok_text)
        self.buttons.removeButton(self.ok_button)
        self.buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.ok_button.clicked.connect(self.submit)
        for button in (self.ok_button, self.cancel_button):
            button.setDefault(False)
            button.setAutoDefault(False)

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    def field_message(self, field: str) -> str:
        """The text under a field as the person sees it ('' when none)."""
        label = self.messages[field]
        return "" if label.isHidden() else label.text()

    def _clear_on_change(self, signal, field: str) -> None:  # noqa: ANN001 - a Qt signal instance
        def clear(*_args: object) -> None:
            self.messages[field].show_message(None)
            self.general_message.show_message(None)

        signal.connect(clear)

    def show_problem(self, field: str | None, message: str) -> None:
        if field in self.messages:
            self.messages[field].show_message(message, "error")
        else:
            self.general_message.show_message(message, "error")
        fit_height(self)

    def clear_problems(self) -> None:
        for label in self.messages.values():
            label.show_message(None)
        self.general_message.show_message(None)

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def _run(self, fn: Callable[[Session, JobContext], T], label: str, on_success: Callable[[T], None]) -> None:
        self.ok_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.op = ops.run_write(self, self._engine, fn, label=label, title=self.windowTitle(), cancellable=False,
                                on_success=lambda result: self._done(on_success, result), on_failure=self._refused)

    def _done(self, on_success: Callable[[T], None], result: T) -> None:
        self.ok_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        super().accept()
        on_success(result)

    def _refused(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        ops.show_failure(self, exc, at_field=self.show_problem)

    def submit(self) -> None:
        """Each form's own check-and-save; every subclass defines it (Qt's metaclass rules out abc.abstractmethod)."""
        raise NotImplementedError(f"{type(self).__name__} must define submit()")

    def accept(self) -> None:  # Enter goes through the same checks as 确定
        if not self.busy:
            self.submit()

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()
