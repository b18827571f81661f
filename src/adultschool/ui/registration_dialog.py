"""登记学员: the keyboard registration form with live validation by `registration.check` on every edit.

The ID number fills birth date, gender and age at once; each problem shows under its own field (red refuses,
amber tells); 确定 stays disabled while anything refuses; `register_one` runs as a background operation.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.errors import AdultSchoolError
from adultschool.models.enums import Level, LearningMode
from adultschool.idreader import ReaderError
from adultschool.services import card_reader, registration, site, survey
from adultschool.services.registration import CheckedRegistration, Problem, Registered, RegistrationInput
from adultschool.services.rules import load_rules
from adultschool.ui import ops
from adultschool.ui.common import (
    ERROR_COLOUR, MessageLabel, actor, fit_height, ask_to_confirm, ok_cancel_buttons, report_failure, show_info, to_date,
    to_qdate, with_message,
)

NO_CHOICE = "（未填）"
EDUCATION_CHOICES = ("小学", "初中", "职高", "中专", "技校", "高中", "文盲或半文盲")
MIGRANT_CHOICES = ((NO_CHOICE, None), ("是", True), ("否", False))
# Fields a new registration cannot do without; the rest may stay empty.
REQUIRED = ("name", "id_number", "level")
CARD_POLL_MS = 1500  # how often the reader is asked while the dialog is open


def _required(label: str) -> str:
    return f'{label}<span style="color:{ERROR_COLOUR}">*</span>'


class RegistrationDialog(QDialog):
    """One learner, typed in (or filled from a survey prospect) and checked as it is typed."""

    registered = Signal(object)  # services.registration.Registered

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self._engine = engine
        self._today = today
        self.setWindowTitle("登记学员")
        self.op: ops.Op | None = None
        self.result_registered: Registered | None = None
        self.result_box: QWidget | None = None
        self.checked: CheckedRegistration | None = None
        self._touched: set[str] = set()
        self._refusals: dict[str, str] = {}
        self._conflict_cache: dict[tuple, tuple[Problem, ...]] = {}
        self._filling = False
        self._edited = False  # the clerk typed or chose something (a survey's filling does not count)
        self.discard_box: QWidget | None = None
        with read_session(engine) as session:
            self._rules = load_rules(session)
            townships = site.list_townships(session)

        # --- fields --------------------------------------------------------------------------------------------
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(40)
        self.id_edit = QLineEdit()
        self.id_edit.setMaxLength(30)
        self.id_edit.setPlaceholderText("18位，最后一位可以是 X")
        self.birth_label = QLabel("—")
        self.gender_label = QLabel("—")
        self.age_label = QLabel("—")
        self.level_combo = QComboBox()
        self.level_combo.setPlaceholderText("请选择")
        for level in Level:
            self.level_combo.addItem(level.label, level.value)
        self.level_combo.setCurrentIndex(-1)
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMaximumDate(to_qdate(self._today()))
        self.date_edit.setDate(to_qdate(self._today()))
        self.phone_edit = QLineEdit()
        self.phone_edit.setMaxLength(30)
        self.phone_edit.setPlaceholderText("手机或固定电话")
        # A school serving one township counts every registration toward it; with several the clerk must choose.
        self.township_combo = QComboBox()
        self.township_combo.setPlaceholderText("请选择")
        for township in townships:
            self.township_combo.addItem(township.name, township.name)
        self.township_combo.setCurrentIndex(0 if len(townships) == 1 else -1)
        self.mode_combo = QComboBox()
        self.mode_combo.addItem(NO_CHOICE, None)
        for mode in LearningMode:
            self.mode_combo.addItem(mode.label, mode.label)
        self.education_combo = QComboBox()
        self.education_combo.setEditable(True)
        self.education_combo.addItem("")
        self.education_combo.addItems(EDUCATION_CHOICES)
        education_edit = self.education_combo.lineEdit()
        assert education_edit is not None  # the combo is editable
        education_edit.setPlaceholderText("如：初中")
        self.employer_edit = QLineEdit()
        self.address_edit = QLineEdit()
        self.household_edit = QLineEdit()
        self.household_edit.setPlaceholderText("如：安徽省阜阳市")
        self.job_edit = QLineEdit()
        self.migrant_combo = QComboBox()
        for text, value in MIGRANT_CHOICES:
            self.migrant_combo.addItem(text, value)
        # Wide enough that most messages under a field take one or two lines.
        em = self.fontMetrics().horizontalAdvance("中")
        for widget in (self.name_edit, self.id_edit, self.level_combo, self.date_edit, self.phone_edit,
                       self.township_combo, self.mode_combo):
            widget.setMinimumWidth(em * 24)
        for widget in (self.education_combo, self.employer_edit, self.address_edit, self.household_edit, self.job_edit,
                       self.migrant_combo):
            widget.setMinimumWidth(em * 16)

        self.messages: dict[str, MessageLabel] = {}

        main = QGroupBox("报名信息")
        main_form = self._form(main)
        main_form.addRow(_required("姓名"), with_message(self.messages, "name", self.name_edit))
        main_form.addRow(_required("身份证号码"), with_message(self.messages, "id_number", self.id_edit))
        derived = QWidget()
        derived_row = QHBoxLayout(derived)
        derived_row.setContentsMargins(0, 0, 0, 0)
        derived_row.addWidget(self.birth_label)
        derived_row.addSpacing(16)
        derived_row.addWidget(QLabel("性别"))
        derived_row.addWidget(self.gender_label)
        derived_row.addSpacing(16)
        derived_row.addWidget(QLabel("年龄"))
        derived_row.addWidget(self.age_label)
        derived_row.addStretch(1)
        main_form.addRow("出生日期", with_message(self.messages, "gender", derived))
        main_form.addRow(_required("学历提升层次"), with_message(self.messages, "level", self.level_combo))
        main_form.addRow(_required("报名日期"), with_message(self.messages, "registered_on", self.date_edit))
        main_form.addRow("联系电话", with_message(self.messages, "phone", self.phone_edit))
        main_form.addRow("街道/镇", with_message(self.messages, "township", self.township_combo))
        main_form.addRow("学习方式", with_message(self.messages, "learning_mode", self.mode_combo))

        other = QGroupBox("其他信息（可不填）")
        other_form = self._form(other)
        other_form.addRow("文化程度", with_message(self.messages, "education", self.education_combo))
        other_form.addRow("工作单位", self.employer_edit)
        other_form.addRow("家庭地址", self.address_edit)
        other_form.addRow("户籍所在地", self.household_edit)
        other_form.addRow("职业", self.job_edit)
        other_form.addRow("流动人口", self.migrant_combo)
        # PIPL Art. 29: separate consent to the sensitive ID number, and to the photo (also ticked on the signed form)
        self.consent_id_check = QCheckBox("本人同意使用身份证号码（学籍注册、考试、学分银行）")
        self.consent_photo_check = QCheckBox("本人同意使用照片（登记表、证书）")
        other_form.addRow("个人信息同意", self.consent_id_check)
        other_form.addRow("", self.consent_photo_check)
        # The card's photo, when the reader gave one: used only if ticked (and the person agreed to the photo above).
        self.card_photo_check = QCheckBox("使用身份证上的照片作为登记照片")
        self.card_photo_check.setToolTip("照片属于敏感个人信息：只在本人同意时勾选；只保存为登记照片，不保存证件原始数据")
        self.card_photo_check.setEnabled(False)
        self.card_photo_check.toggled.connect(self._card_photo_toggled)
        other_form.addRow("", self.card_photo_check)

        columns = QHBoxLayout()
        columns.addWidget(main, 3)
        columns.addWidget(other, 2, Qt.AlignmentFlag.AlignTop)

        self.general_message = MessageLabel()
        self.pending_label = MessageLabel(kind="hint")
        self.buttons, self.ok_button, self.cancel_button = ok_cancel_buttons("确定")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        # The ID card reader, when this PC has one: asked every CARD_POLL_MS while the dialog is open, and by 读卡.
        self.reader = card_reader.reader_config()
        self.card_button = QPushButton("读卡(&D)")
        self.card_button.setToolTip("从身份证读卡器读入姓名、身份证号码、性别、出生日期和户籍地址；读入后请核对再保存")
        self.card_button.clicked.connect(self.read_card)
        self.card_button.setVisible(self.reader is not None)
        self.card_label = MessageLabel(kind="hint")
        self.card_op: ops.Op | None = None
        self.card_number: str | None = None  # the card last filled in, while it stays on the reader
        self.card_reading: card_reader.CardReading | None = None
        self.card_timer = QTimer(self)
        self.card_timer.setInterval(CARD_POLL_MS)
        self.card_timer.timeout.connect(lambda: self.read_card(quiet=True))

        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.general_message)
        layout.addWidget(self.card_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.card_button)
        bottom.addWidget(self.pending_label, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

        # Every edit re-checks; the field it came from counts as touched, so its message may show.
        self._watch(self.name_edit.textEdited, "name")
        self._watch(self.id_edit.textEdited, "id_number")
        self._watch(self.level_combo.currentIndexChanged, "level")
        self._watch(self.date_edit.dateChanged, "registered_on")
        self._watch(self.phone_edit.textEdited, "phone")
        self._watch(self.township_combo.currentIndexChanged, "township")
        self._watch(self.mode_combo.currentIndexChanged, "learning_mode")
        self._watch(self.education_combo.currentTextChanged, "education")
        for widget in (self.employer_edit, self.address_edit, self.household_edit, self.job_edit):
            self._watch(widget.textEdited, None)
        self._watch(self.migrant_combo.currentIndexChanged, None)

        order = [self.name_edit, self.id_edit, self.level_combo, self.date_edit, self.phone_edit, self.township_combo,
                 self.mode_combo, self.education_combo, self.employer_edit, self.address_edit, self.household_edit,
                 self.job_edit, self.migrant_combo, self.ok_button, self.cancel_button]
        for first, second in zip(order, order[1:]):
            self.setTabOrder(first, second)
        self.name_edit.setFocus()
        self.revalidate()

    # --- building ------------------------------------------------------------------------------------------

    @staticmethod
    def _form(box: QGroupBox) -> QFormLayout:
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        return form


    def _card_photo_toggled(self, checked: bool) -> None:
        if checked:  # the card's photo is used only with consent to the photo
            self.consent_photo_check.setChecked(True)

    def _watch(self, signal: SignalInstance, field: str | None) -> None:
        def changed(*_args: object) -> None:
            if self._filling:
                return
            self._edited = True
            if field is not None:
                self._touched.add(field)
            self._refusals.clear()
            self.revalidate()

        signal.connect(changed)

    # --- filling and reading -------------------------------------------------------------------------------

    @classmethod
    def for_prospect(cls, engine: Engine, learner_id: int, parent: QWidget | None = None,
                     *, today: Callable[[], date] = clock.today) -> "RegistrationDialog":
        """The form filled from what the survey knows about a resident; the clerk picks the level and confirms."""
        with read_session(engine) as session:
            data = survey.registration_from_prospect(session, learner_id, registered_on=today())
        dialog = cls(engine, parent, today=today)
        dialog.setWindowTitle("登记学员（来自排摸）")
        dialog.fill(data)
        dialog.level_combo.setFocus()
        return dialog

    def fill(self, data: RegistrationInput) -> None:
        self._filling = True
        try:
            self.name_edit.setText(data.name or "")
            self.id_edit.setText(data.id_number or "")
            level_index = -1
            if data.level:
                try:
                    level_index = self.level_combo.findData(registration.parse_level(data.level).value)
                except AdultSchoolError:
                    level_index = -1
            self.level_combo.setCurrentIndex(level_index)
            self.date_edit.setDate(to_qdate(data.registered_on))
            self.phone_edit.setText(data.phone or "")
            self._select_text(self.township_combo, data.township, empty=0 if self.township_combo.count() == 1 else -1)
            self._select_text(self.mode_combo, data.learning_mode)
            self.education_combo.setEditText(data.education or "")
            self.employer_edit.setText(data.employer or "")
            self.address_edit.setText(data.address or "")
            self.household_edit.setText(data.household_location or "")
            self.job_edit.setText(data.job or "")
            self.migrant_combo.setCurrentIndex(max(self.migrant_combo.findData(data.is_migrant), 0))
        finally:
            self._filling = False
        given = {"name": data.name, "id_number": data.id_number, "level": data.level, "phone": data.phone,
                 "township": data.township, "learning_mode": data.learning_mode, "education": data.education}
        self._touched.update(k for k, v in given.items() if v)
        self._touched.add("registered_on")
        self.revalidate()

    @staticmethod
    def _select_text(combo: QComboBox, text: str | None, *, empty: int = 0) -> None:
        """Selects the item of that text; with none given, the item `empty` (-1: nothing chosen, never a guess)."""
        if not text:
            combo.setCurrentIndex(empty)
            return
        index = combo.findText(text.strip())
        if index < 0:  # keep what the source said, so the check can name it
            combo.addItem(text.strip(), text.strip())
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def registration_input(self) -> RegistrationInput:
        def text(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        return RegistrationInput(
            name=text(self.name_edit),
            id_number=text(self.id_edit),
            level=self.level_combo.currentText() if self.level_combo.currentIndex() >= 0 else None,
            registered_on=to_date(self.date_edit.date()),
            phone=text(self.phone_edit),
            education=self.education_combo.currentText().strip() or None,
            employer=text(self.employer_edit),
            address=text(self.address_edit),
            job=text(self.job_edit),
            household_location=text(self.household_edit),
            township=self.township_combo.currentData(),
            learning_mode=self.mode_combo.currentData(),
            is_migrant=self.migrant_combo.currentData(),
            consent_id_number=self.consent_id_check.isChecked(),
            consent_photo=self.consent_photo_check.isChecked(),
        )

    # --- live validation -----------------------------------------------------------------------------------

    def revalidate(self) -> None:
        checked = registration.check(self.registration_input(), self._rules, today=self._today())
        self.checked = checked
        errors = list(checked.errors) + list(self._conflicts(checked))
        errors += [Problem(f, m) for f, m in self._refusals.items()]

        self.birth_label.setText(checked.birth_date.isoformat() if checked.birth_date else "—")
        self.gender_label.setText(checked.gender.label if checked.gender else "—")
        self.age_label.setText(f"{checked.age} 周岁" if checked.age is not None else "—")

        shown: dict[str, list[str]] = {}
        amber: dict[str, list[str]] = {}
        pending: list[str] = []
        general: list[str] = []
        for problem in errors:
            if problem.field not in self.messages:
                general.append(problem.message)
            elif problem.field in self._touched or problem.field in self._refusals:
                messages = shown.setdefault(problem.field, [])
                if problem.message not in messages:
                    messages.append(problem.message)
            else:
                label = registration.FIELD_LABELS.get(problem.field, problem.field)
                if label not in pending:
                    pending.append(label)
        for problem in checked.warnings:
            if problem.field in self.messages:
                amber.setdefault(problem.field, []).append(problem.message)
            else:
                general.append(problem.message)
        for field, message_label in self.messages.items():
            if field in shown:
                message_label.show_message("\n".join(shown[field]), "error")
            elif field in amber:
                message_label.show_message("\n".join(amber[field]), "warning")
            else:
                message_label.show_message(None)
        self.general_message.show_message("\n".join(general) or None, "error")
        self.pending_label.show_message(f"还需填写：{'、'.join(pending)}" if pending else None)
        self.ok_button.setEnabled(not errors and not self.busy)
        fit_height(self)

    def _conflicts(self, checked: CheckedRegistration) -> tuple[Problem, ...]:
        """What only the database knows (ID held by another name, already enrolled at the level), once per input."""
        if checked.id_number is None or checked.level is None or any(p.field == "id_number" for p in checked.errors):
            return ()
        key = (checked.id_number, checked.name, checked.level)
        if key not in self._conflict_cache:
            with read_session(self._engine) as session:
                self._conflict_cache[key] = registration.conflicts(session, checked)
        return self._conflict_cache[key]

    def field_message(self, field: str) -> str:
        """The text under a field as the clerk sees it ('' when none)."""
        label = self.messages[field]
        return "" if label.isHidden() else label.text()

    # --- submitting ----------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.op is not None and self.op.running

    def submit(self) -> None:
        self.revalidate()
        if not self.ok_button.isEnabled():
            return
        data = self.registration_input()
        rules = self._rules
        who = actor()
        photo = self.card_photo()
        self._set_busy(True)
        self.op = ops.run_write(
            self, self._engine,
            lambda session, _job: registration.register_one(session, data, rules, actor=who, today=self._today(),
                                                            card_photo=photo),
            label="正在登记……", title="登记学员", cancellable=False,
            on_success=self._registered, on_failure=self._refused,
        )

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.ok_button, self.cancel_button):
            widget.setEnabled(not busy)
        if not busy:
            self.revalidate()

    def _registered(self, outcome: tuple[Registered, tuple[Problem, ...]]) -> None:
        registered, _warnings = outcome
        self.result_registered = registered
        self._set_busy(False)
        super().accept()
        self.registered.emit(registered)
        self.result_box = show_info(
            self.parentWidget(), "登记成功",
            f"已为 {registered.name} 登记{registered.level.label}学籍。\n学籍号：{registered.student_number}",
        )

    def _refused(self, exc: BaseException) -> None:
        self._set_busy(False)
        ops.show_failure(self, exc, at_field=self._refused_at)

    def _refused_at(self, field: str | None, message: str) -> None:
        if field in self.messages:
            self._refusals[field] = message
            self._conflict_cache.clear()  # the database changed under the form (another PC, another window)
            self.revalidate()
        else:
            self.general_message.show_message(message, "error")
        self.ok_button.setEnabled(False)

    # --- the ID card reader --------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.reader is not None and not self.card_timer.isActive():
            self.card_timer.start()
            self.card_label.show_message("请把身份证放在读卡器上，读入后核对再保存。", "hint")

    def hideEvent(self, event: QHideEvent) -> None:
        self.card_timer.stop()
        super().hideEvent(event)

    def read_card(self, *, quiet: bool = False) -> ops.Op | None:
        """Asks the reader in the worker (one read at a time); `quiet` for the poll: no card is said, not shown."""
        if self.reader is None or self.busy or (self.card_op is not None and self.card_op.running):
            return None
        if not quiet:
            self.card_number = None  # 读卡 pressed: fill again even if the same card is still there
            if not self.card_timer.isActive() and self.isVisible():
                self.card_timer.start()
        config, today = self.reader, self._today()
        self.card_op = ops.run_op(
            self, lambda _job: card_reader.read_for_registration(config, today=today), label="正在读卡……",
            title="读卡", cancellable=False, delay_ms=60_000,
            on_success=self._card_read, on_failure=lambda exc: self._card_failed(exc, quiet))
        return self.card_op

    def card_photo(self) -> bytes | None:
        """The card's photo, when the reader gave one and the clerk ticked it."""
        reading = self.card_reading
        if reading is None or reading.photo is None or not self.card_photo_check.isChecked():
            return None
        return reading.photo

    def _card_read(self, reading: card_reader.CardReading) -> None:
        if self.busy or not self.isVisible():
            return
        card = reading.card
        if card.id_number == self.card_number:
            return  # the same card still on the reader: what the clerk changed since stays
        self.card_number = card.id_number
        self.card_reading = reading
        current = self.registration_input()
        self.fill(replace(current, name=card.name, id_number=card.id_number, gender=None,
                          household_location=card.address or current.household_location))
        self.household_edit.setCursorPosition(0)  # a long address shows its beginning
        self._touched.update(("name", "id_number"))
        self.revalidate()
        # a new card: its photo may be used (a tick, never by itself); another card's photo is never carried over
        self.card_photo_check.setChecked(False)
        self.card_photo_check.setEnabled(reading.photo is not None)
        words = [f"已读入 {card.name}（{card.card_type.label} {reading.masked_id}）：请与证件核对后点“确定”。"]
        if reading.photo is not None:
            words.append("证件照片已读出：本人同意时可勾选“使用身份证上的照片作为登记照片”。")
        elif reading.photo_problem:
            words.append(f"照片：{reading.photo_problem}")
        words += reading.warnings
        self.card_label.show_message("\n".join(words), "warning" if reading.warnings else "hint")

    def _card_failed(self, exc: BaseException, quiet: bool) -> None:
        if isinstance(exc, ReaderError):
            if exc.kind == ReaderError.NO_CARD:
                self.card_number = None  # the card was taken away: the next one fills the form
                if quiet:
                    return
            elif exc.kind in (ReaderError.NO_READER, ReaderError.LIBRARY):
                self.card_timer.stop()  # asked again by 读卡, not every second and a half
            self.card_label.show_message(str(exc), "hint" if exc.kind == ReaderError.NO_CARD else "error")
            return
        self.card_timer.stop()
        report_failure(self, exc)

    def accept(self) -> None:  # Enter goes through the same checks as 确定
        self.submit()

    def reject(self) -> None:
        """Esc, 取消 and the title bar's close: a form the clerk has typed into is discarded only after asking."""
        if self.busy:
            return
        if self._edited and self.result_registered is None:
            name = self.name_edit.text().strip()
            self.discard_box = ask_to_confirm(
                self, "放弃登记？",
                f"{'“' + name + '”的' if name else ''}登记表已填写但还没有保存，关闭后填写的内容会丢失。",
                "放弃并关闭", self._discard, cancel_text="继续填写",
            )
            return
        super().reject()

    def _discard(self) -> None:
        self._edited = False
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: ANN001 - the title bar's ✕ asks like Esc does
        if self.busy or (self._edited and self.result_registered is None):
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)
