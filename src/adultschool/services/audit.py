"""Writes audit entries in the caller's transaction, each chained to the previous one by SHA-256, and verifies the chain.

The chain alone cannot show a cut tail (delete the last rows and what is left is still a chain), so its head (count,
last id, last hash) is anchored outside the table: this PC's anchor file, moved on every commit that adds entries; the
backups; and the district's receipt of each sync package. `check_chain` reports a table shorter than, or different
from, any anchor as cut short.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from adultschool import clock, paths
from adultschool.outfiles import write_file
from adultschool.models import AuditEntry

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_WROTE = "audit_written"  # session.info: this transaction appended entries
_PENDING = "audit_anchor_pending"  # session.info: the head to anchor once the commit is through


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
    session.info[_WROTE] = session.info.get(_WROTE, 0) + 1


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


# --- anchors: the chain's head kept outside the table, so its tail cannot be cut unseen ------------------------------

@dataclass(frozen=True)
class AuditHead:
    """How long the chain is and where it ends: the number of entries, the last entry's id and its hash."""

    entries: int
    last_id: int | None
    last_hash: str

    def as_json(self) -> dict:
        return {"entries": self.entries, "last_id": self.last_id, "last_hash": self.last_hash}

    @staticmethod
    def from_json(value: object) -> "AuditHead | None":
        if not isinstance(value, dict):
            return None
        try:
            last_id = value.get("last_id")
            return AuditHead(int(value["entries"]), None if last_id is None else int(last_id), str(value["last_hash"]))
        except (KeyError, TypeError, ValueError):
            return None


EMPTY_HEAD = AuditHead(0, None, GENESIS)


def head(session: Session) -> AuditHead:
    entries, last_id = session.execute(select(func.count(AuditEntry.id), func.max(AuditEntry.id))).one()
    if not entries:
        return EMPTY_HEAD
    last_hash = session.execute(select(AuditEntry.hash).where(AuditEntry.id == last_id)).scalar_one()
    return AuditHead(int(entries), int(last_id), last_hash)


@dataclass(frozen=True)
class Anchor:
    """A head seen somewhere the table's owner cannot quietly rewrite: `source` says where, in Chinese."""

    source: str
    head: AuditHead
    at: datetime | None = None  # when it was taken (UTC), when known


def cut_by(session: Session, anchor: Anchor) -> str | None:
    """Why the chain in the table is shorter than, or different from, what `anchor` saw (None: it still fits)."""
    seen = anchor.head
    if seen.entries == 0 or seen.last_id is None:
        return None
    found = session.execute(select(AuditEntry.hash).where(AuditEntry.id == seen.last_id)).scalar()
    now = session.execute(select(func.count(AuditEntry.id))).scalar_one()
    if found is None or now < seen.entries:
        return (f"{anchor.source}记录审计日志曾有 {seen.entries} 条（最后一条是第 {seen.last_id} 条），"
                f"现在只有 {now} 条：审计日志被截短了。")
    if found != seen.last_hash:
        return (f"{anchor.source}记录的第 {seen.last_id} 条审计记录和现在表里的不一样：这之前的审计日志被整体改写了。")
    return None


def database_key(session: Session) -> str:
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


LOCAL_SOURCE = "本机（{file}）"
NEW_CHAIN = "audit_new_chain"  # session.info flag: a restore or init replaces the chain, and so this PC's anchor


def local_anchor(session: Session) -> Anchor | None:
    """The newest head this PC saw committed to the database, from its per-PC anchor file."""
    file = paths.audit_anchor_file(database_key(session))
    try:
        stored = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("audit anchor file %s cannot be read", file, exc_info=True)
        return None
    seen = AuditHead.from_json(stored.get("head") if isinstance(stored, dict) else None)
    if seen is None:
        return None
    at = _parse_time(stored.get("at"))
    return Anchor(LOCAL_SOURCE.format(file=file), seen, at)


def local_reset_at(session: Session) -> datetime | None:
    """When a restore last replaced the chain on this PC (older anchors, such as older backups, no longer apply)."""
    file = paths.audit_anchor_file(database_key(session))
    try:
        stored = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _parse_time(stored.get("reset_at")) if isinstance(stored, dict) else None


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _write_local_anchor(key: str, new_head: AuditHead, *, reset: dict | None, previous: dict | None) -> None:
    file = paths.audit_anchor_file(key)
    record: dict = {"head": new_head.as_json(), "at": clock.now().astimezone(timezone.utc).isoformat()}
    if reset is not None:
        record["reset_at"] = record["at"]
        record["replaced"] = reset
    elif previous and previous.get("reset_at"):
        record["reset_at"], record["replaced"] = previous["reset_at"], previous.get("replaced")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        write_file(file, json.dumps(record, ensure_ascii=False))
    except OSError:
        log.warning("could not write the audit anchor %s", file, exc_info=True)


@event.listens_for(Session, "before_commit")
def _head_before_commit(session: Session) -> None:
    """A transaction that wrote audit entries moves this PC's anchor to the new head, unless the table no longer fits
    the anchor (rows deleted or rewritten outside the program): then the anchor stays, so `audit verify` can say so."""
    added = session.info.pop(_WROTE, 0)
    if not added:
        return
    key = database_key(session)
    file = paths.audit_anchor_file(key)
    try:
        previous = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    reset = session.info.pop(NEW_CHAIN, False)
    seen = AuditHead.from_json(previous.get("head")) if isinstance(previous, dict) else None
    new_head = None
    if not reset and seen is not None and seen.last_id is not None:
        # One lookup by id, not a count of the whole table (30 ms a commit at 200,000 entries): the entry the anchor
        # ends on must still be there, unchanged; then the count is the anchor's plus what this transaction added.
        found = session.execute(select(AuditEntry.hash).where(AuditEntry.id == seen.last_id)).scalar()
        if found != seen.last_hash:
            log.error("audit table no longer fits this PC's anchor %s: anchor kept", file)
            return
        last_id, last_hash = session.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).one()
        new_head = AuditHead(seen.entries + added, last_id, last_hash)
    elif not reset and seen is not None and seen.entries:
        log.error("audit anchor %s is damaged: anchor kept", file)
        return
    session.info[_PENDING] = (key, new_head or head(session), previous.get("head") if reset and isinstance(previous, dict) else None,
                              reset, previous if isinstance(previous, dict) else None)


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    key, new_head, replaced, reset, previous = pending
    _write_local_anchor(key, new_head, reset={"head": replaced} if reset else None, previous=previous)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_WROTE, None)


@dataclass(frozen=True)
class AuditReport:
    """`audit verify`: the chain itself, and every anchor it was checked against."""

    verification: AuditVerification
    anchors: tuple[Anchor, ...]
    cut_short: tuple[str, ...]  # one Chinese sentence per anchor that shows a cut

    @property
    def intact(self) -> bool:
        return self.verification.intact and not self.cut_short


def save_district_anchor(session: Session, seen: AuditHead, *, district: str, sequence: int) -> None:
    """The head the district's signed receipt returned (of package `sequence`), kept on this PC as an anchor."""
    file = paths.audit_anchor_file(database_key(session) + ".district")
    record = {"head": seen.as_json(), "district": district, "sequence": sequence,
              "at": clock.now().astimezone(timezone.utc).isoformat()}
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        write_file(file, json.dumps(record, ensure_ascii=False))
    except OSError:
        log.warning("could not write the district's audit anchor %s", file, exc_info=True)


def district_anchor(session: Session) -> Anchor | None:
    file = paths.audit_anchor_file(database_key(session) + ".district")
    try:
        stored = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    seen = AuditHead.from_json(stored.get("head")) if isinstance(stored, dict) else None
    if seen is None:
        return None
    at = _parse_time(stored.get("at"))
    reset = local_reset_at(session)
    if reset is not None and at is not None and at <= reset:
        return None  # returned before the last restore replaced the chain
    return Anchor(f"分中心 {stored.get('district', '')} 的回执（第 {stored.get('sequence', '?')} 号数据包）", seen, at)


def check_chain(session: Session, extra: Sequence[Anchor] = ()) -> AuditReport:
    """The chain, then this PC's anchor, the district's receipt and `extra` anchors (backups)."""
    anchors = [a for a in [local_anchor(session), district_anchor(session), *extra] if a is not None]
    cuts = tuple(reason for reason in (cut_by(session, a) for a in anchors) if reason is not None)
    return AuditReport(verify(session), tuple(anchors), cuts)
