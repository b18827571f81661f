"""Schools, the townships they serve and each township's yearly quota (R8), and this site's own identity."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from adultschool import pinyin
from adultschool.models.base import Base, Travelling
from adultschool.models.keys import derive_on_set, derived, key_default


class School(Travelling, Base):
    __tablename__ = "schools"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    townships: Mapped[list["Township"]] = relationship(back_populates="school")


class Township(Travelling, Base):
    __tablename__ = "townships"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Pinyin order (models.keys): derived from the name, does not travel.
    name_sort: Mapped[str | None] = mapped_column(String(pinyin.SORT_KEY_LENGTH), index=True, info=derived(),
                                                  default=key_default("townships", "name_sort"))
    # The school responsible for this township's task (R8).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))

    school: Mapped[School | None] = relationship(back_populates="townships")
    quotas: Mapped[list["TownshipQuota"]] = relationship(back_populates="township", cascade="all, delete-orphan")


derive_on_set(Township.name, "townships")


class TownshipQuota(Travelling, Base):
    """R8: a township's yearly task number (任务数)."""

    __tablename__ = "township_quotas"
    __table_args__ = (UniqueConstraint("township_id", "year", name="uq_township_quotas_township_year"),)

    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    quota: Mapped[int] = mapped_column(Integer)

    township: Mapped[Township] = relationship(back_populates="quotas")


class SiteSetting(Base):
    """Key/value facts about this database: what site it is (school or district) and its code."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Rule(Base):
    """A district's override of a rules-table default (settings.RULE_SPECS); value is JSON."""

    __tablename__ = "rules"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
