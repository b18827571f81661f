"""修改学员信息: corrects a registered learner's details (not the ID number), saved off the UI thread.

The learner is loaded with its row version; the save sends only what the clerk changed and is refused, with nothing
written, when someone else (another PC, another window) saved the learner in between. 重新载入 then shows the
current details, and the clerk makes the change again.
"""
from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool.db import read_session
from adultschool.errors import os_error_text
from adultschool.services import learner_edit, photos, site
from adultschool.services.learner_edit import KEEP, LearnerChanges, LearnerEdited, LearnerForEdit, StaleLearner
from adultschool.ui import ops
from adultschool.ui.common import actor, ask_open_path, MessageLabel, ok_cancel_buttons, with_message
from adultschool.ui.registration_dialog import EDUCATION_CHOICES, MIGRANT_CHOICES, NO_CHOICE

Loaded = TypeVar("Loaded")


class LearnerEditDialog(QDialog):
    """One learner's details; 确定 saves the changed fields as one background write."""

    saved = Signal(object)  # services.learner_edit.LearnerEdited

    def __init__(self, engine: Engine, learner_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self._engine = engine
        self.learner_id = learner_id
        self.setWindowTitle("修改学员信息")
        self.op: ops.Op | None = None
        self.loaded: LearnerForEdit | None = None
        self.result_edited: LearnerEdited | None = None

        self.who_label = QLabel()
        self.who_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(40)
        self.phone_edit = QLineEdit()
        self.phone_edit.setMaxLength(30)
        self.township_combo = QComboBox()
        self.education_combo = QComboBox()
        self.education_combo.setEditable(True)
        self.education_combo.addItem("")
        self.education_combo.addItems(EDUCATION_CHOICES)
        self.employer_edit = QLineEdit()
        self.address_edit = QLineEdit()
        self.household_edit = QLineEdit()
        self.household_edit.setPlaceholderText("如：安徽省阜阳市")
        self.job_edit = QLineEdit()
        self.migrant_combo = QComboBox()
        for text, value in MIGRANT_CHOICES:
            self.migrant_combo.addItem(text, value)
        for edit, field in ((self.employer_edit, "employer"), (self.address_edit, "address"),
                            (self.household_edit, "household_location"), (self.job_edit, "job")):
            edit.setMaxLength(learner_edit.MAX_LENGTHS[field])
        em = self.fontMetrics().horizontalAdvance("中")
        for widget in (self.name_edit, self.phone_edit, self.township_combo, self.education_combo, self.employer_edit,
                       self.address_edit, self.household_edit, self.job_edit, self.migrant_combo):
            widget.setMinimumWidth(em * 22)

        # The ID photo printed on the registration form and the certificate: set at once from an image file.
        self.photo_label = QLabel("（没有照片）")
        self.photo_label.setFixedSize(72, 88)
        self.photo_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo_label.setStyleSheet("border: 1px dashed #a0a0a0; color: #888888;")
        self.photo_button = QPushButton("选择照片…")
        self.photo_button.setAutoDefault(False)
        self.photo_button.setToolTip("jpg、png 或 bmp；自动裁成证件照的比例，立即保存（记入审计记录）")
        self.photo_button.clicked.connect(lambda: self.choose_photo())
        photo_row = QHBoxLayout()
        photo_row.addWidget(self.photo_label)
        photo_row.addWidget(self.photo_button)
        photo_row.addStretch(1)

        self.messages: dict[str, MessageLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.addRow("学员", self.who_label)
        for label, field, field_widget in (("姓名", "name", self.name_edit), ("联系电话", "phone", self.phone_edit),
                                           ("街道/镇", "township", self.township_combo),
                                           ("文化程度", "education", self.education_combo),
                                           ("工作单位", "employer", self.employer_edit),
                                           ("家庭地址", "address", self.address_edit),
                                           ("户籍所在地", "household_location", self.household_edit),
                                           ("职业", "job", self.job_edit), ("流动人口", "is_migrant", self.migrant_combo)):
            form.addRow(label, with_message(self.messages, field, field_widget))
        form.addRow("照片", with_message(self.messages, "photo", photo_row))

        self.general_message = MessageLabel()
        self.reload_button = QPushButton("重新载入")
        self.reload_button.setToolTip("放弃这里的修改，显示这个学员现在的信息")
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.hide()
        self.buttons, self.ok_button, self.cancel_button = ok_cancel_buttons("保存")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_message)
        bottom = QHBoxLayout()
        bottom.addWidget(self.reload_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

        order = [self.name_edit, self.phone_edit, self.township_combo, self.education_combo, self.employer_edit,
                 self.address_edit, self.household_edit, self.job_edit, self.migrant_combo, self.ok_button,
                 self.cancel_button]
        for first, second in zip(order, order[1:]):
            self.setTabOrder(first, second)
        self.reload()
        self.name_edit.setFocus()

    def _show_photo(self, jpeg: bytes | None) -> None:
        if jpeg is None:
            self.photo_label.setText("（没有照片）")
            return
        image = QPixmap()
        image.loadFromData(jpeg, "JPEG")
        self.photo_label.setPixmap(image.scaled(self.photo_label.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.SmoothTransformation))

    def choose_photo(self, path: Path | None = None) -> ops.Op | None:
        if path is None:
            path = ask_open_path(self, "选择照片", "图片 (*.jpg *.jpeg *.png *.bmp)", key="photos")
            if path is None:
                return None
        if self.loaded is None or not self.loaded.student_numbers:
            return None
        number, who = self.loaded.student_numbers[0], actor()
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.messages["photo"].show_message(f"读不出 {path.name}（{os_error_text(exc)}）。", "error")
            return None
        self.messages["photo"].show_message(None)

        def saved(_result: object) -> None:
            with read_session(self._engine) as session:
                self._show_photo(photos.photos_of(session, [self.learner_id]).get(self.learner_id))
            self.messages["photo"].show_message("照片已保存。", "hint")

        self.op = ops.run_write(self, self._engine, lambda session, _job: photos.set_photo(
            session, number, data, source=path.name, actor=who), label="正在保存照片……", title="照片",
            cancellable=False, on_success=saved,
            on_failure=lambda exc: ops.show_failure(self, exc, line=self.messages["photo"]))
        return self.op

    @classmethod
    def for_student_number(cls, engine: Engine, student_number: str, parent: QWidget | None = None
                           ) -> "LearnerEditDialog":
        with read_session(engine) as session:
            learner_id = learner_edit.find_learner_id(session, student_number)
        return cls(engine, learner_id, parent)


    # --- loading -------------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Shows the learner as saved now (and remembers that version); edits made here are dropped."""
        with read_session(self._engine) as session:
            loaded = learner_edit.load_for_edit(session, self.learner_id, actor=actor())
            townships = [t.name for t in site.list_townships(session)]
            photo = photos.photos_of(session, [self.learner_id]).get(self.learner_id)
        self.loaded = loaded
        self._show_photo(photo)
        self.photo_button.setEnabled(bool(loaded.student_numbers))
        numbers = "、".join(loaded.student_numbers) or "（未报名）"
        self.who_label.setText(f"{loaded.id_number}　{loaded.gender}　{loaded.birth_date:%Y-%m-%d} 生　学籍号 {numbers}")
        self.name_edit.setText(loaded.name)
        self.phone_edit.clear()
        self.phone_edit.setPlaceholderText(f"现为 {loaded.phone}；不改请留空" if loaded.phone else "手机或固定电话")
        self.township_combo.clear()
        self.township_combo.addItem(NO_CHOICE, None)
        for name in townships:
            self.township_combo.addItem(name, name)
        self.township_combo.setCurrentIndex(max(self.township_combo.findData(loaded.township), 0))
        self.education_combo.setCurrentText(loaded.education or "")
        self.employer_edit.setText(loaded.employer or "")
        self.address_edit.setText(loaded.address or "")
        self.household_edit.setText(loaded.household_location or "")
        self.job_edit.setText(loaded.job or "")
        self.migrant_combo.setCurrentIndex(max(self.migrant_combo.findData(loaded.is_migrant), 0))
        for message in self.messages.values():
            message.show_message(None)
        self.general_message.show_message(None)
        self.reload_button.hide()
        self.ok_button.setEnabled(True)

    # --- saving --------------------------------------------------------------------------------------------

    def changes(self) -> LearnerChanges:
        """What the clerk changed; everything else is left as it is (KEEP)."""
        loaded = self.loaded
        assert loaded is not None

        def text(widget_text: str, old: str | None) -> str | None:
            new = widget_text.strip()
            return KEEP if new == (old or "") else new

        def choice(combo: QComboBox, old: Loaded) -> Loaded:  # the combo's items carry values of the loaded field's type
            return KEEP if combo.currentData() == old else combo.currentData()

        return LearnerChanges(
            name=text(self.name_edit.text(), loaded.name),
            phone=self.phone_edit.text().strip() or KEEP,
            township=choice(self.township_combo, loaded.township),
            education=text(self.education_combo.currentText(), loaded.education),
            employer=text(self.employer_edit.text(), loaded.employer),
            address=text(self.address_edit.text(), loaded.address),
            household_location=text(self.household_edit.text(), loaded.household_location),
            job=text(self.job_edit.text(), loaded.job),
            is_migrant=choice(self.migrant_combo, loaded.is_migrant),
        )

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def submit(self) -> None:
        if self.busy or self.loaded is None:
            return
        changes = self.changes()
        if not changes.given():
            self.reject()
            return
        learner_id, version, who = self.learner_id, self.loaded.version, actor()
        for message in self.messages.values():
            message.show_message(None)
        self.general_message.show_message(None)
        self.ok_button.setEnabled(False)
        self.op = ops.run_write(
            self, self._engine,
            lambda session, _job: learner_edit.update_learner(session, learner_id, version, changes, who),
            label="正在保存……", title="修改学员信息", cancellable=False,
            on_success=self._saved, on_failure=self._refused,
        )

    def _saved(self, edited: LearnerEdited) -> None:
        self.result_edited = edited
        super().accept()
        self.saved.emit(edited)

    def _refused(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(exc, StaleLearner):
            self.general_message.show_message(exc.message, "error")
            self.ok_button.setEnabled(False)  # saving again would be refused again: reload first
            self.reload_button.show()
            self.reload_button.setFocus()
        else:
            ops.show_failure(self, exc, at_field=lambda field, message: self.messages.get(
                field or "", self.general_message).show_message(message, "error"))

    def field_message(self, field: str) -> str:
        label = self.messages[field]
        return "" if label.isHidden() else label.text()
