"""A new database's first transaction: the site, its townships and this year's quotas, the district's public key (or,
at a district, its key pair) and the first administrator, all made by one `create_site` call.

The first-run wizard collects a `SitePlan` and calls `create_site` inside one write transaction, so a refusal anywhere
leaves nothing half made. Files (the school's signing key, the district's key pair) are written last, after every
check that can refuse has passed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from adultschool import clock
from adultschool.errors import AdultSchoolError, os_error_text
from adultschool.models import Role, SiteKind
from adultschool.services import accounts, district_keypair, site, sync
from adultschool.services.district_keypair import KeygenResult
from adultschool.services.site import SiteInfo


@dataclass(frozen=True)
class TownshipPlan:
    name: str
    quota: int | None = None  # this year's task number (R8); None: set later


@dataclass(frozen=True)
class AdminPlan:
    name: str
    password: str = field(repr=False)
    display_name: str | None = None


@dataclass(frozen=True)
class SitePlan:
    kind: SiteKind
    code: str
    name: str
    townships: tuple[TownshipPlan, ...] = ()  # a school's; a district learns its townships from the schools' packages
    quota_year: int | None = None  # the year the quotas are for; None: this year
    district_public: bytes | None = None  # a school: the district.pub file it was given, if it has one yet
    key_folder: Path | None = None  # a district: make its key pair there (district.pub and district.key)
    passphrase: str | None = field(default=None, repr=False)  # protects district.key
    admin: AdminPlan | None = None  # None: single-user mode until an account is made


@dataclass(frozen=True)
class SiteCreated:
    site: SiteInfo
    townships: int
    quotas: int
    district_key: str | None  # the registered district key's fingerprint (school)
    signing_fingerprint: str | None  # the school's own signing key
    keys: KeygenResult | None  # the district's key pair (district)
    admin: str | None  # the administrator's login name


def check_townships(townships: tuple[TownshipPlan, ...] | list[TownshipPlan]) -> None:
    """Names present and not repeated, quotas not negative: what the wizard's table says before anything is written."""
    seen: set[str] = set()
    for township in townships:
        name = township.name.strip()
        if not name:
            raise AdultSchoolError("街道/镇名称不能为空：请填写，或删除这一行。", field="townships")
        if name in seen:
            raise AdultSchoolError(f"街道/镇“{name}”填了两次。", field="townships")
        seen.add(name)
        if township.quota is not None and township.quota < 0:
            raise AdultSchoolError(f"“{name}”的任务数不能为负数。", field="townships")


def create_site(session: Session, plan: SitePlan, *, actor: str) -> SiteCreated:
    """Everything the first-run wizard asked for, in the caller's transaction; refuses (writing nothing) on a bad value."""
    if plan.kind is SiteKind.DISTRICT and plan.townships:
        raise AdultSchoolError("区级分中心不在这里填写街道/镇：它们随学校的数据包而来。", field="townships")
    check_townships(plan.townships)
    info = site.initialise(session, kind=plan.kind, code=plan.code, name=plan.name,
                           townships=[t.name.strip() for t in plan.townships], actor=actor)
    year = plan.quota_year or clock.today().year
    quotas = 0
    for township in plan.townships:
        if township.quota is not None:
            site.set_quota(session, township.name.strip(), year, township.quota, actor=actor)
            quotas += 1
    district_key = None
    if plan.district_public is not None:
        district_key = sync.set_district_key(session, plan.district_public, actor=actor).fingerprint
    if plan.key_folder is not None and plan.kind is SiteKind.DISTRICT and not plan.passphrase:
        raise AdultSchoolError("请为分中心私钥设一个口令。", field="passphrase")
    admin = None
    if plan.admin is not None:
        admin = accounts.create_account(session, plan.admin.name, plan.admin.password, Role.ADMIN, actor=actor,
                                        display_name=plan.admin.display_name).name
    who = admin or actor  # once an account exists, single-user mode is over: the administrator does the rest
    signing = None
    keys = None
    if info.kind is SiteKind.SCHOOL:
        signing = sync.ensure_signing_key(session, actor=who)
    elif plan.key_folder is not None:
        try:
            keys = district_keypair.keygen(session, Path(plan.key_folder), plan.passphrase or "", actor=who)
        except OSError as exc:
            # keygen never overwrites, so whatever of the pair is there now was written by this failed attempt
            for name in ("district.pub", "district.key"):
                (Path(plan.key_folder) / name).unlink(missing_ok=True)
            raise AdultSchoolError(f"不能在 {plan.key_folder} 写入密钥文件（{os_error_text(exc)}）："
                                   "请换一个文件夹，或检查 U 盘是否插好、是否写保护。", field="key_folder") from None
    return SiteCreated(site=info, townships=len(plan.townships), quotas=quotas, district_key=district_key,
                       signing_fingerprint=signing, keys=keys, admin=admin)
