"""The .aspkg sync format: school packages encrypted to a district and signed, district receipts, and keys.

Pure: bytes and plain values in, plain values out; no database, no files (the caller reads and writes
them), no Qt. Every problem with bytes from outside is one AdultSchoolError in Chinese.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each name and the module that holds it. They are imported at first use (PEP 562): the keys, packages and receipts
# need cryptography, which the window and most commands never touch, so importing this package costs nothing.
_EXPORTS = {
    "FORMAT_VERSION": "codec",
    "Gaps": "gaps", "find_gaps": "gaps",
    "DistrictKeyPair": "keys", "DistrictPublicKey": "keys", "MIN_PASSPHRASE_CHARS": "keys", "KEY_BYTES": "keys",
    "school_box_private": "keys", "school_box_public": "keys",
    "dump_district_private": "keys", "dump_district_public": "keys", "fingerprint": "keys",
    "generate_district_keys": "keys", "load_district_private": "keys", "load_district_public": "keys",
    "new_signing_key": "keys", "signing_public_key": "keys",
    "OpenedPackage": "package", "PackageHeader": "package", "open_package": "package", "read_header": "package",
    "write_package": "package", "open_district_package": "package", "write_district_package": "package",
    "read_receipt": "receipt", "write_receipt": "receipt",
}

if TYPE_CHECKING:
    from adultschool.aspkg.codec import FORMAT_VERSION
    from adultschool.aspkg.gaps import Gaps, find_gaps
    from adultschool.aspkg.keys import (
        KEY_BYTES,
        MIN_PASSPHRASE_CHARS,
        DistrictKeyPair,
        DistrictPublicKey,
        dump_district_private,
        dump_district_public,
        fingerprint,
        generate_district_keys,
        load_district_private,
        load_district_public,
        new_signing_key,
        school_box_private,
        school_box_public,
        signing_public_key,
    )
    from adultschool.aspkg.package import (
        OpenedPackage,
        PackageHeader,
        open_district_package,
        open_package,
        read_header,
        write_district_package,
        write_package,
    )
    from adultschool.aspkg.receipt import read_receipt, write_receipt


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = sorted(_EXPORTS)
