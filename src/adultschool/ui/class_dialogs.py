"""新建班级 / 加入学员 / 新增课次: the three small forms of the 班级 page (R10), each one service call run as an op.

Refusals come from the services and show beside the field they name; the forms only ask for what is missing.
"""
from __future__ import annotations

import re
from datetime import date, time
from typing import Callable

from PySide6.QtCore import Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock
from adultschool.db import read_session
from adultschool.errors import AdultSchoolError
from adultschool.models.enums import ClassType, EnrolmentStatus, Level
from adultschool.services import classes, learners, site
from adultschool.services.classes import ClassChanges, ClassInfo, SessionChanges, SessionInfo
from adultschool.services.learners import LearnerFilter
from adultschool.services.rules import load_rules
from adultschool.textnorm import clean_text
from adultschool.ui.form_dialog import FormDialog, required_label
from adultschool.ui.common import (
    HINT_COLOUR, actor, to_date, to_qdate, with_message,
)

NO_COURSE = "（不填）"
SEARCH_DELAY_MS = 250
_NUMBER_SEPARATORS = re.compile(r"[\s,，、;；]+")


def split_numbers(text: str) -> list[str]:
    """Student numbers pasted from Excel or a chat: one a line, or separated by spaces, commas or 、."""
    return [n for n in (clean_text(part) for part in _NUMBER_SEPARATORS.split(text or "")) if n]


def session_text(info: SessionInfo) -> str:
    """A session as one line: '2026-03-02 19:00 成人高中语文 2 课时'."""
    parts = [info.held_on.isoformat()]
    if info.starts_at:
        parts.append(info.starts_at.strftime("%H:%M"))
    if info.course:
        parts.append(info.course)
    parts.append(f"{info.hours:g} 课时")
    return " ".join(parts)


class NewClassDialog(FormDialog):
    """新建班级: name, form (村班/厂班/夜校班/重修班), level, teaching site, teacher, first day."""

    created = Signal(object)  # ClassInfo

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, "新建班级")
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(60)
        self.name_edit.setPlaceholderText("如：大碶街道夜校班（高中）2026春")
        self.type_combo = QComboBox()
        self.type_combo.setPlaceholderText("请选择")
        for class_type in ClassType:
            self.type_combo.addItem(class_type.label, class_type)
        self.type_combo.setCurrentIndex(-1)
        self.level_combo = QComboBox()
        self.level_combo.setPlaceholderText("请选择")
        for level in Level:
            self.level_combo.addItem(level.label, level)
        self.level_combo.setCurrentIndex(-1)
        self.site_edit = QLineEdit()
        self.site_edit.setPlaceholderText("如：大碶街道社区学校")
        self.teacher_edit = QLineEdit()
        self.teacher_edit.setMaxLength(40)
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDate(to_qdate(today()))
        em = self.fontMetrics().horizontalAdvance("中")
        for widget in (self.name_edit, self.site_edit):
            widget.setMinimumWidth(em * 22)

        form = self._form()
        form.addRow(required_label("班级名称"), with_message(self.messages, "name", self.name_edit))
        form.addRow(required_label("班级类型"), with_message(self.messages, "class_type", self.type_combo))
        form.addRow(required_label("层次"), with_message(self.messages, "level", self.level_combo))
        form.addRow("教学点", with_message(self.messages, "teaching_site", self.site_edit))
        form.addRow("任课教师", with_message(self.messages, "teacher", self.teacher_edit))
        form.addRow(required_label("开班日期"), with_message(self.messages, "starts_on", self.date_edit))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_message)
        layout.addWidget(self.buttons)

        self._clear_on_change(self.name_edit.textEdited, "name")
        self._clear_on_change(self.type_combo.currentIndexChanged, "class_type")
        self._clear_on_change(self.level_combo.currentIndexChanged, "level")
        self._clear_on_change(self.date_edit.dateChanged, "starts_on")
        order = [self.name_edit, self.type_combo, self.level_combo, self.site_edit, self.teacher_edit, self.date_edit,
                 self.ok_button, self.cancel_button]
        for first, second in zip(order, order[1:]):
            self.setTabOrder(first, second)
        self.name_edit.setFocus()

    def submit(self) -> None:
        self.clear_problems()
        missing = False
        if self.type_combo.currentIndex() < 0:
            self.show_problem("class_type", "请选择班级类型：村班、厂班、夜校班或重修班。")
            missing = True
        if self.level_combo.currentIndex() < 0:
            self.show_problem("level", "请选择层次：初中或高中。")
            missing = True
        if missing:
            return
        # Combo data comes back as the enum's plain value (PySide turns str enums into str).
        name, class_type = self.name_edit.text(), ClassType(self.type_combo.currentData())
        level, starts_on = Level(self.level_combo.currentData()), to_date(self.date_edit.date())
        teaching_site, teacher, who = self.site_edit.text() or None, self.teacher_edit.text() or None, actor()
        self._run(lambda session, _job: classes.create_class(session, name=name, class_type=class_type, level=level,
                                                             starts_on=starts_on, teaching_site=teaching_site,
                                                             teacher=teacher, actor=who),
                  "正在新建班级……", self.created.emit)


class NewSessionDialog(FormDialog):
    """新增课次 (also 今天上课): day, start time, hours as a decimal, a course of the class's level, the topic."""

    created = Signal(object)  # SessionInfo

    def __init__(self, engine: Engine, class_info: ClassInfo, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today, held_on: date | None = None):
        super().__init__(engine, parent, f"新增课次 — {class_info.name}")
        self.class_info = class_info
        with read_session(engine) as session:
            courses = load_rules(session).courses(class_info.level)
            sessions = classes.list_sessions(session, class_info.id)
        last: SessionInfo | None = sessions[0] if sessions else None

        self.class_label = QLabel(f"{class_info.name}（{ClassType(class_info.class_type).label}，"
                                  f"{Level(class_info.level).label}）")
        self.date_edit = QDateEdit()
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDate(to_qdate(held_on or today()))
        self.time_check = QCheckBox("开始时间")
        self.time_edit = QTimeEdit()
        self.time_edit.setDisplayFormat("HH:mm")
        self.time_check.toggled.connect(self.time_edit.setEnabled)
        start = last.starts_at if last and last.starts_at else None
        self.time_edit.setTime(QTime(start.hour, start.minute) if start else QTime(19, 0))
        self.time_check.setChecked(start is not None)
        self.time_edit.setEnabled(start is not None)
        self.hours_edit = QLineEdit(f"{last.hours:g}" if last else "2")
        self.hours_edit.setPlaceholderText("如 2 或 1.5")
        self.hours_edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 12)
        self.course_combo = QComboBox()
        self.course_combo.addItem(NO_COURSE, None)
        for course in courses:
            self.course_combo.addItem(course, course)
        if last and last.course:
            self.course_combo.setCurrentIndex(max(self.course_combo.findData(last.course), 0))
        self.topic_edit = QLineEdit()
        self.topic_edit.setPlaceholderText("如：第3讲 一元一次方程")
        self.topic_edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("中") * 22)

        time_row = QHBoxLayout()
        time_row.addWidget(self.time_edit)
        time_row.addStretch(1)
        hours_row = QHBoxLayout()
        hours_row.addWidget(self.hours_edit)
        hours_row.addWidget(QLabel("课时"))
        hours_row.addStretch(1)
        form = self._form()
        form.addRow("班级", self.class_label)
        form.addRow(required_label("上课日期"), with_message(self.messages, "held_on", self.date_edit))
        form.addRow(self.time_check, with_message(self.messages, "starts_at", time_row))
        form.addRow(required_label("课时"), with_message(self.messages, "hours", hours_row))
        form.addRow("课程", with_message(self.messages, "course", self.course_combo))
        form.addRow("内容", with_message(self.messages, "topic", self.topic_edit))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_message)
        layout.addWidget(self.buttons)

        self.hours_edit.textEdited.connect(lambda _text: self.check_hours())
        self._clear_on_change(self.date_edit.dateChanged, "held_on")
        self._clear_on_change(self.time_edit.timeChanged, "starts_at")
        self._clear_on_change(self.time_check.toggled, "starts_at")
        order = [self.date_edit, self.time_check, self.time_edit, self.hours_edit, self.course_combo, self.topic_edit,
                 self.ok_button, self.cancel_button]
        for first, second in zip(order, order[1:]):
            self.setTabOrder(first, second)
        self.hours_edit.setFocus()
        self.hours_edit.selectAll()

    def hours(self) -> float | None:
        """The hours typed, checked as every session's hours are (services.classes.check_hours); None if refused."""
        text = clean_text(self.hours_edit.text()) or ""
        self.messages["hours"].show_message(None)
        try:
            value = float(text) if text else None
        except ValueError:
            self.show_problem("hours", f"“{text}”不是数字：请填写课时，如 2 或 1.5。")
            return None
        try:
            return classes.check_hours(value)
        except AdultSchoolError as exc:
            self.show_problem("hours", exc.message)
            return None

    def check_hours(self) -> bool:
        ok = self.hours() is not None
        self.ok_button.setEnabled(ok and not self.busy)
        return ok

    def submit(self) -> None:
        self.clear_problems()
        hours = self.hours()
        if hours is None:
            return
        starts_at = None
        if self.time_check.isChecked():
            value = self.time_edit.time()
            starts_at = time(value.hour(), value.minute())
        class_id = self.class_info.id
        values = dict(held_on=to_date(self.date_edit.date()), hours=hours, course=self.course_combo.currentData(),
                      topic=self.topic_edit.text() or None, starts_at=starts_at, actor=actor())
        self._run(lambda session, _job: classes.create_session(session, class_id, **values), "正在登记课次……",
                  self.created.emit)


class AddMembersDialog(FormDialog):
    """加入学员: tick learners of the class's level found by a search, or paste student numbers; add_members decides."""

    added = Signal(int, int)  # newly added, asked for

    def __init__(self, engine: Engine, class_info: ClassInfo, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, f"加入学员 — {class_info.name}")
        self.class_info = class_info
        self._today = today
        self._level = Level(class_info.level)
        self._checked: dict[str, None] = {}  # ticked student numbers, in the order ticked
        self._filling = False
        self.resize(760, 620)

        intro = QLabel(f"勾选要加入“{class_info.name}”的{self._level.label}学员，或在下面粘贴学籍号。已在班里的学员不会重复加入。")
        intro.setWordWrap(True)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("搜索姓名（或拼音、首字母）、学籍号或身份证号")
        self.search_edit.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setStyleSheet(f"color: {HINT_COLOUR};")
        self.township_combo = QComboBox()
        self.township_combo.addItem("全部街道/镇", None)
        with read_session(engine) as session:
            for township in site.list_townships(session):
                self.township_combo.addItem(township.name, township.id)
        self.township_combo.currentIndexChanged.connect(lambda _index: self.search())
        self.no_class_check = QCheckBox("只列还没有进班的")
        self.no_class_check.toggled.connect(lambda _on: self.search())
        self.select_all_button = QPushButton("全选")
        self.select_all_button.setToolTip("勾选下面列出的全部学员")
        self.select_all_button.clicked.connect(lambda: self.check_all(True))
        self.select_none_button = QPushButton("全不选")
        self.select_none_button.clicked.connect(lambda: self.check_all(False))
        search_row = QHBoxLayout()
        search_row.addWidget(self.search_edit, 1)
        search_row.addWidget(self.township_combo)
        search_row.addWidget(self.no_class_check)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.count_label, 1)
        filter_row.addWidget(self.select_all_button)
        filter_row.addWidget(self.select_none_button)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["学籍号", "姓名", "身份证号码", "状态"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        metrics = self.fontMetrics()
        for column, sample in enumerate(("330206-01-2026-00000 ", "欧阳小红红", "330206********000X", "已申请考试")):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 40)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemActivated.connect(self._toggle)

        self.paste_edit = QPlainTextEdit()
        self.paste_edit.setPlaceholderText("或粘贴学籍号：每行一个，或用空格、逗号、顿号分隔")
        self.paste_edit.setFixedHeight(metrics.height() * 4 + 12)
        self.selected_label = QLabel()

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(search_row)
        layout.addLayout(filter_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(with_message(self.messages, "student_numbers", self.paste_edit))
        layout.addWidget(self.general_message)
        bottom = QHBoxLayout()
        bottom.addWidget(self.selected_label, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self.ok_button.setText("加入")

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search)
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_edit.returnPressed.connect(self.search)
        self.paste_edit.textChanged.connect(self._show_selected)
        self.search()
        self.search_edit.setFocus()

    # --- the list --------------------------------------------------------------------------------------------

    def search(self) -> None:
        self._search_timer.stop()
        flt = LearnerFilter(search=self.search_edit.text().strip() or None, level=self._level,
                            township_id=self.township_combo.currentData(), in_no_class=self.no_class_check.isChecked())
        with read_session(self._engine) as session:
            rows = learners.list_learners(session, flt, limit=None)  # every match: 全选 ticks what the filters found
            total = len(rows)
        self._filling = True
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            number = QTableWidgetItem(row.student_number)
            number.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            number.setCheckState(Qt.CheckState.Checked if row.student_number in self._checked else Qt.CheckState.Unchecked)
            self.table.setItem(index, 0, number)
            for column, text in enumerate((row.name, row.id_number, EnrolmentStatus(row.status).label), start=1):
                self.table.setItem(index, column, QTableWidgetItem(text))
        self.table.setUpdatesEnabled(True)
        self._filling = False
        self.count_label.setText(f"列出{self._level.label}学员 {total} 人" if total else "没有符合条件的学员")
        self._show_selected()

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        number = item.text()
        if item.checkState() == Qt.CheckState.Checked:
            self._checked[number] = None
        else:
            self._checked.pop(number, None)
        self._show_selected()

    def _tick_box(self, row: int) -> QTableWidgetItem:
        """A listed row's first cell: its student number with the tick box (search fills every row's)."""
        item = self.table.item(row, 0)
        assert item is not None
        return item

    def _toggle(self, item: QTableWidgetItem) -> None:
        """Enter or double-click on a row ticks or unticks it."""
        box = self._tick_box(item.row())
        box.setCheckState(Qt.CheckState.Unchecked if box.checkState() == Qt.CheckState.Checked else Qt.CheckState.Checked)

    def check_all(self, checked: bool) -> None:
        """全选 / 全不选: every row listed now (rows hidden by the filters keep their ticks)."""
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        self.table.setUpdatesEnabled(False)
        for row in range(self.table.rowCount()):
            self._tick_box(row).setCheckState(state)
        self.table.setUpdatesEnabled(True)

    def check_number(self, student_number: str, checked: bool = True) -> None:
        for row in range(self.table.rowCount()):
            item = self._tick_box(row)
            if item.text() == student_number:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return
        raise KeyError(student_number)

    def chosen_numbers(self) -> list[str]:
        return list(dict.fromkeys([*self._checked, *split_numbers(self.paste_edit.toPlainText())]))

    def _show_selected(self) -> None:
        self.messages["student_numbers"].show_message(None)
        self.general_message.show_message(None)
        count = len(self.chosen_numbers())
        self.selected_label.setText(f"已选 {count} 人" if count else "还没有选学员")

    # --- adding ----------------------------------------------------------------------------------------------

    def submit(self) -> None:
        self.clear_problems()
        numbers = self.chosen_numbers()
        if not numbers:
            self.show_problem("student_numbers", "请勾选学员，或粘贴学籍号。")
            return
        class_id, joined_on, who = self.class_info.id, self._today(), actor()
        self._run(lambda session, _job: classes.add_members(session, class_id, numbers, joined_on=joined_on, actor=who),
                  "正在加入学员……", lambda added: self.added.emit(added, len(numbers)))

    def show_problem(self, field: str | None, message: str) -> None:
        # add_members refuses the whole list for one wrong number; its message names the number.
        super().show_problem(field or "student_numbers", message)


class EditClassDialog(NewClassDialog):
    """修改班级: the new-class form filled with the class as it is; only what changed is saved (services.update_class)."""

    saved = Signal(object)  # ClassInfo

    def __init__(self, engine: Engine, class_info: ClassInfo, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, today=today)
        self.setWindowTitle(f"修改班级 — {class_info.name}")
        self.class_info = class_info
        self.name_edit.setText(class_info.name)
        self.type_combo.setCurrentIndex(self.type_combo.findData(ClassType(class_info.class_type)))
        self.level_combo.setCurrentIndex(self.level_combo.findData(Level(class_info.level)))
        if class_info.members:
            self.level_combo.setEnabled(False)
            self.level_combo.setToolTip(f"班里已有 {class_info.members} 名学员，层次不能改")
        self.site_edit.setText(class_info.teaching_site or "")
        self.teacher_edit.setText(class_info.teacher or "")
        self.date_edit.setDate(to_qdate(class_info.starts_on))
        self.ok_button.setText("保存")

    def submit(self) -> None:
        self.clear_problems()
        changes = ClassChanges(name=self.name_edit.text(), class_type=ClassType(self.type_combo.currentData()),
                               level=Level(self.level_combo.currentData()), starts_on=to_date(self.date_edit.date()),
                               teaching_site=self.site_edit.text(), teacher=self.teacher_edit.text())
        class_id, who = self.class_info.id, actor()
        self._run(lambda session, _job: classes.update_class(session, class_id, changes, actor=who), "正在保存……",
                  self.saved.emit)


class EditSessionDialog(NewSessionDialog):
    """修改课次: the session's day, time and hours (fixed once attendance is recorded), course and topic."""

    saved = Signal(object)  # SessionInfo

    def __init__(self, engine: Engine, class_info: ClassInfo, lesson: SessionInfo, parent: QWidget | None = None, *,
                 today: Callable[[], date] = clock.today):
        super().__init__(engine, class_info, parent, today=today, held_on=lesson.held_on)
        self.setWindowTitle(f"修改课次 — {class_info.name} {lesson.held_on}")
        self.lesson = lesson
        self.time_check.setChecked(lesson.starts_at is not None)
        if lesson.starts_at is not None:
            self.time_edit.setTime(QTime(lesson.starts_at.hour, lesson.starts_at.minute))
        self.hours_edit.setText(f"{lesson.hours:g}")
        self.course_combo.setCurrentIndex(max(self.course_combo.findData(lesson.course), 0) if lesson.course else 0)
        self.topic_edit.setText(lesson.topic or "")
        if lesson.marked:
            for widget in (self.date_edit, self.time_check, self.time_edit, self.hours_edit):
                widget.setEnabled(False)
            self.general_message.show_message(f"这节课已有 {lesson.marked} 人的考勤记录：日期、时间和课时不能再改，"
                                              "课程和内容可以改。", "warning")
        self.ok_button.setText("保存")

    def submit(self) -> None:
        self.clear_problems()
        hours = self.hours()
        if hours is None:
            return
        value = self.time_edit.time()
        starts_at = time(value.hour(), value.minute()) if self.time_check.isChecked() else None
        changes = SessionChanges(held_on=to_date(self.date_edit.date()), starts_at=starts_at,
                                 clear_start=not self.time_check.isChecked(), hours=hours,
                                 course=self.course_combo.currentData() or "", topic=self.topic_edit.text())
        if self.lesson.marked:  # only what may still change: the service would refuse the rest
            changes = SessionChanges(course=changes.course, topic=changes.topic)
        session_id, who = self.lesson.id, actor()
        self._run(lambda session, _job: classes.update_session(session, session_id, changes, actor=who), "正在保存……",
                  self.saved.emit)
