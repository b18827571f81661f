"""The 考勤 page: a teacher picks the class and the session, marks each learner (mouse or keys 1–5) and saves.

Nothing is written until 保存 (Ctrl+S), which runs `save_roll_call` as an op; leaving unsaved marks asks first.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QPersistentModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QMouseEvent, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.errors import AdultSchoolError, Cancelled
from adultschool.models.enums import AttendanceStatus
from adultschool.services import classes
from adultschool.services.classes import ClassInfo, Mark, SessionInfo, credited_hours
from adultschool.services.rules import load_rules
from adultschool.ui.changes import Topic
from adultschool.ui import ops
from adultschool.ui.class_dialogs import NewSessionDialog, session_text
from adultschool.ui.common import HINT_COLOUR, MessageLabel, actor, open_dialog, report_failure, Page
from adultschool.ui.rollcall_model import (
    FIRST_CHOICE_COLUMN,
    HOURS_COLUMN,
    NAME_COLUMN,
    NUMBER_COLUMN,
    STATUS_COLUMN,
    STATUSES,
    UNMARKED,
    RollCallModel,
)

_AnyIndex = QModelIndex | QPersistentModelIndex
KEY_HINT = "键盘：1 出勤　2 迟到　3 早退　4 缺勤　5 请假（可先选中多行）；迟到、早退的实到课时双击或按 F2 填写；Ctrl+S 保存"
_DIGITS = {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "１": 0, "２": 1, "３": 2, "４": 3, "５": 4}


class ChoiceDelegate(QStyledItemDelegate):
    """A radio button per status column: one click marks the row."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _AnyIndex) -> None:
        super().paint(painter, option, index)
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is None:
            return
        button = QStyleOptionButton()
        size = style.pixelMetric(QStyle.PixelMetric.PM_ExclusiveIndicatorWidth, None, widget)
        rect = option.rect
        button.rect = QRect(rect.x() + (rect.width() - size) // 2, rect.y() + (rect.height() - size) // 2, size, size)
        checked = bool(index.data(RollCallModel.ChoiceRole))
        button.state = QStyle.StateFlag.State_Enabled | (QStyle.StateFlag.State_On if checked else QStyle.StateFlag.State_Off)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorRadioButton, button, painter, widget)

    def editorEvent(self, event: QEvent, model: QAbstractItemModel, option: QStyleOptionViewItem, index: _AnyIndex) -> bool:
        if (event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.LeftButton and option.rect.contains(event.position().toPoint())):
            model.setData(index, True, RollCallModel.ChoiceRole)
            return True
        return super().editorEvent(event, model, option, index)


class HoursDelegate(QStyledItemDelegate):
    """A plain line edit: blank means the rules' share, anything else is checked by the model."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _AnyIndex) -> QWidget:
        editor = QLineEdit(parent)
        editor.setPlaceholderText("不填按比例")
        editor.setAlignment(Qt.AlignmentFlag.AlignRight)
        return editor

    def setEditorData(self, editor: QWidget, index: _AnyIndex) -> None:
        assert isinstance(editor, QLineEdit)  # the one createEditor made
        editor.setText(index.data(Qt.ItemDataRole.EditRole) or "")
        editor.selectAll()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _AnyIndex) -> None:
        assert isinstance(editor, QLineEdit)  # the one createEditor made
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class RollCallTable(QTableView):
    """Keys 1–5 mark the selected rows (full-width digits too, as a Chinese IME types them)."""

    status_key = Signal(object)  # AttendanceStatus

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text in _DIGITS and not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            self.status_key.emit(STATUSES[_DIGITS[text]])
            return
        if event.key() == Qt.Key.Key_F2 and self.currentIndex().isValid() and self.state() != self.State.EditingState:
            self.edit_hours(self.currentIndex().row())  # F2 anywhere on the row, as the hint says
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # a double-click on the row edits its hours
        index = self.indexAt(event.position().toPoint())
        if index.isValid() and index.column() < FIRST_CHOICE_COLUMN:
            self.edit_hours(index.row())
            return
        super().mouseDoubleClickEvent(event)

    def edit_hours(self, row: int) -> bool:
        """Opens the 计入课时 editor of the row when its mark (迟到, 早退) takes hours; says False otherwise."""
        hours = self.model().index(row, HOURS_COLUMN)
        if not self.model().flags(hours) & Qt.ItemFlag.ItemIsEditable:
            return False
        self.setCurrentIndex(hours)
        self.edit(hours)
        return True


class RollCallPage(Page):
    """`saved(count)` after a save wrote something; `session_created` after 今天上课 made a session."""

    saved = Signal(int)
    session_created = Signal()
    # the classes and their sessions, each member's marks (names from the enrolments), the rules' credited hours
    topics = frozenset({Topic.CLASSES, Topic.ATTENDANCE, Topic.LEARNERS, Topic.SETTINGS})

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, today=today)
        self.classes: list[ClassInfo] = []
        self.sessions: list[SessionInfo] = []
        self.class_id: int | None = None
        self.session_id: int | None = None
        self.dialog: QWidget | None = None
        self.prompt: QMessageBox | None = None
        self.context_menu: QMenu | None = None
        with read_session(engine) as session:
            self._rules = load_rules(session)

        self.class_combo = QComboBox()
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_combo.setMinimumContentsLength(16)
        self.session_combo = QComboBox()
        self.session_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.session_combo.setMinimumContentsLength(28)
        self.today_button = QPushButton("今天上课…")
        self.today_button.setToolTip("为这个班登记今天的一节课，然后点名")
        self.today_button.clicked.connect(self.new_session_today)
        self.all_present_button = QPushButton("全部出勤")
        self.all_present_button.setToolTip("把名单上每个人都记为出勤，再逐个改迟到、缺勤等")
        self.all_present_button.clicked.connect(self.mark_all_present)
        self.save_button = QPushButton("保存")
        self.save_button.setToolTip("保存考勤（Ctrl+S）")
        self.save_button.clicked.connect(lambda: self.save())

        top = QHBoxLayout()
        for caption, combo in (("班级", self.class_combo), ("课次", self.session_combo)):
            label = QLabel(caption)
            label.setBuddy(combo)
            top.addWidget(label)
            top.addWidget(combo)
        top.addWidget(self.today_button)
        top.addStretch(1)
        top.addWidget(self.all_present_button)
        top.addWidget(self.save_button)

        self.summary_label = QLabel()
        self.unsaved_label = MessageLabel(kind="warning")
        self.unsaved_label.setWordWrap(False)  # one short line; wrapping would break it mid-word beside the summary
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.summary_label, 1)
        summary_row.addWidget(self.unsaved_label)
        self.empty_hint = QLabel()
        self.empty_hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.hide()

        self.model = RollCallModel(self)
        self.table = RollCallTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        self.choice_delegate = ChoiceDelegate(self.table)
        self.hours_delegate = HoursDelegate(self.table)
        for column in range(FIRST_CHOICE_COLUMN, HOURS_COLUMN):
            self.table.setItemDelegateForColumn(column, self.choice_delegate)
        self.table.setItemDelegateForColumn(HOURS_COLUMN, self.hours_delegate)
        metrics = self.fontMetrics()
        widths = {NUMBER_COLUMN: "330206-01-2026-00000", NAME_COLUMN: "欧阳小红红", STATUS_COLUMN: "未点名*",
                  HOURS_COLUMN: "计入课时"}
        for column in range(HOURS_COLUMN + 1):
            sample = widths.get(column, "出勤出")
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 28)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self.show_context_menu)
        self.table.status_key.connect(self.mark_selected_by_key)

        self.message_label = MessageLabel()
        self.hint_label = QLabel(KEY_HINT)
        self.hint_label.setStyleSheet(f"color: {HINT_COLOUR};")
        self.hint_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(summary_row)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message_label)
        layout.addWidget(self.hint_label)

        self.class_combo.currentIndexChanged.connect(self._class_chosen)
        self.session_combo.currentIndexChanged.connect(self._session_chosen)
        self.model.marks_changed.connect(self._show_counts)
        self.model.refused.connect(lambda text: self.message_label.show_message(text, "error"))
        QShortcut(QKeySequence.StandardKey.Save, self, lambda: self.save())
        self.refresh()

    # --- what is shown ---------------------------------------------------------------------------------------

    @property
    def is_dirty(self) -> bool:
        return self.model.is_dirty

    def refresh(self) -> None:
        """The data changed elsewhere: read the classes again; the roll call too, unless it holds unsaved marks."""
        with read_session(self._engine) as session:
            self.classes = classes.list_classes(session)
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        for info in self.classes:
            self.class_combo.addItem(info.name, info.id)
        self.class_combo.blockSignals(False)
        known = {info.id for info in self.classes}
        if self.is_dirty and self.class_id in known:
            self._set_combo(self.class_combo, self.class_id)
            return
        class_id = self.class_id if self.class_id in known else (self.classes[0].id if self.classes else None)
        self._show_class(class_id, keep_session=class_id == self.class_id)

    def _show_class(self, class_id: int | None, *, keep_session: bool = False, session_id: int | None = None) -> None:
        self.class_id = class_id
        self._set_combo(self.class_combo, class_id)
        with read_session(self._engine) as session:
            self.sessions = classes.list_sessions(session, class_id) if class_id is not None else []
        if session_id is None and keep_session and any(s.id == self.session_id for s in self.sessions):
            session_id = self.session_id
        if session_id is None:
            session_id = self.default_session_id()
        self._fill_sessions()
        self._show_session(session_id)

    def default_session_id(self) -> int | None:
        """Today's session if the class has one, else the newest."""
        today = self._today()
        for info in self.sessions:
            if info.held_on == today:
                return info.id
        return self.sessions[0].id if self.sessions else None

    def _fill_sessions(self) -> None:
        self.session_combo.blockSignals(True)
        self.session_combo.clear()
        for info in self.sessions:
            self.session_combo.addItem(f"{session_text(info)}（已点名 {info.marked} 人）", info.id)
        self.session_combo.setEnabled(bool(self.sessions))
        self.session_combo.setPlaceholderText("还没有课次")
        self.session_combo.blockSignals(False)

    def _show_session(self, session_id: int | None) -> None:
        same = session_id == self.session_id
        current_row = self.table.currentIndex().row() if same else -1
        if not same:
            self.message_label.show_message(None)
        self.session_id = session_id
        self._set_combo(self.session_combo, session_id)
        roll = None
        if session_id is not None:
            with read_session(self._engine) as session:
                roll = classes.roll_call(session, session_id)
                self._rules = load_rules(session)
        self.model.load(roll, self._rules)
        self.today_button.setEnabled(self.class_id is not None)
        if self.class_id is None:
            hint = "还没有班级：请先在“班级”页新建班级，并把学员加入班级。"
        elif session_id is None:
            hint = "这个班还没有课次：点“今天上课…”登记今天的课，再点名。"
        elif roll is not None and not roll.lines:
            hint = "这个班还没有学员：请在“班级”页点“加入学员…”。"
        else:
            hint = ""
        self.empty_hint.setText(hint)
        self.empty_hint.setVisible(bool(hint))
        if self.model.rowCount():
            # The same session read again (after 保存): stay where the teacher was.
            self.table.selectRow(current_row if 0 <= current_row < self.model.rowCount() else 0)

    @staticmethod
    def _set_combo(combo: QComboBox, value: int | None) -> None:
        combo.blockSignals(True)
        combo.setCurrentIndex(combo.findData(value) if value is not None else -1)
        combo.blockSignals(False)

    def _show_counts(self) -> None:
        counts = self.model.counts()
        total = self.model.rowCount()
        if self.model.roll is None:
            self.summary_label.setText("")
        else:
            parts = [f"{status.label} {counts[status]}" for status in STATUSES] + [f"{UNMARKED} {counts[None]}"]
            self.summary_label.setText(f"共 {total} 人：" + "，".join(parts))
        changed = self.model.changed_count()
        self.unsaved_label.show_message(f"有 {changed} 人的考勤未保存" if changed else None)
        self.save_button.setEnabled(changed > 0 and not self.busy)
        self.all_present_button.setEnabled(total > 0 and not self.busy)

    # --- choosing class and session ----------------------------------------------------------------------------

    def _class_chosen(self, index: int) -> None:
        class_id = self.class_combo.itemData(index)
        if class_id == self.class_id:
            return
        self._set_combo(self.class_combo, self.class_id)  # stay until the person has answered
        self.leave_then(lambda: self._show_class(class_id))

    def _session_chosen(self, index: int) -> None:
        session_id = self.session_combo.itemData(index)
        if session_id == self.session_id:
            return
        self._set_combo(self.session_combo, self.session_id)
        self.leave_then(lambda: self._show_session(session_id))

    def select_class(self, class_id: int) -> None:
        index = self.class_combo.findData(class_id)
        if index < 0:
            raise KeyError(class_id)
        self.class_combo.setCurrentIndex(index)

    def select_session(self, session_id: int) -> None:
        index = self.session_combo.findData(session_id)
        if index < 0:
            raise KeyError(session_id)
        self.session_combo.setCurrentIndex(index)

    def show_roll_call(self, class_id: int, session_id: int) -> None:
        """Opens a given session (from the 班级 page), asking first if marks are unsaved."""
        if (class_id, session_id) != (self.class_id, self.session_id):
            def open_session() -> None:
                self._show_class(class_id, session_id=session_id)
                self.focus_table()

            self.leave_then(open_session)
        else:
            self.focus_table()

    def focus_table(self) -> None:
        """Puts the keyboard in the list, on the first row, so keys 1–5 mark at once."""
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.model.index(0, NAME_COLUMN))
            self.table.selectRow(0)

    def leave_then(self, action: Callable[[], object]) -> bool:
        """Runs `action` now when nothing is unsaved (True); else asks 保存/放弃/取消 and runs it after 保存 or 放弃."""
        if not self.is_dirty:
            action()
            return True
        box = QMessageBox(QMessageBox.Icon.Question, "考勤未保存",
                          f"有 {self.model.changed_count()} 人的考勤还没有保存。要先保存吗？", QMessageBox.StandardButton.NoButton,
                          self)
        save = box.addButton("保存", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("放弃", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)

        def answered(button: QAbstractButton) -> None:
            if button is save:
                self.save(then=action)
            elif button is discard:
                self.discard()
                action()

        box.buttonClicked.connect(answered)
        self.prompt = box
        open_dialog(box)
        return False

    def discard(self) -> None:
        """Forgets unsaved marks: the session as saved."""
        self.message_label.show_message(None)
        self._show_session(self.session_id)

    # --- marking ---------------------------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        return rows

    def mark_rows(self, rows: list[int], status: AttendanceStatus) -> None:
        self.message_label.show_message(None)
        self.model.set_status(rows, status)

    def mark_selected_by_key(self, status: AttendanceStatus) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        self.mark_rows(rows, status)
        if len(rows) == 1 and rows[0] + 1 < self.model.rowCount():
            # One at a time, down the list, as the teacher calls the names.
            column = max(self.table.currentIndex().column(), 0)
            self.table.setCurrentIndex(self.model.index(rows[0] + 1, column))
            self.table.selectRow(rows[0] + 1)

    def mark_all_present(self) -> None:
        self.mark_rows(list(range(self.model.rowCount())), AttendanceStatus.PRESENT)

    def show_context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if index.isValid() and index.row() not in self.selected_rows():
            self.table.selectRow(index.row())
        rows = self.selected_rows()
        if not rows:
            return
        menu = QMenu(self)
        for number, status in enumerate(STATUSES, start=1):
            action = menu.addAction(f"{status.label}（{number}）")
            action.triggered.connect(lambda _checked=False, s=status: self.mark_rows(self.selected_rows(), s))
        self.context_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(position))

    # --- saving ----------------------------------------------------------------------------------------------

    def save(self, then: Callable[[], object] | None = None) -> None:
        if self.busy or self.session_id is None:
            return
        named = self.model.changed_marks()
        if not named:
            if then is not None:
                then()
            return
        session_id, who = self.session_id, actor()
        marks = [mark for _, mark in named]
        self.message_label.show_message("正在保存……", "hint")
        self.save_button.setEnabled(False)
        op = ops.run_write(
            self, self._engine, lambda session, _job: classes.save_roll_call(session, session_id, marks, actor=who),
            label="正在保存考勤……", title="保存考勤", cancellable=False,
            on_success=self._saved, on_failure=lambda exc: self._save_failed(exc, named),
        )
        if then is not None:
            # After `done`, when the op no longer counts as running (closing the window waits for none).
            op.done.connect(lambda: then() if op.error is None else None)
        self.op = op

    def _saved(self, count: int) -> None:
        unmarked = self.model.counts()[None]
        self._show_class(self.class_id, session_id=self.session_id)
        text = f"已保存 {count} 人" + (f"。还有 {unmarked} 人未点名" if unmarked else "")
        self.message_label.show_message(text, "hint")
        self.status_message.emit(text)
        self.saved.emit(count)

    def _save_failed(self, exc: BaseException, named: list[tuple[str, Mark]]) -> None:
        self._show_counts()
        if not isinstance(exc, AdultSchoolError) or isinstance(exc, Cancelled):
            self.message_label.show_message(None)
            report_failure(self, exc)
            return
        # The service checks the whole list; name the learner whose entry it refused.
        hours = self.model.session_hours
        for name, mark in named:
            try:
                credited_hours(mark.status, hours, mark.attended_hours, self._rules)
            except AdultSchoolError:
                self.message_label.show_message(f"没有保存。{name}：{exc.message}", "error")
                return
        self.message_label.show_message(f"没有保存：{exc.message}", "error")

    # --- 今天上课 ----------------------------------------------------------------------------------------------

    def current_class(self) -> ClassInfo | None:
        return next((c for c in self.classes if c.id == self.class_id), None)

    def new_session_today(self) -> None:
        self.leave_then(self._open_today_dialog)

    def _open_today_dialog(self) -> NewSessionDialog | None:
        info = self.current_class()
        if info is None:
            return None
        dialog = NewSessionDialog(self._engine, info, self, today=self._today, held_on=self._today())
        dialog.created.connect(self._session_created)
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def _session_created(self, lesson: SessionInfo) -> None:
        self._show_class(lesson.class_id, session_id=lesson.id)
        self.status_message.emit(f"已新增课次：{session_text(lesson)}")
        self.session_created.emit()
