"""Every import is a batch: what it added or changed, row by row, so the clerk can undo exactly that batch.

Batches stay on this PC (they do not travel); what an undo changes travels as the changed rows themselves:
voided enrolments, restored values, and tombstones (`deleted_rows`) for rows that were removed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adultschool.models.base import Base, utcnow


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # roster | survey | attendance | study | results
    file: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer)  # rows the import added or changed
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)  # Chinese, as the import reported it
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[str | None] = mapped_column(String(100))
    undo_reason: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list["ImportBatchItem"]] = relationship(back_populates="batch", cascade="all, delete-orphan")


class ImportBatchItem(Base):
    """One row a batch touched: inserted (`before` is None) or changed (`before` holds the old values, JSON)."""

    __tablename__ = "import_batch_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    table_name: Mapped[str] = mapped_column(String(60))
    row_uuid: Mapped[str] = mapped_column(String(36), index=True)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)  # the values the batch wrote, JSON: undo restores only if still so

    batch: Mapped[ImportBatch] = relationship(back_populates="items")
