"""The district's roster of its schools (code, name, townships, accepted key) and the checks a package's sender must
pass before a row of it is read.

Nothing is trusted on first sight: a package is refused unless its school is on the roster, its code carries the
district's prefix (district 330206 → schools 330206-NN), and it is signed by the key the district accepted for that
school: a fingerprint registered with `sync schools add … --fingerprint`, or one the district confirmed by phone after
a first package showed it (`sync trust CODE --fingerprint F`, or the window's confirmation).
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool.errors import AdultSchoolError
from adultschool.models import SiteKind, SyncSchool
from adultschool.models.base import utcnow
from adultschool.services import audit, permissions, site
from adultschool.textnorm import to_halfwidth

_SUFFIX = re.compile(r"^[0-9A-Za-z]{1,10}$")
_HEX = re.compile(r"[0-9A-F]")


class SchoolNotListed(AdultSchoolError):
    """A package from a code the district's roster does not have (or has retired)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class KeyNotAccepted(AdultSchoolError):
    """A listed school's package signed by a key the district has not accepted: shown by its fingerprint, with the
    fingerprint expected instead (None when the district has none for that school yet)."""

    def __init__(self, message: str, *, code: str, name: str, offered: str, expected: str | None, seen: bool):
        super().__init__(message)
        self.code, self.name, self.offered, self.expected = code, name, offered, expected
        self.seen = seen  # the expected key was seen in a package before (so this is a changed key)


@dataclass(frozen=True)
class RosterSchool:
    code: str
    name: str
    townships: tuple[str, ...]
    fingerprint: str | None  # the accepted (or registered) signing key
    key_seen: bool  # a package signed with that key has arrived
    key_accepted_at: datetime | None
    key_accepted_by: str | None
    added_at: datetime
    last_received_at: datetime | None
    retired_at: datetime | None
    retired_reason: str | None
    epoch: int

    @property
    def active(self) -> bool:
        return self.retired_at is None

    @property
    def key_state(self) -> str:
        """For lists: 已确认 / 已登记指纹，待收到数据包 / 待确认 / 已停用."""
        if self.retired_at is not None:
            return "已停用"
        if self.fingerprint is None:
            return "待确认密钥"
        return "已确认" if self.key_seen else "已登记指纹，待收到数据包"


def _require_district(session: Session) -> site.SiteInfo:
    info = site.get_site(session)
    if info.kind is not SiteKind.DISTRICT:
        raise AdultSchoolError("这是学校的数据库。学校名册在区级分中心的数据库里管理（adultschool init --district 代码）。")
    return info


def _info(school: SyncSchool) -> RosterSchool:
    try:
        townships = tuple(json.loads(school.townships)) if school.townships else ()
    except ValueError:
        townships = ()
    return RosterSchool(
        code=school.code, name=school.name, townships=townships, fingerprint=school.fingerprint,
        key_seen=school.public_key is not None, key_accepted_at=school.key_accepted_at,
        key_accepted_by=school.key_accepted_by, added_at=school.first_seen_at, last_received_at=school.last_received_at,
        retired_at=school.retired_at, retired_reason=school.retired_reason, epoch=school.epoch or 0)


def normalise_fingerprint(text: str) -> str:
    """'3f2a 91c0 …', full-width or without dashes → '3F2A-91C0-…' (32 hex digits in 8 groups), else refused."""
    digits = "".join(_HEX.findall(to_halfwidth(text or "").upper()))
    if len(digits) != 32 or len(re.sub(r"[\s\-－—:：]", "", to_halfwidth(text or ""))) != 32:
        raise AdultSchoolError(
            f"密钥指纹“{(text or '').strip()[:60]}”格式不对：应是 32 位十六进制数字（0–9、A–F），"
            "通常写成 8 组、每组 4 位，如 3F2A-91C0-…。请对照学校“数据上报”页上的指纹重新输入。"
        )
    return "-".join(digits[i:i + 4] for i in range(0, 32, 4))


def check_code(session: Session, code: str) -> str:
    """A school code of this district: '<district code>-NN'; anything else is refused, naming the prefix."""
    district = _require_district(session).code
    code = to_halfwidth(code or "").strip()
    prefix = f"{district}-"
    if not code.startswith(prefix) or not _SUFFIX.match(code[len(prefix):]):
        raise AdultSchoolError(
            f"学校代码“{code[:60]}”不属于本分中心：本分中心（{district}）的学校代码应写成 {prefix}NN（如 {prefix}01）。"
        )
    return code


def _find(session: Session, code: str) -> SyncSchool | None:
    return session.execute(select(SyncSchool).where(SyncSchool.code == code)).scalar()


def _townships(names: list[str] | tuple[str, ...] | None) -> str | None:
    cleaned = []
    for name in names or ():
        name = to_halfwidth(name).strip()
        if name and name not in cleaned:
            cleaned.append(name)
    return json.dumps(cleaned, ensure_ascii=False) if cleaned else None


def add_school(session: Session, code: str, *, name: str, townships: list[str] | None = None,
               fingerprint: str | None = None, actor: str) -> RosterSchool:
    """Puts a school on the roster (or brings a retired one back). With `fingerprint` (read out by the school on the
    phone, or handed over in person) its first package is accepted without a further question."""
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    code = check_code(session, code)
    name = (name or "").strip()
    if not name:
        raise AdultSchoolError("请填写学校名称。", field="name")
    if len(name) > 200:
        raise AdultSchoolError("学校名称太长（最多 200 个字）。", field="name")
    wanted = normalise_fingerprint(fingerprint) if fingerprint else None
    school = _find(session, code)
    if school is not None and school.retired_at is None:
        raise AdultSchoolError(f"学校 {code}（{school.name}）已经在名册上。")
    before = _info(school).__dict__ if school is not None else None
    if school is None:
        school = SyncSchool(code=code, name=name, added_by=actor)
        session.add(school)
    else:
        school.retired_at = school.retired_reason = None
        school.name = name
    school.townships = _townships(townships) or school.townships
    if wanted is not None and wanted != school.fingerprint:
        school.fingerprint, school.public_key = wanted, None
        school.key_accepted_at, school.key_accepted_by = utcnow(), actor
    session.flush()
    audit.record(session, actor=actor, action="sync.school_add", entity="sync_schools",
                 summary=f"{'重新启用' if before else '登记'}学校 {code}（{name}）"
                         + (f"，密钥指纹 {wanted}" if wanted else "，密钥待首次数据包时确认"),
                 before={"retired": True} if before else None,
                 after={"code": code, "name": name, "fingerprint": wanted})
    return _info(school)


def list_schools(session: Session, *, include_retired: bool = True) -> list[RosterSchool]:
    _require_district(session)
    query = select(SyncSchool).order_by(SyncSchool.code)
    if not include_retired:
        query = query.where(SyncSchool.retired_at.is_(None))
    return [_info(s) for s in session.execute(query).scalars()]


def get_school(session: Session, code: str) -> RosterSchool | None:
    school = _find(session, code)
    return _info(school) if school is not None else None


def retire_school(session: Session, code: str, *, reason: str | None = None, actor: str) -> RosterSchool:
    """No more packages are accepted from this school; what it sent stays."""
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    _require_district(session)
    school = _find(session, (code or "").strip())
    if school is None:
        raise AdultSchoolError(f"名册上没有学校 {code}。")
    if school.retired_at is not None:
        raise AdultSchoolError(f"学校 {code} 已经停用了。")
    school.retired_at, school.retired_reason = utcnow(), (reason or "").strip() or None
    audit.record(session, actor=actor, action="sync.school_retire", entity="sync_schools",
                 summary=f"停用学校 {school.code}（{school.name}）" + (f"：{school.retired_reason}" if school.retired_reason else ""),
                 after={"code": school.code, "reason": school.retired_reason})
    return _info(school)


def accept_fingerprint(session: Session, code: str, fingerprint: str, *, actor: str) -> RosterSchool:
    """After a phone call: the key with this fingerprint is the school's. Its next package is accepted when signed with
    it (and a package signed by any other key is refused)."""
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    _require_district(session)
    wanted = normalise_fingerprint(fingerprint)
    school = _find(session, (code or "").strip())
    if school is None:
        raise AdultSchoolError(
            f"名册上没有学校 {code}：请先把它登记到名册（adultschool sync schools add {code} --name 学校名称）。")
    if school.retired_at is not None:
        raise AdultSchoolError(f"学校 {code} 已停用，不再接收它的数据包。")
    before = school.fingerprint
    if before != wanted:
        school.fingerprint, school.public_key = wanted, None
    school.key_accepted_at, school.key_accepted_by = utcnow(), actor
    audit.record(session, actor=actor, action="sync.trust", entity="sync_schools",
                 summary=f"确认学校 {school.code} 的签名密钥：{wanted}",
                 before={"fingerprint": before}, after={"fingerprint": wanted})
    return _info(school)


def listed_sender(session: Session, code: str) -> SyncSchool:
    """The roster entry of a package's school, before anything of the package is decrypted; refused with the reason."""
    district = _require_district(session).code
    school = _find(session, code)
    if school is None:
        if not code.startswith(f"{district}-"):
            raise SchoolNotListed(
                f"这个数据包来自学校代码 {code}，不属于本分中心（{district}），没有导入。", code)
        raise SchoolNotListed(
            f"学校 {code} 不在本分中心的学校名册上，没有导入。如果这确实是本区的学校，请先核实，再登记到名册："
            f"adultschool sync schools add {code} --name 学校名称（可同时用 --fingerprint 登记学校读给您的密钥指纹）。",
            code)
    if school.retired_at is not None:
        raise SchoolNotListed(f"学校 {code}（{school.name}）已于 {school.retired_at:%Y-%m-%d} 停用，不再接收它的数据包。", code)
    return school


def check_signer(session: Session, school: SyncSchool, *, signer: bytes, fingerprint: str,
                 actor: str) -> bool:
    """Refuses a key the district has not accepted for this school; True when this package is the first signed with
    a fingerprint registered beforehand (its key is remembered now)."""
    raw = base64.b64encode(signer).decode()
    if school.public_key is not None:
        if school.public_key == raw:
            return False
        raise KeyNotAccepted(
            f"学校 {school.code} 这个数据包的签名密钥（指纹 {fingerprint}）与分中心已确认的（指纹 {school.fingerprint}）"
            "不同，没有导入。可能是伪造的数据包，也可能是学校重装了程序、换了电脑或更换了密钥。请打电话与学校核对它"
            f"“数据上报”页上的密钥指纹，确认无误后运行：adultschool sync trust {school.code} --fingerprint {fingerprint}，"
            "再重新导入。",
            code=school.code, name=school.name, offered=fingerprint, expected=school.fingerprint, seen=True)
    if school.fingerprint is None:
        raise KeyNotAccepted(
            f"首次收到学校 {school.code}（{school.name}）的数据包，签名密钥指纹是 {fingerprint}。分中心还没有确认过这所学校的"
            "密钥，没有导入。请打电话给学校，请对方读出其“数据上报”页上的本校签名密钥指纹；一致后运行："
            f"adultschool sync trust {school.code} --fingerprint {fingerprint}，再重新导入。",
            code=school.code, name=school.name, offered=fingerprint, expected=None, seen=False)
    if school.fingerprint != fingerprint:
        raise KeyNotAccepted(
            f"学校 {school.code} 这个数据包的签名密钥指纹是 {fingerprint}，与分中心登记的 {school.fingerprint} 不一致，"
            "没有导入。可能是伪造的数据包，也可能是登记时抄错了指纹：请打电话与学校核对。",
            code=school.code, name=school.name, offered=fingerprint, expected=school.fingerprint, seen=False)
    school.public_key = raw
    audit.record(session, actor=actor, action="sync.key_seen", entity="sync_schools",
                 summary=f"收到学校 {school.code} 以登记指纹 {fingerprint} 签名的第一个数据包", after={"fingerprint": fingerprint})
    return True
