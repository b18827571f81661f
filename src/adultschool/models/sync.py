"""What sync packages leave behind: at a school, the packages made and what each row's last sent version was;
at the district, the schools it trusts, the packages it merged, and the people two schools both registered.

R14 counts (college referrals, skills-training person-times) are entered by schools and travel like other rows.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adultschool.models.base import Base, Travelling, enum_column, utcnow
from adultschool.models.enums import ConflictStatus, CountKind


class TownshipCount(Travelling, Base):
    """R14: a school's monthly count for a township it serves (referrals to college programmes, training person-times)."""

    __tablename__ = "township_counts"
    __table_args__ = (
        UniqueConstraint("school_id", "township_id", "year", "month", "kind", name="uq_township_counts_school_month_kind"),
    )

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    kind: Mapped[CountKind] = mapped_column(enum_column(CountKind))
    count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(200))


class SyncExport(Base):
    """School side: one package made (sequence numbers rise by one, never reused), and what the district confirmed."""

    __tablename__ = "sync_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    file_name: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer)
    counts: Mapped[str] = mapped_column(Text)  # JSON {table: rows}
    recipient: Mapped[str] = mapped_column(String(60))  # the district key's fingerprint
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # when the district merged it
    confirmation: Mapped[str | None] = mapped_column(Text)  # JSON: what the district's receipt said of it


class SyncSent(Base):
    """School side: the row version last put into a package, so the next package carries exactly what changed."""

    __tablename__ = "sync_sent"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class SyncSchool(Base):
    """District side: the roster of the district's schools. A package is accepted only from a school on the roster, and
    only when signed by the key whose fingerprint the district accepted for it (registered beforehand, or confirmed by
    phone when its first package showed it): never trusted on first sight."""

    __tablename__ = "sync_schools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    townships: Mapped[str | None] = mapped_column(Text)  # JSON list of the townships it serves, as the district knows
    # The accepted signing key: its fingerprint (given beforehand or confirmed), and the raw key once a package with
    # that fingerprint arrived. No fingerprint: the school's packages are refused, showing the key they carry.
    public_key: Mapped[str | None] = mapped_column(String(100))  # base64 of the raw Ed25519 key
    fingerprint: Mapped[str | None] = mapped_column(String(60))
    key_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    key_accepted_by: Mapped[str | None] = mapped_column(String(100))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # added to the roster
    added_by: Mapped[str | None] = mapped_column(String(100))
    last_received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    certificate_secret: Mapped[str | None] = mapped_column(String(200))  # to check the school's certificate codes
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # no more packages accepted
    retired_reason: Mapped[str | None] = mapped_column(Text)
    # Restores of the school's database start a new epoch; packages of an older epoch are refused.
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The school's X25519 key for the district's packages to it (base64), from the school's latest package.
    box_key: Mapped[str | None] = mapped_column(String(100))
    district_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # last package made for it
    last_receipt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # receipt or district package


class SyncPackage(Base):
    """District side: a package merged, once per school and sequence number."""

    __tablename__ = "sync_packages"
    __table_args__ = (
        UniqueConstraint("school_code", "epoch", "sequence", name="uq_sync_packages_school_epoch_sequence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_code: Mapped[str] = mapped_column(String(40), index=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the school's restore epoch
    sequence: Mapped[int] = mapped_column(Integer)
    previous: Mapped[int | None] = mapped_column(Integer)  # the school's previous sequence, as the manifest says
    made_at: Mapped[str] = mapped_column(String(40))  # the school's clock, as written in the package
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str] = mapped_column(String(64))
    counts: Mapped[str] = mapped_column(Text)  # JSON: rows per table, inserted, updated, unchanged, held
    received_by: Mapped[str] = mapped_column(String(100), default="")
    # The school's audit-chain head when it made the package (JSON: entries, last_id, last_hash), returned in the
    # receipt: an anchor the school cannot rewrite, for `audit verify`.
    audit_head: Mapped[str | None] = mapped_column(Text)


class DistrictExport(Base):
    """District side: a package made for one school (its sequence numbers rise by one per school)."""

    __tablename__ = "district_exports"
    __table_args__ = (UniqueConstraint("school_code", "sequence", name="uq_district_exports_school_sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_code: Mapped[str] = mapped_column(String(40), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    file_name: Mapped[str] = mapped_column(String(300))
    counts: Mapped[str] = mapped_column(Text)  # JSON: what it carried
    made_by: Mapped[str] = mapped_column(String(100), default="")


class DistrictImport(Base):
    """School side: a district package applied here (once per sequence), and what it changed."""

    __tablename__ = "district_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    made_at: Mapped[str] = mapped_column(String(40))  # the district's clock, as written in the package
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)  # JSON: the changes applied
    applied_by: Mapped[str] = mapped_column(String(100), default="")


class SyncAlias(Base):
    """District side: a school's row that stands for a row the district already had (a township or video of the same
    name, a school's own row, or a person the district settled as the same person)."""

    __tablename__ = "sync_aliases"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60))
    local_id: Mapped[int] = mapped_column(Integer)


class SyncConflict(Base):
    """District side: the same ID number registered by two schools. Never merged or duplicated silently: the second
    school's person (and everything hanging on it) waits in sync_held until the district settles it."""

    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    existing_uuid: Mapped[str] = mapped_column(String(36))
    existing_school: Mapped[str] = mapped_column(String(40))
    incoming_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    incoming_school: Mapped[str] = mapped_column(String(40))
    incoming_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[ConflictStatus] = mapped_column(enum_column(ConflictStatus), default=ConflictStatus.OPEN)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settled_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    # A decision the district recorded (`sync settle N --keep CODE`): this school keeps the enrolment, the other must
    # withdraw (or void) it; the conflict settles by itself when that package arrives.
    keep_school: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100))


class SyncOwner(Base):
    """District side: which school a merged row (or a school's alias of a row) belongs to. A package may change only
    its own school's rows, and its rows may point only to its own school's rows (or to rows no school owns)."""

    __tablename__ = "sync_owners"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60))
    # No index: every merged row has an owner row, and the few questions by school (a restore's rollback, a school's
    # tombstones) are rare; an index would make every import slower.
    school_code: Mapped[str] = mapped_column(String(40))


class SyncHeld(Base):
    """District side: a row that arrived but hangs on an unsettled conflict; applied when the conflict is settled."""

    __tablename__ = "sync_held"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60))
    school_code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)  # the row as it travelled (JSON)
    conflict_id: Mapped[int] = mapped_column(ForeignKey("sync_conflicts.id"), index=True)


class DeletedRow(Travelling, Base):
    """A tombstone: a travelling row this site removed (an undone import, a class or session deleted before any
    attendance). It travels like any row, so the district removes its copy too; the row itself is gone here."""

    __tablename__ = "deleted_rows"

    table_name: Mapped[str] = mapped_column(String(60))
    row_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
