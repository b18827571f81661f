"""The school's side of sync: its signing key, the district's public key, making packages, reading receipts.

A package carries every row whose version differs from the version last sent (`sync_sent`), or every row with
`--full`, plus the current state of each row those rows point to, so a package merges on its own even when an
earlier one was lost or arrives later. Making the package, recording it and marking its rows sent happen in one
transaction with writing the file: a failure leaves neither a file nor a used sequence number.
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool import aspkg, paths
from adultschool.errors import AdultSchoolError
from adultschool.jobs import JobContext, NullJob
from adultschool.models import SiteKind, SiteSetting, SyncExport, SyncSent
from adultschool.models.base import new_uuid, utcnow
from adultschool.outfiles import atomic_output, private_folder
from adultschool.services import audit, permissions, site
from adultschool.services.audit_text import entity_label
from adultschool.services.sync_tables import SPECS, TableSpec, encode_line

SITE_ID = "sync.site_id"
PUBLIC_KEY = "sync.public_key"
FINGERPRINT = "sync.fingerprint"
DISTRICT_PUBLIC = "sync.district_public"
CERTIFICATE_SECRET = "certificate.secret"
EPOCH = "sync.epoch"
SEQUENCE_FLOOR = "sync.sequence_floor"  # the highest sequence made before a restore took the database back
FULL_NEXT = "sync.full_next"  # JSON: why the next package is full (a restore), until it is made
CHUNK = 500


def _get(session: Session, key: str) -> str | None:
    row = session.get(SiteSetting, key)
    return row.value if row else None


def _put(session: Session, key: str, value: str) -> None:
    row = session.get(SiteSetting, key)
    if row is None:
        session.add(SiteSetting(key=key, value=value))
    else:
        row.value = value


# --- the school's signing key -----------------------------------------------------------------------------------
#
# The private key is a file in the user data folder named by the database's site id and the fingerprint the database
# holds (`keys/<site id>.<fingerprint>.pem`), never overwritten: a copy of the database that makes a new key (`sync
# rekey`) writes a new file and leaves the original's key where it is, and a database restored from a backup made
# before a rekey still finds the key it was made with. Files of older versions (`keys/<site id>.pem`) are still read
# when their key is the database's.


def _site_id(session: Session) -> str:
    site_id = _get(session, SITE_ID)
    if site_id is None:
        site_id = new_uuid()
        _put(session, SITE_ID, site_id)
    return site_id


def key_file_for(site_id: str, fingerprint: str) -> Path:
    return paths.keys_dir() / f"{site_id}.{fingerprint.replace('-', '')}.pem"


def _legacy_key_file(site_id: str) -> Path:
    return paths.keys_dir() / f"{site_id}.pem"


def _key_file(session: Session) -> Path:
    """The key file of this database's key (the legacy name when only that one exists)."""
    site_id = _site_id(session)
    fingerprint = _get(session, FINGERPRINT)
    if fingerprint is None:
        return _legacy_key_file(site_id)
    path = key_file_for(site_id, fingerprint)
    legacy = _legacy_key_file(site_id)
    return legacy if not path.exists() and legacy.exists() else path


def signing_key_file(session: Session) -> Path | None:
    """This school's signing key file, when it has one (sealed backups carry it)."""
    if _get(session, FINGERPRINT) is None and not _legacy_key_file(_get(session, SITE_ID) or "-").exists():
        return None
    path = _key_file(session)
    return path if path.exists() else None


def write_key_file(path: Path, pem: bytes) -> None:
    """A signing key put back from a sealed backup: owner-only, never over an existing file."""
    _write_private(path, pem)


def _write_private(path: Path, pem: bytes) -> None:
    """Writes a new key file, owner-only; an existing file is never replaced."""
    private_folder(path.parent)
    part = path.with_name(path.name + f".{os.getpid()}.part")
    descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        if path.exists():
            raise AdultSchoolError(f"密钥文件 {path} 已经存在，不覆盖。请联系技术支持。")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def ensure_signing_key(session: Session, *, actor: str) -> str:
    """The school's Ed25519 key, made once (at `init`, or at the first package of an older database); its fingerprint.

    The private key stays in the user data folder; the database keeps only the public key, to notice a lost file.
    """
    fingerprint = _get(session, FINGERPRINT)
    if fingerprint is not None:
        signing_key(session)  # refuses a missing or foreign key file
        return fingerprint
    return _make_key(session, actor=actor, reason="新建签名密钥")


def initialise_school(session: Session, *, code: str, name: str, townships: list[str] | None = None,
                      actor: str) -> site.SiteInfo:
    """A new school database: its identity, the townships it serves and its signing key, made together."""
    info = site.initialise(session, kind=SiteKind.SCHOOL, code=code, name=name, townships=townships, actor=actor)
    ensure_signing_key(session, actor=actor)
    return info


def own_fingerprint(session: Session) -> str | None:
    return _get(session, FINGERPRINT)


def _make_key(session: Session, *, actor: str, reason: str) -> str:
    pem = aspkg.new_signing_key()
    public = aspkg.signing_public_key(pem)
    fingerprint = aspkg.fingerprint(public)
    before = _get(session, FINGERPRINT)
    _write_private(key_file_for(_site_id(session), fingerprint), pem)
    _put(session, PUBLIC_KEY, base64.b64encode(public).decode())
    _put(session, FINGERPRINT, fingerprint)
    audit.record(session, actor=actor, action="sync.key", entity="site_settings", summary=f"{reason}：{fingerprint}",
                 before={"fingerprint": before} if before else None, after={"fingerprint": fingerprint})
    return fingerprint


@dataclass(frozen=True)
class RekeyResult:
    fingerprint: str
    key_file: Path
    previous_fingerprint: str | None
    previous_file: Path | None  # kept as it was: another copy of this database (or a backup) may still use it


def rekey(session: Session, *, actor: str) -> RekeyResult:
    """A new signing key after the old file was lost; the district must confirm the new fingerprint (`sync trust`).
    The old key file, if any, stays where it is under its own name."""
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    site.require_school(session)
    previous = _get(session, FINGERPRINT)
    previous_file = _key_file(session) if previous else None
    fingerprint = _make_key(session, actor=actor, reason="更换签名密钥")
    return RekeyResult(fingerprint, key_file_for(_site_id(session), fingerprint), previous,
                       previous_file if previous_file is not None and previous_file.exists() else None)


def signing_key(session: Session) -> bytes:
    path = _key_file(session)
    try:
        pem = path.read_bytes()
    except OSError:
        raise AdultSchoolError(
            f"找不到本校的签名密钥文件（{path}）。它只保存在最初建立数据库的电脑上。"
            "如果确实丢失，请运行 “adultschool sync rekey” 生成新密钥，并把新的密钥指纹告诉分中心确认。"
        ) from None
    stored = _get(session, PUBLIC_KEY)
    try:
        public = aspkg.signing_public_key(pem)
    except AdultSchoolError:
        raise AdultSchoolError(f"签名密钥文件 {path} 已损坏。请运行 “adultschool sync rekey” 生成新密钥。") from None
    if stored is not None and base64.b64encode(public).decode() != stored:
        raise AdultSchoolError(f"签名密钥文件 {path} 不属于这个数据库。请运行 “adultschool sync rekey” 生成新密钥。")
    return pem


# --- the district's public key ----------------------------------------------------------------------------------


def district_key(session: Session) -> aspkg.DistrictPublicKey | None:
    stored = _get(session, DISTRICT_PUBLIC)
    return aspkg.load_district_public(stored.encode()) if stored else None


@dataclass(frozen=True)
class DistrictKeyRegistration:
    code: str
    fingerprint: str
    previous_fingerprint: str | None  # the key it replaced (None: the first one)

    @property
    def changed(self) -> bool:
        return self.previous_fingerprint is not None and self.previous_fingerprint != self.fingerprint


class DistrictKeyChange(AdultSchoolError):
    """The file holds another district key than the one registered: replacing it needs an administrator's word."""

    def __init__(self, message: str, *, registered: str, offered: str, allowed: bool):
        super().__init__(message)
        self.registered, self.offered, self.allowed = registered, offered, allowed


def set_district_key(session: Session, data: bytes, *, actor: str, replace: bool = False) -> DistrictKeyRegistration:
    """Registers the district's public key file the clerk was given. Replacing a registered key with another one is
    for an administrator only, and only with `replace` once both fingerprints were shown (a swapped district.pub would
    send every package to someone else)."""
    permissions.require(session, actor, permissions.SYNC)
    site.require_school(session)
    key = aspkg.load_district_public(data)
    before = district_key(session)
    if before is not None and before.fingerprint == key.fingerprint:
        return DistrictKeyRegistration(key.code, key.fingerprint, before.fingerprint)
    if before is not None:
        allowed = permissions.principal(session, actor).can(permissions.Permission.MANAGE_SETTINGS)
        both = f"已登记的分中心公钥指纹 {before.fingerprint}，这个文件的指纹 {key.fingerprint}"
        if not allowed:
            raise DistrictKeyChange(
                f"这个公钥文件与已登记的分中心公钥不同（{both}）。更换分中心公钥只能由管理员操作：请先打电话与分中心核对"
                "新指纹，再请管理员登记。",
                registered=before.fingerprint, offered=key.fingerprint, allowed=False)
        if not replace:
            raise DistrictKeyChange(
                f"这个公钥文件与已登记的分中心公钥不同（{both}）。请先打电话与分中心核对新指纹；确认分中心确实更换了"
                "密钥后，再确认更换（adultschool sync district-key 文件 --replace）。",
                registered=before.fingerprint, offered=key.fingerprint, allowed=True)
    _put(session, DISTRICT_PUBLIC, aspkg.dump_district_public(key).decode())
    audit.record(session, actor=actor, action="sync.district_key", entity="site_settings",
                 summary=f"{'更换' if before else '登记'}分中心公钥：{key.code}，指纹 {key.fingerprint}"
                         + (f"（原指纹 {before.fingerprint}）" if before else ""),
                 before={"fingerprint": before.fingerprint} if before else None, after={"fingerprint": key.fingerprint})
    return DistrictKeyRegistration(key.code, key.fingerprint, before.fingerprint if before else None)


def _recipient(session: Session, data: bytes | None, *, actor: str) -> aspkg.DistrictPublicKey:
    stored = district_key(session)
    if data is None:
        if stored is None:
            raise AdultSchoolError("还没有登记分中心公钥。请用分中心发来的 district.pub 文件：adultschool sync export --to district.pub …")
        return stored
    given = aspkg.load_district_public(data)
    if stored is None:
        set_district_key(session, data, actor=actor)
        return given
    if given.fingerprint != stored.fingerprint:
        raise AdultSchoolError(
            f"这个公钥文件（指纹 {given.fingerprint}）与已登记的分中心公钥（指纹 {stored.fingerprint}）不同。"
            "如果分中心确实更换了密钥，请先与分中心电话核对新指纹，再由管理员用 “adultschool sync district-key 文件 --replace”"
            " 登记新公钥。"
        )
    return stored


# --- packages ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSummary:
    sequence: int
    full: bool
    path: Path
    counts: dict[str, int]
    rows: int
    fingerprint: str  # the school's signing key


@dataclass(frozen=True)
class ExportInfo:
    sequence: int
    created_at: datetime
    full: bool
    file_name: str
    rows: int
    counts: dict[str, int]
    confirmed_at: datetime | None
    confirmation: dict[str, Any] | None


def _select_rows(spec: TableSpec, *, changed_only: bool, uuids: list[str] | None = None) -> Select:
    table = spec.table
    joined: FromClause = table
    columns: list[ColumnElement[Any]] = []
    for column in spec.columns:
        target = spec.refs.get(column.name)
        if target is None:
            columns.append(column)
            continue
        ref = target.alias(f"ref_{column.name}")
        joined = joined.outerjoin(ref, ref.c.id == column)
        columns.append(ref.c.uuid.label(column.name))
    sent = SyncSent.__table__
    if changed_only:
        joined = joined.outerjoin(sent, sent.c.uuid == table.c.uuid)
    query = select(*columns).select_from(joined)
    if changed_only:
        query = query.where(or_(sent.c.uuid.is_(None), sent.c.version != table.c.version))
    if uuids is not None:
        query = query.where(table.c.uuid.in_(uuids))
    return query.order_by(table.c.id)


def _fetch(session: Session, query: Select) -> list[dict[str, Any]]:
    result = session.execute(query)
    keys = list(result.keys())
    return [dict(zip(keys, row)) for row in result.all()]


def _collect(session: Session, *, full: bool, job: JobContext) -> dict[str, list[dict[str, Any]]]:
    """The changed rows of every table, then (children first) the rows they point to that are not in yet."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for number, spec in enumerate(SPECS, start=1):
        job.check_cancelled()
        rows[spec.name] = _fetch(session, _select_rows(spec, changed_only=not full))
        job.report(number, len(SPECS) * 2, f"读取{entity_label(spec.name)}")
    needed: dict[str, set[str]] = {spec.name: set() for spec in SPECS}
    for spec in reversed(SPECS):
        have = {r["uuid"] for r in rows[spec.name]}
        extra = sorted(needed[spec.name] - have)
        for start in range(0, len(extra), CHUNK):
            query = _select_rows(spec, changed_only=False, uuids=extra[start:start + CHUNK])
            rows[spec.name].extend(_fetch(session, query))
        for column, target in spec.refs.items():
            needed[target.name].update(r[column] for r in rows[spec.name] if r[column] is not None)
    return rows


def _mark_sent(session: Session) -> None:
    """After a package every row's current version has been sent: one statement per table, on the server."""
    for spec in SPECS:
        session.execute(text(
            f"INSERT INTO sync_sent (uuid, version) SELECT uuid, version FROM {spec.name} WHERE true "
            "ON CONFLICT (uuid) DO UPDATE SET version = excluded.version"
        ))


def next_sequence(session: Session) -> int:
    """One above every package this school has made, including those a restored backup no longer lists."""
    floor = int(_get(session, SEQUENCE_FLOOR) or 0)
    return max(session.execute(select(func.max(SyncExport.sequence))).scalar() or 0, floor) + 1


def epoch(session: Session) -> int:
    """How many times this school's database was restored from a backup (0: never); every package carries it."""
    return int(_get(session, EPOCH) or 0)


def pending_full_package(session: Session) -> str | None:
    """Why the next package will be full (after a restore), in Chinese; None when it will be as usual."""
    stored = _get(session, FULL_NEXT)
    if not stored:
        return None
    note = json.loads(stored)
    return (f"本校数据库于 {note.get('restored_at', '')[:10]} 从备份恢复（第 {note.get('epoch')} 轮），下一个数据包"
            f"（第 {next_sequence(session)} 号）将是完整数据包，分中心据此按恢复后的数据更新，并报告恢复所撤回的记录。")


def suggested_file_name(session: Session, today: date | None = None) -> str:
    """A name the clerk (and the district) recognise: school, date, sequence."""
    info = site.require_school(session)
    day = (today or clock.today()).isoformat()
    return f"{info.name}-{info.code}-{day}-第{next_sequence(session)}号.aspkg"


def export_package(session: Session, out: Path, *, district_key_file: bytes | None = None, full: bool = False,
                   actor: str, job: JobContext | None = None) -> ExportSummary:
    job = job or NullJob()
    permissions.require(session, actor, permissions.SYNC)
    info = site.require_school(session)
    if site.is_demo_school(session):
        raise AdultSchoolError(f"“{info.name}”是演示学校，学员都是虚构的，不能报送到分中心。"
                               "要报送本校的数据，请新建或打开本校的数据库（菜单 文件 → 新建或打开数据库…）。")
    district = _recipient(session, district_key_file, actor=actor)
    fingerprint = ensure_signing_key(session, actor=actor)
    pem = signing_key(session)
    sequence = next_sequence(session)
    previous = sequence - 1 or None
    restored = _get(session, FULL_NEXT) is not None
    full = full or previous is None or restored
    rows = _collect(session, full=full, job=job)
    members: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for number, spec in enumerate(SPECS, start=1):
        job.check_cancelled()
        members[spec.member] = b"".join(encode_line(spec, row) for row in rows[spec.name])
        counts[spec.name] = len(rows[spec.name])
        job.report(len(SPECS) + number, len(SPECS) * 2, f"写入{entity_label(spec.name)}")
    created_at = utcnow().isoformat()
    manifest = {
        "school_name": info.name, "previous": previous, "full": full, "counts": counts, "epoch": epoch(session),
        "tables": [spec.name for spec in SPECS],
        "site": {"certificate_secret": _get(session, CERTIFICATE_SECRET)},
        # The key the district encrypts its packages to this school with (derived from the signing key).
        "box_key": base64.b64encode(aspkg.school_box_public(pem)).decode(),
        # The audit chain's head: the district keeps it and returns it in the receipt, an anchor out of our reach.
        "audit_head": audit.head(session).as_json(),
    }
    data = aspkg.write_package(school_code=info.code, sequence=sequence, created_at=created_at, manifest=manifest,
                              members=members, signing_key_pem=pem, district=district)
    total = sum(counts.values())
    session.add(SyncExport(sequence=sequence, full=full, file_name=Path(out).name, rows=total,
                           counts=json.dumps(counts, ensure_ascii=False), recipient=district.fingerprint))
    _mark_sent(session)
    if restored:
        session.execute(delete(SiteSetting).where(SiteSetting.key == FULL_NEXT))
    audit.record(session, actor=actor, action="sync.export", entity="sync_exports",
                 summary=f"生成第 {sequence} 号数据包（{'完整' if full else '增量'}，{total} 行）：{Path(out).name}",
                 after={"sequence": sequence, "full": full, "counts": counts})
    job.check_cancelled()
    with atomic_output(out, opened_in="其他程序") as part:
        part.write_bytes(data)
    return ExportSummary(sequence, full, Path(out), counts, total, fingerprint)


def export_history(session: Session) -> list[ExportInfo]:
    return [
        ExportInfo(e.sequence, e.created_at, e.full, e.file_name, e.rows, json.loads(e.counts), e.confirmed_at,
                   json.loads(e.confirmation) if e.confirmation else None)
        for e in session.execute(select(SyncExport).order_by(SyncExport.sequence.desc())).scalars()
    ]


# --- receipts ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmSummary:
    district: str
    made_at: str
    confirmed: list[int]  # sequences newly confirmed by this receipt
    unconfirmed: list[int]  # sequences made here that the district has not merged yet
    missing: aspkg.Gaps  # what the district says it lacks
    conflicts: list[dict[str, Any]]


def confirm_receipt(session: Session, data: bytes, *, actor: str) -> ConfirmSummary:
    """Reads the district's signed receipt and marks the packages it confirms; the rest stays unconfirmed."""
    permissions.require(session, actor, permissions.SYNC)
    site.require_school(session)
    district = district_key(session)
    if district is None:
        raise AdultSchoolError("还没有登记分中心公钥，无法核对回执。请先用 “adultschool sync district-key 文件” 登记。")
    body = aspkg.read_receipt(data, district)
    return apply_receipt_body(session, body, district_code=district.code, actor=actor)


def apply_receipt_body(session: Session, body: dict[str, Any], *, district_code: str, actor: str,
                       dry_run: bool = False) -> ConfirmSummary:
    """What a receipt (on its own, or inside a district package) says, applied: the packages it confirms are marked
    (with `dry_run`, only said)."""
    info = site.require_school(session)
    if body.get("school_code") != info.code:
        raise AdultSchoolError(f"这是给学校 {body.get('school_code')} 的回执，不是本校（{info.code}）的。")
    # Only packages of this database's epoch: after a restore, numbers of packages the backup never knew may recur.
    arrived = {int(p["sequence"]): p for p in body.get("packages", []) if int(p.get("epoch", 0)) == epoch(session)}
    newly = []
    for export in session.execute(select(SyncExport).order_by(SyncExport.sequence)).scalars():
        package = arrived.get(export.sequence)
        if package is None:
            continue
        if export.confirmed_at is None:
            newly.append(export.sequence)
            if not dry_run:
                export.confirmed_at = utcnow()
        if not dry_run:
            export.confirmation = json.dumps(package, ensure_ascii=False)
    unconfirmed = [s for s in session.execute(
        select(SyncExport.sequence).where(SyncExport.confirmed_at.is_(None)).order_by(SyncExport.sequence)).scalars()
        if not (dry_run and s in newly)]
    if not dry_run:
        _put(session, "sync.last_receipt", json.dumps(body, ensure_ascii=False))
        heads = [(int(p["sequence"]), audit.AuditHead.from_json(p.get("audit_head"))) for p in arrived.values()]
        anchored = [(sequence, head) for sequence, head in heads if head is not None]
        if anchored:
            sequence, head = max(anchored, key=lambda pair: pair[1].entries)
            audit.save_district_anchor(session, head, district=district_code, sequence=sequence)
        audit.record(session, actor=actor, action="sync.confirm", entity="sync_exports",
                     summary=f"导入分中心回执：确认第 {', '.join(map(str, newly)) or '（无新确认）'} 号",
                     after={"confirmed": newly, "unconfirmed": unconfirmed})
    return ConfirmSummary(district_code, str(body.get("made_at", "")), newly, unconfirmed,
                          aspkg.Gaps.from_json(body.get("gaps")), list(body.get("conflicts", [])))


def conflict_line(conflict: dict[str, Any]) -> str:
    """One conflict of a receipt, as the school reads it: who, the other school, the district's decision, what to do."""
    numbers = "、".join(conflict.get("student_numbers") or [])
    other = conflict.get("other_school", "")
    other_name = conflict.get("other_school_name") or ""
    head = (f"冲突 {conflict.get('id', '')}：{conflict.get('name', '')} {conflict.get('id_number', '')}"
            + (f"（学籍号 {numbers}）" if numbers else " ")
            + f"也在学校 {other}" + (f"（{other_name}）" if other_name else " ") + "登记")
    action = conflict.get("action") or conflict.get("status_label") or conflict.get("status", "")
    return f"{head}。{action}"


def last_receipt(session: Session) -> dict[str, Any] | None:
    stored = _get(session, "sync.last_receipt")
    return json.loads(stored) if stored else None


# --- after a restore ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplacedState:
    """What the database a restore replaced said about sync, read from it before it was replaced."""

    site_code: str | None
    site_id: str | None
    public_key: str | None
    fingerprint: str | None
    district_public: str | None
    epoch: int
    highest_sequence: int  # the newest package it had made
    highest_version: int  # the highest row version it had (and so had possibly sent)


def begin_epoch(session: Session, replaced: ReplacedState | None, *, actor: str) -> str | None:
    """A school database just restored from a backup starts a new epoch: its next package is full and carries the
    epoch, its sequence numbers continue after every package made before the restore, and every row version is raised
    above all it had, so that what is edited after the restore always wins at the district. Returns what the clerk is
    told (None for a district database, which has nothing to send)."""
    info = site.get_site(session)
    if info.kind is not SiteKind.SCHOOL:
        return None
    own_site_id = _get(session, SITE_ID)
    # The replaced database's state when it was this same school's database (else nothing of it carries over).
    previous = replaced if (replaced is not None and replaced.site_code == info.code and (
        replaced.site_id is None or own_site_id is None or replaced.site_id == own_site_id)) else None
    same = previous is not None
    new_epoch = max(epoch(session), previous.epoch if previous is not None else 0) + 1
    floor = max(next_sequence(session) - 1, previous.highest_sequence if previous is not None else 0)
    highest = max([session.execute(select(func.max(spec.table.c.version))).scalar() or 0 for spec in SPECS])
    bump = max(highest, previous.highest_version if previous is not None else 0)
    if bump:
        for spec in SPECS:
            session.execute(update(spec.table).values(version=spec.table.c.version + bump)
                            .execution_options(synchronize_session=False))
    carried = []
    if (previous is not None and previous.fingerprint and previous.public_key
            and previous.fingerprint != own_fingerprint(session)):
        site_id = previous.site_id or own_site_id
        if site_id and key_file_for(site_id, previous.fingerprint).exists():
            _put(session, PUBLIC_KEY, previous.public_key)
            _put(session, FINGERPRINT, previous.fingerprint)
            carried.append(f"签名密钥沿用恢复前的（指纹 {previous.fingerprint}）")
    if previous is not None and previous.district_public:
        before = district_key(session)
        kept = aspkg.load_district_public(previous.district_public.encode())
        if before is None or before.fingerprint != kept.fingerprint:
            _put(session, DISTRICT_PUBLIC, previous.district_public)
            carried.append(f"分中心公钥沿用恢复前登记的（指纹 {kept.fingerprint}）")
    restored_at = utcnow().isoformat()
    _put(session, EPOCH, str(new_epoch))
    _put(session, SEQUENCE_FLOOR, str(floor))
    _put(session, FULL_NEXT, json.dumps({"epoch": new_epoch, "restored_at": restored_at, "known": same}))
    audit.record(session, actor=actor, action="sync.epoch", entity="site_settings",
                 summary=f"从备份恢复后开始第 {new_epoch} 轮数据包：下一个为第 {floor + 1} 号完整数据包",
                 after={"epoch": new_epoch, "sequence_floor": floor, "version_raised_by": bump, "known": same,
                        "carried": carried})
    text = (f"恢复后，本校的下一个数据包（第 {floor + 1} 号）将是完整数据包（第 {new_epoch} 轮）：备份之后生成的数据包"
            "已不在恢复后的数据库里，分中心收到这个完整数据包后会按恢复后的数据更新，并列出恢复撤回了哪些记录。")
    if same:
        text += "所有记录的版本号已调到恢复前的之上，恢复后做的修改一定会送到分中心。"
    else:
        text += ("被替换的数据库读不出来（或不是同一所学校的），无法得知备份之后发出过哪些数据包：序号按备份里的记录"
                 "接着编，分中心仍会按恢复后的轮次接收这个完整数据包。")
    if carried:
        text += "；".join(carried) + "。"
    return text
