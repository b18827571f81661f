"""Writes audit entries in the caller's transaction, each chained to the previous one by SHA-256, and verifies the chain."""
from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.models import AuditEntry

GENESIS = "0" * 64


def local_actor() -> str:
    """Who is acting, for the audit log: the computer's login name in single-user mode (DESIGN.md), until accounts exist."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - some service accounts have no login name
        return "local"


def _digest(prev_hash: str, at: datetime, actor: str, action: str, entity: str, entity_uuid: str | None,
            summary: str, before: str | None, after: str | None) -> str:
    payload = json.dumps(
        [prev_hash, at.astimezone(timezone.utc).isoformat(), actor, action, entity, entity_uuid, summary, before, after],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _as_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(session: Session, *, actor: str, action: str, entity: str, summary: str,
           entity_uuid: str | None = None, before: Any = None, after: Any = None) -> None:
    """Appends one entry; runs inside the caller's write transaction so it lands with the change or not at all."""
    last = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    prev_hash = last or GENESIS
    at = clock.now()
    before_json, after_json = _as_json(before), _as_json(after)
    entry = AuditEntry(
        at=at, actor=actor, action=action, entity=entity, entity_uuid=entity_uuid, summary=summary,
        before=before_json, after=after_json, prev_hash=prev_hash,
        hash=_digest(prev_hash, at, actor, action, entity, entity_uuid, summary, before_json, after_json),
    )
    session.add(entry)
    session.flush()


@dataclass(frozen=True)
class AuditVerification:
    entries: int
    broken_at: int | None  # id of the first entry that does not fit the chain

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(session: Session) -> AuditVerification:
    prev_hash = GENESIS
    count = 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        count += 1
        at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=timezone.utc)
        expected = _digest(prev_hash, at, entry.actor, entry.action, entry.entity, entry.entity_uuid,
                           entry.summary, entry.before, entry.after)
        if entry.prev_hash != prev_hash or entry.hash != expected:
            return AuditVerification(entries=count, broken_at=entry.id)
        prev_hash = entry.hash
    return AuditVerification(entries=count, broken_at=None)
