"""The district office's key pair: made once (`district.pub` for the schools, `district.key` passphrase-protected and kept
in the database too, so importing needs only the passphrase), opened for signing and decrypting, its public half read.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from adultschool import aspkg
from adultschool.errors import AdultSchoolError
from adultschool.models import (
    SiteSetting,
)
from adultschool.outfiles import write_file
from adultschool.services import audit, permissions
from adultschool.services.site import require_district


PRIVATE = "sync.district_private"
PUBLIC = "sync.district_public"


def _setting(session: Session, key: str) -> str | None:
    row = session.get(SiteSetting, key)
    return row.value if row else None


@dataclass(frozen=True)
class KeygenResult:
    public_path: Path
    private_path: Path
    fingerprint: str


def keygen(session: Session, out_dir: Path, passphrase: str, *, actor: str, replace: bool = False) -> KeygenResult:
    """Makes the district's key pair: `district.pub` for the schools, `district.key` (passphrase-protected) kept here.

    The database keeps the protected private key too, so `sync import` needs only the passphrase."""
    permissions.require(session, actor, permissions.Permission.MANAGE_SETTINGS)
    info = require_district(session)
    existing = _setting(session, PUBLIC)
    if existing and not replace:
        old = aspkg.load_district_public(existing.encode())
        raise AdultSchoolError(
            f"本分中心已有密钥（指纹 {old.fingerprint}）。换新密钥后，各学校都要重新登记公钥，旧密钥加密的数据包也无法再导入。"
            "确需更换，请加 --replace。"
        )
    public_path, private_path = Path(out_dir) / "district.pub", Path(out_dir) / "district.key"
    for path in (public_path, private_path):
        if path.exists() and not replace:
            raise AdultSchoolError(f"{path} 已经存在，不覆盖。请换一个文件夹，或确需更换时加 --replace。")
    pair = aspkg.generate_district_keys(info.code)
    private = aspkg.dump_district_private(pair, passphrase)  # refuses a short passphrase before anything is written
    public = aspkg.dump_district_public(pair.public)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for path, data in ((public_path, public), (private_path, private)):
        write_file(path, data)  # owner-only: district.key above all
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


def district_keys(session: Session, passphrase: str, *, key_file: bytes | None = None) -> aspkg.DistrictKeyPair:
    """The key pair, opened with the passphrase: from `key_file` (district.key) if given, else as stored at keygen."""
    require_district(session)
    data = key_file if key_file is not None else (_setting(session, PRIVATE) or "").encode()
    if not data:
        raise AdultSchoolError("本分中心还没有密钥。请先运行 “adultschool sync keygen --out 文件夹”，把 district.pub 发给各学校。")
    return aspkg.load_district_private(data, passphrase)


def district_public(session: Session) -> aspkg.DistrictPublicKey | None:
    stored = _setting(session, PUBLIC)
    return aspkg.load_district_public(stored.encode()) if stored else None
