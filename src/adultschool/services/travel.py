"""Which tables travel in sync packages, in what order, and how a row becomes a JSON line and back.

A row travels without its local integer key: it is named by its uuid, and each foreign key is replaced by the uuid
of the row it points to (`learner_id: "9b0c…"`). Every table listed here has the Travelling columns (uuid, version,
created_at, updated_at); derived tables (study totals) and per-site counters never travel. Rows are never deleted by
the program (a withdrawal is a status), so packages carry no deletions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Callable

from sqlalchemy import Boolean, Column, Date, DateTime, Enum, Float, Integer, Table, Time

from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Attendance,
    Base,
    Certificate,
    CertificatePrint,
    ClassMember,
    ClassSession,
    Enrolment,
    ExamApplication,
    ExamResult,
    Learner,
    School,
    SchoolClass,
    SkillCertificate,
    StudyRecord,
    Township,
    TownshipCount,
    TownshipQuota,
    Video,
)

TRAVELLING_MODELS = (
    School, Township, TownshipQuota, Learner, Enrolment, SchoolClass, ClassMember, ClassSession, Attendance, Video,
    StudyRecord, ExamApplication, ExamResult, Certificate, CertificatePrint, SkillCertificate, TownshipCount,
)


@dataclass(frozen=True)
class TableSpec:
    table: Table
    columns: tuple[Column, ...]  # every column but the local key, foreign keys included
    refs: dict[str, Table]  # foreign-key column → the travelling table it points to
    encoders: dict[str, Callable[[Any], Any]]
    decoders: dict[str, Callable[[Any], Any]]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def member(self) -> str:
        return f"tables/{self.table.name}.jsonl"


def _identity(value: Any) -> Any:
    return value


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _checked(kind: type, convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def decode(value: Any) -> Any:
        if value is None:
            return None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"expected {kind.__name__}, got {type(value).__name__}")
        return convert(value)
    return decode


def _datetime_from(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _codec(column: Column) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    kind = column.type
    if isinstance(kind, DateTime):
        return _iso, _checked(str, _datetime_from)
    if isinstance(kind, Date):
        return _iso, _checked(str, date.fromisoformat)
    if isinstance(kind, Time):
        return _iso, _checked(str, time.fromisoformat)
    if isinstance(kind, Enum):
        values = set(kind.enums)

        def decode_enum(value: Any, values=values) -> Any:
            if value is not None and value not in values:
                raise ValueError(f"unknown value {value!r}")
            return value
        return (lambda v: v.value if hasattr(v, "value") else v), decode_enum
    if isinstance(kind, Boolean):
        return _identity, _checked(bool, _identity)
    if isinstance(kind, Integer):
        return _identity, _checked(int, _identity)
    if isinstance(kind, Float):
        return _identity, _checked(float, _identity)
    return _identity, _checked(str, _identity)


def _spec(table: Table, travelling: set[str]) -> TableSpec:
    columns = tuple(c for c in table.columns if c.name != "id")
    refs: dict[str, Table] = {}
    for column in columns:
        for key in column.foreign_keys:
            target = key.column.table
            if target.name not in travelling:
                raise RuntimeError(f"{table.name}.{column.name} points to {target.name}, which does not travel")
            refs[column.name] = target  # type: ignore[assignment]
    encoders, decoders = {}, {}
    for column in columns:
        if column.name in refs:
            encoders[column.name], decoders[column.name] = _identity, _checked(str, _identity)
        else:
            encoders[column.name], decoders[column.name] = _codec(column)
    return TableSpec(table, columns, refs, encoders, decoders)


def _specs() -> tuple[TableSpec, ...]:
    names = {model.__table__.name for model in TRAVELLING_MODELS}
    # Parents before children, as the metadata orders them, so a merge always finds what a row points to.
    ordered = [t for t in Base.metadata.sorted_tables if t.name in names]
    return tuple(_spec(t, names) for t in ordered)


SPECS: tuple[TableSpec, ...] = _specs()
SPEC_BY_NAME: dict[str, TableSpec] = {s.name: s for s in SPECS}


def encode_line(spec: TableSpec, row: dict[str, Any]) -> bytes:
    """One JSON line; `row` already holds referenced uuids in the foreign-key columns."""
    values = {name: encode(row[name]) for name, encode in spec.encoders.items()}
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode_lines(spec: TableSpec, data: bytes) -> list[dict[str, Any]]:
    """The rows of one member; anything that is not what this program writes is refused with the line number."""
    rows = []
    expected = set(spec.decoders)
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            missing = expected - raw.keys()
            if missing:
                raise ValueError("missing " + ", ".join(sorted(missing)))
            row = {name: decode(raw[name]) for name, decode in spec.decoders.items()}
            if not row.get("uuid") or not isinstance(row.get("version"), int):
                raise ValueError("no uuid or version")
        except ValueError as exc:
            raise AdultSchoolError(
                f"数据包中表 {spec.name} 第 {number} 行内容不对（{exc}），不能导入。请让学校用最新版本的程序重新生成数据包。"
            ) from None
        rows.append(row)
    return rows
