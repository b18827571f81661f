"""设置 → 审计记录: who changed what and when, newest first, filtered by account, action, dates and text; read-only.

The table loads PAGE_SIZE entries at a time as it is scrolled (a log of 100,000 entries costs one page);
检查完整性 runs `audit.verify` over the whole chain in the background.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from adultschool import clock, paths
from adultschool.db import read_session
from adultschool.services import audit, audit_log, maintenance
from adultschool.services.audit_log import AuditFilter, AuditRow
from adultschool.ui import ops
from adultschool.ui.common import ERROR_COLOUR, HINT_COLOUR, actor, to_date, to_qdate
from adultschool.ui.table_model import AnyIndex, RowsTableModel

PAGE_SIZE = 200
SEARCH_DELAY_MS = 300


class AuditTableModel(RowsTableModel):
    """Entries matching the filter, newest first, fetched a page at a time."""

    headers = ("时间", "账户", "操作", "内容", "改动前", "改动后")
    total_changed = Signal(int)
    RowRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, engine: Engine, parent: Any = None):
        super().__init__(parent)
        self._engine = engine
        self._filter = AuditFilter()
        self._total = 0

    @property
    def total(self) -> int:
        return self._total

    @property
    def audit_filter(self) -> AuditFilter:
        return self._filter

    def set_filter(self, flt: AuditFilter) -> None:
        self._filter = flt
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        with read_session(self._engine) as session:
            self._total = audit_log.count_entries(session, self._filter, actor=actor())
            self._rows = audit_log.list_entries(session, self._filter, actor=actor(), limit=PAGE_SIZE)
        self.endResetModel()
        self.total_changed.emit(self._total)

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or len(self._rows) >= self._total:
            return
        with read_session(self._engine) as session:
            page = audit_log.list_entries(session, self._filter, actor=actor(), offset=len(self._rows), limit=PAGE_SIZE)
        if not page:
            self._total = len(self._rows)
            self.total_changed.emit(self._total)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row: AuditRow = self._rows[index.row()]
        if role == self.RowRole:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = (row.local_time, row.actor, row.action_label, row.summary, row.before_text, row.after_text)
            text = values[index.column()]
            if role == Qt.ItemDataRole.ToolTipRole:
                return text if index.column() >= 3 and text else None
            return text if len(text) <= 120 else text[:117] + "…"
        return None

    def row_at(self, row: int) -> AuditRow:
        return self._rows[row]

    def loaded_rows(self) -> list[AuditRow]:
        return list(self._rows)


class AuditDialog(QDialog):
    """Read-only; nothing here changes an entry. Filters apply as they change (text after a short pause)."""

    def __init__(self, engine: Engine, parent: QWidget | None = None, *, today: Callable[[], date] = clock.today):
        super().__init__(parent)
        self._engine = engine
        self.verify_op: ops.Op | None = None
        self.setWindowTitle("审计记录")
        metrics = self.fontMetrics()
        self.resize(metrics.horizontalAdvance("中") * 80, metrics.height() * 36)
        self.model = AuditTableModel(engine, self)

        self.actor_combo = QComboBox()
        self.action_combo = QComboBox()
        self.since_check, self.until_check = QCheckBox("从"), QCheckBox("到")
        self.since_edit, self.until_edit = QDateEdit(), QDateEdit()
        for edit in (self.since_edit, self.until_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(to_qdate(today()))
            edit.setEnabled(False)
        self.since_edit.setDate(to_qdate(today()).addMonths(-1))
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("内容或改动里的文字，如学籍号、班级名")
        self.search_edit.setClearButtonEnabled(True)
        self.count_label = QLabel()

        filters = QHBoxLayout()
        for caption, widget in (("账户", self.actor_combo), ("操作", self.action_combo)):
            label = QLabel(caption)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        for check, edit in ((self.since_check, self.since_edit), (self.until_check, self.until_edit)):
            filters.addWidget(check)
            filters.addWidget(edit)
        filters.addWidget(self.search_edit, 1)
        filters.addWidget(self.count_label)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, sample in enumerate(("2026-00-00 00:00:00", "wangxiaoming", "显示完整身份证号码",
                                         "名单导入（大碶街道报名汇总表.xlsx）：登记 35 人", "{\"quota\": 120}")):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 24)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self.show_detail(current.row()))

        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("选中一条记录，这里显示改动前和改动后的全部内容。")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)

        self.verify_button = QPushButton("检查完整性")
        self.verify_button.setToolTip("逐条核对审计记录的哈希链：有记录被改动或删除时会指出从哪一条起对不上")
        self.verify_button.clicked.connect(lambda: self.verify())
        self.verify_label = QLabel()
        self.verify_label.setWordWrap(True)
        self.close_button = QPushButton("关闭")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.verify_button)
        bottom.addWidget(self.verify_label, 1)
        bottom.addWidget(self.close_button)
        note = QLabel("审计记录只能查看，程序里不能修改或删除。")
        note.setStyleSheet(f"color: {HINT_COLOUR};")

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        layout.addWidget(note)
        layout.addLayout(bottom)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_edit.returnPressed.connect(self.apply_filter)
        for check, edit in ((self.since_check, self.since_edit), (self.until_check, self.until_edit)):
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(lambda _on: self.apply_filter())
            edit.dateChanged.connect(lambda _date: self.apply_filter())
        self.model.total_changed.connect(lambda total: self.count_label.setText(f"共 {total} 条"))

        self._load_choices()
        for combo in (self.actor_combo, self.action_combo):
            combo.currentIndexChanged.connect(lambda _index: self.apply_filter())
        self.apply_filter()

    def _load_choices(self) -> None:
        with read_session(self._engine) as session:
            actors, actions = audit_log.known_actors(session), audit_log.known_actions(session)
        self.actor_combo.addItem("全部", None)
        for name in actors:
            self.actor_combo.addItem(name, name)
        self.action_combo.addItem("全部", None)
        self.action_combo.addItem("账户（全部）", "account.")
        for action in actions:
            self.action_combo.addItem(audit_log.action_label(action), action)

    def current_filter(self) -> AuditFilter:
        return AuditFilter(
            actor=self.actor_combo.currentData(),
            action=self.action_combo.currentData(),
            since=to_date(self.since_edit.date()) if self.since_check.isChecked() else None,
            until=to_date(self.until_edit.date()) if self.until_check.isChecked() else None,
            text=self.search_edit.text().strip() or None,
        )

    def apply_filter(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(self.current_filter())
        self.detail.clear()

    def show_detail(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            self.detail.clear()
            return
        entry = self.model.row_at(row)
        inner = f"\n\n内部编号（供技术支持查询）：{entry.entity_uuid}" if entry.entity_uuid else ""
        self.detail.setPlainText(f"{entry.local_time}  {entry.actor}  {entry.action_label}\n{entry.summary}\n"
                                 f"对象：{entry.entity_label}\n\n改动（改动前 → 改动后）：\n{entry.detail_text}{inner}")

    def verify(self) -> ops.Op:
        self.verify_button.setEnabled(False)
        self.verify_label.setText("正在检查……")
        db_path = paths.sqlite_path(self._engine.url.render_as_string(hide_password=False))
        self.verify_op = ops.run_read(self, self._engine,
                                      lambda session, _job: maintenance.verify_audit(session, db_path),
                                      label="正在检查审计记录……", title="检查完整性", cancellable=False,
                                      on_success=self._verified, on_failure=self._verify_failed)
        self.verify_op.done.connect(lambda: self.verify_button.setEnabled(True))
        return self.verify_op

    def _verified(self, report: audit.AuditReport) -> None:
        result = report.verification
        if report.intact:
            self.verify_label.setStyleSheet("")
            self.verify_label.setText(f"审计记录完整：共 {result.entries} 条，没有被改动或删除；"
                                      f"已对照 {len(report.anchors)} 处留底（本机记录、备份），没有被截短。")
        elif not result.intact:
            self.verify_label.setStyleSheet(f"color: {ERROR_COLOUR};")
            self.verify_label.setText(f"审计记录被改动或删除：第 {result.broken_at} 条（序号）起对不上。"
                                      "请保留这个数据库文件，并告诉管理员。")
        else:
            self.verify_label.setStyleSheet(f"color: {ERROR_COLOUR};")
            self.verify_label.setText("审计记录被截短或改写：" + " ".join(report.cut_short)
                                      + "请保留这个数据库文件和备份，并告诉管理员。")

    def _verify_failed(self, exc: BaseException) -> None:
        self.verify_label.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.verify_label.setText("检查没有完成。")
        ops.show_failure(self, exc, box="检查没有完成")


__all__ = ["AuditDialog", "AuditTableModel"]
