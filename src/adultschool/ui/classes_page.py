"""The 班级 page: the school's classes (R10); the selected one's learners and sessions below.

新建班级 / 加入学员 / 新增课次 open their forms; double-clicking a session asks the window for its roll call.
"""
from __future__ import annotations

from datetime import date
from typing import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.db import read_session
from adultschool.jobs import JobContext
from adultschool.models.enums import ClassType, Level
from adultschool.services import classes, lists, readiness
from adultschool.services.classes import ClassInfo, SessionInfo
from adultschool.services.readiness import ReadinessRow
from adultschool.ui import changes, ops
from adultschool.ui.changes import READINESS_INPUTS
from adultschool.ui.list_output import ListOutput
from adultschool.ui.class_dialogs import (
    AddMembersDialog,
    EditClassDialog,
    EditSessionDialog,
    NewClassDialog,
    NewSessionDialog,
    session_text,
)
from adultschool.ui.common import D, HINT_COLOUR, actor, open_dialog, show_info, Page
from adultschool.ui.ways_back_dialogs import confirm_then

CLASS_HEADERS = ("名称", "类型", "层次", "教学点", "任课教师", "开班日期", "学员数", "课次")
# The roster needs no ID numbers (PIPL: show only what the task needs); 学员 and 可报考 show them masked.
MEMBER_HEADERS = ("学籍号", "姓名", "已学月数", "视频学时", "面授课时", "可报考")
SESSION_HEADERS = ("日期", "开始", "课时", "课程", "内容", "已点名")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _table(headers: tuple[str, ...], samples: tuple[str, ...], metrics, *, stretch: int) -> QTableWidget:  # noqa: ANN001
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(metrics.height() + 10)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    for column, (title, sample) in enumerate(zip(headers, samples)):
        table.setColumnWidth(column, max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title)) + 28)
    # One column takes the spare width (a long name or course), so short numbers stay next to their neighbours.
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.horizontalHeader().setMinimumSectionSize(metrics.horizontalAdvance("课时") + 16)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[object]], numeric: set[int]) -> None:
    table.setUpdatesEnabled(False)
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem("" if value is None else str(value))
            if c in numeric:
                item.setTextAlignment(_RIGHT)
            else:
                item.setToolTip(item.text())  # the full text where a narrow column cuts it
            table.setItem(r, c, item)
    table.setUpdatesEnabled(True)


class ClassesPage(Page):
    """`changed` after a class, members or a session were added; `rollcall_requested(class_id, session_id)`."""

    rollcall_requested = Signal(int, int)
    topics = READINESS_INPUTS  # the classes with their members and sessions, and each member's readiness

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(engine, parent, today=today)
        self.classes: list[ClassInfo] = []
        self.sessions: list[SessionInfo] = []
        self.members: list[ReadinessRow] = []
        self.dialog: QWidget | None = None
        self._detail_generation = 0
        metrics = self.fontMetrics()

        self.new_class_button = QPushButton("新建班级…")
        self.new_class_button.clicked.connect(self.open_new_class)
        self.add_members_button = QPushButton("加入学员…")
        self.add_members_button.clicked.connect(self.open_add_members)
        self.new_session_button = QPushButton("新增课次…")
        self.new_session_button.clicked.connect(self.open_new_session)
        # 更正: the ways back for a class, its roster and its sessions (refused once attendance depends on them).
        self.correct_menu = QMenu(self)
        self.edit_class_action = self.correct_menu.addAction("修改班级…", lambda: self.open_edit_class())
        self.delete_class_action = self.correct_menu.addAction("删除班级…", lambda: self.confirm_delete_class())
        self.correct_menu.addSeparator()
        self.remove_members_action = self.correct_menu.addAction("把所选学员移出班级…", lambda: self.confirm_remove_members())
        self.correct_menu.addSeparator()
        self.edit_session_action = self.correct_menu.addAction("修改所选课次…", lambda: self.open_edit_session())
        self.delete_session_action = self.correct_menu.addAction("删除所选课次…", lambda: self.confirm_delete_session())
        self.correct_button = QPushButton("更正")
        self.correct_button.setToolTip("修改或删除建错的班级、课次，把学员移出班级（已有考勤的不能删）")
        self.correct_button.setMenu(self.correct_menu)
        self.count_label = QLabel()
        top = QHBoxLayout()
        for button in (self.new_class_button, self.add_members_button, self.new_session_button, self.correct_button):
            top.addWidget(button)
        top.addStretch(1)
        top.addWidget(self.count_label)

        self.empty_hint = QLabel("还没有班级。请点“新建班级…”，再把学员加入班级。")
        self.empty_hint.setStyleSheet(f"color: {HINT_COLOUR};")
        self.empty_hint.hide()

        self.class_table = _table(CLASS_HEADERS, ("大碶街道夜校班（高中）12班", "夜校班", "层次", "大碶街道社区学校",
                                                  "任课教师", "2026-00-00", "学员数", "课次"), metrics, stretch=0)
        self.class_table.selectionModel().selectionChanged.connect(lambda *_: self.show_selected())

        self.members_table = _table(MEMBER_HEADERS, ("330206-01-2026-00000", "欧阳小红红", "已学月数", "视频学时",
                                                     "面授课时", "可报考"), metrics, stretch=1)
        self.members_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)  # 移出 several at once
        self.sessions_table = _table(SESSION_HEADERS, ("2026-00-00", "00:00", "课时", "成人高中数学", "第12讲", "已点名"),
                                     metrics, stretch=3)
        self.sessions_table.setToolTip("双击一节课，打开它的考勤")
        self.sessions_table.itemActivated.connect(lambda _item: self.open_selected_rollcall())
        self.members_box = QGroupBox("学员")
        # 导出 Excel… / 打印…: the selected class's roster as shown here (names and hours; no ID numbers).
        self.list_output = ListOutput(self, engine, spec=self.list_spec, file_stem=self._roster_stem, has_ids=False,
                                      why_not=lambda: "请先在上面的班级列表里选一个班。", today=self._today)
        members_layout = QVBoxLayout(self.members_box)
        members_buttons = self.list_output.layout()
        members_buttons.addStretch(1)
        members_layout.addLayout(members_buttons)
        members_layout.addWidget(self.members_table)
        self.sessions_box = QGroupBox("课次")
        QVBoxLayout(self.sessions_box).addWidget(self.sessions_table)
        below = QSplitter(Qt.Orientation.Horizontal)
        below.addWidget(self.members_box)
        below.addWidget(self.sessions_box)
        below.setStretchFactor(0, 1)
        below.setStretchFactor(1, 1)
        below.setChildrenCollapsible(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.class_table)
        split.addWidget(below)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.empty_hint)
        layout.addWidget(split, 1)
        self.refresh()

    # --- loading ---------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reads the classes again and keeps the selection."""
        current = self.selected_class()
        with read_session(self._engine) as session:
            self.classes = classes.list_classes(session)
        rows = [(c.name, ClassType(c.class_type).label, Level(c.level).label, c.teaching_site, c.teacher,
                 c.starts_on.isoformat(), c.members, c.sessions) for c in self.classes]
        blocked = self.class_table.selectionModel().blockSignals(True)
        _fill(self.class_table, rows, {6, 7})
        if current is not None:
            self.select_class(current.id)
        elif self.classes:
            self.class_table.selectRow(0)
        self.class_table.selectionModel().blockSignals(blocked)
        self.count_label.setText(f"共 {len(self.classes)} 个班")
        self.empty_hint.setVisible(not self.classes)
        self.show_selected()

    def selected_class(self) -> ClassInfo | None:
        rows = self.class_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.classes):
            return None
        return self.classes[rows[0].row()]

    def list_spec(self) -> lists.RosterList | None:
        info = self.selected_class()
        return lists.RosterList(info.id, self._today()) if info is not None else None

    def _roster_stem(self) -> str:
        info = self.selected_class()
        return f"班级学员名单-{info.name}" if info is not None else "班级学员名单"

    def select_class(self, class_id: int) -> None:
        for row, info in enumerate(self.classes):
            if info.id == class_id:
                self.class_table.selectRow(row)
                item = self.class_table.item(row, 0)
                assert item is not None  # refresh() fills a row per class
                self.class_table.scrollToItem(item)
                return

    def show_selected(self) -> None:
        """The selected class's learners and sessions, read in the background (readiness of 40 among 100,000)."""
        info = self.selected_class()
        for button in (self.add_members_button, self.new_session_button, self.correct_button):
            button.setEnabled(info is not None)
        self.list_output.set_enabled(info is not None)
        self._detail_generation += 1
        generation = self._detail_generation
        if info is None:
            self._show_detail(generation, ([], []))
            return
        self.members_box.setTitle(f"学员（{info.name}）")
        self.sessions_box.setTitle(f"课次（{info.name}）")
        today = self._today()

        def read(session: Session, _job: JobContext) -> tuple[list[ReadinessRow], list[SessionInfo]]:
            return (readiness.readiness(session, today, class_id=info.id), classes.list_sessions(session, info.id))

        self.op = ops.run_read(self, self._engine, read, label="正在读取班级……", title="班级", cancellable=False,
                               blocks_exit=False,
                               delay_ms=1500, on_success=lambda found: self._show_detail(generation, found))

    def _show_detail(self, generation: int, found: tuple[list[ReadinessRow], list[SessionInfo]]) -> None:
        if generation != self._detail_generation:
            return  # another class was selected meanwhile
        self.members, self.sessions = found
        _fill(self.members_table, [(m.student_number, m.name, m.months_done, f"{m.video_hours:g}",
                                    f"{m.class_hours:g}", "是" if m.ready else "否") for m in self.members], {2, 3, 4})
        _fill(self.sessions_table, [(s.held_on.isoformat(), s.starts_at.strftime("%H:%M") if s.starts_at else "",
                                     f"{s.hours:g}", s.course, s.topic, s.marked) for s in self.sessions], {2, 5})
        info = self.selected_class()
        if info is not None:
            # Members counts everyone on the roster; the list shows those still studying (readiness).
            studying = f"在读 {len(self.members)} 人" + (f"，共 {info.members} 人" if info.members != len(self.members) else "")
            self.members_box.setTitle(f"学员（{info.name}，{studying}）")
            self.sessions_box.setTitle(f"课次（共 {len(self.sessions)} 节）")

    # --- forms -----------------------------------------------------------------------------------------------

    def _open(self, dialog: D) -> D:
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def open_new_class(self) -> NewClassDialog:
        dialog = NewClassDialog(self._engine, self, today=self._today)
        dialog.created.connect(self._class_created)
        return self._open(dialog)

    def open_add_members(self) -> AddMembersDialog | None:
        info = self.selected_class()
        if info is None:
            return None
        dialog = AddMembersDialog(self._engine, info, self, today=self._today)
        dialog.added.connect(lambda added, asked: self._members_added(info, added, asked))
        return self._open(dialog)

    def open_new_session(self) -> NewSessionDialog | None:
        info = self.selected_class()
        if info is None:
            return None
        dialog = NewSessionDialog(self._engine, info, self, today=self._today)
        dialog.created.connect(lambda lesson: self._session_created(info, lesson))
        return self._open(dialog)

    def selected_members(self) -> list[str]:
        rows = sorted({index.row() for index in self.members_table.selectionModel().selectedRows()})
        return [self.members[r].student_number for r in rows if r < len(self.members)]

    def selected_session(self) -> SessionInfo | None:
        rows = self.sessions_table.selectionModel().selectedRows()
        return self.sessions[rows[0].row()] if rows and rows[0].row() < len(self.sessions) else None

    def open_edit_class(self) -> EditClassDialog | None:
        info = self.selected_class()
        if info is None:
            return None
        dialog = EditClassDialog(self._engine, info, self, today=self._today)
        dialog.saved.connect(lambda saved: self._corrected(f"已保存班级“{saved.name}”"))
        return self._open(dialog)

    def open_edit_session(self) -> EditSessionDialog | None:
        info, lesson = self.selected_class(), self.selected_session()
        if info is None or lesson is None:
            self.dialog = show_info(self, "修改课次", "请先在“课次”里选中一节课。")
            return None
        dialog = EditSessionDialog(self._engine, info, lesson, self, today=self._today)
        dialog.saved.connect(lambda saved: self._corrected(f"已保存课次：{session_text(saved)}"))
        return self._open(dialog)

    def _confirm(self, title: str, text: str, yes_text: str, work: Callable[[Session, JobContext], object],
                 done_text: str) -> QWidget:
        box = confirm_then(self, title, text, yes_text, self._engine, work, "正在保存……",
                           lambda _result: self._corrected(done_text))
        self.dialog = box
        return box

    def confirm_delete_class(self) -> QWidget | None:
        info = self.selected_class()
        if info is None:
            return None
        who = actor()
        return self._confirm("删除班级", f"删除班级“{info.name}”，连同它的 {info.members} 名学员名单和 {info.sessions} 节课？"
                             "已有考勤记录的班级不能删除。学员的学籍不受影响。", "删除班级(&D)",
                             lambda session, _job: classes.delete_class(session, info.id, actor=who),
                             f"已删除班级“{info.name}”")

    def confirm_remove_members(self) -> QWidget | None:
        info, numbers = self.selected_class(), self.selected_members()
        if info is None or not numbers:
            self.dialog = show_info(self, "移出班级", "请先在“学员”里选中要移出的学员（可按住 Ctrl 多选）。")
            return None
        who = actor()
        return self._confirm("移出班级", f"把 {len(numbers)} 名学员移出“{info.name}”？他们的学籍不受影响；"
                             "在本班已有考勤的不能移出（不再学习的请办理退学）。", "移出(&R)",
                             lambda session, _job: classes.remove_members(session, info.id, numbers, actor=who),
                             f"已从“{info.name}”移出 {len(numbers)} 名学员")

    def confirm_delete_session(self) -> QWidget | None:
        lesson = self.selected_session()
        if lesson is None:
            self.dialog = show_info(self, "删除课次", "请先在“课次”里选中一节课。")
            return None
        who = actor()
        return self._confirm("删除课次", f"删除这节课：{session_text(lesson)}？已有考勤记录的课不能删除。", "删除课次(&D)",
                             lambda session, _job: classes.delete_session(session, lesson.id, actor=who),
                             f"已删除课次：{session_text(lesson)}")

    def _corrected(self, text: str) -> None:
        self.refresh()
        self.status_message.emit(text)
        self.changed.emit(changes.CLASSES_CHANGED)

    def _class_created(self, info: ClassInfo) -> None:
        self.refresh()
        self.select_class(info.id)
        self.status_message.emit(f"已新建班级“{info.name}”")
        self.changed.emit(changes.CLASSES_CHANGED)

    def _members_added(self, info: ClassInfo, added: int, asked: int) -> None:
        already = f"（其余 {asked - added} 人原来就在班里）" if asked > added else ""
        self.refresh()
        self.status_message.emit(f"“{info.name}”已加入 {added} 名学员{already}")
        self.changed.emit(changes.CLASSES_CHANGED)

    def _session_created(self, info: ClassInfo, lesson: SessionInfo) -> None:
        self.refresh()
        self.status_message.emit(f"“{info.name}”已新增课次：{session_text(lesson)}")
        self.changed.emit(changes.CLASSES_CHANGED)

    def open_selected_rollcall(self) -> None:
        rows = self.sessions_table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self.sessions):
            lesson = self.sessions[rows[0].row()]
            self.rollcall_requested.emit(lesson.class_id, lesson.id)
