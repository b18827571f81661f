"""This database's identity (a school or the district office), its schools and the townships they serve (R8)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from adultschool.errors import AdultSchoolError
from adultschool.models import School, SiteKind, SiteSetting, Township, TownshipQuota
from adultschool.services import audit, permissions

CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{1,38}$")
# At a school: the task numbers the district's latest package set, {township: {year: quota}}; the school cannot
# change those.
DISTRICT_QUOTAS = "district.quotas"


@dataclass(frozen=True)
class SiteInfo:
    kind: SiteKind
    code: str
    name: str
    school_id: int | None  # this school's row; None at a district office


@dataclass(frozen=True)
class TownshipInfo:
    id: int
    name: str
    school_code: str | None
    quotas: dict[int, int]


def _setting(session: Session, key: str) -> str | None:
    row = session.get(SiteSetting, key)
    return row.value if row else None


# Set when the demo made this database's school itself: its learners are made up, so nothing of it goes to the district.
DEMO_SCHOOL_MARK = "site.demo_school"


def is_demo_school(session: Session) -> bool:
    return _setting(session, DEMO_SCHOOL_MARK) is not None


def is_initialised(session: Session) -> bool:
    return _setting(session, "site.kind") is not None


def get_site(session: Session) -> SiteInfo:
    kind = _setting(session, "site.kind")
    if kind is None:
        raise AdultSchoolError("这个数据库还没有初始化：请先运行 “adultschool init --school-code 代码 --school-name 名称”。")
    code = _setting(session, "site.code") or ""
    school_id = None
    if kind == SiteKind.SCHOOL.value:
        school_id = session.execute(select(School.id).where(School.code == code)).scalar_one()
    return SiteInfo(kind=SiteKind(kind), code=code, name=_setting(session, "site.name") or "", school_id=school_id)


def require_school(session: Session) -> SiteInfo:
    site = get_site(session)
    if site.kind is not SiteKind.SCHOOL or site.school_id is None:
        raise AdultSchoolError("这是区级（分中心）数据库，学员报名要在学校的数据库里进行。")
    return site


def check_identity(code: str, name: str) -> tuple[str, str]:
    """A new site's code and name, trimmed, or a refusal naming the field (the first-run wizard asks before writing)."""
    code, name = code.strip(), name.strip()
    if not CODE_PATTERN.match(code):
        raise AdultSchoolError(f"代码“{code}”不合要求：只能用数字、英文字母和“-”，2 到 39 个字符（例如 330205-01）。",
                               field="code")
    if not name:
        raise AdultSchoolError("名称不能为空。", field="name")
    return code, name


def initialise(session: Session, *, kind: SiteKind, code: str, name: str, townships: list[str] | None = None,
               actor: str) -> SiteInfo:
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    if is_initialised(session):
        site = get_site(session)
        raise AdultSchoolError(f"数据库已经初始化为“{site.name}”（{site.code}），不能再次初始化。")
    code, name = check_identity(code, name)
    session.add_all([
        SiteSetting(key="site.kind", value=kind.value),
        SiteSetting(key="site.code", value=code),
        SiteSetting(key="site.name", value=name),
    ])
    school = None
    if kind is SiteKind.SCHOOL:
        school = School(code=code, name=name)
        session.add(school)
        session.flush()
    for township in townships or []:
        add_township(session, township, school_code=code if school else None, actor=actor)
    session.info[audit.NEW_CHAIN] = True  # a new database at this place: a new chain, and this PC's anchor with it
    audit.record(session, actor=actor, action="site.init", entity="site_settings",
                 summary=f"初始化{'学校' if school else '区级'}数据库：{name}（{code}）",
                 after={"kind": kind.value, "code": code, "name": name})
    return get_site(session)


def add_township(session: Session, name: str, *, school_code: str | None, actor: str) -> TownshipInfo:
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    name = name.strip()
    if not name:
        raise AdultSchoolError("街道/镇名称不能为空。")
    if session.execute(select(Township.id).where(Township.name == name)).first():
        raise AdultSchoolError(f"街道/镇“{name}”已经存在。")
    school_id = None
    if school_code:
        school_id = session.execute(select(School.id).where(School.code == school_code)).scalar()
        if school_id is None:
            raise AdultSchoolError(f"没有代码为“{school_code}”的学校。")
    township = Township(name=name, school_id=school_id)
    session.add(township)
    session.flush()
    audit.record(session, actor=actor, action="township.add", entity="townships", entity_uuid=township.uuid,
                 summary=f"新增街道/镇：{name}", after={"name": name, "school_code": school_code})
    return TownshipInfo(id=township.id, name=name, school_code=school_code, quotas={})


def set_quota(session: Session, township_name: str, year: int, quota: int, *, actor: str) -> None:
    """R8: a township's yearly task number."""
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    if quota < 0:
        raise AdultSchoolError("任务数不能为负数。")
    township = find_township(session, township_name)
    given = district_quotas(session).get(township.name, {}).get(year)
    if given is not None and given != quota:
        raise AdultSchoolError(f"{township.name} {year} 年的任务数由分中心下达（{given}），本校不能修改。如有异议，请与分中心联系。",
                               field="quota")
    _store_quota(session, township, year, quota, actor=actor, summary=f"{township.name} {year} 年任务数")


def district_quotas(session: Session) -> dict[str, dict[int, int]]:
    """At a school: the task numbers the district set, by township and year."""
    stored = _setting(session, DISTRICT_QUOTAS)
    if not stored:
        return {}
    return {name: {int(year): int(quota) for year, quota in years.items()} for name, years in json.loads(stored).items()}


def apply_district_quotas(session: Session, given: dict[str, dict[int, int]], *, actor: str,
                          dry_run: bool = False) -> list[str]:
    """At a school: the district's task numbers for the townships it serves replace the school's; a line per change
    (townships this school does not serve are left alone and named)."""
    own = {t.name: t for t in list_townships(session)}
    lines = []
    for name, years in sorted(given.items()):
        info = own.get(name)
        if info is None:
            lines.append(f"分中心给出了“{name}”的任务数，但本校没有这个街道/镇，没有记入。")
            continue
        for year, quota in sorted(years.items()):
            before = info.quotas.get(year)
            if before == quota:
                continue
            lines.append(f"{name} {year} 年任务数：{before if before is not None else '（未设定）'} → {quota}")
            if not dry_run:
                _store_quota(session, find_township(session, name), year, quota, actor=actor,
                             summary=f"按分中心数据包设定 {name} {year} 年任务数")
    if not dry_run:
        kept = {name: {str(y): q for y, q in years.items()} for name, years in given.items() if name in own}
        row = session.get(SiteSetting, DISTRICT_QUOTAS)
        encoded = json.dumps(kept, ensure_ascii=False, sort_keys=True)
        if row is None:
            session.add(SiteSetting(key=DISTRICT_QUOTAS, value=encoded))
        else:
            row.value = encoded
    return lines


def _store_quota(session: Session, township: Township, year: int, quota: int, *, actor: str, summary: str) -> None:
    row = session.execute(
        select(TownshipQuota).where(TownshipQuota.township_id == township.id, TownshipQuota.year == year)
    ).scalar()
    before = row.quota if row else None
    if row is None:
        session.add(TownshipQuota(township_id=township.id, year=year, quota=quota))
    else:
        row.quota = quota
    audit.record(session, actor=actor, action="township.quota", entity="township_quotas", entity_uuid=township.uuid,
                 summary=summary, before={"quota": before}, after={"quota": quota})


def find_township(session: Session, name: str) -> Township:
    township = session.execute(select(Township).where(Township.name == name.strip())).scalar()
    if township is None:
        known = "、".join(t.name for t in list_townships(session)) or "（还没有）"
        raise AdultSchoolError(f"没有名为“{name}”的街道/镇。已有：{known}。")
    return township


def list_townships(session: Session) -> list[TownshipInfo]:
    rows = session.execute(
        select(Township.id, Township.name, School.code).outerjoin(School, Township.school_id == School.id)
        .order_by(Township.name_sort)
    ).all()
    quotas: dict[int, dict[int, int]] = {}
    for township_id, year, quota in session.execute(select(TownshipQuota.township_id, TownshipQuota.year, TownshipQuota.quota)):
        quotas.setdefault(township_id, {})[year] = quota
    return [TownshipInfo(id=r[0], name=r[1], school_code=r[2], quotas=quotas.get(r[0], {})) for r in rows]


def require_district(session: Session) -> SiteInfo:
    info = get_site(session)
    if info.kind is not SiteKind.DISTRICT:
        raise AdultSchoolError("这是学校的数据库。汇总数据包要在区级分中心的数据库里进行（adultschool init --district 代码）。")
    return info


def is_district(session: Session) -> bool:
    return get_site(session).kind is SiteKind.DISTRICT
