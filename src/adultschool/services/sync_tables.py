"""Which tables travel in sync packages, in what order, and how a row becomes a JSON line and back.

A row travels without its local integer key: it is named by its uuid, and each foreign key is replaced by the uuid
of the row it points to (`learner_id: "9b0c…"`). Every table listed here has the Travelling columns (uuid, version,
created_at, updated_at); derived tables (study totals) and per-site counters never travel. A withdrawal or a void is a status; the few rows
the program does delete (an undone import, a class or session removed before any attendance) leave a tombstone in
`deleted_rows`, which travels like any other row.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Callable, Mapping

from sqlalchemy import Boolean, Column, Date, DateTime, Enum, Float, Integer, LargeBinary, Table, Time, Update, update

from adultschool.errors import AdultSchoolError
from adultschool.models import (
    Attendance,
    Base,
    Certificate,
    CertificatePrint,
    ClassMember,
    ClassSession,
    DeletedRow,
    Enrolment,
    ExamApplication,
    ExamResult,
    Learner,
    LearnerPhoto,
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
    School, Township, TownshipQuota, Learner, LearnerPhoto, Enrolment, SchoolClass, ClassMember, ClassSession,
    Attendance, Video, StudyRecord, ExamApplication, ExamResult, Certificate, CertificatePrint, SkillCertificate, TownshipCount,
    DeletedRow,
)


@dataclass(frozen=True)
class ColumnCodec:
    """How one column travels: `kind` is the JSON type a value must have; `to_json` and `from_json` convert the
    values JSON has no type for (dates, times, enums); None where the value travels as it is."""

    name: str
    kind: type
    to_json: Callable[[Any], Any] | None
    from_json: Callable[[Any], Any] | None


@dataclass(frozen=True)
class TableSpec:
    table: Table
    columns: tuple[Column, ...]  # every column but the local key, foreign keys included
    refs: dict[str, Table]  # foreign-key column → the travelling table it points to
    codecs: tuple[ColumnCodec, ...]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def member(self) -> str:
        return f"tables/{self.table.name}.jsonl"


def _iso(value: Any) -> Any:
    return value.isoformat()


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _one_of(values: frozenset[str]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in values:
            raise ValueError(f"unknown value {value!r}")
        return value
    return check


def _codec(column: Column, is_reference: bool) -> ColumnCodec:
    kind = column.type
    name = column.name
    if is_reference:
        return ColumnCodec(name, str, None, None)
    if isinstance(kind, DateTime):
        return ColumnCodec(name, str, _iso, datetime.fromisoformat)
    if isinstance(kind, Date):
        return ColumnCodec(name, str, _iso, date.fromisoformat)
    if isinstance(kind, Time):
        return ColumnCodec(name, str, _iso, time.fromisoformat)
    if isinstance(kind, Enum):
        return ColumnCodec(name, str, _enum_value, _one_of(frozenset(kind.enums)))
    if isinstance(kind, Boolean):
        return ColumnCodec(name, bool, None, None)
    if isinstance(kind, LargeBinary):  # a photo: base64 text in the JSON line
        return ColumnCodec(name, str, _b64, _unb64)
    if isinstance(kind, Integer):
        return ColumnCodec(name, int, None, None)
    if isinstance(kind, Float):
        return ColumnCodec(name, float, None, None)
    return ColumnCodec(name, str, None, None)


def _spec(table: Table, travelling: set[str]) -> TableSpec:
    # A derived column (a learner's pinyin keys) stays home: the receiving side computes it from what travelled.
    columns = tuple(c for c in table.columns if c.name != "id" and not c.info.get("derived"))
    refs: dict[str, Table] = {}
    for column in columns:
        for key in column.foreign_keys:
            target = key.column.table
            if target.name not in travelling:
                raise RuntimeError(f"{table.name}.{column.name} points to {target.name}, which does not travel")
            refs[column.name] = target
    return TableSpec(table, columns, refs, tuple(_codec(c, c.name in refs) for c in columns))


def _specs() -> tuple[TableSpec, ...]:
    names = {model.__table__.name for model in TRAVELLING_MODELS}
    # Parents before children, as the metadata orders them, so a merge always finds what a row points to.
    ordered = [t for t in Base.metadata.sorted_tables if t.name in names]
    return tuple(_spec(t, names) for t in ordered)


SPECS: tuple[TableSpec, ...] = _specs()
SPEC_BY_NAME: dict[str, TableSpec] = {s.name: s for s in SPECS}


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_line(spec: TableSpec, row: Mapping[str, Any]) -> bytes:
    """One JSON line; `row` already holds referenced uuids in the foreign-key columns."""
    values = {}
    for codec in spec.codecs:
        value = row[codec.name]
        values[codec.name] = codec.to_json(value) if codec.to_json is not None and value is not None else value
    return _ENCODER.encode(values).encode() + b"\n"


def decode_lines(spec: TableSpec, data: bytes) -> list[dict[str, Any]]:
    """The rows of one member; anything that is not what this program writes is refused with the line number."""
    rows = []
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise AdultSchoolError(f"数据包中表 {spec.name} 不是 UTF-8 文本，不能导入。") from None
    decoder = json.JSONDecoder()
    codecs = spec.codecs
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = decoder.decode(line)
            if type(raw) is not dict:
                raise ValueError("not an object")
            row = {}
            for codec in codecs:
                value = raw[codec.name]
                if value is not None:
                    if type(value) is not codec.kind:
                        if codec.kind is float and type(value) is int:
                            value = float(value)
                        else:
                            raise ValueError(f"{codec.name}: expected {codec.kind.__name__}, got {type(value).__name__}")
                    if codec.from_json is not None:
                        value = codec.from_json(value)
                row[codec.name] = value
            if not row["uuid"] or type(row["version"]) is not int:
                raise ValueError("no uuid or version")
        except KeyError as exc:
            problem = f"missing {exc.args[0]}"
        except ValueError as exc:
            problem = str(exc)
        else:
            rows.append(row)
            continue
        raise AdultSchoolError(
            f"数据包中表 {spec.name} 第 {number} 行内容不对（{problem}），不能导入。请让学校用最新版本的程序重新生成数据包。"
        )
    return rows


def update_travelling(target: Any) -> Update:
    """`update(target)` that also raises the row version, for every Core UPDATE of a travelling table: a row whose
    version did not rise is never sent to the district (tests/versionguard.py fails a statement that forgets)."""
    table = getattr(target, "__table__", target)
    if table.name not in SPEC_BY_NAME:
        raise ValueError(f"{table.name} does not travel")
    return update(target).values(version=table.c.version + 1)
