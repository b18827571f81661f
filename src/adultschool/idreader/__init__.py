"""The resident ID card reader (二代证读卡器) behind one adapter: the vendor's library, loaded with ctypes, read in
one of the three families of calls that vendors ship (`families`), in this process or, for a 32-bit library that the
64-bit program cannot load, through `helper`: the installed idreader32.exe loads it and makes the same calls for us.

Pure: no database, no Qt, nothing but the standard library. What a card says is handed back as `CardData`; the
person checks it and the registration checks it as if typed. From the SAM family the card's photo comes as 1024 bytes
of WLT, which only the vendor's decoder (WltRS.dll) turns into a picture: `photo.decode_wlt` calls it when the settings
name it (through the helper too, when the decoder is 32-bit); the WLT itself is never kept. The CVR and Syn libraries
decode the photo themselves and hand over a BMP (`CardData.photo_bmp`; how, in `families`).
"""
from __future__ import annotations

import enum
import struct
import sys
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from adultschool.errors import AdultSchoolError

USB_PORTS = tuple(range(1001, 1017))
SERIAL_PORTS = tuple(range(1, 17))
SCAN_ORDER = USB_PORTS + SERIAL_PORTS


class Family(str, enum.Enum):
    SDT = "sdt"  # the generic SAM API, sdtapi.dll
    CVR = "cvr"  # 华视 termb.dll
    SYN = "syn"  # 神思 SynIDCardAPI.dll

    @property
    def label(self) -> str:
        return {"sdt": "通用 SAM 接口（sdtapi.dll）", "cvr": "华视 CVR（termb.dll）",
                "syn": "神思（SynIDCardAPI.dll）"}[self.value]


class Mode(str, enum.Enum):
    AUTO = "auto"  # in this process unless the library's bitness differs from Python's (then through the helper)
    DIRECT = "direct"
    HELPER = "helper"


class CardType(str, enum.Enum):
    RESIDENT = "resident"  # 居民身份证
    HMT_PERMIT = "hmt_permit"  # 港澳台居民居住证 (81/82/83)
    FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证

    @property
    def label(self) -> str:
        return {"resident": "居民身份证", "hmt_permit": "港澳台居民居住证",
                "foreign_permanent": "外国人永久居留身份证"}[self.value]


class ReaderError(AdultSchoolError):
    """A reader that could not give a card, in words for the clerk; `kind` for the program."""

    NO_READER = "no_reader"
    NO_CARD = "no_card"
    MISREAD = "misread"
    LIBRARY = "library"

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def no_reader(extra: str = "") -> ReaderError:
    return ReaderError(ReaderError.NO_READER, "未检测到读卡器：请检查读卡器的 USB 线是否插好，"
                       "以及“设置 → 读卡器”里的驱动文件和端口。" + extra)


def no_card() -> ReaderError:
    return ReaderError(ReaderError.NO_CARD, "请把身份证放在读卡器上。")


def misread() -> ReaderError:
    return ReaderError(ReaderError.MISREAD, "读卡没有成功：请把身份证拿开再放一次，放平不要移动。")


@dataclass(frozen=True)
class ReaderConfig:
    """Where the vendor's library is and how to talk to it (kept per PC)."""

    library: str
    family: Family
    port: int | None = None  # None: scan the USB ports 1001–1016, then the serial ports 1–16
    mode: Mode = Mode.AUTO
    photo_decoder: str | None = None  # the vendor's WltRS.dll, which turns the card's WLT photo into a BMP
    # The helper program for a 32-bit library when not the idreader32.exe installed with the program (a copy run
    # from the source tree, the tests).
    helper: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"library": self.library, "family": self.family.value, "port": self.port, "mode": self.mode.value,
                "photo_decoder": self.photo_decoder, "helper": self.helper}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ReaderConfig":
        """Also an entry saved by an older version: its "helper_python" (a 32-bit python.exe) is not needed any more."""
        port = data.get("port")
        return cls(str(data["library"]), Family(data["family"]), int(port) if port is not None else None,
                   Mode(data.get("mode") or "auto"), data.get("photo_decoder") or None, data.get("helper") or None)


@dataclass(frozen=True)
class CardData:
    """What the card holds, as text the card gave (stripped), the dates parsed where they are dates."""

    name: str
    gender: str | None  # 'male' | 'female'
    ethnicity: str
    birth_date: date | None
    address: str
    id_number: str
    issuer: str
    valid_from: date | None
    valid_to: date | None  # None also for 长期
    card_type: CardType = CardType.RESIDENT
    port: int | None = None  # where it was read (for remembering an auto-scanned port)
    warnings: tuple[str, ...] = field(default=())
    # The photo as the card holds it (WLT, 1024 bytes; the SAM family only). Never written anywhere: decoded to a
    # picture when the settings name a decoder, and used only if the clerk ticks it.
    photo_wlt: bytes | None = field(default=None, repr=False, compare=False)
    # The photo as a picture (BMP), when the reader's own library decoded it (the CVR and Syn families); the file the
    # library wrote it to is already deleted. Used only if the clerk ticks it, as a decoded WLT.
    photo_bmp: bytes | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:  # the number stays out of logs and test output (PIPL)
        masked = self.id_number[:6] + "********" + self.id_number[14:] if len(self.id_number) == 18 else "***"
        return f"CardData(name={self.name!r}, id_number={masked!r}, card_type={self.card_type.value!r})"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("photo_wlt")  # not for the helper's pipe or a printout
        data.pop("photo_bmp")
        for key in ("birth_date", "valid_from", "valid_to"):
            data[key] = data[key].isoformat() if data[key] else None
        data["card_type"] = self.card_type.value
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CardData":
        def day(key: str) -> date | None:
            return date.fromisoformat(data[key]) if data.get(key) else None

        return cls(data["name"], data.get("gender"), data.get("ethnicity", ""), day("birth_date"),
                   data.get("address", ""), data["id_number"], data.get("issuer", ""), day("valid_from"),
                   day("valid_to"), CardType(data.get("card_type", "resident")), data.get("port"),
                   tuple(data.get("warnings") or ()))


def card_type_of(id_number: str) -> CardType:
    if id_number[:2] in ("81", "82", "83"):
        return CardType.HMT_PERMIT
    if id_number[:1] == "9" or (id_number[:3].isalpha() and len(id_number) == 15):
        return CardType.FOREIGN_PERMANENT
    return CardType.RESIDENT


def library_bits(path: str | Path) -> int | None:
    """32 or 64 for a Windows DLL (its PE header) or an ELF library; None if the file is neither or unreadable."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    if head[:4] == b"\x7fELF":
        return {1: 32, 2: 64}.get(head[4])
    if head[:2] != b"MZ" or len(head) < 64:
        return None
    offset = struct.unpack_from("<I", head, 0x3C)[0]
    if offset + 6 > len(head) or head[offset:offset + 4] != b"PE\0\0":
        return None
    machine = struct.unpack_from("<H", head, offset + 4)[0]
    return {0x014C: 32, 0x8664: 64, 0xAA64: 64}.get(machine)


def python_bits() -> int:
    return 64 if sys.maxsize > 2**32 else 32


HELPER_NAME = "idreader32.exe"


def installed_helper() -> Path:
    """The helper for 32-bit libraries where the installer puts it: the program's folder, beside python\\ (whose
    python.exe runs the program)."""
    return Path(sys.executable).resolve().parent.parent / HELPER_NAME


def needs_helper(config: ReaderConfig) -> bool:
    if config.mode is Mode.HELPER:
        return True
    if config.mode is Mode.DIRECT:
        return False
    bits = library_bits(config.library)
    return bits is not None and bits != python_bits()


def read_card(config: ReaderConfig) -> CardData:
    """One card from the reader, or ReaderError saying what the clerk should do."""
    if not Path(config.library).is_file():
        raise ReaderError(ReaderError.LIBRARY, f"找不到读卡器的驱动文件“{config.library}”：请在“设置 → 读卡器”里重新选择"
                                               "（通常在读卡器厂家的安装文件夹里，如 sdtapi.dll、termb.dll）。")
    from adultschool.idreader import families  # ctypes is loaded when a reader is used

    if needs_helper(config):
        from adultschool.idreader import helper  # only for a library of the other bitness

        return families.read(config, helper.library(config.library, config.helper))
    return families.read(config)
