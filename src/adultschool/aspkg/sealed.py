"""Passphrase-sealed files: a backup that leaves the data folder (USB stick, `backup --out`) holds every ID number, so
it is written sealed under a passphrase (scrypt, as the district key, then AES-256-GCM in 1 MiB chunks).

Layout: MAGIC, a 4-byte big-endian header length, the header (canonical JSON: kdf, chunk size, nonce prefix, and what
the sender wants readable before opening, e.g. the school code), then the chunks, each `AESGCM(nonce_prefix ‖ index)`
over the chunk with the header, the index and a last-chunk flag as associated data: a chunk moved, dropped, altered, or
a file cut short fails to open, and so does a wrong passphrase. The sealed content is a zip of named members (the
database, the school's signing key), so the file restores everything a lost PC needs. Pure: files in, files out.
"""
from __future__ import annotations

import json
import os
import struct
import unicodedata
import zipfile
from pathlib import Path
from typing import Any, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adultschool.errors import AdultSchoolError
from adultschool.aspkg.keys import MIN_PASSPHRASE_CHARS, SCRYPT_N, SCRYPT_P, SCRYPT_R, _kdf_parameters, _scrypt_key
from adultschool.aspkg.codec import b64, canonical_json, unb64

MAGIC = b"ADULTSCHOOL-SEALED-BACKUP\n"
SUFFIX = ".asbackup"
CHUNK_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
_TAG_BYTES = 16
_PREFIX_BYTES = 8

WRONG_PASSPHRASE = ("备份密码不对，或这份加密备份已损坏（被改动、没有复制完整）：打不开。"
                    "请检查大小写和输入法的全角/半角后重新输入；确定密码无误时请换一份备份。")


def is_sealed(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def check_passphrase(passphrase: str) -> None:
    if len(unicodedata.normalize("NFKC", passphrase or "")) < MIN_PASSPHRASE_CHARS:
        raise AdultSchoolError(f"备份密码太短：至少要 {MIN_PASSPHRASE_CHARS} 个字符。请选一个别人猜不到、自己记得住的密码，"
                               "记在安全的地方（不要和 U 盘放在一起）：没有它，这份备份谁也打不开。")


def _associated(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">Q?", index, last)


def seal(members: Mapping[str, Path], target: Path, passphrase: str, *, readable: Mapping[str, Any] | None = None) -> Path:
    """Zips `members` (name in the container → file) and seals the zip into `target` (written as target.part first)."""
    check_passphrase(passphrase)
    salt, prefix = os.urandom(16), os.urandom(_PREFIX_BYTES)
    header = canonical_json({
        "format_version": 1,
        "kdf": {"name": "scrypt", "salt": b64(salt), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
        "cipher": {"name": "AES-256-GCM", "chunk_bytes": CHUNK_BYTES, "nonce_prefix": b64(prefix)},
        "readable": dict(readable or {}),
    })
    cipher = AESGCM(_scrypt_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
    bundle = target.with_name(target.name + ".zip.part")
    part = target.with_name(target.name + ".part")
    try:
        with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, file in members.items():
                archive.write(file, name)
        size = bundle.stat().st_size
        with open(bundle, "rb") as source, open(part, "wb") as out:
            out.write(MAGIC + struct.pack(">I", len(header)) + header)
            index = 0
            while True:
                chunk = source.read(CHUNK_BYTES)
                last = source.tell() >= size
                out.write(cipher.encrypt(prefix + struct.pack(">I", index), chunk, _associated(header, index, last)))
                index += 1
                if last:
                    break
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    finally:
        bundle.unlink(missing_ok=True)
        part.unlink(missing_ok=True)
    return target


def readable_header(path: Path) -> dict:
    """What the sealed file says about itself without the passphrase (school code, when it was taken)."""
    return _read_header(path)[0].get("readable") or {}


def _read_header(path: Path) -> tuple[dict, bytes, int]:
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise AdultSchoolError(f"{path} 不是本程序的加密备份。")
        (length,) = struct.unpack(">I", handle.read(4))
        if not 2 <= length <= MAX_HEADER_BYTES:
            raise AdultSchoolError(f"加密备份 {path} 已损坏（文件头不对）。")
        header = handle.read(length)
    try:
        return json.loads(header), header, len(MAGIC) + 4 + length
    except ValueError:
        raise AdultSchoolError(f"加密备份 {path} 已损坏（文件头不对）。") from None


def unseal(path: Path, folder: Path, passphrase: str) -> dict[str, Path]:
    """Opens a sealed file into `folder`: member name → extracted file. Wrong passphrase or any damage: AdultSchoolError."""
    fields, header, offset = _read_header(path)
    try:
        salt, n, r, p = _kdf_parameters(fields.get("kdf"))
        cipher_fields = fields["cipher"]
        if cipher_fields.get("name") != "AES-256-GCM" or cipher_fields.get("chunk_bytes") != CHUNK_BYTES:
            raise ValueError("unknown cipher")
        prefix = unb64(cipher_fields.get("nonce_prefix"), length=_PREFIX_BYTES)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise AdultSchoolError(f"加密备份 {path} 已损坏（文件头不对）。") from None
    cipher = AESGCM(_scrypt_key(passphrase or "", salt, n, r, p))
    bundle = folder / "sealed.zip"
    total = path.stat().st_size
    try:
        with open(path, "rb") as source, open(bundle, "wb") as out:
            source.seek(offset)
            index = 0
            while True:
                chunk = source.read(CHUNK_BYTES + _TAG_BYTES)
                last = source.tell() >= total
                out.write(cipher.decrypt(prefix + struct.pack(">I", index), chunk, _associated(header, index, last)))
                index += 1
                if last:
                    break
    except InvalidTag:
        bundle.unlink(missing_ok=True)
        raise AdultSchoolError(WRONG_PASSPHRASE) from None
    opened: dict[str, Path] = {}
    with zipfile.ZipFile(bundle) as archive:
        for number, name in enumerate(archive.namelist()):
            target = folder / f"member-{number}"
            with archive.open(name) as member, open(target, "wb") as out:
                while block := member.read(CHUNK_BYTES):
                    out.write(block)
            opened[name] = target
    bundle.unlink()
    return opened
