"""Declarative base and the columns every travelling row carries (uuid, row version, timestamps).

Row version doubles as SQLAlchemy's optimistic-lock counter, so a stale ORM update is refused, not lost.
"""
from __future__ import annotations

import enum
import os
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import DateTime, Enum, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from adultschool import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return clock.now()


def new_uuid() -> str:
    """A random (version 4) UUID as text, as str(uuid.uuid4()) gives it, without building a UUID object: imports make
    hundreds of thousands of them."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:
        # Every model names a __tablename__, so its __table__ is a Table (insert(), .name, bulk helpers take one);
        # DeclarativeBase types it as any FromClause.
        __table__: ClassVar[Table]


def enum_column(enum_type: type[enum.Enum]) -> Enum:
    """Enums stored as their lowercase English values in a VARCHAR, the same on SQLite and PostgreSQL."""
    return Enum(
        enum_type,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Travelling:
    """A row that goes to the district in sync packages: stable uuid, row version, UTC timestamps."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        # A mixin has no __table__ of its own; SQLAlchemy calls this for each mapped subclass once its Table exists.
        # (Declaring __table__ here clashes with DeclarativeBase's own declaration in every model's bases.)
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
