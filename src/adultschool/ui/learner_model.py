"""The learners table model: lazy pages of `services.learners.list_learners`, sorted and filtered in SQL.

Only what has been scrolled into view is loaded (PAGE_SIZE rows per fetch), so 100,000 learners cost one page.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from sqlalchemy import Engine

from adultschool.ui.table_model import AnyIndex, RowsTableModel
from adultschool.db import read_session
from adultschool.models.enums import EnrolmentStatus, Gender, Level
from adultschool.services.learners import FullIdentity, LearnerFilter, LearnerRow, count_learners, list_learners

PAGE_SIZE = 200

# (header, sort key in services.learners.SORT_COLUMNS)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("学籍号", "student_number"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("身份证号码", "id_number"),
    ("层次", "level"),
    ("状态", "status"),
    ("报名日期", "registered_on"),
    ("街道/镇", "township"),
    ("联系电话", "phone"),
)
HEADERS = tuple(header for header, _ in COLUMNS)
SORT_KEYS = tuple(key for _, key in COLUMNS)



def _cell_text(row: LearnerRow, key: str) -> str:
    if key == "gender":
        return Gender(row.gender).label
    if key == "level":
        return Level(row.level).label
    if key == "status":
        return EnrolmentStatus(row.status).label
    if key == "registered_on":
        return row.registered_on.isoformat()
    value = getattr(row, key)
    return "" if value is None else str(value)


class LearnerTableModel(RowsTableModel):
    """One row per enrolment. `total` is the number matching the filter; `rowCount` what is loaded so far."""

    headers = HEADERS

    total_changed = Signal(int)
    RowRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, engine: Engine, parent: Any = None):
        super().__init__(parent)
        self._engine = engine
        self._filter = LearnerFilter()
        self._sort_key = "student_number"
        self._descending = False
        self._rows: list[LearnerRow] = []
        self._total = 0
        self._revealed: dict[int, FullIdentity] = {}  # enrolment id → full ID and phone, shown on demand (audited)

    # --- what the page changes -----------------------------------------------------------------------------

    @property
    def learner_filter(self) -> LearnerFilter:
        return self._filter

    @property
    def total(self) -> int:
        return self._total

    @property
    def sort_key(self) -> str:
        return self._sort_key

    @property
    def descending(self) -> bool:
        return self._descending

    def set_filter(self, flt: LearnerFilter) -> None:
        self._filter = flt
        self.refresh()

    def refresh(self) -> None:
        """Counts again and loads the first page (after a filter, a sort, or a change to the data)."""
        self.beginResetModel()
        self._revealed = {}  # full numbers last only as long as the list they were asked for
        with read_session(self._engine) as session:
            self._total = count_learners(session, self._filter)
            self._rows = self._page(session, 0)
        self.endResetModel()
        self.total_changed.emit(self._total)

    def _page(self, session: Any, offset: int) -> list[LearnerRow]:
        return list_learners(session, self._filter, sort=self._sort_key, descending=self._descending,
                             offset=offset, limit=PAGE_SIZE)

    # --- Qt's lazy loading ---------------------------------------------------------------------------------

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        if parent.isValid():
            return False
        return len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or len(self._rows) >= self._total:
            return
        with read_session(self._engine) as session:
            page = self._page(session, len(self._rows))
        if not page:
            self._total = len(self._rows)  # rows were removed meanwhile; stop asking
            self.total_changed.emit(self._total)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    # --- table ---------------------------------------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            key = SORT_KEYS[index.column()]
            full = self._revealed.get(row.enrolment_id)
            if full is not None and key in ("id_number", "phone"):
                return getattr(full, key) or ""
            return _cell_text(row, key)
        if role == self.RowRole:
            return row
        if role == Qt.ItemDataRole.ToolTipRole and SORT_KEYS[index.column()] == "name":
            extra = [v for v in (row.education, row.employer) if v]
            return "，".join(extra) or None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort_key = SORT_KEYS[column]
        self._descending = order == Qt.SortOrder.DescendingOrder
        self.refresh()

    # --- for the page and tests ----------------------------------------------------------------------------

    def row_at(self, row: int) -> LearnerRow:
        return self._rows[row]

    def reveal(self, identities: dict[int, FullIdentity]) -> None:
        """Shows these rows' full ID numbers and phones (the service has checked the role and audited it)."""
        self._revealed.update(identities)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    def is_revealed(self, enrolment_id: int) -> bool:
        return enrolment_id in self._revealed

    def loaded_rows(self) -> list[LearnerRow]:
        return list(self._rows)
