"""The .aspkg file: a school's data, encrypted to one district and signed by the school.

Owns writing and opening it, and every check a package from outside must pass before its rows are used.

Layout (format version 1)::

    outer zip, STORED, written byte for byte by `_outer_zip` (fixed dates, no extras, no comment):
      header.json   UTF-8 JSON, readable without any key and holding nothing personal:
                    type "adultschool-package", format_version, school_code, sequence, created_at,
                    recipient (the district key fingerprint), ephemeral_key (base64 raw X25519 public
                    key made for this package only), nonce (base64, 12 bytes)
      payload.bin   AES-256-GCM ciphertext of the inner zip, with the exact header.json bytes as
                    associated data. Key: HKDF-SHA256 over X25519(ephemeral private, district box
                    public), salt "adultschool.aspkg.v1", info "payload-key" + ephemeral public +
                    district box public.

    inner zip, DEFLATED:
      manifest.json the caller's manifest plus format_version, school_code, sequence, created_at and
                    members {name: {"sha256": hex, "size": bytes}}
      manifest.sig  Ed25519 signature by the school over the exact manifest.json bytes
      signer.pub    the school's raw Ed25519 public key
      <members>     the data, e.g. tables/learners.jsonl

The district's package to one school (.asdist) has the same layout with these differences: header.json has type
"adultschool-district-package", district_code, school_code, sequence (per school), created_at and recipient (the
fingerprint of the school's X25519 box key, which both sides derive from the school's Ed25519 signing key with HKDF,
salt "adultschool.school-box.v1", so the district learns it from the school's packages: `box_key` in their manifest);
the payload key's salt is "adultschool.asdist.v1"; manifest.sig is the district's signature and signer.pub the
district's sign key, which must equal the key in the school's registered district.pub. `open_district_package` checks
the type, district code, school code and recipient before decrypting, and the signer after.

Anyone holding district.pub can build a package that decrypts, so decryption proves nothing about who
sent it: the signature does, and only after the inner zip's declared sizes have been checked. Whether the
signer is the key the district registered for that school is the caller's decision (trust on first use).
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from adultschool.errors import AdultSchoolError
from adultschool.aspkg.codec import (
    FORMAT_VERSION,
    b64,
    check_text,
    is_int,
    load_json_object,
    newer_format_error,
    pretty_json,
    unb64,
)
from adultschool.aspkg.keys import (
    KEY_BYTES,
    MAX_CODE_CHARS,
    DistrictKeyPair,
    DistrictPublicKey,
    fingerprint,
    load_signing_key,
)

PACKAGE_TYPE = "adultschool-package"
# The other direction: the district's package to one school, signed by the district, encrypted to the school.
DISTRICT_PACKAGE_TYPE = "adultschool-district-package"
HEADER_NAME = "header.json"
PAYLOAD_NAME = "payload.bin"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
SIGNER_NAME = "signer.pub"
RESERVED_NAMES = frozenset({MANIFEST_NAME, SIGNATURE_NAME, SIGNER_NAME})

MAX_HEADER_BYTES = 64 * 1024
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
# All members together, as declared in the inner zip before anything is inflated.
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
# The outer zip has 32-bit size fields; deflate never grows data by more than a few bytes per 16 KiB.
MAX_PAYLOAD_BYTES = MAX_TOTAL_BYTES + 64 * 1024 * 1024
MAX_MEMBERS = 10_000
MAX_MEMBER_NAME_CHARS = 200
# Deflate tops out near 1032:1, so above 1000:1 is a crafted bomb, not data. Below 1 MiB a high ratio
# cannot hurt and an empty table compresses absurdly well.
MAX_COMPRESSION_RATIO = 1000
RATIO_CHECK_FROM_BYTES = 1024 * 1024
MAX_CREATED_AT_CHARS = 64

_HKDF_SALT = b"adultschool.aspkg.v1"
_DISTRICT_HKDF_SALT = b"adultschool.asdist.v1"
_HKDF_INFO = b"payload-key"
_NONCE_BYTES = 12
_SIGNATURE_BYTES = 64
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# MS-DOS date of 1980-01-01, the earliest a zip can say: no clock time leaks into the container.
_DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1
_ZIP_VERSION = 20

# What zipfile, zlib and the JSON parser raise on damaged or hostile bytes (an unsupported compression
# is a NotImplementedError, a struct.error comes from a cut-off record).
_BROKEN: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    ValueError,
    EOFError,
    OSError,
    LookupError,
    TypeError,
    ArithmeticError,
    RuntimeError,
    zlib.error,
    struct.error,
)

_NOT_A_PACKAGE = (
    "这个文件不是数据包文件（.aspkg），或文件已损坏、不完整（可能没有下载或复制完）。"
    "请确认选对了文件，或让学校重新发送。"
)
_DAMAGED_FILE = (
    "数据包文件已损坏或被改动（文件结构校验不通过），不能导入。可能没有下载或复制完整，请让学校重新发送。"
)
_DECRYPT_FAILED = "数据包已损坏或被改动（解密校验失败），不能导入。请让学校重新发送。"
_BAD_CONTENT = "数据包的内容不完整或格式不对，不能导入。请让学校用本程序重新导出后再发送。"
_BAD_SIGNATURE = "数据包的签名不对（内容在学校签名后被改动过），不能导入。请让学校重新发送。"
_HEADER_MISMATCH = (
    "数据包外层标注的学校代码、序号或格式版本与签名清单不一致，可能被人改动过，不能导入。请让学校重新发送。"
)
_DISTRICT_NOT_HERE = (
    "这是分中心发给学校的数据包，要在那所学校的程序里导入（数据上报 → 导入分中心数据包），不是在分中心导入。"
)
_DISTRICT_DAMAGED = "分中心数据包已损坏或被改动（校验不通过），不能导入。请分中心重新发送。"
_TOO_BIG = (
    "数据包内部的数据大小或压缩比异常（可能是恶意构造的“压缩炸弹”），为安全起见拒绝导入。"
    "请让学校用本程序重新导出。"
)


@dataclass(frozen=True)
class PackageHeader:
    """The outer header: who sent which package to whom. Readable without a key, trusted only once opened.

    A school's package: `school_code` sent it, `recipient` is the district key's fingerprint. A district's package
    (`kind` DISTRICT_PACKAGE_TYPE): `district_code` sent it to the school `school_code`, `recipient` is the
    fingerprint of that school's box key."""

    format_version: int
    school_code: str
    sequence: int
    created_at: str
    recipient: str
    kind: str = PACKAGE_TYPE
    district_code: str | None = None

    @property
    def from_district(self) -> bool:
        return self.kind == DISTRICT_PACKAGE_TYPE


@dataclass(frozen=True)
class OpenedPackage:
    """A package that decrypted, whose signature is valid for `signer`, and whose members match its manifest."""

    header: PackageHeader
    manifest: dict[str, Any]
    members: dict[str, bytes]
    signer: bytes
    signer_fingerprint: str


# --- names and fields --------------------------------------------------------------------------------


def _is_member_name(name: object) -> bool:
    """A relative path with '/' separators and no '..': a name that cannot escape a folder if ever saved."""
    if not isinstance(name, str) or not name or len(name) > MAX_MEMBER_NAME_CHARS:
        return False
    if name in RESERVED_NAMES or not name.isprintable() or "\\" in name or ":" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _is_created_at(value: object) -> TypeGuard[str]:
    if not isinstance(value, str) or not value or len(value) > MAX_CREATED_AT_CHARS:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _short(name: str) -> str:
    """A member name fit for a message: names come from outside and may be long."""
    return name if len(name) <= 60 else name[:57] + "…"


# --- the outer container -----------------------------------------------------------------------------


def _outer_zip(header_bytes: bytes, payload: bytes) -> bytes:
    """The outer zip, every byte fixed by its two members, so a reader can demand exactly these bytes."""
    local = bytearray()
    central = bytearray()
    for name, content in ((HEADER_NAME, header_bytes), (PAYLOAD_NAME, payload)):
        name_bytes = name.encode("ascii")
        crc = zlib.crc32(content)
        size = len(content)
        offset = len(local)
        local += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, _ZIP_VERSION, 0, zipfile.ZIP_STORED, 0, _DOS_DATE_1980,
            crc, size, size, len(name_bytes), 0,
        )
        local += name_bytes
        local += content
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, _ZIP_VERSION, _ZIP_VERSION, 0, zipfile.ZIP_STORED, 0,
            _DOS_DATE_1980, crc, size, size, len(name_bytes), 0, 0, 0, 0, 0, offset,
        )
        central += name_bytes
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(central), len(local), 0)
    return bytes(local + central + end)


def _read_outer(data: bytes, *, with_payload: bool) -> tuple[bytes, bytes]:
    """header.json and (if asked) payload.bin from the outer zip, sizes checked before reading."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("package data must be bytes")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except _BROKEN:
        raise AdultSchoolError(_NOT_A_PACKAGE) from None
    by_name = {info.filename: info for info in infos}
    if len(infos) != 2 or set(by_name) != {HEADER_NAME, PAYLOAD_NAME}:
        raise AdultSchoolError(_NOT_A_PACKAGE)
    header_info, payload_info = by_name[HEADER_NAME], by_name[PAYLOAD_NAME]
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            raise AdultSchoolError(_NOT_A_PACKAGE)
    if header_info.file_size > MAX_HEADER_BYTES or payload_info.file_size > MAX_PAYLOAD_BYTES:
        raise AdultSchoolError(_NOT_A_PACKAGE)
    try:
        header_bytes = _read_bounded(archive, header_info, MAX_HEADER_BYTES)
        payload = _read_bounded(archive, payload_info, MAX_PAYLOAD_BYTES) if with_payload else b""
    except _BROKEN:
        raise AdultSchoolError(_DAMAGED_FILE) from None
    return header_bytes, payload


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, never more than `limit` nor than it declared; ValueError if it is not exactly that."""
    if info.file_size > limit:
        raise ValueError("member larger than allowed")
    with archive.open(info) as handle:
        content = handle.read(info.file_size + 1)
    if len(content) != info.file_size:
        raise ValueError("member size differs from its declaration")
    return content


# --- the header --------------------------------------------------------------------------------------


def _header_fields(raw: dict[str, Any]) -> PackageHeader:
    """The five fields every format version keeps; ValueError if any is missing or malformed."""
    sequence = raw.get("sequence")
    recipient = raw.get("recipient")
    if not is_int(sequence) or sequence < 0:
        raise ValueError("bad sequence")
    if not isinstance(recipient, str) or not re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){7}", recipient):
        raise ValueError("bad recipient")
    created_at = raw.get("created_at")
    if not _is_created_at(created_at):
        raise ValueError("bad created_at")
    kind = raw.get("type")
    if kind not in (PACKAGE_TYPE, DISTRICT_PACKAGE_TYPE):  # _parse_header has checked it; this narrows it to str
        raise ValueError("bad type")
    return PackageHeader(
        format_version=raw["format_version"],
        school_code=check_text(raw.get("school_code"), max_length=MAX_CODE_CHARS),
        sequence=sequence,
        created_at=created_at,
        recipient=recipient,
        kind=kind,
        district_code=(check_text(raw.get("district_code"), max_length=MAX_CODE_CHARS)
                       if kind == DISTRICT_PACKAGE_TYPE else None),
    )


def _parse_header(header_bytes: bytes) -> tuple[PackageHeader, dict[str, Any]]:
    try:
        raw = load_json_object(header_bytes, limit=MAX_HEADER_BYTES)
    except ValueError:
        raise AdultSchoolError(_NOT_A_PACKAGE) from None
    version = raw.get("format_version")
    if raw.get("type") not in (PACKAGE_TYPE, DISTRICT_PACKAGE_TYPE) or not is_int(version) or version < 1:
        raise AdultSchoolError(_NOT_A_PACKAGE)
    try:
        header = _header_fields(raw)
    except ValueError:
        if version > FORMAT_VERSION:
            raise newer_format_error("数据包", version) from None
        raise AdultSchoolError(_NOT_A_PACKAGE) from None
    return header, raw


def read_header(data: bytes) -> PackageHeader:
    """Who sent which package to whom, without any key: for showing the clerk and for telling a school's package
    from the district's (`from_district`), not for trusting.

    Works for packages of newer format versions too, so the screen can say which school needs what.
    """
    header_bytes, _ = _read_outer(data, with_payload=False)
    header, _raw = _parse_header(header_bytes)
    return header


# --- encryption --------------------------------------------------------------------------------------


def _payload_key(shared: bytes, ephemeral_public: bytes, recipient_box: bytes, salt: bytes = _HKDF_SALT) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO + ephemeral_public + recipient_box
    ).derive(shared)


def _seal(inner: bytes, *, school_code: str, sequence: int, created_at: str, district: DistrictPublicKey) -> bytes:
    """Encrypt a school's inner zip to the district and wrap it in the outer container: the whole .aspkg."""
    fields = {"type": PACKAGE_TYPE, "format_version": FORMAT_VERSION, "school_code": school_code,
              "sequence": sequence, "created_at": created_at, "recipient": district.fingerprint}
    return _seal_to(inner, fields=fields, recipient_box=district.box, salt=_HKDF_SALT,
                    bad_key="分中心公钥无效，不能用它加密数据包。请向分中心重新索取公钥文件，并核对公钥指纹。")


def _seal_to(inner: bytes, *, fields: dict[str, Any], recipient_box: bytes, salt: bytes, bad_key: str) -> bytes:
    """Encrypt an inner zip to `recipient_box` and wrap it in the outer container with a header of `fields` (type,
    codes, sequence, time, recipient) plus the key agreement's: the whole package file."""
    if len(inner) > MAX_PAYLOAD_BYTES:
        raise AdultSchoolError(
            f"要导出的数据压缩后仍超过 {MAX_PAYLOAD_BYTES // (1024 * 1024)} MB，不能放进一个数据包。请联系技术支持。"
        )
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_box))
    except ValueError:
        # A low-order point: only a crafted key has one.
        raise AdultSchoolError(bad_key) from None
    nonce = os.urandom(_NONCE_BYTES)
    header = {**fields, "ephemeral_key": b64(ephemeral_public), "nonce": b64(nonce)}
    header_bytes = pretty_json(header)
    key = _payload_key(shared, ephemeral_public, recipient_box, salt)
    payload = AESGCM(key).encrypt(nonce, inner, header_bytes)
    return _outer_zip(header_bytes, payload)


def _key_agreement_fields(raw_header: dict[str, Any]) -> tuple[bytes, bytes]:
    """The ephemeral public key and nonce of a format-1 header."""
    try:
        return (
            unb64(raw_header.get("ephemeral_key"), length=KEY_BYTES),
            unb64(raw_header.get("nonce"), length=_NONCE_BYTES),
        )
    except ValueError:
        raise AdultSchoolError(_NOT_A_PACKAGE) from None


def _decrypt(
    header_bytes: bytes, ephemeral_public: bytes, nonce: bytes, payload: bytes, box_private: bytes,
    salt: bytes = _HKDF_SALT, failed: str = _DECRYPT_FAILED,
) -> bytes:
    try:
        private = X25519PrivateKey.from_private_bytes(box_private)
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _payload_key(shared, ephemeral_public, private.public_key().public_bytes_raw(), salt)
        return AESGCM(key).decrypt(nonce, payload, header_bytes)
    except (InvalidTag, ValueError, OverflowError):
        raise AdultSchoolError(failed) from None


# --- the inner zip -----------------------------------------------------------------------------------


def _inner_zip(entries: dict[str, bytes]) -> bytes:
    """The inner zip from (name, bytes) in the given order; fixed dates so nothing but the data varies."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 0
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _check_inner_sizes(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb from its declarations alone, before one byte is inflated."""
    if len(infos) > MAX_MEMBERS + len(RESERVED_NAMES):
        raise AdultSchoolError(_TOO_BIG)
    if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
        raise AdultSchoolError(_TOO_BIG)
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise AdultSchoolError(_BAD_CONTENT)
        if info.file_size < RATIO_CHECK_FROM_BYTES:
            continue
        if info.compress_size == 0 or info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            raise AdultSchoolError(_TOO_BIG)


def _declared_members(manifest: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """name -> (sha256 hex, size) from a signed manifest; ValueError if the list is malformed."""
    listed = manifest.get("members")
    if not isinstance(listed, dict) or len(listed) > MAX_MEMBERS:
        raise ValueError("bad members list")
    declared: dict[str, tuple[str, int]] = {}
    for name, entry in listed.items():
        if not _is_member_name(name) or not isinstance(entry, dict):
            raise ValueError("bad member entry")
        digest, size = entry.get("sha256"), entry.get("size")
        if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest) or not is_int(size) or size < 0:
            raise ValueError("bad member entry")
        declared[name] = (digest, size)
    return declared


def _open_inner(inner: bytes, header: PackageHeader) -> OpenedPackage:
    try:
        archive = zipfile.ZipFile(io.BytesIO(inner))
        infos = archive.infolist()
    except _BROKEN:
        raise AdultSchoolError(_BAD_CONTENT) from None
    _check_inner_sizes(infos)
    by_name = {info.filename: info for info in infos}
    if len(by_name) != len(infos) or not RESERVED_NAMES <= set(by_name):
        raise AdultSchoolError(_BAD_CONTENT)

    try:
        manifest_bytes = _read_bounded(archive, by_name[MANIFEST_NAME], MAX_MANIFEST_BYTES)
        signature = _read_bounded(archive, by_name[SIGNATURE_NAME], _SIGNATURE_BYTES)
        signer = _read_bounded(archive, by_name[SIGNER_NAME], KEY_BYTES)
    except _BROKEN:
        raise AdultSchoolError(_BAD_CONTENT) from None
    if len(signature) != _SIGNATURE_BYTES or len(signer) != KEY_BYTES:
        raise AdultSchoolError(_BAD_CONTENT)
    try:
        Ed25519PublicKey.from_public_bytes(signer).verify(signature, manifest_bytes)
    except (InvalidSignature, ValueError):
        raise AdultSchoolError(_BAD_SIGNATURE) from None

    try:
        manifest = load_json_object(manifest_bytes, limit=MAX_MANIFEST_BYTES)
        declared = _declared_members(manifest)
    except ValueError:
        raise AdultSchoolError(_BAD_CONTENT) from None
    if (
        manifest.get("format_version") != header.format_version
        or not is_int(manifest.get("format_version"))
        or manifest.get("school_code") != header.school_code
        or manifest.get("sequence") != header.sequence
        or not is_int(manifest.get("sequence"))
        or manifest.get("created_at") != header.created_at
        or (header.from_district and manifest.get("district_code") != header.district_code)
    ):
        raise AdultSchoolError(_HEADER_MISMATCH)

    present = set(by_name) - RESERVED_NAMES
    unlisted = sorted(present - set(declared))
    if unlisted:
        raise AdultSchoolError(
            f"数据包里有清单上没有的内容“{_short(unlisted[0])}”，可能被人改动过，不能导入。请让学校重新发送。"
        )
    missing = sorted(set(declared) - present)
    if missing:
        raise AdultSchoolError(
            f"数据包里缺少清单上列出的“{_short(missing[0])}”，不能导入。请让学校重新导出后再发送。"
        )

    members: dict[str, bytes] = {}
    for name, (digest, size) in declared.items():
        info = by_name[name]
        mismatch = AdultSchoolError(
            f"数据包里的“{_short(name)}”与签名清单不符（大小或校验值不对），可能被人改动过，不能导入。"
            "请让学校重新发送。"
        )
        if info.file_size != size:
            raise mismatch
        try:
            content = _read_bounded(archive, info, MAX_TOTAL_BYTES)
        except _BROKEN:
            raise AdultSchoolError(_BAD_CONTENT) from None
        if hashlib.sha256(content).hexdigest() != digest:
            raise mismatch
        members[name] = content
    return OpenedPackage(
        header=header, manifest=manifest, members=members, signer=signer, signer_fingerprint=fingerprint(signer)
    )


# --- the public pair ---------------------------------------------------------------------------------


def write_package(
    *,
    school_code: str,
    sequence: int,
    created_at: str,
    manifest: dict[str, Any],
    members: dict[str, bytes],
    signing_key_pem: bytes,
    district: DistrictPublicKey,
) -> bytes:
    """The .aspkg bytes for `members`, signed with the school's key and readable only by `district`.

    `manifest` is copied, never changed; the fields this adds must not contradict values already in it.
    """
    fields = {"school_code": school_code, "sequence": sequence, "created_at": created_at}
    inner = _signed_inner(fields, manifest, members, load_signing_key(signing_key_pem))
    return _seal(inner, school_code=school_code, sequence=sequence, created_at=created_at, district=district)


def _signed_inner(fields: dict[str, Any], manifest: dict[str, Any], members: dict[str, bytes],
                  signing_key: Ed25519PrivateKey) -> bytes:
    """The inner zip: the manifest (the caller's plus the header's fields and every member's hash), its signature,
    the signer's public key and the members."""
    check_text(fields["school_code"], max_length=MAX_CODE_CHARS)
    sequence, created_at = fields["sequence"], fields["created_at"]
    if not is_int(sequence) or sequence < 0:
        raise ValueError("sequence must be a non-negative int")
    if not _is_created_at(created_at):
        raise ValueError("created_at must be an ISO 8601 date-time string")
    if len(members) > MAX_MEMBERS:
        raise ValueError(f"at most {MAX_MEMBERS} members")
    for name, content in members.items():
        if not _is_member_name(name):
            raise ValueError(f"bad member name: {name!r}")
        if not isinstance(content, bytes):
            raise TypeError(f"member {name!r} must be bytes")
    if sum(len(content) for content in members.values()) > MAX_TOTAL_BYTES:
        raise AdultSchoolError(
            f"要导出的数据超过 {MAX_TOTAL_BYTES // (1024 * 1024)} MB，不能放进一个数据包。请联系技术支持。"
        )
    added: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "school_code": fields["school_code"],
        "sequence": sequence,
        "created_at": created_at,
        **({"district_code": fields["district_code"]} if "district_code" in fields else {}),
        "members": {
            name: {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
            for name, content in sorted(members.items())
        },
    }
    full_manifest = dict(manifest)
    for key, value in added.items():
        if key in full_manifest and full_manifest[key] != value:
            raise ValueError(f"manifest[{key!r}] contradicts the package: {full_manifest[key]!r} != {value!r}")
        full_manifest[key] = value

    manifest_bytes = pretty_json(full_manifest)
    entries = {
        MANIFEST_NAME: manifest_bytes,
        SIGNATURE_NAME: signing_key.sign(manifest_bytes),
        SIGNER_NAME: signing_key.public_key().public_bytes_raw(),
        **{name: members[name] for name in sorted(members)},
    }
    return _inner_zip(entries)


def open_package(data: bytes, district: DistrictKeyPair) -> OpenedPackage:
    """Decrypt, authenticate and unpack a package; any problem at all is one AdultSchoolError for the clerk.

    Order matters: the format version and the recipient are checked before decryption so that a newer
    package or one meant for another district says so, instead of looking damaged.
    """
    header_bytes, payload = _read_outer(data, with_payload=True)
    header, raw_header = _parse_header(header_bytes)
    if header.format_version > FORMAT_VERSION:
        raise newer_format_error("数据包", header.format_version)
    if header.from_district:
        raise AdultSchoolError(_DISTRICT_NOT_HERE)
    ephemeral_public, nonce = _key_agreement_fields(raw_header)
    own = district.public.fingerprint
    if header.recipient != own:
        raise AdultSchoolError(
            f"这个数据包是发给另一个分中心的（接收方公钥指纹 {header.recipient}），"
            f"本分中心的指纹是 {own}，不能导入。请让学校确认用的是本分中心的公钥文件，再重新导出发送。"
        )
    # The container must be exactly what `_outer_zip` writes: no changed dates, flags or trailing bytes.
    if _outer_zip(header_bytes, payload) != bytes(data):
        raise AdultSchoolError(_DAMAGED_FILE)
    inner = _decrypt(header_bytes, ephemeral_public, nonce, payload, district.box_private)
    return _open_inner(inner, header)


# --- the district's package to a school ----------------------------------------------------------------------


def write_district_package(
    *,
    district: DistrictKeyPair,
    school_code: str,
    school_box: bytes,
    sequence: int,
    created_at: str,
    manifest: dict[str, Any],
    members: dict[str, bytes],
) -> bytes:
    """The district's package to one school: signed with the district's key (which every school holds from
    district.pub) and readable only by the school whose box key is `school_box` (from its own packages)."""
    if not isinstance(school_box, bytes) or len(school_box) != KEY_BYTES:
        raise ValueError("school_box must be 32 raw bytes")
    fields = {"type": DISTRICT_PACKAGE_TYPE, "format_version": FORMAT_VERSION, "district_code": district.code,
              "school_code": school_code, "sequence": sequence, "created_at": created_at,
              "recipient": fingerprint(school_box)}
    signing_key = Ed25519PrivateKey.from_private_bytes(district.sign_private)
    inner = _signed_inner(fields, manifest, members, signing_key)
    return _seal_to(inner, fields=fields, recipient_box=school_box, salt=_DISTRICT_HKDF_SALT,
                    bad_key="学校的加密公钥无效，不能为它生成数据包。请让学校用最新版本重新发送一个数据包。")


def open_district_package(data: bytes, *, district: DistrictPublicKey, school_code: str,
                          box_private: bytes) -> OpenedPackage:
    """Decrypt and authenticate a district package at the school `school_code`: it must be addressed to this school
    and this school's key, and signed by the district whose public key the school registered."""
    header_bytes, payload = _read_outer(data, with_payload=True)
    header, raw_header = _parse_header(header_bytes)
    if not header.from_district:
        raise AdultSchoolError(
            "这是学校生成的数据包（.aspkg），要在分中心导入，不是分中心发给本校的数据包。请确认选对了文件。")
    if header.format_version > FORMAT_VERSION:
        raise newer_format_error("分中心数据包", header.format_version)
    if header.district_code != district.code:
        raise AdultSchoolError(
            f"这个数据包来自分中心“{header.district_code}”，不是本校登记的分中心（{district.code}），不能导入。")
    if header.school_code != school_code:
        raise AdultSchoolError(
            f"这是分中心发给学校 {header.school_code} 的数据包，不是给本校（{school_code}）的，不能导入。"
            "请分中心重新生成给本校的数据包。")
    own = fingerprint(X25519PrivateKey.from_private_bytes(box_private).public_key().public_bytes_raw())
    if header.recipient != own:
        raise AdultSchoolError(
            "这个数据包是用本校以前的密钥加密的（本校更换过签名密钥），打不开。请先向分中心发送一个新的数据包，"
            "再请分中心重新生成给本校的数据包。")
    ephemeral_public, nonce = _key_agreement_fields(raw_header)
    if _outer_zip(header_bytes, payload) != bytes(data):
        raise AdultSchoolError(_DISTRICT_DAMAGED)
    inner = _decrypt(header_bytes, ephemeral_public, nonce, payload, box_private, _DISTRICT_HKDF_SALT,
                     failed=_DISTRICT_DAMAGED)
    opened = _open_inner(inner, header)
    if opened.signer != district.sign:
        raise AdultSchoolError(
            "这个数据包不是本校登记的分中心签发的（签名密钥不符），不能导入。请向分中心核实。")
    return opened
