"""What the district office knows of each school's sending: the signed receipt of the packages that arrived, and per school
whether it has sent this month, what is missing and how many conflicts are open.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import aspkg
from adultschool.errors import AdultSchoolError, os_error_text
from adultschool.models import (
    ConflictStatus,
    School,
    SyncConflict,
    SyncPackage,
    SyncSchool,
)
from adultschool.models.base import utcnow
from adultschool.outfiles import atomic_output
from adultschool.services import district_conflicts, district_schools
from adultschool.services.district import gaps
from adultschool.services.site import require_district


def receipt_body(session: Session, school_code: str) -> dict[str, Any]:
    require_district(session)
    school = session.execute(select(SyncSchool).where(SyncSchool.code == school_code)).scalar()
    if school is None:
        raise AdultSchoolError(f"学校 {school_code} 不在本分中心的学校名册上，无法出回执。")
    epoch = school.epoch or 0
    packages = [
        {"sequence": p.sequence, "epoch": p.epoch, "made_at": p.made_at, "received_at": p.received_at.isoformat(),
         "full": p.full, "counts": json.loads(p.counts),
         **({"audit_head": json.loads(p.audit_head)} if p.audit_head else {})}
        for p in session.execute(select(SyncPackage).where(SyncPackage.school_code == school_code,
                                                           SyncPackage.epoch == epoch)
                                 .order_by(SyncPackage.sequence)).scalars()
    ]
    return {"school_code": school_code, "school_name": school.name, "made_at": utcnow().isoformat(),
            "epoch": epoch, "packages": packages, "highest": max((p["sequence"] for p in packages), default=0),
            "gaps": gaps(session, school_code).as_json(), "conflicts": district_conflicts.for_school(session, school_code)}


def make_receipt(session: Session, school_code: str, keys: aspkg.DistrictKeyPair) -> tuple[bytes, dict[str, Any]]:
    body = receipt_body(session, school_code)
    return aspkg.write_receipt(body, keys), body


def save_receipt(session: Session, school_code: str, keys: aspkg.DistrictKeyPair, out: Path) -> dict[str, Any]:
    """生成回执: the signed receipt for one school, written whole to `out` (or not at all); returns what it says."""
    data, body = make_receipt(session, school_code, keys)
    try:
        with atomic_output(out, opened_in="其他程序") as part:
            part.write_bytes(data)
    except OSError as exc:
        raise AdultSchoolError(f"无法保存回执“{Path(out).name}”：{os_error_text(exc)}") from None
    return body


@dataclass(frozen=True)
class SchoolStatus:
    code: str
    name: str
    fingerprint: str | None
    packages: int
    last_sequence: int | None
    last_received_at: datetime | None
    sent_this_month: bool
    missing: aspkg.Gaps
    open_conflicts: int
    key_state: str = ""  # 已确认 / 待确认密钥 / … (from the roster)
    listed: bool = True
    retired: bool = False
    townships: tuple[str, ...] = ()
    district_sequence: int = 0  # the last district package made for the school (0: none yet)
    last_sent_at: datetime | None = None  # when it was made


def school_statuses(session: Session, month: date) -> list[SchoolStatus]:
    """Every school of the roster (and any other the district holds rows of), and whether each has sent a package in
    the month of `month`."""
    require_district(session)
    first = month.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    known: dict[str, str] = dict(session.execute(select(School.code, School.name)).all())
    roster = {s.code: s for s in district_schools.list_schools(session)}
    for code, school in roster.items():
        known[code] = school.name or known.get(code, "")
    received: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
    for code, sequence, received_at in session.execute(
            select(SyncPackage.school_code, SyncPackage.sequence, SyncPackage.received_at)):
        received[code].append((sequence, received_at))
    open_conflicts: dict[str, int] = defaultdict(int)
    for code in session.execute(select(SyncConflict.incoming_school).where(
            SyncConflict.status.in_([ConflictStatus.OPEN, ConflictStatus.DECIDED]))).scalars():
        open_conflicts[code] += 1
    sent: dict[str, tuple[int, datetime | None]] = {
        code: (sequence or 0, at) for code, sequence, at in session.execute(
            select(SyncSchool.code, SyncSchool.district_sequence, SyncSchool.last_receipt_at))}
    statuses = []
    start, end = datetime.combine(first, datetime.min.time()), datetime.combine(following, datetime.min.time())
    for code in sorted(known):
        packages = received.get(code, [])
        times = [_naive(t) for _s, t in packages]
        listed = roster.get(code)
        sent_count, last_sent = sent.get(code, (0, None))
        statuses.append(SchoolStatus(
            code, known[code], listed.fingerprint if listed else None, len(packages),
            max((s for s, _t in packages), default=None), max(times, default=None),
            any(start <= t < end for t in times), gaps(session, code), open_conflicts.get(code, 0),
            listed.key_state if listed else "不在名册上", listed is not None,
            listed is not None and not listed.active, listed.townships if listed else (),
            sent_count,
            _naive(last_sent) if last_sent is not None else None,
        ))
    return statuses


def _naive(moment: datetime) -> datetime:
    """Local wall time without a zone, to compare with calendar months (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone().replace(tzinfo=None)
