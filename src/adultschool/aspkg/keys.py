"""The keys of the sync scheme: a school's Ed25519 signing key (and the X25519 key derived from it, to which the
district encrypts its packages to the school), a district's X25519 + Ed25519 key pair.

Owns their files (district.pub, the passphrase-protected district.key) and the fingerprint a clerk reads
aloud on the phone to check that a key is the right one.

district.pub is UTF-8 JSON::

    {"type": "adultschool-district-public-key", "format_version": 1, "code": "330206",
     "box": <base64 raw X25519 public key>, "sign": <base64 raw Ed25519 public key>,
     "fingerprint": "3F2A-91C0-…"}

district.key is UTF-8 JSON with the same type/format_version/code/fingerprint fields, a "kdf" object
(scrypt: base64 salt, n, r, p), a "cipher" object (AES-256-GCM: base64 nonce) and "ciphertext": the
64 bytes box_private + sign_private encrypted under the scrypt key, with the canonical JSON of every
other field as associated data, so no field can be swapped without the passphrase check failing.
"""
from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from adultschool.errors import AdultSchoolError
from adultschool.aspkg.codec import (
    FORMAT_VERSION,
    b64,
    canonical_json,
    check_text,
    is_int,
    load_json_object,
    newer_format_error,
    pretty_json,
    unb64,
)

PUBLIC_TYPE = "adultschool-district-public-key"
PRIVATE_TYPE = "adultschool-district-private-key"
KEY_BYTES = 32
MIN_PASSPHRASE_CHARS = 8
MAX_CODE_CHARS = 64
MAX_KEY_FILE_BYTES = 64 * 1024

# scrypt at 128 MiB of memory: about 0.4 s on an office PC, once per opening of the district key.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
# What a key file may ask for, so a crafted file cannot make us allocate gigabytes.
_MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024
_SALT_BYTES = 16
_SCHOOL_BOX_SALT = b"adultschool.school-box.v1"
_NONCE_BYTES = 12

_NOT_PUBLIC = (
    "这个文件不是分中心公钥文件（district.pub），或文件已损坏。请向分中心重新索取公钥文件，"
    "并和分中心核对公钥指纹。"
)
_PUBLIC_TAMPERED = (
    "这个文件不是分中心公钥文件，或内容被改动过（指纹不符），不能使用。请向分中心重新索取公钥文件，"
    "并当面或打电话核对公钥指纹。"
)
_NOT_PRIVATE = (
    "这个文件不是分中心私钥文件（district.key），或文件已损坏。请选择分中心保存的私钥文件或它的备份。"
)
_WRONG_PASSPHRASE = (
    "口令不对，打不开分中心私钥文件。请检查大小写和输入法的全角/半角后重新输入；"
    "如果确定口令无误，说明私钥文件已损坏，请换用备份。"
)
_BAD_SIGNING_KEY = (
    "本校的签名私钥无法读取（文件已损坏或不是本程序生成的），不能生成数据包。请从备份恢复密钥文件，"
    "或联系技术支持。"
)


def fingerprint(public_raw: bytes) -> str:
    """First 16 bytes of SHA-256 as 8 groups of 4 upper-case hex digits: short enough to read aloud."""
    digest = hashlib.sha256(public_raw).hexdigest().upper()[:32]
    return "-".join(digest[i : i + 4] for i in range(0, 32, 4))


# --- a school's signing key -------------------------------------------------------------------------


def new_signing_key() -> bytes:
    """A new Ed25519 private key for a school, as unencrypted PKCS8 PEM (the caller stores it)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_signing_key(private_pem: bytes) -> Ed25519PrivateKey:
    """The school's key from its PEM; an AdultSchoolError if the file is damaged or not Ed25519."""
    try:
        key = serialization.load_pem_private_key(bytes(private_pem), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise AdultSchoolError(_BAD_SIGNING_KEY) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AdultSchoolError(_BAD_SIGNING_KEY)
    return key


def signing_public_key(private_pem: bytes) -> bytes:
    """The raw 32-byte Ed25519 public key that goes with a school's PEM private key."""
    return load_signing_key(private_pem).public_key().public_bytes_raw()


def school_box_private(private_pem: bytes) -> bytes:
    """The school's X25519 key for packages the district encrypts to it, derived from its signing key (HKDF), so it
    needs no file of its own: whoever holds the signing key file (and its backup) can read the district's packages."""
    seed = load_signing_key(private_pem).private_bytes_raw()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_SCHOOL_BOX_SALT, info=b"x25519").derive(seed)


def school_box_public(private_pem: bytes) -> bytes:
    """The raw X25519 public key that goes with `school_box_private`; it travels (signed) in the school's packages."""
    return X25519PrivateKey.from_private_bytes(school_box_private(private_pem)).public_key().public_bytes_raw()


# --- a district's keys ------------------------------------------------------------------------------


def _check_code(code: object) -> str:
    try:
        return check_text(code, max_length=MAX_CODE_CHARS)
    except ValueError:
        raise AdultSchoolError(
            f"分中心代码不对：不能为空，不能有空格或控制字符，最多 {MAX_CODE_CHARS} 个字符。"
        ) from None


def _check_raw_key(value: object, name: str) -> None:
    if not isinstance(value, bytes) or len(value) != KEY_BYTES:
        raise ValueError(f"{name} must be {KEY_BYTES} raw bytes")


@dataclass(frozen=True)
class DistrictPublicKey:
    """What schools hold: encrypt packages to `box`, check receipts with `sign`."""

    code: str
    box: bytes
    sign: bytes

    def __post_init__(self) -> None:
        _check_raw_key(self.box, "box")
        _check_raw_key(self.sign, "sign")

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.box + self.sign)


@dataclass(frozen=True)
class DistrictKeyPair:
    """What only the district holds; repr leaves the private keys out so they never reach a log."""

    code: str
    box_private: bytes = field(repr=False)
    sign_private: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _check_raw_key(self.box_private, "box_private")
        _check_raw_key(self.sign_private, "sign_private")

    @property
    def public(self) -> DistrictPublicKey:
        box = X25519PrivateKey.from_private_bytes(self.box_private).public_key().public_bytes_raw()
        sign = Ed25519PrivateKey.from_private_bytes(self.sign_private).public_key().public_bytes_raw()
        return DistrictPublicKey(code=self.code, box=box, sign=sign)


def generate_district_keys(code: str) -> DistrictKeyPair:
    """A new district key pair, made once when a district sets up."""
    return DistrictKeyPair(
        code=_check_code(code),
        box_private=X25519PrivateKey.generate().private_bytes_raw(),
        sign_private=Ed25519PrivateKey.generate().private_bytes_raw(),
    )


def dump_district_public(key: DistrictPublicKey) -> bytes:
    """district.pub: what the district hands to every school."""
    return pretty_json(
        {
            "type": PUBLIC_TYPE,
            "format_version": FORMAT_VERSION,
            "code": key.code,
            "box": b64(key.box),
            "sign": b64(key.sign),
            "fingerprint": key.fingerprint,
        }
    )


def _file_version(raw: dict[str, Any], expected_type: str, not_this: str, what: str) -> int:
    """Type marker and format version, checked before anything else so a newer file says 'upgrade'."""
    if raw.get("type") != expected_type:
        raise AdultSchoolError(not_this)
    version = raw.get("format_version")
    if not is_int(version) or version < 1:
        raise AdultSchoolError(not_this)
    if version > FORMAT_VERSION:
        raise newer_format_error(what, version)
    return version


def load_district_public(data: bytes) -> DistrictPublicKey:
    """A district.pub from a clerk's hands; anything but an intact one is an AdultSchoolError."""
    try:
        raw = load_json_object(data, limit=MAX_KEY_FILE_BYTES)
    except ValueError:
        raise AdultSchoolError(_NOT_PUBLIC) from None
    _file_version(raw, PUBLIC_TYPE, _NOT_PUBLIC, "分中心公钥文件")
    try:
        key = DistrictPublicKey(
            code=check_text(raw.get("code"), max_length=MAX_CODE_CHARS),
            box=unb64(raw.get("box"), length=KEY_BYTES),
            sign=unb64(raw.get("sign"), length=KEY_BYTES),
        )
    except ValueError:
        raise AdultSchoolError(_NOT_PUBLIC) from None
    if raw.get("fingerprint") != key.fingerprint:
        raise AdultSchoolError(_PUBLIC_TAMPERED)
    return key


def _normalise_passphrase(passphrase: str) -> bytes:
    # NFKC folds full-width letters and digits to half-width: the same passphrase typed with the Chinese
    # input method in full-width mode must still open the key.
    return unicodedata.normalize("NFKC", passphrase).encode("utf-8")


def _scrypt_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(_normalise_passphrase(passphrase))


def dump_district_private(pair: DistrictKeyPair, passphrase: str) -> bytes:
    """district.key: both private keys sealed under a passphrase, safe to keep on a USB stick as a backup."""
    if not isinstance(passphrase, str) or len(unicodedata.normalize("NFKC", passphrase)) < MIN_PASSPHRASE_CHARS:
        raise AdultSchoolError(
            f"口令太短：至少要 {MIN_PASSPHRASE_CHARS} 个字符。这个口令保护分中心的私钥，"
            "请选一个别人猜不到、自己记得住的口令，并记在安全的地方。"
        )
    salt = os.urandom(_SALT_BYTES)
    nonce = os.urandom(_NONCE_BYTES)
    fields: dict[str, Any] = {
        "type": PRIVATE_TYPE,
        "format_version": FORMAT_VERSION,
        "code": pair.code,
        "fingerprint": pair.public.fingerprint,
        "kdf": {"name": "scrypt", "salt": b64(salt), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
        "cipher": {"name": "AES-256-GCM", "nonce": b64(nonce)},
    }
    key = _scrypt_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = AESGCM(key).encrypt(nonce, pair.box_private + pair.sign_private, canonical_json(fields))
    return pretty_json({**fields, "ciphertext": b64(ciphertext)})


def _kdf_parameters(kdf: object) -> tuple[bytes, int, int, int]:
    """scrypt salt, n, r, p from a key file, bounded so the file cannot demand absurd memory; ValueError else."""
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        raise ValueError("unknown kdf")
    salt = unb64(kdf.get("salt"))
    n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
    if not (is_int(n) and is_int(r) and is_int(p)):
        raise ValueError("bad scrypt parameters")
    if not (8 <= len(salt) <= 64 and 2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 16 and 1 <= p <= 4):
        raise ValueError("bad scrypt parameters")
    if 128 * n * r * p > _MAX_SCRYPT_MEMORY:
        raise ValueError("scrypt asks for too much memory")
    return salt, n, r, p


def load_district_private(data: bytes, passphrase: str) -> DistrictKeyPair:
    """Open district.key with the passphrase; wrong passphrase or any damage is an AdultSchoolError."""
    try:
        raw = load_json_object(data, limit=MAX_KEY_FILE_BYTES)
    except ValueError:
        raise AdultSchoolError(_NOT_PRIVATE) from None
    _file_version(raw, PRIVATE_TYPE, _NOT_PRIVATE, "分中心私钥文件")
    try:
        fields = {name: value for name, value in raw.items() if name != "ciphertext"}
        code = check_text(raw.get("code"), max_length=MAX_CODE_CHARS)
        salt, n, r, p = _kdf_parameters(raw.get("kdf"))
        cipher = raw.get("cipher")
        if not isinstance(cipher, dict) or cipher.get("name") != "AES-256-GCM":
            raise ValueError("unknown cipher")
        nonce = unb64(cipher.get("nonce"), length=_NONCE_BYTES)
        ciphertext = unb64(raw.get("ciphertext"), length=2 * KEY_BYTES + 16)
        associated = canonical_json(fields)
    except ValueError:
        raise AdultSchoolError(_NOT_PRIVATE) from None
    if not isinstance(passphrase, str):
        raise AdultSchoolError(_WRONG_PASSPHRASE)
    try:
        secret = AESGCM(_scrypt_key(passphrase, salt, n, r, p)).decrypt(nonce, ciphertext, associated)
    except InvalidTag:
        raise AdultSchoolError(_WRONG_PASSPHRASE) from None
    pair = DistrictKeyPair(code=code, box_private=secret[:KEY_BYTES], sign_private=secret[KEY_BYTES:])
    if raw.get("fingerprint") != pair.public.fingerprint:
        # Cannot happen without the passphrase; a file sealed by a buggy or hostile writer.
        raise AdultSchoolError(_NOT_PRIVATE)
    return pair
