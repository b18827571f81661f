"""Local accounts of the people who use this PC: login name, role, scrypt password hash, lockout state.

Accounts never travel to the district: each school's PC keeps its own (no uuid, no row version).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from adultschool.models.base import Base, enum_column, utcnow


class Role(str, enum.Enum):
    ADMIN = "admin"
    CLERK = "clerk"
    TEACHER = "teacher"
    VERIFIER = "verifier"  # 查验员: at a counter (an employer, the household office), checks certificates and no more

    @property
    def label(self) -> str:
        return {"admin": "管理员", "clerk": "教务员", "teacher": "任课教师", "verifier": "查验员"}[self.value]


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)  # login name, also the audit log's actor
    display_name: Mapped[str] = mapped_column(String(100))  # a teacher's matches classes.teacher
    role: Mapped[Role] = mapped_column(enum_column(Role))
    # "scrypt$n$r$p$salt$hash" (base64): the parameters travel with the hash, so they can be raised later.
    password_hash: Mapped[str] = mapped_column(String(300))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
