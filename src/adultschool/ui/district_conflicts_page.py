"""The district office's 冲突 page: one person registered at two schools, each with its way out (settled as the
same person, or which school keeps the enrolment decided)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from sqlalchemy import Engine

from adultschool.db import read_session
from adultschool.models.enums import ConflictStatus
from adultschool.services import district_conflicts
from adultschool.services.district_conflicts import ConflictInfo
from adultschool.ui import changes, ops
from adultschool.ui.changes import Topic
from adultschool.ui.common import Page, HINT_COLOUR, MessageLabel, actor, open_dialog
from adultschool.ui.district_dialogs import DecideDialog, SettleDialog
from adultschool.ui.widgets import fill_table, filled_item, read_only_table
from adultschool.ui.sync_page import local_time


CONFLICT_HEADERS = ("编号", "身份证号码", "姓名", "先登记的学校", "其学籍", "后登记的学校", "其学籍", "状态", "暂缓合并行数",
                    "发现时间")


class ConflictsPage(Page):
    """冲突: people two schools both registered, each with its way out; the district settles them one by one, or
    records which school keeps the enrolment."""

    load_on_first_show = True
    topics = frozenset({Topic.SYNC, Topic.LEARNERS})  # the conflicts, each with both schools' enrolments

    def __init__(self, engine: Engine, parent: QWidget | None = None):
        super().__init__(engine, parent)
        self.conflicts: list[ConflictInfo] = []
        self.op: ops.Op | None = None
        self.dialog: QWidget | None = None
        self.result_box: QWidget | None = None

        intro = QLabel("同一身份证号码在两所学校登记时，后到学校的这个人及其学籍、考勤等数据暂缓合并，"
                       "等分中心核实。选中一个冲突，下面会写出怎样才能解决它。")
        intro.setWordWrap(True)
        intro.setStyleSheet(f"color: {HINT_COLOUR};")
        self.show_settled = QCheckBox("也显示已处理的")
        self.show_settled.toggled.connect(lambda _on: self.refresh())
        self.count_label = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.show_settled)
        self.table = read_only_table(CONFLICT_HEADERS)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.way_out_label = QLabel()
        self.way_out_label.setWordWrap(True)
        self.way_out_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.way_out_label.setMinimumHeight(self.way_out_label.fontMetrics().lineSpacing() * 4)
        self.way_out_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        way_out_box = QGroupBox("解决办法")
        QVBoxLayout(way_out_box).addWidget(self.way_out_label)
        self.settle_button = QPushButton("确认为同一人…")
        self.settle_button.clicked.connect(lambda: self.open_settle())
        self.decide_button = QPushButton("裁定由哪所学校保留…")
        self.decide_button.setToolTip("两校同一层次都有学籍时：记录由哪一所保留，另一所办理退学后自动确认为同一人")
        self.decide_button.clicked.connect(lambda: self.open_decide())
        self.message = MessageLabel()
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addStretch(0)
        bottom.addWidget(self.decide_button, 0, Qt.AlignmentFlag.AlignRight)
        bottom.addWidget(self.settle_button, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(way_out_box)
        layout.addLayout(bottom)


    def refresh(self) -> None:
        self.loaded = True
        chosen = self.selected()
        with read_session(self._engine) as session:
            self.conflicts = district_conflicts.list_conflicts(session, include_settled=self.show_settled.isChecked())
        rows = [[c.id, c.id_number, c.name, c.existing_school, c.enrolments_text("existing"), c.incoming_school,
                 c.enrolments_text("incoming"), c.status_text, c.held_rows, local_time(c.first_seen_at)]
                for c in self.conflicts]
        fill_table(self.table, rows, right={0, CONFLICT_HEADERS.index("暂缓合并行数")})
        for row, conflict in enumerate(self.conflicts):
            for column in range(len(CONFLICT_HEADERS)):
                filled_item(self.table, row, column).setToolTip(conflict.way_out_in_window)
        open_count = sum(c.status.is_unresolved for c in self.conflicts)
        self.count_label.setText(f"待处理 {open_count} 个" if open_count else "没有待处理的冲突")
        if chosen is not None and any(c.id == chosen.id for c in self.conflicts):
            self.select_conflict(chosen.id)
        self._selection_changed()

    def selected(self) -> ConflictInfo | None:
        model = self.table.selectionModel()
        rows = model.selectedRows() if model is not None else []
        return self.conflicts[rows[0].row()] if rows and rows[0].row() < len(self.conflicts) else None

    def select_conflict(self, conflict_id: int) -> None:
        for row, conflict in enumerate(self.conflicts):
            if conflict.id == conflict_id:
                self.table.selectRow(row)
                return
        raise KeyError(conflict_id)

    def _selection_changed(self) -> None:
        chosen = self.selected()
        if chosen is None:
            self.way_out_label.setText("选中表里的一个冲突，这里会写出它的解决办法。" if self.conflicts else "")
        else:
            self.way_out_label.setText(f"冲突 {chosen.id}：{chosen.way_out_in_window}")
        self._enable()

    def _enable(self) -> None:
        chosen = self.selected()
        actionable = None if self.busy else chosen  # the conflict the buttons would act on now
        self.settle_button.setEnabled(actionable is not None and actionable.status.is_unresolved and not actionable.collisions)
        self.decide_button.setEnabled(actionable is not None and actionable.status is ConflictStatus.OPEN
                                      and bool(actionable.collisions))
        if chosen is not None and chosen.collisions:
            self.settle_button.setToolTip("两校同一层次都有学籍，须一所学校办理退学或转学（或由分中心裁定）后才能确认")
        else:
            self.settle_button.setToolTip("")

    def open_settle(self) -> SettleDialog | None:
        chosen = self.selected()
        if chosen is None or self.busy:
            self.message.show_message("请先在表里选一个待处理的冲突。")
            return None
        dialog = SettleDialog(chosen, self)
        dialog.settle_requested.connect(lambda note: self.settle(chosen.id, note))
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def open_decide(self) -> DecideDialog | None:
        chosen = self.selected()
        if chosen is None or self.busy:
            self.message.show_message("请先在表里选一个待处理的冲突。")
            return None
        dialog = DecideDialog(chosen, self)
        dialog.decide_requested.connect(lambda keep, note: self.settle(chosen.id, note, keep=keep))
        self.dialog = dialog
        open_dialog(dialog)
        return dialog

    def settle(self, conflict_id: int, note: str, *, keep: str | None = None) -> ops.Op:
        who = actor()
        self.message.show_message(None)
        self.op = ops.run_write(
            self, self._engine,
            lambda session, _job: district_conflicts.settle_conflict(session, conflict_id, actor=who, note=note or None, keep=keep),
            label="正在处理……", title="处理冲突", cancellable=False,
            on_success=self._settled, on_failure=self._refused)
        self._enable()
        self.op.done.connect(self._enable)
        return self.op

    def _settled(self, result: district_conflicts.SettleResult) -> None:
        self.refresh()
        self.changed.emit(changes.PACKAGE_MERGED)  # the held rows are merged
        if result.decided:
            text = (f"冲突 {result.conflict_id} 已裁定由学校 {result.keep_school} 保留学籍：请为学校 {result.other_school} "
                    "生成回执（“数据包汇总”页），它办理退学后发来数据包时会自动确认为同一人。")
        else:
            text = f"冲突 {result.conflict_id} 已确认为同一人，合并了 {result.merged} 行暂缓的数据。"
        self.message.show_message(text, "hint")
        self.status_message.emit(text)

    def _refused(self, exc: BaseException) -> None:
        self.result_box = ops.show_failure(self, exc, line=self.message, box="没有处理")
