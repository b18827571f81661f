"""The district office's import of a school's package: checked, merged and recorded as one step.

A package is read only when its school is on the district's roster and signed by the key the district accepted for it
(`district_schools`); its rows merge idempotently by uuid and row version, only into rows that school owns, each
checked like input (`district_merge`); a person another school registered first is a conflict, held until one of its
ways out (`district_conflicts`). One transaction per package: a package refused as a whole writes nothing, a row
refused on its own is reported and the rest goes in. A school that restored a backup starts a new epoch: its first
package after the restore is full and is taken as the school's state now, and what the restore took back is reported.
The district's own key pair is `district_keypair`; receipts and who has sent are `district_status`.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from adultschool import aspkg
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.models import (
    DeletedRow,
    SyncOwner,
    SyncPackage,
    SyncSchool,
)
from adultschool.models.base import utcnow
from adultschool.services import audit, district_conflicts, district_schools, permissions
from adultschool.services.site import require_district
from adultschool.services.district_merge import CHUNK, Merger, RefusedRow, TableCounts, rolled_back
from adultschool.services.rules import load_rules
from adultschool.services.sync_tables import SPECS, decode_lines


@dataclass
class PackageReport:
    file: str
    school_code: str
    school_name: str
    sequence: int
    full: bool
    epoch: int = 0
    already: bool = False  # this very package was merged before: nothing changed
    key_registered: str | None = None  # the fingerprint registered beforehand, seen now for the first time
    new_epoch: bool = False  # the first package after the school restored a backup
    rolled_back: dict[str, int] = field(default_factory=dict)  # per table: rows the restore took back
    tables: dict[str, TableCounts] = field(default_factory=dict)
    refused: list[RefusedRow] = field(default_factory=list)
    new_conflicts: int = 0
    closed_conflicts: list[str] = field(default_factory=list)
    missing: aspkg.Gaps = field(default_factory=aspkg.Gaps)
    warnings: list[str] = field(default_factory=list)

    def total(self, what: str) -> int:
        return sum(getattr(c, what) for c in self.tables.values())

    def summary_line(self) -> str:
        if self.already:
            return f"package {self.school_code} #{self.sequence}: already imported, nothing changed"
        return (f"package {self.school_code} #{self.sequence}: inserted {self.total('inserted')}, "
                f"updated {self.total('updated')}, unchanged {self.total('unchanged')}, held {self.total('held')}, "
                f"refused {self.total('refused')}, deleted {self.total('deleted')}, conflicts {self.new_conflicts}, "
                f"missing {self.missing.count}")

    def refused_lines(self, shown: int = 20) -> list[str]:
        """Chinese lines for the rows refused one by one (the rest of the package went in)."""
        if not self.total("refused"):
            return []
        per_table = "，".join(f"{name} {c.refused}" for name, c in self.tables.items() if c.refused)
        lines = [f"有 {self.total('refused')} 行没有接受（{per_table}），其余已导入："]
        lines += [f"{r.table} {r.uuid}：{r.reason}" for r in self.refused[:shown]]
        if self.total("refused") > min(shown, len(self.refused)):
            lines.append(f"……另有 {self.total('refused') - min(shown, len(self.refused))} 行")
        return lines

    def rolled_back_text(self) -> str:
        if not self.rolled_back:
            return ""
        parts = "，".join(f"{name} {count}" for name, count in sorted(self.rolled_back.items()))
        return (f"学校从备份恢复了数据库（第 {self.epoch} 轮）：分中心已有、而恢复后的学校数据里没有的记录 "
                f"{sum(self.rolled_back.values())} 行（{parts}）。分中心保留了这些记录，请与学校核对是否需要重新登记。")


class ImplausibleSequence(AdultSchoolError):
    """A package numbered far beyond what its school has sent: refused before anything of it is decrypted."""


def _audit_head(manifest: dict[str, Any]) -> str | None:
    """The school's audit head as its package states it (checked; None for a package from a version that did not state it)."""
    head = audit.AuditHead.from_json(manifest.get("audit_head"))
    return None if head is None else json.dumps(head.as_json())


def _epoch_of(manifest: dict[str, Any]) -> int:
    epoch = manifest.get("epoch", 0)
    if not isinstance(epoch, int) or isinstance(epoch, bool) or not 0 <= epoch < 2**31:
        raise AdultSchoolError("数据包的恢复轮次（epoch）不对，不能导入。请让学校用最新版本的程序重新生成数据包。")
    return epoch


def _check_sequence(session: Session, code: str, sequence: int) -> None:
    highest = session.execute(select(func.max(SyncPackage.sequence)).where(SyncPackage.school_code == code)).scalar() or 0
    jump = load_rules(session).max_sequence_jump
    if sequence < 1 or sequence > highest + jump:
        raise ImplausibleSequence(
            f"学校 {code} 这个数据包的序号（第 {sequence} 号）不合理：分中心收到该校的最大序号是 {highest}，"
            f"最多只接受超前 {jump} 个的数据包。没有导入。这样的数据包多半是伪造的或已损坏：请与学校核对它"
            "“数据上报”页上最近一个数据包的序号。")


def import_package(session: Session, data: bytes, *, file_name: str, keys: aspkg.DistrictKeyPair, actor: str,
                   job: JobContext | None = None) -> PackageReport:
    """Verifies and merges one package in the caller's transaction; raises (and so writes nothing) when the package
    as a whole is unusable. Rows the package may not change, or that fail the checks, are refused one by one."""
    job = job or NullJob()
    permissions.require(session, actor, permissions.SYNC)
    require_district(session)
    header = aspkg.read_header(data)  # who says they sent it: checked cheaply before anything is decrypted
    school = district_schools.listed_sender(session, header.school_code)
    _check_sequence(session, header.school_code, header.sequence)
    opened = aspkg.open_package(data, keys)
    header, manifest = opened.header, opened.manifest
    code = header.school_code
    registered = district_schools.check_signer(session, school, signer=opened.signer,
                                               fingerprint=opened.signer_fingerprint, actor=actor)
    epoch = _epoch_of(manifest)
    report = PackageReport(file=file_name, school_code=code, school_name=str(manifest.get("school_name", "")),
                           sequence=header.sequence, full=bool(manifest.get("full")), epoch=epoch,
                           key_registered=opened.signer_fingerprint if registered else None)
    if epoch < (school.epoch or 0):
        raise AdultSchoolError(
            f"这是学校 {code} 在恢复备份之前生成的数据包（第 {epoch} 轮的第 {header.sequence} 号），"
            f"学校恢复备份后已发来第 {school.epoch} 轮的完整数据包，这个旧数据包不再导入。")
    report.new_epoch = epoch > (school.epoch or 0)
    if report.new_epoch and not report.full:
        raise AdultSchoolError(
            f"学校 {code} 从备份恢复了数据库（第 {epoch} 轮），恢复后的第一个数据包必须是完整数据包，而这个是增量的，"
            "没有导入。请学校勾选“完整数据包”（adultschool sync export --full）重新生成后发送。")
    digest = hashlib.sha256(data).hexdigest()
    earlier = session.execute(select(SyncPackage).where(
        SyncPackage.school_code == code, SyncPackage.epoch == epoch, SyncPackage.sequence == header.sequence)).scalar()
    if earlier is not None and earlier.sha256 == digest:
        report.already = True
        report.missing = gaps(session, code)
        return report
    rows = _decode_members(opened)
    if report.new_epoch:
        report.rolled_back = rolled_back(session, code, rows)
        _forget_old_tombstones(session, code, rows)
        report.warnings.append(report.rolled_back_text() or
                               f"学校从备份恢复了数据库（第 {epoch} 轮）；恢复后的完整数据包已按学校现在的数据合并。")
    merger = Merger(session, code, job, authoritative=report.new_epoch)
    merged = merger.merge(rows)
    report.tables, report.new_conflicts, report.refused = merged.tables, merged.new_conflicts, merged.refused
    report.closed_conflicts = district_conflicts.close_after_package(session, code, merged, actor=actor)
    counts = {name: c.as_dict() for name, c in merged.tables.items()}
    if earlier is not None:
        report.warnings.append(
            f"第 {header.sequence} 号数据包以前收到过另一份内容不同的；已按记录版本合并，较新的数据不会被覆盖。")
        earlier.sha256, earlier.counts, earlier.received_at, earlier.full = digest, json.dumps(counts), utcnow(), report.full
        earlier.made_at, earlier.received_by = header.created_at, actor
        earlier.audit_head = _audit_head(manifest)
    else:
        session.add(SyncPackage(school_code=code, epoch=epoch, sequence=header.sequence,
                                previous=manifest.get("previous") if isinstance(manifest.get("previous"), int) else None,
                                made_at=header.created_at, full=report.full, sha256=digest, counts=json.dumps(counts),
                                received_by=actor, audit_head=_audit_head(manifest)))
    if report.new_epoch:
        audit.record(session, actor=actor, action="sync.epoch", entity="sync_schools",
                     summary=f"学校 {code} 从备份恢复了数据库：第 {epoch} 轮，第 {header.sequence} 号完整数据包",
                     before={"epoch": school.epoch}, after={"epoch": epoch, "rolled_back": report.rolled_back})
        school.epoch = epoch
    school.last_received_at = utcnow()
    secret = (manifest.get("site") or {}).get("certificate_secret") if isinstance(manifest.get("site"), dict) else None
    if isinstance(secret, str) and secret and len(secret) <= 200:
        school.certificate_secret = secret
    box_key = _box_key(manifest.get("box_key"))
    if box_key is not None:
        school.box_key = box_key
    session.flush()
    report.missing = gaps(session, code)
    audit.record(session, actor=actor, action="sync.import", entity="sync_packages",
                 summary=f"导入学校 {code} 第 {header.sequence} 号数据包（{file_name}）",
                 after={"sequence": header.sequence, "epoch": epoch, "counts": counts,
                        "conflicts": merged.new_conflicts, "refused": merged.total("refused"),
                        "closed_conflicts": len(report.closed_conflicts)})
    return report


def _box_key(value: object) -> str | None:
    """The school's key for the district's packages, as its signed manifest gives it (32 raw bytes in base64)."""
    if not isinstance(value, str) or len(value) > 100:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        return None
    return value if len(raw) == aspkg.KEY_BYTES else None


def _forget_old_tombstones(session: Session, code: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    """A restore takes the school back to before some deletions: tombstones its full package no longer has go, so
    the rows it has again are merged again."""
    kept = {t["uuid"] for t in rows.get("deleted_rows") or []}
    stale = [u for u in session.execute(
        select(DeletedRow.uuid).join(SyncOwner, SyncOwner.uuid == DeletedRow.uuid)
        .where(SyncOwner.school_code == code)).scalars() if u not in kept]
    for start in range(0, len(stale), CHUNK):
        chunk = stale[start:start + CHUNK]
        session.execute(delete(DeletedRow).where(DeletedRow.uuid.in_(chunk)))
        session.execute(delete(SyncOwner).where(SyncOwner.uuid.in_(chunk)))


def _decode_members(opened: aspkg.OpenedPackage) -> dict[str, list[dict[str, Any]]]:
    known = {spec.member: spec for spec in SPECS}
    unknown = sorted(set(opened.members) - set(known))
    if unknown:
        raise AdultSchoolError(f"数据包里有本程序不认识的内容（{unknown[0]}）。请先升级本程序再导入。")
    return {spec.name: decode_lines(spec, opened.members[spec.member]) for spec in SPECS if spec.member in opened.members}


def trust_school(session: Session, data: bytes, *, school_code: str, fingerprint: str, keys: aspkg.DistrictKeyPair,
                 actor: str) -> str:
    """After the district has confirmed it by phone: the key of one of the school's packages is its key from now on."""
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    require_district(session)
    wanted = district_schools.normalise_fingerprint(fingerprint)
    opened = aspkg.open_package(data, keys)
    if opened.header.school_code != school_code:
        raise AdultSchoolError(f"这个数据包来自学校 {opened.header.school_code}，不是 {school_code}。")
    if opened.signer_fingerprint != wanted:
        raise AdultSchoolError(
            f"数据包的密钥指纹是 {opened.signer_fingerprint}，与您给出的 {wanted} 不一致，没有更改。请再与学校核对。")
    district_schools.listed_sender(session, school_code)
    district_schools.accept_fingerprint(session, school_code, wanted, actor=actor)
    school = session.execute(select(SyncSchool).where(SyncSchool.code == school_code)).scalar_one()
    school.public_key = base64.b64encode(opened.signer).decode()
    return opened.signer_fingerprint


def gaps(session: Session, school_code: str) -> aspkg.Gaps:
    """Sequence numbers not received after the newest full package of the school's current epoch (a full package
    stands for all before it), as counts and ranges."""
    epoch = session.execute(select(SyncSchool.epoch).where(SyncSchool.code == school_code)).scalar() or 0
    received = session.execute(select(SyncPackage.sequence, SyncPackage.full).where(
        SyncPackage.school_code == school_code, SyncPackage.epoch == epoch)).all()
    covered = max([s for s, full in received if full], default=0)
    return aspkg.find_gaps((s for s, _full in received), after=covered)
