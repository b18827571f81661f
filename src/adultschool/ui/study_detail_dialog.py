"""学习明细: every session attended and every course video counted for one enrolment (`readiness.study_detail`).

Opened from the 可报考 table, so a clerk can show a learner exactly where their hours come from.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool.db import read_session
from adultschool.models.enums import AttendanceStatus
from adultschool.services import readiness
from adultschool.services.readiness import StudyDetail

SESSION_HEADERS = ("日期", "班级", "课程", "内容", "本节课时", "考勤", "计入课时")
VIDEO_HEADERS = ("课程", "视频", "已学(分钟)", "视频时长(分钟)", "计入(分钟)")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _minutes(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class StudyDetailDialog(QDialog):
    def __init__(self, engine: Engine, enrolment_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        with read_session(engine) as session:
            self.detail: StudyDetail = readiness.study_detail(session, enrolment_id)
        detail = self.detail
        self.setWindowTitle(f"学习明细 — {detail.name}（{detail.student_number}）")
        self.resize(900, 560)

        class_hours = sum(line.hours for line in detail.sessions)
        counted = sum(line.counted_minutes for line in detail.videos)
        self.summary_label = QLabel(
            f"面授：{len(detail.sessions)} 节课，计入 {class_hours:g} 课时；"
            f"课程视频：{len(detail.videos)} 个，计入 {counted:g} 分钟（{counted / 60:.2f} 学时）"
        )
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.sessions_table = self._table(SESSION_HEADERS, [
            (line.held_on.isoformat(), line.class_name, line.course or "", line.topic or "", f"{line.session_hours:g}",
             AttendanceStatus(line.status).label, f"{line.hours:g}")
            for line in detail.sessions
        ], {4, 6}, stretch=3)
        self.videos_table = self._table(VIDEO_HEADERS, [
            (line.course, line.video, _minutes(line.minutes), _minutes(line.length_minutes), _minutes(line.counted_minutes))
            for line in detail.videos
        ], {2, 3, 4}, stretch=1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.sessions_table, f"面授课次（{len(detail.sessions)}）")
        self.tabs.addTab(self.videos_table, f"课程视频（{len(detail.videos)}）")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    def _table(self, headers: tuple[str, ...], rows: list[tuple[str, ...]], numeric: set[int], *,
               stretch: int) -> QTableWidget:
        table = QTableWidget(len(rows), len(headers))
        table.setHorizontalHeaderLabels(list(headers))
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        for r, values in enumerate(rows):
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c in numeric:
                    item.setTextAlignment(_RIGHT)
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)  # topic / video name take the spare width
        return table
