"""The district office's side of sync: its key pair, merging schools' packages, conflicts, receipts, who has sent.

Merging is idempotent by uuid and row version: a row is inserted when its uuid is new, updated only when the
package's version is higher, and otherwise left alone, so the same package twice changes nothing and an older package
never overwrites newer rows. Rows with a natural key the district already holds under another uuid (a township or
video of the same name, a school of the same code) are recorded as aliases of the district's row. A person (ID number)
another school registered first is a conflict: the newcomer and everything hanging on it wait in `sync_held` until the
district settles it (`settle_conflict`), never silently merged or duplicated. One transaction per package: a package
that fails any check writes nothing.
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adultschool import idcard, sync
from adultschool.db.bulk import bulk_insert
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.models import (
    ConflictStatus,
    Enrolment,
    Learner,
    School,
    SiteKind,
    SiteSetting,
    StudyRecord,
    SyncAlias,
    SyncConflict,
    SyncHeld,
    SyncPackage,
    SyncSchool,
    Township,
)
from adultschool.models.base import utcnow
from adultschool.services import accounts, audit, site, study
from adultschool.services.site import SiteInfo
from adultschool.services.travel import SPEC_BY_NAME, SPECS, TableSpec, decode_lines, encode_line

PRIVATE = "sync.district_private"
PUBLIC = "sync.district_public"
CHUNK = 500
# Rows other tables point to: their local ids are needed after an insert.
REFERENCED = {target.name for spec in SPECS for target in spec.refs.values()}
# Natural keys under which the district may already hold a row (besides learners, which conflict instead).
NATURAL_KEYS = {"schools": ("code",), "townships": ("name",), "township_quotas": ("township_id", "year"),
                "videos": ("course", "key")}


def require_district(session: Session) -> SiteInfo:
    info = site.get_site(session)
    if info.kind is not SiteKind.DISTRICT:
        raise AdultSchoolError("这是学校的数据库。汇总数据包要在区级分中心的数据库里进行（adultschool init --district 代码）。")
    return info


def is_district(session: Session) -> bool:
    return site.get_site(session).kind is SiteKind.DISTRICT


def _setting(session: Session, key: str) -> str | None:
    row = session.get(SiteSetting, key)
    return row.value if row else None


# --- the district's keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeygenResult:
    public_path: Path
    private_path: Path
    fingerprint: str


def keygen(session: Session, out_dir: Path, passphrase: str, *, actor: str, replace: bool = False) -> KeygenResult:
    """Makes the district's key pair: `district.pub` for the schools, `district.key` (passphrase-protected) kept here.

    The database keeps the protected private key too, so `sync import` needs only the passphrase."""
    accounts.require(session, actor, accounts.Permission.MANAGE_SETTINGS)
    info = require_district(session)
    existing = _setting(session, PUBLIC)
    if existing and not replace:
        old = sync.load_district_public(existing.encode())
        raise AdultSchoolError(
            f"本分中心已有密钥（指纹 {old.fingerprint}）。换新密钥后，各学校都要重新登记公钥，旧密钥加密的数据包也无法再导入。"
            "确需更换，请加 --replace。"
        )
    public_path, private_path = Path(out_dir) / "district.pub", Path(out_dir) / "district.key"
    for path in (public_path, private_path):
        if path.exists() and not replace:
            raise AdultSchoolError(f"{path} 已经存在，不覆盖。请换一个文件夹，或确需更换时加 --replace。")
    pair = sync.generate_district_keys(info.code)
    private = sync.dump_district_private(pair, passphrase)  # refuses a short passphrase before anything is written
    public = sync.dump_district_public(pair.public)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for path, data in ((public_path, public), (private_path, private)):
        part = path.with_name(path.name + ".part")
        part.write_bytes(data)
        part.replace(path)
    for key, value in ((PRIVATE, private.decode()), (PUBLIC, public.decode())):
        row = session.get(SiteSetting, key)
        if row is None:
            session.add(SiteSetting(key=key, value=value))
        else:
            row.value = value
    audit.record(session, actor=actor, action="sync.keygen", entity="site_settings",
                 summary=f"生成分中心密钥：指纹 {pair.public.fingerprint}", after={"fingerprint": pair.public.fingerprint})
    return KeygenResult(public_path, private_path, pair.public.fingerprint)


def has_keys(session: Session) -> bool:
    return _setting(session, PRIVATE) is not None


def district_keys(session: Session, passphrase: str, *, key_file: bytes | None = None) -> sync.DistrictKeyPair:
    """The key pair, opened with the passphrase: from `key_file` (district.key) if given, else as stored at keygen."""
    require_district(session)
    data = key_file if key_file is not None else (_setting(session, PRIVATE) or "").encode()
    if not data:
        raise AdultSchoolError("本分中心还没有密钥。请先运行 “adultschool sync keygen --out 文件夹”，把 district.pub 发给各学校。")
    return sync.load_district_private(data, passphrase)


def district_public(session: Session) -> sync.DistrictPublicKey | None:
    stored = _setting(session, PUBLIC)
    return sync.load_district_public(stored.encode()) if stored else None


# --- merging ----------------------------------------------------------------------------------------------------


@dataclass
class TableCounts:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    held: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
                "held": self.held}


@dataclass
class PackageReport:
    file: str
    school_code: str
    school_name: str
    sequence: int
    full: bool
    already: bool = False  # this very package was merged before: nothing changed
    first_contact: str | None = None  # the school's key fingerprint, remembered now
    tables: dict[str, TableCounts] = field(default_factory=dict)
    new_conflicts: int = 0
    missing: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def total(self, what: str) -> int:
        return sum(getattr(c, what) for c in self.tables.values())

    def summary_line(self) -> str:
        if self.already:
            return f"package {self.school_code} #{self.sequence}: already imported, nothing changed"
        return (f"package {self.school_code} #{self.sequence}: inserted {self.total('inserted')}, "
                f"updated {self.total('updated')}, unchanged {self.total('unchanged')}, held {self.total('held')}, "
                f"conflicts {self.new_conflicts}, missing {len(self.missing)}")


class _Merger:
    """Merges rows (already decoded, foreign keys as uuids) table by table, parents first."""

    def __init__(self, session: Session, school_code: str, job: JobContext):
        self.session = session
        self.school_code = school_code
        self.job = job
        self.ids: dict[str, dict[str, int]] = defaultdict(dict)  # table → uuid → local id
        self.held: dict[str, int] = {}  # uuid → conflict id, for rows waiting on a conflict
        self.tables: dict[str, TableCounts] = {}
        self.enrolments: set[int] = set()  # whose kept study totals must be recomputed
        self.videos_changed: set[int] = set()
        self.new_conflicts = 0

    def merge(self, rows_by_table: dict[str, list[dict[str, Any]]]) -> None:
        for number, spec in enumerate(SPECS, start=1):
            self.job.check_cancelled()
            rows = rows_by_table.get(spec.name) or []
            self.tables[spec.name] = counts = TableCounts(rows=len(rows))
            if rows:
                self._merge_table(spec, rows, counts)
            self.job.report(number, len(SPECS), f"合并 {spec.name}")
        if self.videos_changed:
            ids = sorted(self.videos_changed)
            for start in range(0, len(ids), CHUNK):
                self.enrolments.update(self.session.execute(
                    select(StudyRecord.enrolment_id).where(StudyRecord.video_id.in_(ids[start:start + CHUNK]))).scalars())
        if self.enrolments:
            study.refresh_totals(self.session, self.enrolments)

    def _chunks(self, values: Iterable[Any]) -> Iterable[list[Any]]:
        values = list(values)
        for start in range(0, len(values), CHUNK):
            yield values[start:start + CHUNK]

    def _resolve(self, table_name: str, uuids: set[str]) -> None:
        """Local ids (or the conflict they wait on) of rows a package points to: aliases, rows, held rows."""
        known = self.ids[table_name]
        todo = [u for u in uuids if u not in known and u not in self.held]
        if not todo:
            return
        table = SPEC_BY_NAME[table_name].table
        for chunk in self._chunks(todo):
            known.update(self.session.execute(select(SyncAlias.uuid, SyncAlias.local_id).where(SyncAlias.uuid.in_(chunk))).all())
            known.update(self.session.execute(select(table.c.uuid, table.c.id).where(table.c.uuid.in_(chunk))).all())
            self.held.update(self.session.execute(
                select(SyncHeld.uuid, SyncHeld.conflict_id).where(SyncHeld.uuid.in_(chunk))).all())

    def _merge_table(self, spec: TableSpec, rows: list[dict[str, Any]], counts: TableCounts) -> None:
        table = spec.table
        for column, target in spec.refs.items():
            self._resolve(target.name, {r[column] for r in rows if r[column] is not None})
        unknown = sorted({(target.name, r[column]) for column, target in spec.refs.items() for r in rows
                          if r[column] is not None and r[column] not in self.ids[target.name] and r[column] not in self.held})
        if unknown:
            name, uuid = unknown[0]
            raise AdultSchoolError(
                f"数据包里表 {spec.name} 的记录引用了本库没有的 {name} 记录（{uuid} 等 {len(unknown)} 条）。"
                f"请先导入学校 {self.school_code} 更早的数据包，或请学校生成完整数据包（adultschool sync export --full）。"
            )
        uuids = [r["uuid"] for r in rows]
        existing: dict[str, tuple[int, int]] = {}
        aliased: dict[str, int] = {}
        held_rows: dict[str, tuple[int, int]] = {}
        for chunk in self._chunks(uuids):
            existing.update((u, (i, v)) for u, i, v in self.session.execute(
                select(table.c.uuid, table.c.id, table.c.version).where(table.c.uuid.in_(chunk))))
            aliased.update(self.session.execute(select(SyncAlias.uuid, SyncAlias.local_id).where(SyncAlias.uuid.in_(chunk))).all())
            held_rows.update((u, (v, c)) for u, v, c in self.session.execute(
                select(SyncHeld.uuid, SyncHeld.version, SyncHeld.conflict_id).where(SyncHeld.uuid.in_(chunk))))
        ids = self.ids[spec.name]
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for row in rows:
            uuid = row["uuid"]
            waits_on = next((self.held[row[c]] for c in spec.refs if row[c] is not None and row[c] in self.held), None)
            if uuid in held_rows:
                version, conflict_id = held_rows[uuid]
                if row["version"] > version:
                    self.session.execute(update(SyncHeld).where(SyncHeld.uuid == uuid).values(
                        version=row["version"], payload=encode_line(spec, row).decode()))
                self.held[uuid] = conflict_id
                counts.held += 1
            elif waits_on is not None:
                self._hold(spec, row, waits_on)
                counts.held += 1
            elif uuid in aliased:
                ids[uuid] = aliased[uuid]
                counts.unchanged += 1
            elif uuid in existing:
                local_id, version = existing[uuid]
                ids[uuid] = local_id
                if row["version"] > version:
                    changed.append(self._local(spec, row) | {"_id": local_id})
                else:
                    counts.unchanged += 1
            else:
                new.append(row)
        new = self._natural_keys(spec, new, counts)
        if new:
            values = [self._local(spec, row) for row in new]
            bulk_insert(self.session, table, values)
            counts.inserted += len(values)
            if spec.name in REFERENCED or spec.name == "enrolments":
                for chunk in self._chunks([row["uuid"] for row in new]):
                    ids.update(self.session.execute(select(table.c.uuid, table.c.id).where(table.c.uuid.in_(chunk))).all())
            self._note_affected(spec, values, [ids.get(row["uuid"]) for row in new])
        if changed:
            columns = [c.name for c in spec.columns]
            statement = update(table).where(table.c.id == bindparam("_id")).values(
                {name: bindparam(name) for name in columns})
            self.session.connection().execute(statement, changed)
            counts.updated += len(changed)
            self._note_affected(spec, changed, [row["_id"] for row in changed])

    def _note_affected(self, spec: TableSpec, values: list[dict[str, Any]], local_ids: list[int | None]) -> None:
        if spec.name == "enrolments":
            self.enrolments.update(i for i in local_ids if i is not None)
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

    def _hold(self, spec: TableSpec, row: dict[str, Any], conflict_id: int) -> None:
        self.session.add(SyncHeld(uuid=row["uuid"], table_name=spec.name, school_code=self.school_code,
                                  version=row["version"], payload=encode_line(spec, row).decode(), conflict_id=conflict_id))
        self.held[row["uuid"]] = conflict_id

    def _alias(self, spec: TableSpec, uuid: str, local_id: int) -> None:
        self.session.add(SyncAlias(uuid=uuid, table_name=spec.name, local_id=local_id))
        self.ids[spec.name][uuid] = local_id

    def _natural_keys(self, spec: TableSpec, new: list[dict[str, Any]], counts: TableCounts) -> list[dict[str, Any]]:
        """Rows new by uuid that the district already has by name (aliases) or by ID number (conflicts)."""
        if spec.name == "learners":
            return self._people(spec, new, counts)
        key_columns = NATURAL_KEYS.get(spec.name)
        if not key_columns or not new:
            return new
        if spec.name == "schools":
            foreign = [r["code"] for r in new if r["code"] != self.school_code]
            if foreign:
                raise AdultSchoolError(f"学校 {self.school_code} 的数据包里有别的学校（{foreign[0]}）的记录，不能导入。")
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

    def _people(self, spec: TableSpec, new: list[dict[str, Any]], counts: TableCounts) -> list[dict[str, Any]]:
        found: dict[str, tuple[int, str]] = {}
        for chunk in self._chunks([r["id_number"] for r in new]):
            found.update((n, (i, u)) for i, u, n in self.session.execute(
                select(Learner.id, Learner.uuid, Learner.id_number).where(Learner.id_number.in_(chunk))))
        remaining = []
        for row in new:
            match = found.get(row["id_number"])
            if match is None:
                remaining.append(row)
                continue
            conflict = self.session.execute(
                select(SyncConflict).where(SyncConflict.incoming_uuid == row["uuid"])).scalar()
            if conflict is None:
                conflict = SyncConflict(id_number=row["id_number"], existing_uuid=match[1],
                                        existing_school=_school_of(self.session, match[0]), incoming_uuid=row["uuid"],
                                        incoming_school=self.school_code, incoming_name=row["name"])
                self.session.add(conflict)
                self.session.flush()
                self.new_conflicts += 1
            self._hold(spec, row, conflict.id)
            counts.held += 1
        return remaining


def _school_of(session: Session, learner_id: int) -> str:
    """The school a person the district holds belongs to: of their enrolment, else of their township."""
    code = session.execute(
        select(School.code).join(Enrolment, Enrolment.school_id == School.id).where(Enrolment.learner_id == learner_id)
        .order_by(Enrolment.id)).scalar()
    if code is None:
        code = session.execute(
            select(School.code).join(Township, Township.school_id == School.id).join(Learner, Learner.township_id == Township.id)
            .where(Learner.id == learner_id)).scalar()
    return code or ""


def _decode_members(opened: sync.OpenedPackage) -> dict[str, list[dict[str, Any]]]:
    known = {spec.member: spec for spec in SPECS}
    unknown = sorted(set(opened.members) - set(known))
    if unknown:
        raise AdultSchoolError(f"数据包里有本程序不认识的内容（{unknown[0]}）。请先升级本程序再导入。")
    return {spec.name: decode_lines(spec, opened.members[spec.member]) for spec in SPECS if spec.member in opened.members}


def _public_b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _key_changed(code: str, school: SyncSchool, offered: str) -> AdultSchoolError:
    return AdultSchoolError(
        f"学校 {code} 这个数据包的签名密钥（指纹 {offered}）与第一次登记的（指纹 {school.fingerprint}）不同，没有导入。"
        "可能是伪造的数据包，也可能是学校重装了程序或换了电脑。请打电话与学校核对它“数据上报”页上的密钥指纹，"
        f"确认无误后运行：adultschool sync trust --school {code} --fingerprint {offered} 数据包文件"
    )


def import_package(session: Session, data: bytes, *, file_name: str, keys: sync.DistrictKeyPair, actor: str,
                   job: JobContext | None = None) -> PackageReport:
    """Verifies and merges one package in the caller's transaction; raises (and so writes nothing) on any problem."""
    job = job or NullJob()
    accounts.require(session, actor, accounts.SYNC)
    require_district(session)
    opened = sync.open_package(data, keys)
    header, manifest = opened.header, opened.manifest
    code = header.school_code
    report = PackageReport(file=file_name, school_code=code, school_name=str(manifest.get("school_name", "")),
                           sequence=header.sequence, full=bool(manifest.get("full")))
    digest = hashlib.sha256(data).hexdigest()
    school = session.execute(select(SyncSchool).where(SyncSchool.code == code)).scalar()
    if school is None:
        school = SyncSchool(code=code, name=report.school_name, public_key=_public_b64(opened.signer),
                            fingerprint=opened.signer_fingerprint)
        session.add(school)
        report.first_contact = opened.signer_fingerprint
    elif school.public_key != _public_b64(opened.signer):
        raise _key_changed(code, school, opened.signer_fingerprint)
    earlier = session.execute(
        select(SyncPackage).where(SyncPackage.school_code == code, SyncPackage.sequence == header.sequence)).scalar()
    if earlier is not None and earlier.sha256 == digest:
        report.already = True
        report.missing = missing_sequences(session, code)
        return report
    merger = _Merger(session, code, job)
    merger.merge(_decode_members(opened))
    report.tables, report.new_conflicts = merger.tables, merger.new_conflicts
    counts = {name: c.as_dict() for name, c in merger.tables.items()}
    if earlier is not None:
        report.warnings.append(
            f"第 {header.sequence} 号数据包以前收到过另一份内容不同的（学校可能从备份恢复过数据库）；已按记录版本合并，较新的数据不会被覆盖。")
        earlier.sha256, earlier.counts, earlier.received_at, earlier.full = digest, json.dumps(counts), utcnow(), report.full
        earlier.made_at, earlier.received_by = header.created_at, actor
    else:
        session.add(SyncPackage(school_code=code, sequence=header.sequence, previous=manifest.get("previous"),
                                made_at=header.created_at, full=report.full, sha256=digest, counts=json.dumps(counts),
                                received_by=actor))
    school.name = report.school_name or school.name
    school.last_received_at = utcnow()
    secret = (manifest.get("site") or {}).get("certificate_secret")
    if secret:
        school.certificate_secret = secret
    session.flush()
    report.missing = missing_sequences(session, code)
    audit.record(session, actor=actor, action="sync.import", entity="sync_packages",
                 summary=f"导入学校 {code} 第 {header.sequence} 号数据包（{file_name}）",
                 after={"sequence": header.sequence, "counts": counts, "conflicts": merger.new_conflicts,
                        "first_contact": report.first_contact})
    return report


def trust_school(session: Session, data: bytes, *, school_code: str, fingerprint: str, keys: sync.DistrictKeyPair,
                 actor: str) -> str:
    """After the district has confirmed it by phone: the school's new key (from one of its packages) replaces the old."""
    accounts.require(session, actor, accounts.Permission.MANAGE_SETTINGS)
    require_district(session)
    opened = sync.open_package(data, keys)
    if opened.header.school_code != school_code:
        raise AdultSchoolError(f"这个数据包来自学校 {opened.header.school_code}，不是 {school_code}。")
    wanted = fingerprint.strip().upper().replace(" ", "")
    if opened.signer_fingerprint.replace(" ", "") != wanted:
        raise AdultSchoolError(
            f"数据包的密钥指纹是 {opened.signer_fingerprint}，与您给出的 {fingerprint} 不一致，没有更改。请再与学校核对。")
    school = session.execute(select(SyncSchool).where(SyncSchool.code == school_code)).scalar()
    before = school.fingerprint if school else None
    if school is None:
        session.add(SyncSchool(code=school_code, name=str(opened.manifest.get("school_name", "")),
                               public_key=_public_b64(opened.signer), fingerprint=opened.signer_fingerprint))
    else:
        school.public_key, school.fingerprint = _public_b64(opened.signer), opened.signer_fingerprint
    audit.record(session, actor=actor, action="sync.trust", entity="sync_schools",
                 summary=f"确认学校 {school_code} 的新签名密钥：{opened.signer_fingerprint}",
                 before={"fingerprint": before}, after={"fingerprint": opened.signer_fingerprint})
    return opened.signer_fingerprint


def missing_sequences(session: Session, school_code: str) -> list[int]:
    """Sequence numbers not received after the newest full package (a full package stands for all before it)."""
    received = dict(session.execute(
        select(SyncPackage.sequence, SyncPackage.full).where(SyncPackage.school_code == school_code)).all())
    if not received:
        return []
    covered = max([s for s, full in received.items() if full], default=0)
    return [s for s in range(covered + 1, max(received) + 1) if s not in received]


# --- conflicts --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictInfo:
    id: int
    id_number: str  # masked unless asked
    name: str
    existing_school: str
    incoming_school: str
    status: ConflictStatus
    held_rows: int
    first_seen_at: datetime
    settled_by: str | None


def list_conflicts(session: Session, *, include_settled: bool = False, unmasked: bool = False,
                   actor: str | None = None) -> list[ConflictInfo]:
    """Conflicts, ID numbers masked; unmasked only for those allowed to see full IDs (the showing is audited)."""
    require_district(session)
    query = select(SyncConflict).order_by(SyncConflict.id)
    if not include_settled:
        query = query.where(SyncConflict.status == ConflictStatus.OPEN)
    counts: dict[int, int] = defaultdict(int)
    for conflict_id in session.execute(select(SyncHeld.conflict_id)).scalars():
        counts[conflict_id] += 1
    conflicts = list(session.execute(query).scalars())
    if unmasked:
        accounts.reveal(session, actor, what="冲突列表", count=len(conflicts))
    mask = (lambda n: n) if unmasked else idcard.mask
    return [ConflictInfo(c.id, mask(c.id_number), c.incoming_name, c.existing_school, c.incoming_school, c.status,
                         counts.get(c.id, 0), c.first_seen_at, c.settled_by)
            for c in conflicts]


def settle_conflict(session: Session, conflict_id: int, *, actor: str, note: str | None = None) -> int:
    """The district has found both registrations are the same person: the second school's rows join that person.

    Returns the number of held rows merged. If both schools hold an open enrolment at the same level, this is refused:
    one school must withdraw its enrolment first (a later package then carries the withdrawal)."""
    accounts.require(session, actor, accounts.SYNC)
    require_district(session)
    conflict = session.get(SyncConflict, conflict_id)
    if conflict is None:
        raise AdultSchoolError(f"没有编号为 {conflict_id} 的冲突。")
    if conflict.status is not ConflictStatus.OPEN:
        raise AdultSchoolError(f"冲突 {conflict_id} 已经处理过了。")
    person = session.execute(select(Learner.id).where(Learner.uuid == conflict.existing_uuid)).scalar_one()
    held = list(session.execute(select(SyncHeld).where(SyncHeld.conflict_id == conflict_id)).scalars())
    payloads: dict[str, list[bytes]] = defaultdict(list)
    for row in held:
        payloads[row.table_name].append(row.payload.encode())
    rows = {name: decode_lines(SPEC_BY_NAME[name], b"\n".join(lines)) for name, lines in payloads.items()}
    merger = _Merger(session, conflict.incoming_school, NullJob())
    try:
        with session.begin_nested():  # a refusal leaves the held rows and the conflict as they were
            session.execute(delete(SyncHeld).where(SyncHeld.conflict_id == conflict_id))
            session.add(SyncAlias(uuid=conflict.incoming_uuid, table_name="learners", local_id=person))
            session.flush()
            merger.merge(rows)
    except IntegrityError:
        raise AdultSchoolError(
            f"两所学校（{conflict.existing_school} 和 {conflict.incoming_school}）都为此人登记了同一层次的在读学籍，"
            "不能合并。请让其中一所学校为此人办理退学后再发送数据包，然后再处理此冲突。"
        ) from None
    conflict.status, conflict.settled_at, conflict.settled_by, conflict.note = ConflictStatus.SAME_PERSON, utcnow(), actor, note
    audit.record(session, actor=actor, action="sync.settle", entity="sync_conflicts",
                 summary=f"确认 {idcard.mask(conflict.id_number)} 在 {conflict.existing_school} 与 {conflict.incoming_school} 为同一人",
                 after={"conflict": conflict_id, "merged_rows": len(held), "note": note})
    return len(held)


# --- receipts and who has sent ----------------------------------------------------------------------------------


def receipt_body(session: Session, school_code: str) -> dict[str, Any]:
    require_district(session)
    school = session.execute(select(SyncSchool).where(SyncSchool.code == school_code)).scalar()
    if school is None:
        raise AdultSchoolError(f"还没有收到过学校 {school_code} 的数据包，无法出回执。")
    packages = [
        {"sequence": p.sequence, "made_at": p.made_at, "received_at": p.received_at.isoformat(), "full": p.full,
         "counts": json.loads(p.counts)}
        for p in session.execute(select(SyncPackage).where(SyncPackage.school_code == school_code)
                                 .order_by(SyncPackage.sequence)).scalars()
    ]
    conflicts = [
        {"id_number": idcard.mask(c.id_number), "name": c.incoming_name, "other_school": c.existing_school,
         "status": c.status.value}
        for c in session.execute(select(SyncConflict).where(SyncConflict.incoming_school == school_code)
                                 .order_by(SyncConflict.id)).scalars()
    ]
    return {"school_code": school_code, "school_name": school.name, "made_at": utcnow().isoformat(),
            "packages": packages, "highest": max((p["sequence"] for p in packages), default=0),
            "missing": missing_sequences(session, school_code), "conflicts": conflicts}


def make_receipt(session: Session, school_code: str, keys: sync.DistrictKeyPair) -> tuple[bytes, dict[str, Any]]:
    body = receipt_body(session, school_code)
    return sync.write_receipt(body, keys), body


@dataclass(frozen=True)
class SchoolStatus:
    code: str
    name: str
    fingerprint: str | None
    packages: int
    last_sequence: int | None
    last_received_at: datetime | None
    sent_this_month: bool
    missing: list[int]
    open_conflicts: int


def school_statuses(session: Session, month: date) -> list[SchoolStatus]:
    """Every school the district knows (from packages, or as responsible for a township), and whether it has sent a
    package in the month of `month`."""
    require_district(session)
    first = month.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    known: dict[str, str] = dict(session.execute(select(School.code, School.name)).all())
    trusted = {s.code: s for s in session.execute(select(SyncSchool)).scalars()}
    for code, school in trusted.items():
        known[code] = school.name or known.get(code, "")
    received: dict[str, list[SyncPackage]] = defaultdict(list)
    for package in session.execute(select(SyncPackage)).scalars():
        received[package.school_code].append(package)
    open_conflicts: dict[str, int] = defaultdict(int)
    for code in session.execute(select(SyncConflict.incoming_school).where(SyncConflict.status == ConflictStatus.OPEN)).scalars():
        open_conflicts[code] += 1
    statuses = []
    for code in sorted(known):
        packages = received.get(code, [])
        times = [_naive(p.received_at) for p in packages]
        statuses.append(SchoolStatus(
            code, known[code], trusted[code].fingerprint if code in trusted else None, len(packages),
            max((p.sequence for p in packages), default=None), max(times, default=None),
            any(datetime.combine(first, datetime.min.time()) <= t < datetime.combine(following, datetime.min.time())
                for t in times),
            missing_sequences(session, code), open_conflicts.get(code, 0),
        ))
    return statuses


def _naive(moment: datetime) -> datetime:
    """Local wall time without a zone, to compare with calendar months (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone().replace(tzinfo=None)
