"""Merging one school's rows into the district's database: by uuid and row version, checked like input, and only
ever changing rows that school owns.

Every uuid the district holds belongs to the school that first sent it (`sync_owners`): a row a school inserted, or a
school's own row standing for one the district already had (an alias: a township of the same name). A package may
update only its school's rows and may point only to its school's rows (or to rows no school owns: rows made at the
district, and rows an old district database could not attribute); any other row is refused on its own, with the rows
hanging on it, and reported, while the rest of the package goes in. Rows are validated as registration validates input
(ID number checksum, lengths, enums, dates, numbers, references), so a school's bug or a forger's row cannot put a
value in that the program would never have accepted from a clerk.

A school's tombstones (`deleted_rows`) are applied before its other rows: the district deletes its copy of each row
the school removed (children first), if that school owns it. Applying them first lets a school delete a class session
and make another at the same day and hour in one package without the two colliding; the tombstones stay at the
district, so an older package that still holds the row cannot bring it back.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Iterable

from sqlalchemy import (
    Date, DateTime, Float, Integer, LargeBinary, String, Text, Time, bindparam, delete, func, insert, select, update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adultschool import idcard
from adultschool.db.bulk import bulk_insert
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext
from adultschool.models import (
    ConflictStatus,
    DeletedRow,
    Enrolment,
    Learner,
    School,
    StudyRecord,
    StudyTotal,
    SyncAlias,
    SyncConflict,
    SyncHeld,
    SyncOwner,
    Township,
    with_derived,
)
from adultschool.services import study
from adultschool.services.audit_text import entity_label
from adultschool.services.sync_tables import SPEC_BY_NAME, SPECS, TableSpec, encode_line

CHUNK = 500
# Rows other tables point to: their local ids are needed after an insert.
REFERENCED = {target.name for spec in SPECS for target in spec.refs.values()}
# Natural keys under which the district may already hold a row (besides learners, which conflict instead).
NATURAL_KEYS = {"schools": ("code",), "townships": ("name",), "township_quotas": ("township_id", "year"),
                "videos": ("course", "key")}
# Who points to whom, for deleting children before their parents: table → [(child spec, column)].
CHILDREN: dict[str, list[tuple[TableSpec, str]]] = defaultdict(list)
for _spec in SPECS:
    for _column, _target in _spec.refs.items():
        CHILDREN[_target.name].append((_spec, _column))

MAX_TEXT_CHARS = 10_000
MAX_PHOTO_BYTES = 300 * 1024  # our photos are ~20–40 KB JPEGs; a far larger one is not ours
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2200, 12, 31)
LARGEST_INT = 2**62  # well inside SQLite's and PostgreSQL's 64-bit integers
# Refused rows kept with their reason for the report (the count per table stays exact).
KEPT_REFUSALS = 200


@dataclass
class TableCounts:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    held: int = 0
    refused: int = 0
    deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
                "held": self.held, "refused": self.refused, "deleted": self.deleted}


@dataclass(frozen=True)
class RefusedRow:
    table: str
    uuid: str
    reason: str  # Chinese, never a full ID number


@dataclass
class MergeResult:
    tables: dict[str, TableCounts] = field(default_factory=dict)
    refused: list[RefusedRow] = field(default_factory=list)
    new_conflicts: int = 0
    changed_learners: dict[str, str] = field(default_factory=dict)  # uuid → new ID number (own rows, updated)
    changed_held_learners: dict[str, str] = field(default_factory=dict)  # held learner uuid → new ID number
    removed_learners: set[str] = field(default_factory=set)  # learner uuids deleted by a tombstone
    changed_enrolments: bool = False

    def total(self, what: str) -> int:
        return sum(getattr(c, what) for c in self.tables.values())


# --- validation ----------------------------------------------------------------------------------------------------


def _number_bounds(table: str, column: str) -> tuple[float, float] | None:
    if column == "score":
        return (0, 100)
    if column == "hours":
        return (0, 24)
    if column == "month":
        return (1, 12)
    if column in ("year", "quota_year"):
        return (1900, 2200)
    if column == "version":
        return (1, LARGEST_INT)
    if column in ("minutes", "length_minutes", "count", "quota", "serial"):
        return (0, LARGEST_INT)
    return None


@dataclass(frozen=True)
class _ColumnCheck:
    name: str
    nullable: bool
    kind: str  # "text", "number", "date", "datetime", "time" or "" (nothing more to check)
    limit: int = 0  # characters, for text
    low: float = -LARGEST_INT
    high: float = LARGEST_INT


def _column_checks(spec: TableSpec) -> tuple[_ColumnCheck, ...]:
    checks = []
    for column in spec.columns:
        name, kind = column.name, column.type
        nullable = bool(column.nullable)  # typed Optional; every synced column says True or False
        if name in spec.refs:
            checks.append(_ColumnCheck(name, nullable, ""))
        elif isinstance(kind, (String, Text)):
            checks.append(_ColumnCheck(name, nullable, "text", kind.length or MAX_TEXT_CHARS))
        elif isinstance(kind, (Float, Integer)):
            low, high = _number_bounds(spec.name, name) or (-LARGEST_INT, LARGEST_INT)
            checks.append(_ColumnCheck(name, nullable, "number", low=low, high=high))
        elif isinstance(kind, Date):
            checks.append(_ColumnCheck(name, nullable, "date"))
        elif isinstance(kind, DateTime):
            checks.append(_ColumnCheck(name, nullable, "datetime"))
        elif isinstance(kind, Time):
            checks.append(_ColumnCheck(name, nullable, "time"))
        elif isinstance(kind, LargeBinary):
            checks.append(_ColumnCheck(name, nullable, "bytes", MAX_PHOTO_BYTES))
        else:
            checks.append(_ColumnCheck(name, nullable, ""))
    return tuple(checks)


_CHECKS: dict[str, tuple[_ColumnCheck, ...]] = {spec.name: _column_checks(spec) for spec in SPECS}


def check_row(spec: TableSpec, row: dict[str, Any], sender: str) -> str | None:
    """Why this row cannot go in as it is, in Chinese; None when it can. Like the checks on a clerk's input."""
    for check in _CHECKS[spec.name]:
        value = row.get(check.name)
        if value is None:
            if not check.nullable:
                return f"缺少必填的“{check.name}”"
            continue
        kind = check.kind
        if kind == "text":
            if len(value) > check.limit:
                return f"“{check.name}”太长（{len(value)} 个字符，最多 {check.limit} 个）"
        elif kind == "number":
            if value != value or value in (math.inf, -math.inf):  # NaN is the one value unequal to itself
                return f"“{check.name}”不是有效的数字"
            if not check.low <= value <= check.high:
                return f"“{check.name}”的值 {value} 超出允许范围（{check.low:g}–{check.high:g}）"
        elif kind == "date":
            if not EARLIEST_DAY <= value <= LATEST_DAY:
                return f"“{check.name}”的日期 {value.isoformat()} 不合理"
        elif kind == "datetime":
            if not EARLIEST_DAY <= value.date() <= LATEST_DAY:
                return f"“{check.name}”的时间不合理"
        elif kind == "time" and not isinstance(value, time):
            return f"“{check.name}”不是时间"
        elif kind == "bytes" and len(value) > check.limit:
            return f"“{check.name}”太大（{len(value) // 1024} KB，最多 {check.limit // 1024} KB）"
    return _check_table(spec.name, row, sender)


def _check_table(table: str, row: dict[str, Any], sender: str) -> str | None:
    if table == "learners":
        if not row["name"].strip():
            return "姓名为空"
        if row.get("anonymised_on") is not None:  # PIPL: the school removed the person, counts stay (services.privacy)
            if not idcard.is_anonymised(row["id_number"]):
                return f"已匿名化的学员，身份证号码 {idcard.mask(str(row['id_number']))} 却不是匿名化的形式"
            return None
        try:
            resident = idcard.parse(row["id_number"])
        except AdultSchoolError as exc:
            return f"身份证号码 {idcard.mask(str(row['id_number']))} 不对：{exc.message}"
        if resident.number != row["id_number"]:
            return f"身份证号码 {idcard.mask(resident.number)} 没有按规范书写（全角、空格或小写 x）"
        if resident.birth_date != row["birth_date"]:
            return f"出生日期与身份证号码 {idcard.mask(resident.number)} 不符"
    elif table == "schools":
        if row["code"] != sender:
            return f"别的学校（{row['code']}）的学校记录"
    elif table == "enrolments":
        if not row["student_number"].startswith(f"{sender}-"):
            return f"学籍号 {row['student_number']} 不是本校（{sender}）的编号"
    elif table == "certificates":
        if not row["number"].startswith(f"{sender}-"):
            return f"证书编号 {row['number']} 不是本校（{sender}）的编号"
    elif table == "learner_photos":
        if not row["jpeg"].startswith(b"\xff\xd8\xff"):
            return "照片不是 JPEG 图片"
    elif table == "deleted_rows":
        if row["table_name"] not in SPEC_BY_NAME or row["table_name"] == "deleted_rows":
            return f"删除记录指向不认识的表“{row['table_name'][:60]}”"
    elif table == "exam_applications":
        try:
            courses = json.loads(row["courses"])
        except ValueError:
            courses = None
        if not isinstance(courses, list) or not all(isinstance(c, str) for c in courses):
            return "报考课程不是课程名称的列表"
    return None


# --- the merge ---------------------------------------------------------------------------------------------------


class Merger:
    """Merges rows (decoded, foreign keys as uuids) table by table, parents first, for one sending school.

    `authoritative` (the first package after the school restored a backup): the package is the school's state now,
    so its own rows take the package's content even where the district's version is higher."""

    def __init__(self, session: Session, school_code: str, job: JobContext, *, authoritative: bool = False):
        self.session = session
        self.school_code = school_code
        self.job = job
        self.authoritative = authoritative
        self.ids: dict[str, dict[str, int]] = defaultdict(dict)  # table → uuid → local id
        self.held: dict[str, int] = {}  # uuid → conflict id, for rows waiting on a conflict
        self.owner: dict[str, str | None] = {}  # uuid → owning school (None: no school owns it)
        self.refused_uuids: set[str] = set()
        self.tombstoned: set[str] = set()  # uuids this school deleted: never merged again
        self.deleted_by: dict[str, str] = {}  # uuid of any row a school deleted → that school
        self.result = MergeResult()
        self.enrolments: set[int] = set()  # whose kept study totals must be recomputed
        self.videos_changed: set[int] = set()

    # --- entry points ----------------------------------------------------------------------------------------------

    def merge(self, rows_by_table: dict[str, list[dict[str, Any]]]) -> MergeResult:
        tombstones = rows_by_table.get("deleted_rows") or []
        self.result.tables["deleted_rows"] = TableCounts(rows=len(tombstones))
        self._known_tombstones()
        if tombstones:
            self._apply_tombstones(tombstones, self.result.tables["deleted_rows"])
        specs = [spec for spec in SPECS if spec.name != "deleted_rows"]
        for number, spec in enumerate(specs, start=1):
            self.job.check_cancelled()
            rows = rows_by_table.get(spec.name) or []
            self.result.tables[spec.name] = counts = TableCounts(rows=len(rows))
            if rows:
                try:
                    self._merge_table(spec, rows, counts)
                    self.session.flush()
                except IntegrityError:
                    raise AdultSchoolError(
                        f"学校 {self.school_code} 数据包里表 {spec.name} 的记录与本库已有的记录重复（同一编号或同一组合），"
                        "整个数据包没有导入。请把这个数据包交技术支持查看。"
                    ) from None
            self.job.report(number, len(specs), f"合并{entity_label(spec.name)}")
        self.finish()
        return self.result

    def finish(self) -> None:
        if self.videos_changed:
            for chunk in _chunks(sorted(self.videos_changed)):
                self.enrolments.update(self.session.execute(
                    select(StudyRecord.enrolment_id).where(StudyRecord.video_id.in_(chunk))).scalars())
        if self.enrolments:
            existing: set[int] = set()
            for chunk in _chunks(sorted(self.enrolments)):
                existing.update(self.session.execute(select(Enrolment.id).where(Enrolment.id.in_(chunk))).scalars())
            study.refresh_totals(self.session, existing)

    # --- bookkeeping -----------------------------------------------------------------------------------------------

    def _refuse(self, spec: TableSpec, row: dict[str, Any], reason: str, counts: TableCounts) -> None:
        counts.refused += 1
        self.refused_uuids.add(row["uuid"])
        if len(self.result.refused) < KEPT_REFUSALS:
            self.result.refused.append(RefusedRow(spec.name, row["uuid"], reason))

    def _own(self, table_name: str, uuids: list[str]) -> None:
        """Records this school as the owner of these uuids: one plain executemany (a full package owns every row)."""
        if not uuids:
            return
        connection = self.session.connection()
        compiled = insert(SyncOwner.__table__).compile(dialect=connection.dialect,
                                                       column_keys=["uuid", "table_name", "school_code"])
        sql, order = str(compiled), compiled.positiontup
        code = self.school_code
        for start in range(0, len(uuids), 5000):
            chunk = uuids[start:start + 5000]
            if order is not None:
                values = {"table_name": table_name, "school_code": code}
                params: list[Any] = [tuple(u if key == "uuid" else values[key] for key in order) for u in chunk]
            else:
                params = [{"uuid": u, "table_name": table_name, "school_code": code} for u in chunk]
            connection.exec_driver_sql(sql, params)
        for u in uuids:
            self.owner[u] = code

    def _known_tombstones(self) -> None:
        """Every row a school deleted, with that school: the only uuids that have an owner but no row (so a row new by
        uuid needs no owner lookup unless it is one of these)."""
        for row_uuid, school in self.session.execute(
                select(DeletedRow.row_uuid, SyncOwner.school_code).join(SyncOwner, SyncOwner.uuid == DeletedRow.uuid)):
            self.deleted_by[row_uuid] = school
            if school == self.school_code:
                self.tombstoned.add(row_uuid)

    def _owners_of(self, uuids: list[str]) -> None:
        todo = [u for u in uuids if u not in self.owner]
        for chunk in _chunks(todo):
            found = dict(self.session.execute(
                select(SyncOwner.uuid, SyncOwner.school_code).where(SyncOwner.uuid.in_(chunk))).all())
            for u in chunk:
                self.owner[u] = found.get(u)

    def _resolve(self, table_name: str, uuids: set[str]) -> None:
        """Local ids (or the conflict they wait on) and owners of rows a package points to."""
        known = self.ids[table_name]
        todo = [u for u in uuids if u not in known and u not in self.held]
        table = SPEC_BY_NAME[table_name].table
        for chunk in _chunks(todo):
            known.update(self.session.execute(select(SyncAlias.uuid, SyncAlias.local_id).where(SyncAlias.uuid.in_(chunk))).all())
            known.update(self.session.execute(select(table.c.uuid, table.c.id).where(table.c.uuid.in_(chunk))).all())
            self.held.update(self.session.execute(
                select(SyncHeld.uuid, SyncHeld.conflict_id).where(SyncHeld.uuid.in_(chunk))).all())
        self._owners_of(list(uuids))

    # --- one table -------------------------------------------------------------------------------------------------

    def _reference_problem(self, spec: TableSpec, row: dict[str, Any]) -> str | None:
        for column, target in spec.refs.items():
            ref = row[column]
            if ref is None:
                continue
            if ref in self.refused_uuids:
                return f"它所属的 {target.name} 记录没有被接受"
            if ref in self.tombstoned and ref not in self.ids[target.name]:
                return f"它所属的 {target.name} 记录已被学校删除"
            owner = self.owner.get(ref)
            if owner is not None and owner != self.school_code:
                return f"它指向学校 {owner} 的 {target.name} 记录"
        return None

    def _merge_table(self, spec: TableSpec, rows: list[dict[str, Any]], counts: TableCounts) -> None:
        table = spec.table
        for column, target in spec.refs.items():
            self._resolve(target.name, {r[column] for r in rows if r[column] is not None})
        unknown = sorted({(target.name, r[column]) for column, target in spec.refs.items() for r in rows
                          if r[column] is not None and r[column] not in self.ids[target.name]
                          and r[column] not in self.held and r[column] not in self.refused_uuids
                          and r[column] not in self.tombstoned})
        if unknown:
            name, uuid = unknown[0]
            raise AdultSchoolError(
                f"数据包里表 {spec.name} 的记录引用了本库没有的 {name} 记录（{uuid} 等 {len(unknown)} 条）。"
                f"请先导入学校 {self.school_code} 更早的数据包，或请学校生成完整数据包（adultschool sync export --full）。"
            )
        uuids = [r["uuid"] for r in rows]
        existing: dict[str, tuple[int, int]] = {}
        aliased: dict[str, int] = {}
        held_rows: dict[str, tuple[int, int, str, str]] = {}
        for chunk in _chunks(uuids):
            existing.update((u, (i, v)) for u, i, v in self.session.execute(
                select(table.c.uuid, table.c.id, table.c.version).where(table.c.uuid.in_(chunk))))
            aliased.update(self.session.execute(select(SyncAlias.uuid, SyncAlias.local_id).where(SyncAlias.uuid.in_(chunk))).all())
            held_rows.update((u, (v, c, s, p)) for u, v, c, s, p in self.session.execute(
                select(SyncHeld.uuid, SyncHeld.version, SyncHeld.conflict_id, SyncHeld.school_code, SyncHeld.payload)
                .where(SyncHeld.uuid.in_(chunk))))
        # Owners of the rows the district has; a row new by uuid has none, unless a school deleted it (a tombstone).
        self._owners_of([u for u in uuids if u in existing or u in aliased])
        for u in uuids:
            if u not in self.owner and u not in existing and u not in aliased:
                self.owner[u] = self.deleted_by.get(u)
        current = self._current_rows(spec, existing) if self.authoritative else {}
        ids = self.ids[spec.name]
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        claimed: list[str] = []
        for row in rows:
            uuid = row["uuid"]
            if uuid in self.tombstoned:
                counts.unchanged += 1  # the school deleted it later: an older package does not bring it back
                continue
            owner = self.owner.get(uuid)
            if owner is not None and owner != self.school_code:
                self._refuse(spec, row, f"这是学校 {owner} 的记录，学校 {self.school_code} 不能更改", counts)
                continue
            problem = check_row(spec, row, self.school_code) or self._reference_problem(spec, row)
            if problem is not None:
                self._refuse(spec, row, problem, counts)
                continue
            waits_on = next((self.held[row[c]] for c in spec.refs if row[c] is not None and row[c] in self.held), None)
            if uuid in held_rows:
                version, conflict_id, school, payload = held_rows[uuid]
                if school != self.school_code:
                    self._refuse(spec, row, f"这是学校 {school} 暂缓合并的记录", counts)
                    continue
                line = encode_line(spec, row).decode()
                if row["version"] > version or (self.authoritative and line.rstrip("\n") != payload.rstrip("\n")):
                    self.session.execute(update(SyncHeld).where(SyncHeld.uuid == uuid).values(
                        version=row["version"], payload=line))
                    if spec.name == "learners":
                        before = json.loads(payload)
                        if before.get("id_number") != row["id_number"]:
                            self.result.changed_held_learners[uuid] = row["id_number"]
                self.held[uuid] = conflict_id
                counts.held += 1
            elif waits_on is not None:
                self.hold(spec, row, waits_on)
                counts.held += 1
            elif uuid in aliased:
                ids[uuid] = aliased[uuid]
                if owner is None:
                    claimed.append(uuid)
                counts.unchanged += 1
            elif uuid in existing:
                local_id, version = existing[uuid]
                ids[uuid] = local_id
                values = self._local(spec, row)
                if row["version"] > version or (self.authoritative and _differs(spec, values, current.get(uuid))):
                    changed.append(values | {"_id": local_id})
                else:
                    counts.unchanged += 1
                if owner is None:
                    claimed.append(uuid)
            else:
                new.append(row)
        if claimed:  # rows no school owned (made before owners were recorded): the first to change one owns it
            self._own(spec.name, claimed)
        if spec.name == "learners" and changed:
            changed = self._changed_people(spec, changed, counts)
        new = self._natural_keys(spec, new, counts)
        if new:
            new_values = [self._local(spec, row) for row in new]
            bulk_insert(self.session, table, new_values)
            self._own(spec.name, [row["uuid"] for row in new])
            counts.inserted += len(new_values)
            if spec.name in REFERENCED or spec.name == "enrolments":
                for chunk in _chunks([row["uuid"] for row in new]):
                    ids.update(self.session.execute(select(table.c.uuid, table.c.id).where(table.c.uuid.in_(chunk))).all())
            self._note_affected(spec, new_values, [ids.get(row["uuid"]) for row in new])
        if changed:
            columns = [c.name for c in spec.columns]
            derived = [c.name for c in table.columns if c.info.get("derived")]
            if derived:  # the pinyin keys do not travel: computed here from the name that did (models.keys)
                changed = [with_derived(spec.name, values) for values in changed]
                columns += derived
            statement = update(table).where(table.c.id == bindparam("_id")).values(
                {name: bindparam(name) for name in columns})
            self.session.connection().execute(statement, changed)
            counts.updated += len(changed)
            self._note_affected(spec, changed, [row["_id"] for row in changed])

    def _current_rows(self, spec: TableSpec, existing: dict[str, tuple[int, int]]) -> dict[str, dict[str, Any]]:
        table = spec.table
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(existing)):
            for row in self.session.execute(select(*table.columns).where(table.c.uuid.in_(chunk))).mappings():
                found[row["uuid"]] = dict(row)
        return found

    def _changed_people(self, spec: TableSpec, changed: list[dict[str, Any]], counts: TableCounts) -> list[dict[str, Any]]:
        """Own learners whose ID number changed (a correction): refused when the new number is someone else's."""
        before: dict[int, str] = {}
        for chunk in _chunks([r["_id"] for r in changed]):
            before.update(self.session.execute(select(Learner.id, Learner.id_number).where(Learner.id.in_(chunk))).all())
        corrected = {r["_id"] for r in changed if before.get(r["_id"]) != r["id_number"]}
        taken: dict[str, str] = {}
        for chunk in _chunks([r["id_number"] for r in changed if r["_id"] in corrected]):
            taken.update(self.session.execute(
                select(Learner.id_number, Learner.uuid).where(Learner.id_number.in_(chunk))).all())
        kept = []
        for row in changed:
            if row["_id"] in corrected:
                holder = taken.get(row["id_number"])
                if holder is not None and holder != row["uuid"]:
                    self._refuse(spec, row, f"更正后的身份证号码 {idcard.mask(row['id_number'])} 已登记在另一人名下"
                                            f"（学校 {self.owner.get(holder) or '未知'}），请核对", counts)
                    continue
                self.result.changed_learners[row["uuid"]] = row["id_number"]
            kept.append(row)
        return kept

    def _note_affected(self, spec: TableSpec, values: list[dict[str, Any]], local_ids: list[int | None]) -> None:
        if spec.name == "enrolments":
            self.enrolments.update(i for i in local_ids if i is not None)
            self.result.changed_enrolments = True
        elif spec.name in ("study_records", "attendance"):
            self.enrolments.update(v["enrolment_id"] for v in values)
        elif spec.name == "videos":
            self.videos_changed.update(i for i in local_ids if i is not None)

    def _local(self, spec: TableSpec, row: dict[str, Any]) -> dict[str, Any]:
        """The row with the district's own ids in its foreign-key columns."""
        values = dict(row)
        for column, target in spec.refs.items():
            if values[column] is not None:
                values[column] = self.ids[target.name][values[column]]
        return values

    def hold(self, spec: TableSpec, row: dict[str, Any], conflict_id: int) -> None:
        self.session.add(SyncHeld(uuid=row["uuid"], table_name=spec.name, school_code=self.school_code,
                                  version=row["version"], payload=encode_line(spec, row).decode(), conflict_id=conflict_id))
        self.held[row["uuid"]] = conflict_id

    def _alias(self, spec: TableSpec, uuid: str, local_id: int) -> None:
        self.session.add(SyncAlias(uuid=uuid, table_name=spec.name, local_id=local_id))
        self.ids[spec.name][uuid] = local_id
        self._own(spec.name, [uuid])

    def _natural_keys(self, spec: TableSpec, new: list[dict[str, Any]], counts: TableCounts) -> list[dict[str, Any]]:
        """Rows new by uuid that the district already has by name (aliases) or by ID number (conflicts)."""
        if spec.name == "learners":
            return self._people(spec, new, counts)
        new = self._unique_numbers(spec, new, counts)
        key_columns = NATURAL_KEYS.get(spec.name)
        if not key_columns or not new:
            return new
        table = spec.table
        local = [self._local(spec, row) for row in new]
        have = {tuple(r[1:]): r[0] for r in self.session.execute(select(table.c.id, *[table.c[c] for c in key_columns]))}
        remaining = []
        for row, values in zip(new, local):
            local_id = have.get(tuple(values[c] for c in key_columns))
            if local_id is None:
                remaining.append(row)
            else:
                self._alias(spec, row["uuid"], local_id)
                counts.unchanged += 1
        return remaining

    def _unique_numbers(self, spec: TableSpec, new: list[dict[str, Any]], counts: TableCounts) -> list[dict[str, Any]]:
        """A student or certificate number the district already holds under another uuid is refused, not a crash."""
        column = {"enrolments": "student_number", "certificates": "number"}.get(spec.name)
        if column is None or not new:
            return new
        taken: set[str] = set()
        for chunk in _chunks([r[column] for r in new]):
            taken.update(self.session.execute(select(spec.table.c[column]).where(spec.table.c[column].in_(chunk))).scalars())
        kept, seen = [], set()
        for row in new:
            if row[column] in taken or row[column] in seen:
                self._refuse(spec, row, f"编号 {row[column]} 在本库已有另一条记录", counts)
            else:
                seen.add(row[column])
                kept.append(row)
        return kept

    def _people(self, spec: TableSpec, new: list[dict[str, Any]], counts: TableCounts) -> list[dict[str, Any]]:
        found: dict[str, tuple[int, str]] = {}
        for chunk in _chunks([r["id_number"] for r in new]):
            found.update((n, (i, u)) for i, u, n in self.session.execute(
                select(Learner.id, Learner.uuid, Learner.id_number).where(Learner.id_number.in_(chunk))))
        remaining, seen = [], set()
        for row in new:
            match = found.get(row["id_number"])
            if match is None:
                if row["id_number"] in seen:
                    self._refuse(spec, row, f"同一数据包里有两人的身份证号码都是 {idcard.mask(row['id_number'])}", counts)
                    continue
                seen.add(row["id_number"])
                remaining.append(row)
                continue
            conflict = self.session.execute(
                select(SyncConflict).where(SyncConflict.incoming_uuid == row["uuid"])).scalar()
            if conflict is None:
                conflict = SyncConflict(id_number=row["id_number"], existing_uuid=match[1],
                                        existing_school=school_of(self.session, match[1]), incoming_uuid=row["uuid"],
                                        incoming_school=self.school_code, incoming_name=row["name"])
                self.session.add(conflict)
                self.session.flush()
                self.result.new_conflicts += 1
            elif conflict.status is not ConflictStatus.OPEN and not conflict.status.is_unresolved:
                conflict.status, conflict.existing_uuid = ConflictStatus.OPEN, match[1]
                conflict.existing_school, conflict.id_number = school_of(self.session, match[1]), row["id_number"]
                conflict.settled_at = conflict.settled_by = None
                self.result.new_conflicts += 1
            self.hold(spec, row, conflict.id)
            counts.held += 1
        return remaining

    # --- tombstones ----------------------------------------------------------------------------------------------

    def _apply_tombstones(self, tombstones: list[dict[str, Any]], counts: TableCounts) -> None:
        spec = SPEC_BY_NAME["deleted_rows"]
        uuids = [t["uuid"] for t in tombstones]
        self._owners_of(uuids + [t["row_uuid"] for t in tombstones])
        existing: dict[str, int] = {}
        for chunk in _chunks(uuids):
            existing.update(self.session.execute(
                select(DeletedRow.uuid, DeletedRow.id).where(DeletedRow.uuid.in_(chunk))).all())
        by_target: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for tombstone in tombstones:
            owner = self.owner.get(tombstone["uuid"])
            if tombstone["uuid"] in existing:
                if owner not in (None, self.school_code):
                    self._refuse(spec, tombstone, f"这是学校 {owner} 的删除记录", counts)
                else:
                    counts.unchanged += 1
                continue
            problem = check_row(spec, tombstone, self.school_code)
            target_owner = self.owner.get(tombstone["row_uuid"])
            if problem is None and target_owner not in (None, self.school_code):
                problem = f"要删除的是学校 {target_owner} 的记录，学校 {self.school_code} 不能删除"
            if problem is not None:
                self._refuse(spec, tombstone, problem, counts)
                continue
            by_target[tombstone["table_name"]].append(tombstone)
        accepted: list[dict[str, Any]] = []
        # Children before parents: the tables in the reverse of the order they are merged in.
        for target_spec in reversed(SPECS):
            for tombstone in by_target.get(target_spec.name, []):
                problem = self._delete_row(target_spec, tombstone["row_uuid"], counts)
                if problem is not None:
                    self._refuse(spec, tombstone, problem, counts)
                else:
                    accepted.append(tombstone)
        if accepted:
            other = {t["row_uuid"]: t for t in accepted}
            taken: set[str] = set()
            for chunk in _chunks(list(other)):
                taken.update(self.session.execute(
                    select(DeletedRow.row_uuid).where(DeletedRow.row_uuid.in_(chunk))).scalars())
            fresh = [t for t in accepted if t["row_uuid"] not in taken]
            counts.unchanged += len(accepted) - len(fresh)
            if fresh:
                bulk_insert(self.session, DeletedRow.__table__, fresh)
                self._own("deleted_rows", [t["uuid"] for t in fresh])
                counts.inserted += len(fresh)
            unowned = [t["row_uuid"] for t in accepted if self.owner.get(t["row_uuid"]) is None]
            if unowned:
                # The row was never sent (or not yet): it is this school's, deleted, and stays so.
                self._own_rows([(t["table_name"], t["row_uuid"]) for t in accepted
                                if t["row_uuid"] in set(unowned)])
            self.tombstoned.update(t["row_uuid"] for t in accepted)

    def _own_rows(self, pairs: list[tuple[str, str]]) -> None:
        rows = [{"uuid": u, "table_name": t, "school_code": self.school_code} for t, u in pairs]
        if rows:
            bulk_insert(self.session, SyncOwner.__table__, rows)
            for _t, u in pairs:
                self.owner[u] = self.school_code

    def _delete_row(self, spec: TableSpec, uuid: str, counts: TableCounts) -> str | None:
        """Deletes the district's copy of one row (its held copy, or the alias standing for it); None when done."""
        session = self.session
        held = session.execute(select(SyncHeld.school_code).where(SyncHeld.uuid == uuid)).scalar()
        if held is not None:
            if held != self.school_code:
                return f"要删除的是学校 {held} 暂缓合并的记录"
            session.execute(delete(SyncHeld).where(SyncHeld.uuid == uuid))
            if spec.name == "learners":
                self.result.removed_learners.add(uuid)
            counts.deleted += 1
            return None
        alias = session.execute(select(SyncAlias.local_id).where(SyncAlias.uuid == uuid)).scalar()
        if alias is not None:
            session.execute(delete(SyncAlias).where(SyncAlias.uuid == uuid))
            counts.deleted += 1
            return None
        table = spec.table
        local_id = session.execute(select(table.c.id).where(table.c.uuid == uuid)).scalar()
        if local_id is None:
            return None  # never arrived (or already gone): the tombstone keeps it from arriving later
        for child, column in CHILDREN.get(spec.name, []):
            left = session.execute(select(func.count()).select_from(child.table)
                                   .where(child.table.c[column] == local_id)).scalar_one()
            if left:
                return f"分中心还有 {left} 条属于它的 {child.name} 记录，学校没有一起删除"
        aliases = session.execute(select(func.count()).select_from(SyncAlias).where(
            SyncAlias.table_name == spec.name, SyncAlias.local_id == local_id)).scalar_one()
        if aliases:
            return "别的学校的记录还指向它（同名的街道、视频或已确认的同一人）"
        if spec.name == "learners":
            self.result.removed_learners.add(uuid)
        if spec.name in ("study_records", "attendance"):
            self.enrolments.update(session.execute(select(table.c.enrolment_id).where(table.c.id == local_id)).scalars())
        if spec.name == "enrolments":
            session.execute(delete(StudyTotal).where(StudyTotal.enrolment_id == local_id))
            self.enrolments.discard(local_id)
        session.execute(delete(table).where(table.c.id == local_id))
        counts.deleted += 1
        return None


def _differs(spec: TableSpec, values: dict[str, Any], current: dict[str, Any] | None) -> bool:
    if current is None:
        return True
    return any(values[c.name] != current.get(c.name) for c in spec.columns if c.name not in ("version", "updated_at"))


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def school_of(session: Session, learner_uuid: str) -> str:
    """The school a person the district holds belongs to: its owner, else of their enrolment or township."""
    owner = session.execute(select(SyncOwner.school_code).where(SyncOwner.uuid == learner_uuid)).scalar()
    if owner:
        return owner
    learner_id = session.execute(select(Learner.id).where(Learner.uuid == learner_uuid)).scalar()
    code = session.execute(
        select(School.code).join(Enrolment, Enrolment.school_id == School.id).where(Enrolment.learner_id == learner_id)
        .order_by(Enrolment.id)).scalar()
    if code is None:
        code = session.execute(
            select(School.code).join(Township, Township.school_id == School.id).join(Learner, Learner.township_id == Township.id)
            .where(Learner.id == learner_id)).scalar()
    return code or ""


def rolled_back(session: Session, school_code: str, rows_by_table: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Per table, the rows the district holds from this school that its full package no longer has (what a restore
    of the school's database rolled back)."""
    present = {row["uuid"] for rows in rows_by_table.values() for row in rows}
    present.update(row["row_uuid"] for row in rows_by_table.get("deleted_rows") or [])
    missing: dict[str, int] = defaultdict(int)
    deleted = set(session.execute(
        select(DeletedRow.row_uuid).join(SyncOwner, SyncOwner.uuid == DeletedRow.uuid)
        .where(SyncOwner.school_code == school_code)).scalars())
    for uuid, table_name in session.execute(
            select(SyncOwner.uuid, SyncOwner.table_name).where(SyncOwner.school_code == school_code)):
        if uuid not in present and uuid not in deleted and table_name != "deleted_rows":
            missing[table_name] += 1
    for uuid, table_name in session.execute(
            select(SyncHeld.uuid, SyncHeld.table_name).where(SyncHeld.school_code == school_code)):
        if uuid not in present:
            missing[table_name] += 1
    return dict(missing)
